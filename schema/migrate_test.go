package schema_test

import (
	"path/filepath"
	"testing"

	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

// migrateBefore opens a new tenant file, applies every tenant migration
// before the one named name, and returns the file and that migration, for
// a test that writes rows an older file would hold and then applies it.
// The file is closed when the test ends.
func migrateBefore(t *testing.T, name string) (*sqlite.DB, schema.Migration) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, m := range schema.Migrations(schema.Tenant) {
		if m.Name == name {
			return db, m
		}
		if _, err := db.Write.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	t.Fatalf("no %s migration", name)
	return nil, schema.Migration{}
}
