package aura

import (
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"
)

var idShape = regexp.MustCompile(`^res_[a-z0-9]{16}$`)

// TestNewOrderedID checks the ids' shape (that of NewID), that their text
// sorts in the order they were made, also across milliseconds and from
// many goroutines at once, that none repeats, and that they carry the time.
func TestNewOrderedID(t *testing.T) {
	const n = 20000
	var prev string
	for i := 0; i < n; i++ {
		id := NewOrderedID("res")
		if !idShape.MatchString(id) {
			t.Fatalf("id %q does not have NewID's shape", id)
		}
		if id <= prev {
			t.Fatalf("id %q made after %q does not sort after it", id, prev)
		}
		prev = id
	}
	if !idShape.MatchString(NewID("res")) {
		t.Fatalf("NewID's shape changed: %q", NewID("res"))
	}

	before := time.Now().UnixMilli()
	id := NewOrderedID("bkg")
	b, err := orderedEncoding.DecodeString(id[4:])
	if err != nil {
		t.Fatal(err)
	}
	var ms int64
	for _, c := range b[:6] {
		ms = ms<<8 | int64(c)
	}
	if ms < before || ms > time.Now().UnixMilli()+1 {
		t.Fatalf("id %q carries millisecond %d, not the time it was made (%d)", id, ms, before)
	}

	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]string, 0, n)
			for i := 0; i < n; i++ {
				ids = append(ids, NewOrderedID("res"))
			}
			if !sort.StringsAreSorted(ids) {
				t.Error("one goroutine's ids do not sort in the order it made them")
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if seen[id] {
					t.Errorf("id %q was returned twice", id)
				}
				seen[id] = true
			}
		}()
	}
	wg.Wait()
}

// TestNewOrderedIDClockSteps checks the steps within one millisecond: when
// its 32 bits run out the ids borrow the next millisecond and still sort.
func TestNewOrderedIDClockSteps(t *testing.T) {
	base := uint64(time.Now().UnixMilli()) + 60_000 // as if the clock had stepped back a minute
	ordered.Lock()
	ordered.ms, ordered.rnd = base, 1<<32-1
	ordered.Unlock()
	a := NewOrderedID("gst")
	b := NewOrderedID("gst")
	c := NewOrderedID("gst")
	if !(a < b && b < c) {
		t.Fatalf("ids made while the clock stood behind the latest id do not sort: %q %q %q", a, b, c)
	}
	ordered.Lock()
	ms := ordered.ms
	ordered.Unlock()
	if ms != base+1 {
		t.Fatalf("the ids stand at millisecond %d, want %d: the first borrows the next one when the steps run out, the others step within it", ms, base+1)
	}
}
