package replica_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/sqlite"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// testBucket is the bucket of the in-process S3 server.
const testBucket = "aura-replicas"

// s3Store is an S3-compatible server on loopback, started inside the test.
type s3Store struct {
	backend *s3mem.Backend
	url     string
}

// startS3 starts an in-process S3 server (gofakes3, memory backend) on
// 127.0.0.1 with one bucket, and stops it when the test ends.
func startS3(tb testing.TB) *s3Store {
	tb.Helper()
	// The AWS SDK refuses Litestream's HTTP client when a custom CA bundle
	// is configured; the test server is plain HTTP on loopback anyway.
	tb.Setenv("AWS_CA_BUNDLE", "")
	backend := s3mem.New()
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	if err := backend.CreateBucket(testBucket); err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: faker.Server()}}
	srv.Start()
	st := &s3Store{backend: backend, url: srv.URL}
	s3Stores.Store(srv.URL, st)
	tb.Cleanup(func() {
		srv.Close()
		s3Stores.Delete(srv.URL)
	})
	return st
}

var s3Stores sync.Map // endpoint URL → *s3Store

// objectStore is an S3 server of the tests whose stored objects can be read
// directly.
type objectStore interface {
	objects(tb testing.TB) map[string][]byte
}

// startedS3 returns the server startS3 or startVersity started for dest.
func startedS3(tb testing.TB, dest replica.Destination) objectStore {
	if st, ok := s3Stores.Load(dest.Endpoint); ok {
		return st.(*s3Store)
	}
	if st, ok := versityStores.Load(dest.Endpoint); ok {
		return st.(*versityStore)
	}
	tb.Fatalf("no test S3 server at %s", dest.Endpoint)
	return nil
}

func (s *s3Store) destination() replica.Destination {
	return replica.Destination{
		Type: replica.TypeS3, Bucket: testBucket, Path: "aura", Endpoint: s.url, Region: "eu-central",
		ForcePathStyle: true, AccessKeyID: "test-access", SecretAccessKey: "test-secret",
	}
}

// objects returns every object in the bucket, by key.
func (s *s3Store) objects(tb testing.TB) map[string][]byte {
	tb.Helper()
	list, err := s.backend.ListBucket(testBucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]byte{}
	for _, c := range list.Contents {
		obj, err := s.backend.GetObject(testBucket, c.Key, nil)
		if err != nil {
			tb.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(obj.Contents); err != nil {
			tb.Fatal(err)
		}
		obj.Contents.Close()
		out[c.Key] = buf.Bytes()
	}
	return out
}

// files returns every regular file under dir, by path.
func files(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = b
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// quietLogger keeps Litestream's warnings out of test output unless -v.
func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// fastConfig returns a config for dest with short intervals so tests run quickly.
func fastConfig(dest replica.Destination) replica.Config {
	return replica.Config{
		Destination:  dest,
		SyncInterval: 100 * time.Millisecond,
		Logger:       quietLogger(),
	}
}

// mustReplicator starts a Replicator and closes it when the test ends.
func mustReplicator(tb testing.TB, cfg replica.Config) *replica.Replicator {
	tb.Helper()
	r, err := replica.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// mustOpenDB opens (creating) a SQLite file the way Aura does, with a
// guests table, and closes it when the test ends.
func mustOpenDB(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(path, sqlite.Options{ReadConns: 2})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Write.Exec(`CREATE TABLE IF NOT EXISTS guests (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note BLOB)`); err != nil {
		tb.Fatal(err)
	}
	return db
}

// insertGuests inserts n rows named prefix-<i> with a blob of noteSize
// random bytes each, in one transaction.
func insertGuests(tb testing.TB, db *sqlite.DB, prefix string, n, noteSize int) {
	tb.Helper()
	tx, err := db.Write.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		note := make([]byte, noteSize)
		rand.Read(note)
		if _, err := tx.Exec(`INSERT INTO guests (name, note) VALUES (?, ?)`, fmt.Sprintf("%s-%d", prefix, i), note); err != nil {
			tx.Rollback()
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// digest returns the row count and a hash of every guests row of the file
// at path, read through a fresh connection.
func digest(tb testing.TB, path string) (int, string) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	return digestDB(tb, db)
}

func digestDB(tb testing.TB, db *sql.DB) (int, string) {
	tb.Helper()
	rows, err := db.Query(`SELECT id, name, note FROM guests ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	n := 0
	for rows.Next() {
		var id int64
		var name string
		var note []byte
		if err := rows.Scan(&id, &name, &note); err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(h, "%d|%s|%x\n", id, name, note)
		n++
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return n, hex.EncodeToString(h.Sum(nil))
}

// integrity runs PRAGMA integrity_check on the file at path.
func integrity(tb testing.TB, path string) string {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		tb.Fatal(err)
	}
	return res
}

// destinations returns the storage every replication test runs against: a
// local directory, the in-process S3 fake (gofakes3) and versitygw, a real
// S3 gateway, both on loopback.
func destinations(tb testing.TB) map[string]replica.Destination {
	return map[string]replica.Destination{
		"File":      {Type: replica.TypeFile, Path: filepath.Join(tb.TempDir(), "replica")},
		"S3":        startS3(tb).destination(),
		"Versitygw": startVersity(tb).destination(),
	}
}

func newKey() []byte { return keys.NewKey() }

// openRO opens the file at path read-only and closes it when the test ends.
func openRO(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// countGuests returns the number of guests rows in the file at path.
func countGuests(tb testing.TB, path string) int {
	tb.Helper()
	var n int
	if err := openRO(tb, path).QueryRow(`SELECT count(*) FROM guests`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// restoredGuests restores the latest state of the replica under prefix to a
// temporary file and returns how many guests it holds.
func restoredGuests(t *testing.T, r *replica.Replicator, prefix string, key []byte) int {
	t.Helper()
	out := filepath.Join(t.TempDir(), "restored.db")
	if _, err := r.Restore(context.Background(), prefix, key, out, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return countGuests(t, out)
}
