package stays_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// TestGuestDataNeverPlain writes a guest through every path that takes
// personal data (profile, booking with notes, rectification, stay changes,
// check-in) and then reads the raw tenant file and its WAL as an attacker
// with the file but not the key would: no personal value appears in any byte.
func TestGuestDataNeverPlain(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	secret := stays.GuestInput{GivenName: "Quirinus", FamilyName: "Zwetschgenbaum", Email: "quirinus.zwetschgenbaum@example.org",
		Phone: "+49 30 98765432", Nationality: "AT", Language: "de-AT", Notes: "allergic to feathers",
		Address: inventory.Address{Line1: "Kastanienallee 77", PostalCode: "10435", City: "Berlin", Country: "DE"}}
	in := f.Booking(f.Day(0), f.Day(2))
	in.Booker = stays.GuestRef{New: &secret}
	in.Notes = "VIP Zwetschgenbaum anniversary"
	b := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	g := pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, b.BookerID))(t)
	if got, want := g.FamilyName, secret.FamilyName; got != want {
		t.Fatalf("family name %q, want %q", got, want)
	}
	if got := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, b.ID))(t).Notes; got != in.Notes {
		t.Fatalf("booking notes %q, want %q", got, in.Notes)
	}
	upd := secret
	upd.GivenName, upd.Version = "Quirinia", g.Version
	pmstest.Must(stays.New(f.DB).UpdateGuest(f.Ctx, g.ID, upd))(t)
	r := b.Reservations[0]
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	pmstest.Must(stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Departure: f.Day(3)}))(t)
	pmstest.Must(stays.New(f.DB).TapeChart(f.Ctx, f.Prop.ID, f.Day(0), f.Day(5)))(t)
	pmstest.Must(stays.New(f.DB).SearchGuests(f.Ctx, "zwetsch", 5))(t)

	raw := pmstest.ReadTenantFiles(t, f.DB)
	if !bytes.Contains(raw, []byte("Hotel Test")) {
		t.Fatal("the raw read did not see the property name: the check would prove nothing")
	}
	for _, s := range []string{"Quirinus", "Quirinia", "Zwetschgenbaum", "zwetschgenbaum", "quirinus.zwetschgenbaum", "98765432",
		"allergic", "Kastanienallee", "10435", "de-AT", "anniversary"} {
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(bytes.ToLower(raw), []byte(strings.ToLower(s))) {
			t.Errorf("%q appears in the tenant file or its WAL", s)
		}
	}
	// The guest's audit rows hold the guest's sealed values, which the
	// guest's key (and only it) opens: erasing the key erases them there too.
	var wrapped []byte
	var after string
	q := f.DB.SQL().Read
	if err := q.QueryRow(`SELECT key_wrapped FROM guests WHERE id = ?`, g.ID).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	if err := q.QueryRow(`SELECT after_json FROM audit_log WHERE entity_id = ? AND action = 'guest.updated'`, g.ID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	var sealed struct {
		Sealed map[string][]byte `json:"sealed"`
	}
	if err := json.Unmarshal([]byte(after), &sealed); err != nil {
		t.Fatal(err)
	}
	k := pmstest.Must(f.DB.OpenSubjectKey(g.ID, wrapped))(t)
	if got := string(pmstest.Must(k.Unseal("guests", "given_name", g.ID, sealed.Sealed["given_name"]))(t)); got != "Quirinia" {
		t.Fatalf("the audit row's sealed given name opens to %q, want Quirinia", got)
	}
	f.VerifyAudit(t)
}

