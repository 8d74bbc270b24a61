package ledger

// ContainsCardNumber reports whether text holds what looks like a payment
// card number: 13 to 19 digits (spaces or dashes between digits allowed)
// that pass the Luhn check. It is the check every free-text field of the
// ledger applies, exported for the layers that store text before the
// ledger sees it (the Stripe payments keep a payment's note until its
// ledger record is written).
func ContainsCardNumber(text string) bool { return hasCardNumber(text) }
