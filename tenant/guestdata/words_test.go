package guestdata

import "testing"

// TestCount checks the erasure page's counts read as English.
func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "no bookings"}, {1, "1 booking"}, {3, "3 bookings"}} {
		if got := count(c.n, "booking", "bookings"); got != c.want {
			t.Errorf("count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
