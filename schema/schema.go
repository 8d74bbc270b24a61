// Package schema holds Aura's SQL migrations, embedded in the binary, and the
// one function that applies them. Migrations are forward-only: each file
// schema/<set>/NNNN_name.sql runs once, in order, in its own transaction, and
// is recorded in the schema_migrations table of the file it changed. A file
// written by a newer Aura (a version this binary does not know) is refused.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed tenant/*.sql platform/*.sql
var files embed.FS

// Set names a family of migrations: one for tenant files, one for the platform DB.
type Set string

// The two migration sets.
const (
	Tenant   Set = "tenant"
	Platform Set = "platform"
)

// Migration is one embedded SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrNewer is returned (wrapped) when a file holds a schema newer than this binary knows.
type ErrNewer struct {
	Set      Set
	Found    int
	Known    int
	Filename string
}

func (e *ErrNewer) Error() string {
	return fmt.Sprintf("%s was written by a newer version of Aura (%s schema version %d; this binary knows up to %d); upgrade Aura instead of opening it with an older one", e.Filename, e.Set, e.Found, e.Known)
}

var loaded = map[Set][]Migration{}

func init() {
	for _, set := range []Set{Tenant, Platform} {
		ms, err := load(set)
		if err != nil {
			panic(err)
		}
		loaded[set] = ms
	}
}

func load(set Set) ([]Migration, error) {
	entries, err := fs.ReadDir(files, string(set))
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(rest, ".sql") {
			return nil, fmt.Errorf("schema: bad migration file name %s/%s (want NNNN_name.sql)", set, name)
		}
		b, err := files.ReadFile(path.Join(string(set), name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("schema: two %s migrations numbered %d", set, ms[i].Version)
		}
	}
	return ms, nil
}

// Migrations returns the embedded migrations of a set, in order.
func Migrations(set Set) []Migration { return loaded[set] }

// Latest returns the highest version of a set this binary knows.
func Latest(set Set) int {
	ms := loaded[set]
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Applied returns the versions recorded in db's schema_migrations table
// (none for an empty file).
func Applied(ctx context.Context, db *sql.DB) (map[int]bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return nil, err
	}
	done := map[int]bool{}
	if n == 0 {
		return done, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

// Migrate applies, in order, every migration of set that db has not
// recorded yet, and returns the highest version now recorded. db must be a
// write pool whose transactions take the write lock at BEGIN (Aura's write
// pools do). It is idempotent, and it refuses a file that records a version
// this binary does not know (a newer Aura wrote it), returning *ErrNewer
// without changing anything.
func Migrate(ctx context.Context, db *sql.DB, set Set, filename string) (int, error) {
	done, err := Applied(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", filename, err)
	}
	known := map[int]bool{}
	for _, m := range loaded[set] {
		known[m.Version] = true
	}
	top := 0
	for v := range done {
		if !known[v] && v > top {
			top = v
		}
	}
	if top > 0 {
		return top, &ErrNewer{Set: set, Found: top, Known: Latest(set), Filename: filename}
	}
	if err := backupBeforeMigrating(ctx, db, set, filename, done); err != nil {
		return 0, err
	}
	cur := 0
	for _, m := range loaded[set] {
		if !done[m.Version] {
			if err := apply(ctx, db, m); err != nil {
				return cur, fmt.Errorf("apply %s migration %04d_%s to %s: %w", set, m.Version, m.Name, filename, err)
			}
		}
		cur = m.Version
	}
	return cur, nil
}

// BackupMarker is in the name of every copy Migrate writes before it
// migrates a file: FILE.pre-upgrade-vN, N the schema version the copy holds.
const BackupMarker = ".pre-upgrade-v"

// BackupPath returns where Migrate keeps the copy of filename taken at
// schema version from.
func BackupPath(filename string, from int) string {
	return filename + BackupMarker + strconv.Itoa(from)
}

// backupBeforeMigrating writes a consistent copy of a file that already
// holds data (VACUUM INTO, beside it) before any pending migration runs,
// so an upgrade that goes wrong can be undone by putting the copy back.
// A fresh file (nothing applied) needs none; a copy left by an earlier
// attempt at the same version is kept as it is.
func backupBeforeMigrating(ctx context.Context, db *sql.DB, set Set, filename string, done map[int]bool) error {
	if len(done) == 0 || filename == "" || strings.HasPrefix(filename, ":") || strings.HasPrefix(filename, "file:") {
		return nil
	}
	from, pending := 0, false
	for _, m := range loaded[set] {
		if done[m.Version] {
			from = max(from, m.Version)
		} else {
			pending = true
		}
	}
	if !pending {
		return nil
	}
	dst := BackupPath(filename, from)
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("copy %s before migrating it (VACUUM INTO %s): %w; nothing was migrated", filename, dst, err)
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, m Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`); err != nil {
		return err
	}
	// Another process may have applied it between our read and our write
	// lock; the check under the lock makes that harmless.
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}
