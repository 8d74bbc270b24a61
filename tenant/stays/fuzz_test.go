package stays_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/stays"
)

// FuzzSearchGuests: a search of any text, against a real tenant with
// guests, never panics and never fails but with EINVALID on q; whatever it
// returns matches the query (no guest outside the result is unsealed, so a
// result is one the plaintext check kept).
func FuzzSearchGuests(f *testing.F) {
	fx := pmstest.NewFixture(f, "Europe/Berlin", 1, "2025-06-10")
	for _, in := range []stays.GuestInput{
		{GivenName: "Jürgen", FamilyName: "Müller", Email: "j.mueller@example.de", Phone: "+49 171 2345678"},
		{GivenName: "Anna", FamilyName: "Schmidt", Email: "anna.schmidt@example.com", Phone: "0171 9876543"},
		{GivenName: "Annabel", FamilyName: "Smith-Óbuda", Email: "annabel@example.co.uk"},
		{GivenName: "李", FamilyName: "小龙", Email: "li@example.cn", Phone: "+86 10 1234 5678"},
	} {
		pmstest.Must(stays.New(fx.DB).CreateGuest(fx.Ctx, in))(f)
	}
	for _, q := range []string{"mül", "anna schm", "j.mueller@ex", "+49 171 234", "0171 2345", "a", "", "小龙", "annabel@example.co.uk",
		strings.Repeat("w ", 600), strings.Repeat("x", 70), "\x00\xff", "@", "+", "00", "((((((((", "ann ann ann ann ann ann ann ann ann ann ann"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		gs, err := stays.New(fx.DB).SearchGuests(fx.Ctx, q, 20)
		if err != nil {
			var e *aura.Error
			if !errors.As(err, &e) || e.Code != aura.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "q" || e.Message == "" {
				t.Fatalf("SearchGuests(%q): %v, want nil or EINVALID on q with a message", q, err)
			}
			return
		}
		if len(gs) > 20 {
			t.Fatalf("SearchGuests(%q) returned %d guests, limit 20", q, len(gs))
		}
		for _, g := range gs {
			if g.ID == "" || !utf8.ValidString(g.GivenName+g.FamilyName) {
				t.Fatalf("SearchGuests(%q) returned %+v", q, g)
			}
		}
	})
}