func TestGuestSearch(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	givens := []string{"Petra", "Klaus", "Maria", "Lukas", "Sofia", "Jonas", "Elena", "Felix", "Clara", "David"}
	families := []string{"Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann"}
	var filler []stays.GuestInput
	for i := 0; i < 300; i++ {
		gv, fm := givens[i%10], families[(i/10)%10]
		filler = append(filler, stays.GuestInput{GivenName: gv, FamilyName: fm,
			Email: fmt.Sprintf("%s.%s%d@example.net", strings.ToLower(gv), strings.ToLower(fm), i), Phone: fmt.Sprintf("+43 660 %07d", 1000000+i)})
	}
	pmstest.Must(stays.New(f.DB).CreateGuests(f.Ctx, filler))(t)
	jm := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{GivenName: "Jürgen", FamilyName: "Müller", Email: "j.mueller@example.de", Phone: "+49 171 2345678"}))(t)
	as := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{GivenName: "Anna", FamilyName: "Schmidt", Email: "anna.schmidt@example.com", Phone: "0171 9876543"}))(t)
	ab := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{GivenName: "Annabel", FamilyName: "Smith-Óbuda", Email: "annabel@example.co.uk"}))(t)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"mül", []string{jm.ID}},
		{"mue", []string{jm.ID}},
		{"MUL", []string{jm.ID}},
		{"müller jür", []string{jm.ID}},
		{"Jurgen", []string{jm.ID}},
		{"ann", []string{as.ID, ab.ID}},
		{"anna schm", []string{as.ID}},
		{"anna.schm", []string{as.ID}},
		{"obuda", []string{ab.ID}},
		{"j.mueller@ex", []string{jm.ID}},
		{"annabel@example.co.uk", []string{ab.ID}},
		{"0171 2345", []string{jm.ID}},
		{"+49 171 234", []string{jm.ID}},
		{"171 987", []string{as.ID}},
		{"0049 1719876", nil},
		{"smi", []string{ab.ID}},
		{"ann zzz", nil},
		{"qqq", nil},
	} {
		t.Run(tc.q, func(t *testing.T) {
			before := tenant.GuestOpens()
			gs := pmstest.Must(stays.New(f.DB).SearchGuests(f.Ctx, tc.q, 20))(t)
			var got []string
			for _, g := range gs {
				got = append(got, g.ID)
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("search %q found %v, want %v", tc.q, got, want)
			}
			if opened := tenant.GuestOpens() - before; opened != int64(len(gs)) {
				t.Fatalf("search %q unsealed %d guests to return %d (out of %d)", tc.q, opened, len(gs), len(filler)+3)
			}
		})
	}
	t.Run("Limit", func(t *testing.T) {
		before := tenant.GuestOpens()
		gs := pmstest.Must(stays.New(f.DB).SearchGuests(f.Ctx, "petra", 7))(t)
		if got, want := len(gs), 7; got != want {
			t.Fatalf("%d results, want %d", got, want)
		}
		if opened := tenant.GuestOpens() - before; opened != 7 {
			t.Fatalf("unsealed %d guests for 7 results", opened)
		}
	})
	t.Run("Rectified", func(t *testing.T) {
		in := stays.GuestInput{GivenName: "Anna", FamilyName: "Schneider", Email: "anna.schneider@example.com", Phone: "0171 9876543"}
		pmstest.Must(stays.New(f.DB).UpdateGuest(f.Ctx, as.ID, in))(t)
		if gs := pmstest.Must(stays.New(f.DB).SearchGuests(f.Ctx, "schmidt", 20))(t); len(gs) != 0 {
			t.Fatalf("the old name still finds %d guests", len(gs))
		}
		if gs := pmstest.Must(stays.New(f.DB).SearchGuests(f.Ctx, "schnei", 20))(t); len(gs) != 1 || gs[0].ID != as.ID {
			t.Fatalf("the new name finds %v", gs)
		}
		// Only the changed terms were replaced: the guest holds as many
		// terms as a new profile with the same data gets (in a tenant of
		// its own, so the searches here stay as they were).
		f2 := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
		twin := pmstest.Must(stays.New(f2.DB).CreateGuest(f2.Ctx, in))(t)
		terms := func(f *pmstest.Fixture, id string) []int64 {
			t.Helper()
			rows, err := f.DB.SQL().Read.Query(`SELECT term FROM guest_search WHERE guest = (SELECT seq FROM guests WHERE id = ?) ORDER BY term`, id)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []int64
			for rows.Next() {
				var x int64
				if err := rows.Scan(&x); err != nil {
					t.Fatal(err)
				}
				out = append(out, x)
			}
			return out
		}
		rectified := terms(f, as.ID)
		if got, want := len(rectified), len(terms(f2, twin.ID)); want < 10 || got != want {
			t.Fatalf("the rectified guest has %d search terms, a new one with the same data %d", got, want)
		}
		in.Notes, in.Version = "quiet room", 2
		pmstest.Must(stays.New(f.DB).UpdateGuest(f.Ctx, as.ID, in))(t)
		if got := terms(f, as.ID); !slices.Equal(got, rectified) {
			t.Fatalf("a change of the notes alone changed the search terms: %d, before %d", len(got), len(rectified))
		}
	})
	t.Run("ErrTooShort", func(t *testing.T) {
		_, err := stays.New(f.DB).SearchGuests(f.Ctx, "a", 20)
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	t.Run("ManyTerms", func(t *testing.T) {
		// The cap exactly: ten words, each one term of the INTERSECT.
		q := "anna schm an sc ann schmi anna. schmid annabel sm"
		if _, err := stays.New(f.DB).SearchGuests(f.Ctx, q, 20); err != nil {
			t.Fatalf("%d words: %v", len(strings.Fields(q)), err)
		}
	})
	t.Run("ErrTooManyTerms", func(t *testing.T) {
		// Beyond the cap, and far beyond what SQLite takes in one compound
		// SELECT: a clear EINVALID on q, not an error from inside SQLite.
		for _, n := range []int{stays.MaxSearchTerms + 1, 501, 5000} {
			words := make([]string, n)
			for i := range words {
				words[i] = fmt.Sprintf("w%04d", i)
			}
			_, err := stays.New(f.DB).SearchGuests(f.Ctx, strings.Join(words, " "), 20)
			var e *aura.Error
			if !errors.As(err, &e) || e.Code != aura.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "q" {
				t.Fatalf("%d words: %v, want EINVALID on q", n, err)
			}
		}
	})
	t.Run("ErrTermTooLong", func(t *testing.T) {
		_, err := stays.New(f.DB).SearchGuests(f.Ctx, "anna "+strings.Repeat("x", stays.MaxSearchTermLen+1), 20)
		pmstest.WantCode(t, err, aura.EINVALID)
		if _, err := stays.New(f.DB).SearchGuests(f.Ctx, "anna "+strings.Repeat("x", stays.MaxSearchTermLen), 20); err != nil {
			t.Fatalf("a word of %d characters: %v", stays.MaxSearchTermLen, err)
		}
	})
}

func TestGuestValidation(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	for _, tc := range []struct {
		in    stays.GuestInput
		field string
	}{
		{stays.GuestInput{}, "family_name"},
		{stays.GuestInput{FamilyName: "X", Email: "not an email"}, "email"},
		{stays.GuestInput{FamilyName: "X", Phone: "call me"}, "phone"},
		{stays.GuestInput{FamilyName: "X", Nationality: "Germany"}, "nationality"},
		{stays.GuestInput{FamilyName: "X", Language: "deutsch!"}, "language"},
		{stays.GuestInput{FamilyName: "X", Address: inventory.Address{Country: "de"}}, "address.country"},
	} {
		_, err := stays.New(f.DB).CreateGuest(f.Ctx, tc.in)
		pmstest.WantCode(t, err, aura.EINVALID)
		if !pmstest.HasField(err, tc.field) {
			t.Fatalf("%+v: fields %v do not name %s", tc.in, aura.ErrorFields(err), tc.field)
		}
	}
	_, err := stays.New(f.DB).GetGuest(f.Ctx, "gst_nope")
	pmstest.WantCode(t, err, aura.ENOTFOUND)
	g := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{FamilyName: "Valid"}))(t)
	_, err = stays.New(f.DB).UpdateGuest(f.Ctx, g.ID, stays.GuestInput{FamilyName: "Stale", Version: 7})
	pmstest.WantCode(t, err, aura.EPRECONDITION)
}

