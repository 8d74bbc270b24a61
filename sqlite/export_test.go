package sqlite

// Waiting returns the number of write requests blocked on c's writer.
func Waiting(c *Chain) int64 { return c.w.waiting.Load() }

// Groups returns how many groups c's writer has committed or rolled back,
// and how many requests ran in them.
func Groups(c *Chain) (groups, requests int64) { return c.w.groups.Load(), c.w.requests.Load() }

// LookasideErr returns why configuring the lookaside of connections failed.
func LookasideErr() error { return lookasideErr }
