package stays

import (
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// TestParseNights reads the nights column of reservationNightsSelect: date
// order whatever order the rows came in, prices in the stay's currency,
// rooms, released nights of a stay that holds stock, and a clear error for
// a value it cannot read.
func TestParseNights(t *testing.T) {
	ns, err := parseNights("2026-03-02\x1f12000\x1f1\x1frm_b\x1e2026-03-01\x1f-5\x1f0\x1f", "EUR", true)
	if err != nil {
		t.Fatal(err)
	}
	want := []Night{
		{Date: date.MustParse("2026-03-01"), Price: tenant.Money{Amount: -5, Currency: "EUR"}, Released: true},
		{Date: date.MustParse("2026-03-02"), Price: tenant.Money{Amount: 12000, Currency: "EUR"}, RoomID: "rm_b"},
	}
	if len(ns) != len(want) || ns[0] != want[0] || ns[1] != want[1] {
		t.Fatalf("got %+v\nwant %+v", ns, want)
	}
	if ns, err := parseNights("2026-03-01\x1f1\x1f0\x1f", "EUR", false); err != nil || ns[0].Released {
		t.Fatalf("a cancelled stay's night: %+v, %v", ns, err)
	}
	if ns, err := parseNights("", "EUR", true); err != nil || ns == nil || len(ns) != 0 {
		t.Fatalf("no nights: %#v, %v", ns, err)
	}
	for _, bad := range []string{"2026-03-01\x1f1\x1f1", "2026-02-30\x1f1\x1f1\x1f", "2026-03-01\x1fx\x1f1\x1f"} {
		if _, err := parseNights(bad, "EUR", true); err == nil {
			t.Errorf("parseNights(%q) read it", bad)
		}
	}
}
