package schema_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/sqlite"
)

func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path, sqlite.Options{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	for _, set := range []schema.Set{schema.Tenant, schema.Platform} {
		t.Run(string(set), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			db := open(t, path)
			t.Run("EmptyFile", func(t *testing.T) {
				v, err := schema.Migrate(ctx, db.Write, set, path)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := v, schema.Latest(set); got != want {
					t.Fatalf("version = %d, want %d", got, want)
				}
				var n int
				db.Read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
				if got, want := n, len(schema.Migrations(set)); got != want {
					t.Fatalf("recorded migrations = %d, want %d", got, want)
				}
			})
			t.Run("Idempotent", func(t *testing.T) {
				var before int
				db.Read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&before)
				if _, err := schema.Migrate(ctx, db.Write, set, path); err != nil {
					t.Fatal(err)
				}
				// And from a second connection pair, as a re-open does.
				if _, err := schema.Migrate(ctx, open(t, path).Write, set, path); err != nil {
					t.Fatal(err)
				}
				var after int
				db.Read.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&after)
				if before != after {
					t.Fatalf("re-migrating recorded %d more migrations", after-before)
				}
			})
			t.Run("ErrNewer", func(t *testing.T) {
				future := schema.Latest(set) + 1
				if _, err := db.Write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', '')`, future); err != nil {
					t.Fatal(err)
				}
				_, err := schema.Migrate(ctx, db.Write, set, path)
				var newer *schema.ErrNewer
				if !errors.As(err, &newer) {
					t.Fatalf("err = %v, want ErrNewer", err)
				}
				if newer.Found != future || newer.Known != schema.Latest(set) {
					t.Fatalf("ErrNewer = %+v", newer)
				}
			})
		})
	}
}

// The audit table is one mechanism: tenant files and the platform DB must
// declare it identically.
func TestAuditTableIsIdentical(t *testing.T) {
	ctx := context.Background()
	ddl := func(set schema.Set) map[string]string {
		path := filepath.Join(t.TempDir(), "x.db")
		db := open(t, path)
		if _, err := schema.Migrate(ctx, db.Write, set, path); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Read.Query(`SELECT name, sql FROM sqlite_master WHERE tbl_name = 'audit_log' AND sql IS NOT NULL`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var name, sql string
			rows.Scan(&name, &sql)
			m[name] = sql
		}
		return m
	}
	tn, pl := ddl(schema.Tenant), ddl(schema.Platform)
	if len(tn) != 5 {
		t.Fatalf("tenant audit objects = %d, want table, 2 indexes, 2 triggers", len(tn))
	}
	for name, sql := range tn {
		if pl[name] != sql {
			t.Fatalf("%s differs:\ntenant:   %s\nplatform: %s", name, sql, pl[name])
		}
	}
}

// TestBackupBeforeMigrating: a file at the previous schema version is
// copied (VACUUM INTO, beside it) before the pending migration runs; the
// copy is a consistent database still at the previous version; a fresh
// file gets no copy.
func TestBackupBeforeMigrating(t *testing.T) {
	ctx := context.Background()
	for _, set := range []schema.Set{schema.Tenant, schema.Platform} {
		t.Run(string(set), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.db")
			db := open(t, path)
			ms := schema.Migrations(set)
			prev := ms[len(ms)-2].Version
			// The previous binary's schema: every migration but the last.
			db.Write.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`)
			for _, m := range ms[:len(ms)-1] {
				if _, err := db.Write.Exec(m.SQL); err != nil {
					t.Fatal(err)
				}
				db.Write.Exec(`INSERT INTO schema_migrations VALUES (?, ?, '')`, m.Version, m.Name)
			}
			if _, err := schema.Migrate(ctx, db.Write, set, path); err != nil {
				t.Fatal(err)
			}
			bak := schema.BackupPath(path, prev)
			copy := open(t, bak)
			applied, err := schema.Applied(ctx, copy.Read)
			if err != nil {
				t.Fatal(err)
			}
			if applied[schema.Latest(set)] || !applied[prev] {
				t.Fatalf("the copy holds versions %v, want up to %d", applied, prev)
			}
			var ok string
			copy.Read.QueryRow(`PRAGMA integrity_check`).Scan(&ok)
			if ok != "ok" {
				t.Fatalf("copy integrity: %s", ok)
			}
			// A fresh file: no copy.
			fresh := filepath.Join(dir, "fresh.db")
			if _, err := schema.Migrate(ctx, open(t, fresh).Write, set, fresh); err != nil {
				t.Fatal(err)
			}
			if m, _ := filepath.Glob(fresh + schema.BackupMarker + "*"); len(m) != 0 {
				t.Fatalf("a fresh file was copied: %v", m)
			}
		})
	}
}