func TestGuestReservations(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	booker := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{GivenName: "Bo", FamilyName: "Booker"}))(t)
	in := f.Booking(f.Day(1), f.Day(2))
	in.Booker = stays.GuestRef{ID: booker.ID}
	in.Reservations = append(in.Reservations, stays.ReservationInput{RoomTypeID: f.RT.ID, RatePlanID: f.Plan.ID, Arrival: f.Day(5), Departure: f.Day(7),
		Adults: 1, Guest: &stays.GuestRef{New: &stays.GuestInput{GivenName: "Sam", FamilyName: "Stayer"}}})
	b := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	stayer := b.Reservations[1].GuestID
	if got := pmstest.Must(stays.New(f.DB).GuestReservations(f.Ctx, booker.ID))(t); len(got) != 2 {
		t.Fatalf("the booker's page lists %d reservations, want 2", len(got))
	}
	got := pmstest.Must(stays.New(f.DB).GuestReservations(f.Ctx, stayer))(t)
	if len(got) != 1 || got[0].ID != b.Reservations[1].ID {
		t.Fatalf("the stayer's page lists %v", got)
	}
	_, err := stays.New(f.DB).GuestReservations(context.Background(), "gst_unknown")
	pmstest.WantCode(t, err, aura.ENOTFOUND)
}
