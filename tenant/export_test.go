package tenant

// GuestOpens returns how many guests were unsealed since the process
// started, so tests can prove a search opens only the guests it returns.
func GuestOpens() int64 { return guestOpens.Load() }
