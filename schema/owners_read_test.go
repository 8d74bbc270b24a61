package schema_test

import (
	"path/filepath"
	"testing"

	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

// TestOwnersReadForOlderTokens applies the tenant migrations up to the one
// that adds owners.read on a file with API tokens of an owner, a manager
// and an accountant, and checks that the owner's and the manager's tokens
// holding reports.read gain owners.read, and that the accountant's token
// and a token without reports.read do not.
func TestOwnersReadForOlderTokens(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var found bool
	for _, m := range schema.Migrations(schema.Tenant) {
		if m.Name == "owners_read" {
			found = true
			for _, q := range []string{
				`INSERT INTO users (id, email_sealed, name_sealed, role, status, created_at, updated_at) VALUES
					('usr_o', x'00', x'00', 'owner', 'active', '', ''), ('usr_m', x'00', x'00', 'manager', 'active', '', ''),
					('usr_a', x'00', x'00', 'accountant', 'active', '', '')`,
				`INSERT INTO api_tokens (id, token_hash, user_id, name, scopes, created_at) VALUES
					('tok_o', randomblob(32), 'usr_o', 'o', 'owners.write reports.read users.read', ''),
					('tok_m', randomblob(32), 'usr_m', 'm', 'reports.read', ''),
					('tok_n', randomblob(32), 'usr_m', 'n', 'users.read', ''),
					('tok_a', randomblob(32), 'usr_a', 'a', 'audit.read reports.read', '')`,
			} {
				if _, err := db.Write.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := db.Write.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	if !found {
		t.Fatal("no owners_read migration")
	}
	for id, want := range map[string]string{
		"tok_o": "owners.write reports.read users.read owners.read",
		"tok_m": "reports.read owners.read",
		"tok_n": "users.read",
		"tok_a": "audit.read reports.read",
	} {
		var got string
		if err := db.Read.QueryRow(`SELECT scopes FROM api_tokens WHERE id = ?`, id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: scopes %q, want %q", id, got, want)
		}
	}
}
