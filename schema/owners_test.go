package schema_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

// TestOwnersKeepsStatements applies the tenant migrations up to the one
// that adds owners on a file that already holds a channel's statement, and
// checks the rebuilt statements table keeps it as it was (series ST), still
// refuses to change or delete it, numbers the owner series on its own, and
// refuses an owner statement without an owner.
func TestOwnersKeepsStatements(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) error {
		t.Helper()
		_, err := db.Write.Exec(q)
		return err
	}
	var owners *schema.Migration
	for _, m := range schema.Migrations(schema.Tenant) {
		if m.Name == "owners" {
			owners = &m
			break
		}
		if err := exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	if owners == nil {
		t.Fatal("no owners migration")
	}
	if err := exec(`INSERT INTO report_statements (id, property_id, kind, channel, period_from, period_to, year, seq, number, currency, body, hash, generated_at)
		VALUES ('stm_1', 'prp_x', 'ota', 'booking_com', '2027-01-01', '2027-02-01', 2027, 1, 'ST-2027-000001', 'EUR', '{"lines":[]}', x'0102', '2027-02-02T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	if err := exec(owners.SQL); err != nil {
		t.Fatal(err)
	}
	var kind, series, channel, number, body string
	if err := db.Read.QueryRow(`SELECT kind, series, channel, number, body FROM report_statements WHERE id = 'stm_1' AND owner_id IS NULL`).Scan(&kind, &series, &channel, &number, &body); err != nil {
		t.Fatal(err)
	}
	if kind != "ota" || series != "ST" || channel != "booking_com" || number != "ST-2027-000001" || body != `{"lines":[]}` {
		t.Fatalf("after the migration: %s %s %s %s %s", kind, series, channel, number, body)
	}
	for _, q := range []string{`UPDATE report_statements SET body = '{}'`, `DELETE FROM report_statements`} {
		if err := exec(q); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := exec(`PRAGMA foreign_keys = OFF`); err != nil {
		t.Fatal(err)
	}
	// The owner series starts at 1 beside the channels' 1.
	if err := exec(`INSERT INTO report_statements (id, property_id, kind, series, channel, owner_id, period_from, period_to, year, seq, number, currency, body, hash, generated_at)
		VALUES ('stm_2', 'prp_x', 'owner', 'OS', '', 'own_x', '2027-01-01', '2027-02-01', 2027, 1, 'OS-2027-000001', 'EUR', '{}', x'01', '')`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO report_statements (id, property_id, kind, series, channel, owner_id, period_from, period_to, year, seq, number, currency, body, hash, generated_at)
		VALUES ('stm_3', 'prp_x', 'owner', 'OS', '', NULL, '2027-01-01', '2027-02-01', 2027, 2, 'OS-2027-000002', 'EUR', '{}', x'01', '')`,
		`INSERT INTO report_statements (id, property_id, kind, series, channel, owner_id, period_from, period_to, year, seq, number, currency, body, hash, generated_at)
		VALUES ('stm_4', 'prp_x', 'owner', 'ST', '', 'own_x', '2027-01-01', '2027-02-01', 2027, 2, 'ST-2027-000002', 'EUR', '{}', x'01', '')`,
		`INSERT INTO report_statements (id, property_id, kind, series, channel, owner_id, period_from, period_to, year, seq, number, currency, body, hash, generated_at)
		VALUES ('stm_5', 'prp_x', 'owner', 'OS', '', 'own_x', '2027-01-01', '2027-02-01', 2027, 1, 'OS-2027-000001', 'EUR', '{}', x'01', '')`,
	} {
		if err := exec(q); err == nil {
			t.Fatalf("accepted %s", q)
		}
	}
}
