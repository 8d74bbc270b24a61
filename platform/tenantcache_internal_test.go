package platform

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aurapms/aura/keys"
)

// TestLookupWaitsForALaterCheck: a lookup that begins while a check is
// under way, one that read data_version before a commit, does not take that
// check's answer: it waits for a check of its own and sees the commit.
func TestLookupWaitsForALaterCheck(t *testing.T) {
	ctx := context.Background()
	master, err := keys.NewMasterKey(keys.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "platform.db")
	db, err := Open(ctx, path, master)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := Open(ctx, path, master)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := db.CreateTenant(ctx, "tnt_1", "harbour", "Harbour", keys.NewKey(), 1); err != nil {
		t.Fatal(err)
	}
	if tn, err := db.TenantBySlug(ctx, "harbour"); err != nil || tn.Status != StatusActive {
		t.Fatalf("before: %+v %v", tn, err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	afterVersionRead = func() {
		afterVersionRead = nil // only the first check is held
		close(held)
		<-release
	}
	defer func() { afterVersionRead = nil }()
	first := make(chan string)
	go func() { // its check reads the version, then waits
		tn, _ := db.TenantBySlug(ctx, "harbour")
		first <- tn.Status
	}()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("a lookup made no check of its own")
	}
	if _, err := other.SetStatus(ctx, "harbour", StatusSuspended); err != nil {
		t.Fatal(err)
	}
	second := make(chan string)
	go func() { // begins after the commit, while the first check is held
		tn, _ := db.TenantBySlug(ctx, "harbour")
		second <- tn.Status
	}()
	time.Sleep(50 * time.Millisecond) // let the second lookup reach the cache
	close(release)
	<-first // either answer is right for the first: it began before the commit
	if got := <-second; got != StatusSuspended {
		t.Fatalf("a lookup begun after the suspension answered %q", got)
	}
}
