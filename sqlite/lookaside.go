package sqlite

import (
	"fmt"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The lookaside memory of each connection: lookasideSlots slots of
// lookasideSlotSize bytes, 240 KB, which SQLite divides into 312 slots of
// 384 bytes and 939 of 128. SQLite's default is 40 slots of 1,200 bytes
// (30 large and 93 small), 48 KB.
//
// Lookaside is a connection's own free list, from which SQLite serves small
// allocations before it calls malloc. Every statement a connection keeps
// prepared holds some of its slots for as long as it stays prepared (a
// simple SELECT with an ORDER BY holds about ten), and the statement cache
// (stmtCache) keeps every query a connection ran. On the default, fewer
// than twenty such statements took every slot, and from then on each string
// a running query built (a `||`, a copy of a text value that a function
// reads) went to malloc. In this driver malloc and free are one allocator
// behind one process-wide mutex: eight lists at once spent a quarter of
// their CPU queueing on it, and `make bench-http` listed 1,600-2,300 pages
// of reservations a second, against 2,300-3,900 since.
//
// For the same memory, small slots hold more statements than large ones:
// 240 KB of 1,200-byte slots held 61 such statements, of 384-byte slots
// 122. An allocation larger than 384 bytes (a long text value, a statement's
// program) goes to malloc; the strings a query builds row by row are
// smaller. The cost is memory, 192 KB more per connection than the default:
// an open tenant that served a read and a write resides in 2,023 KiB against
// 1,478 (BenchmarkMemoryPerOpenTenant, tenant), and 50 idle replicated files
// in 105 MB against 71 (BenchmarkIdle50, replica; its target is under 300).
// A busy tenant has about seven connections (the writer, four readers, the
// checkpointer's, Litestream's), 1.7 MB of lookaside.
const (
	lookasideSlotSize = 384
	lookasideSlots    = 625
)

// lookasideErr is why configuring the lookaside failed, if it did. SQLite takes
// the setting only before its first connection opens, so it is set as this
// package is initialised; a failure costs speed, not correctness, and a test
// fails on it.
var lookasideErr = configureLookaside(lookasideSlotSize, lookasideSlots)

// configureLookaside sets the lookaside of every connection opened after it
// (SQLITE_CONFIG_LOOKASIDE). It must run before SQLite is initialised.
func configureLookaside(size, slots int) error {
	tls := libc.NewTLS()
	defer tls.Close()
	args := libc.Xmalloc(tls, 16) // two C ints, one 8-byte word each
	if args == 0 {
		return fmt.Errorf("sqlite: no memory to configure lookaside")
	}
	defer libc.Xfree(tls, args)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_LOOKASIDE, libc.VaList(args, int32(size), int32(slots))); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: configuring lookaside returned code %d (SQLite was initialised before this package)", rc)
	}
	return nil
}
