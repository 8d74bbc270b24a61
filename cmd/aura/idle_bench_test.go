package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/tenant"
)

// BenchmarkIdleServer is issue 5's idle target: 1,000 tenants created and
// 50 of them active (open, replicated with the default settings, one write
// each), then an idle window during which CPU time and memory are measured
// with everything the server runs (replication, router janitor, watchers).
// Targets: under 5% of one core and under 300 MB resident.
func BenchmarkIdleServer(b *testing.B) {
	const created, active = 1000, 50
	window := 10 * time.Second
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ctx, cancel := context.WithCancel(context.Background())
		root := b.TempDir()
		keyFile := filepath.Join(root, "keys", "master.key")
		if err := keys.GenerateMasterKeyFile(keyFile); err != nil {
			b.Fatal(err)
		}
		e := newEnv(IO{In: bytes.NewReader(nil), Out: io.Discard, Err: io.Discard})
		e.dataDir, e.masterKeyFile, e.maxOpen, e.idleTimeout = filepath.Join(root, "data"), keyFile, 256, time.Hour
		if err := e.startReplication(""); err != nil {
			b.Fatal(err)
		}
		if err := e.open(ctx, true); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < created; n++ {
			slug := fmt.Sprintf("t-%04d", n)
			if _, err := e.control.CreateTenant(ctx, slug, slug); err != nil {
				b.Fatal(err)
			}
			<-e.router.Forget(slug) // created, then closed: an inactive tenant
		}
		for n := 0; n < active; n++ {
			db, err := e.router.Acquire(ctx, fmt.Sprintf("t-%04d", n))
			if err != nil {
				b.Fatal(err)
			}
			if err := db.SetSetting(ctx, tenant.Setting{Key: "k", Value: []byte("v")}); err != nil {
				b.Fatal(err)
			}
			db.Release()
		}
		go e.watchPlatform(ctx)
		time.Sleep(3 * time.Second) // replication settles
		runtime.GC()
		cpu0, wall0 := cpuTime(b), time.Now()
		b.StartTimer()
		time.Sleep(window)
		b.StopTimer()
		cpu := cpuTime(b) - cpu0
		b.ReportMetric(100*cpu.Seconds()/time.Since(wall0).Seconds(), "%core-idle")
		b.ReportMetric(float64(rssBytes(b))/(1<<20), "MB-RSS")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		if got := e.router.Open(); got != active {
			b.Fatalf("open tenants = %d, want %d", got, active)
		}
		cancel()
		e.close()
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rssBytes(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		b.Fatal(err)
	}
	pages, _ := strconv.ParseInt(strings.Fields(string(raw))[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
