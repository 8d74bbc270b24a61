package guestdata_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/stays"
)

// TestRestrict restricts a guest: left out of the guest list and search
// unless the caller may see restricted guests, the restriction and its
// lifting audited with the reason, refusals for a missing reason, a guest
// already restricted and an anonymised one.
func TestRestrict(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-02")
	gd, st := guestdata.New(f.DB), stays.New(f.DB)
	a := pmstest.Must(st.CreateGuest(f.Ctx, stays.GuestInput{GivenName: "Rhea", FamilyName: "Restricta", Email: "rhea@example.com"}))(t)
	b := pmstest.Must(st.CreateGuest(f.Ctx, stays.GuestInput{GivenName: "Rhea", FamilyName: "Open"}))(t)
	sees := stays.WithRestricted(f.Ctx)

	err := gd.Restrict(f.Ctx, a.ID, true, " ")
	pmstest.WantCode(t, err, aura.EINVALID)
	pmstest.Must(0, gd.Restrict(f.Ctx, a.ID, true, "The guest disputes the accuracy of the address"))(t)
	pmstest.WantCode(t, gd.Restrict(f.Ctx, a.ID, true, "again"), aura.ECONFLICT)
	// The reason is in the audit row, sealed under the guest's key.
	action, after := pmstest.LastAction(t, f)
	var row struct {
		Sealed map[string][]byte `json:"sealed"`
	}
	if err := json.Unmarshal([]byte(after), &row); err != nil || action != "guest.restricted" || strings.Contains(after, "disputes") {
		t.Fatalf("audit %s %s (%v)", action, after, err)
	}
	if vals, _, err := f.DB.OpenGuestSealed(f.Ctx, a.ID, "guests", a.ID, row.Sealed); err != nil || vals["reason"] != "The guest disputes the accuracy of the address" {
		t.Fatalf("the sealed reason opens to %q (%v)", vals["reason"], err)
	}
	if g := pmstest.Must(st.GetGuest(f.Ctx, a.ID))(t); g.RestrictedAt == nil || !g.RestrictedAt.Equal(f.Clock.Now().UTC()) {
		t.Fatalf("restricted at %v", g.RestrictedAt)
	}
	ids := func(gs []stays.Guest) map[string]bool {
		out := map[string]bool{}
		for _, g := range gs {
			out[g.ID] = true
		}
		return out
	}
	if l := ids(pmstest.Must(st.ListGuests(f.Ctx, 50, ""))(t).Guests); l[a.ID] || !l[b.ID] {
		t.Fatalf("the list shows the restricted guest to everyone: %v", l)
	}
	if l := ids(pmstest.Must(st.ListGuests(sees, 50, ""))(t).Guests); !l[a.ID] || !l[b.ID] {
		t.Fatalf("the list hides the restricted guest from who may see it: %v", l)
	}
	opens := pmstest.Must(st.SearchGuests(f.Ctx, "Rhea", 10))(t)
	if l := ids(opens); l[a.ID] || !l[b.ID] {
		t.Fatalf("search finds the restricted guest for everyone: %v", l)
	}
	if l := ids(pmstest.Must(st.SearchGuests(sees, "rhea@example.com", 10))(t)); !l[a.ID] {
		t.Fatalf("search hides the restricted guest from who may see it: %v", l)
	}
	// Lists of stays (the tape chart, reservation lists, boards) name the
	// guest only for who may see restricted guests.
	in := f.Booking(f.Day(1), f.Day(3))
	in.Booker = stays.GuestRef{ID: a.ID}
	res := pmstest.Must(st.CreateBooking(sees, in))(t).Reservations[0]
	if n := pmstest.Must(st.GuestNames(f.Ctx, []string{a.ID, b.ID}))(t); n[a.ID] != stays.RestrictedName || n[b.ID] != "Rhea Open" {
		t.Fatalf("list names for everyone: %v", n)
	}
	if n := pmstest.Must(st.GuestNames(sees, []string{a.ID}))(t); n[a.ID] != "Rhea Restricta" {
		t.Fatalf("list names for who may see restricted guests: %v", n)
	}
	barName := func(ctx context.Context) string {
		tc := pmstest.Must(st.TapeChart(ctx, f.Prop.ID, f.Day(0), f.Day(5)))(t)
		for _, b := range tc.Unassigned {
			if b.ReservationID == res.ID {
				return b.GuestName
			}
		}
		t.Fatalf("the stay is not on the tape chart: %+v", tc.Unassigned)
		return ""
	}
	if got := barName(f.Ctx); got != stays.RestrictedName {
		t.Fatalf("the tape chart names the restricted guest %q", got)
	}
	if got := barName(sees); got != "Rhea Restricta" {
		t.Fatalf("the tape chart hides the restricted guest from who may see them: %q", got)
	}
	pmstest.Must(0, gd.RecordRestrictedRead(f.Ctx, a.ID, "guest page"))(t)
	if action, after := pmstest.LastAction(t, f); action != "guest.restricted_read" || !strings.Contains(after, "guest page") {
		t.Fatalf("audit %s %s", action, after)
	}
	pmstest.Must(0, gd.Restrict(f.Ctx, a.ID, false, ""))(t)
	if l := ids(pmstest.Must(st.ListGuests(f.Ctx, 50, ""))(t).Guests); !l[a.ID] {
		t.Fatal("the lifted restriction still hides the guest")
	}
	pmstest.WantCode(t, gd.Restrict(f.Ctx, a.ID, false, ""), aura.ECONFLICT)
	pmstest.Must(gd.Erase(f.Ctx, b.ID, 0))(t)
	pmstest.WantCode(t, gd.Restrict(f.Ctx, b.ID, true, "too late"), aura.ECONFLICT)
	f.VerifyAudit(t)
}
