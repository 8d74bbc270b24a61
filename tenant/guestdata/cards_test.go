package guestdata_test

import (
	"bytes"
	"database/sql"
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
)

// TestEraseCards: a card on file on the guest's folio keeps only Stripe's
// references (no brand, no last four digits are stored at all); the
// anonymisation removes them, so the card can no longer be charged or
// traced to the guest from Aura, and the references leave the file.
func TestEraseCards(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-02")
	s := stayGuest(t, f, f.Day(0), 0)
	const pm, cus = "pm_MARKERcard0quartermaine", "cus_MARKERquartermaine0"
	// The row as payments.SaveCard leaves it once Stripe confirmed the card
	// (written here directly: the test has no Stripe).
	if _, err := f.DB.SQL().Write.ExecContext(f.Ctx, `INSERT INTO stripe_cards (id, folio_id, kind, status, customer_id, payment_method_id, setup_intent_id,
		source, error_code, version, created_at, updated_at) VALUES ('crd_aaaaaaaaaaaaaaaa', ?, 'saved', 'active', ?, ?, 'seti_MARKER0', '', '', 1, '2026-03-02T12:00:00Z', '2026-03-02T12:00:00Z')`,
		s.folio.ID, cus, pm); err != nil {
		t.Fatal(err)
	}
	var cols []string
	rows, err := f.DB.SQL().Read.Query(`SELECT name FROM pragma_table_info('stripe_cards')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	rows.Close()
	for _, c := range cols {
		if strings.Contains(c, "brand") || strings.Contains(c, "last4") {
			t.Fatalf("stripe_cards stores %s", c)
		}
	}
	plan := pmstest.Must(guestdata.New(f.DB).PlanErasure(f.Ctx, s.guest.ID))(t)
	found := false
	for _, it := range plan.Removed {
		found = found || strings.HasPrefix(it.What, "1 card on file")
	}
	if !found {
		t.Fatalf("the confirmation step does not name the card: %+v", plan.Removed)
	}
	res := pmstest.Must(guestdata.New(f.DB).Erase(f.Ctx, s.guest.ID, 0))(t)
	if res.Cards != 1 {
		t.Fatalf("erasure changed %d cards", res.Cards)
	}
	var status, code string
	var c, p, si sql.NullString
	if err := f.DB.SQL().Read.QueryRow(`SELECT status, error_code, customer_id, payment_method_id, setup_intent_id FROM stripe_cards`).Scan(&status, &code, &c, &p, &si); err != nil {
		t.Fatal(err)
	}
	if status != "failed" || code != "guest_anonymised" || c.Valid || p.Valid || si.Valid {
		t.Fatalf("card after the erasure: %s %s %v %v %v", status, code, c, p, si)
	}
	checkpoint(t, f)
	if raw := pmstest.ReadTenantFiles(t, f.DB); bytes.Contains(raw, []byte(pm)) || bytes.Contains(raw, []byte(cus)) {
		t.Fatal("the card's Stripe references are still in the file")
	}
}
