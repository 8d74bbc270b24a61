package tenant_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
)

// BenchmarkColdOpen measures opening a migrated tenant that is not open:
// registry look-up, key unwrap, opening both pools, the migration check and
// the ownership check. Target: median under 5 ms.
func BenchmarkColdOpen(b *testing.B) {
	env := auratest.New(b, auratest.Options{})
	env.CreateTenant(b, "cold")
	ctx := context.Background()
	<-env.Router.Forget("cold")
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		db, err := env.Router.Acquire(ctx, "cold")
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		db.Release()
		b.StopTimer()
		<-env.Router.Forget("cold")
		b.StartTimer()
	}
	b.ReportMetric(float64(pmstest.Median(times).Microseconds())/1000, "ms-median")
}

// BenchmarkWarmLookup measures Acquire+Release of an open tenant. Target:
// under 2 µs.
func BenchmarkWarmLookup(b *testing.B) {
	env := auratest.New(b, auratest.Options{})
	env.CreateTenant(b, "warm")
	ctx := context.Background()
	env.Acquire(b, "warm")
	b.Run("Serial", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			db, err := env.Router.Acquire(ctx, "warm")
			if err != nil {
				b.Fatal(err)
			}
			db.Release()
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				db, err := env.Router.Acquire(ctx, "warm")
				if err != nil {
					b.Error(err)
					return
				}
				db.Release()
			}
		})
	})
}

// BenchmarkAuditedWrite measures single-row write transactions, each with its
// audit row, on one tenant and across 100 tenants in parallel. Target: at
// least 5,000 per second on one tenant.
func BenchmarkAuditedWrite(b *testing.B) {
	ctx := context.Background()
	b.Run("OneTenant", func(b *testing.B) {
		env := auratest.New(b, auratest.Options{})
		env.CreateTenant(b, "writer")
		db := env.Acquire(b, "writer")
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if err := db.SetSetting(ctx, tenant.Setting{Key: "k" + strconv.Itoa(i%1000), Value: []byte("v")}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
	})
	b.Run("100TenantsParallel", func(b *testing.B) {
		env := auratest.New(b, auratest.Options{})
		slugs := createTenants(b, env, 100)
		var next atomic.Int64
		b.SetParallelism(8) // 16 writers on 2 cores, over 100 files
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				db, err := env.Router.Acquire(ctx, slugs[i%100])
				if err != nil {
					b.Error(err)
					return
				}
				err = db.SetSetting(ctx, tenant.Setting{Key: "k" + strconv.Itoa(int(i%1000)), Value: []byte("v")})
				db.Release()
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
	})
}

// BenchmarkMemoryPerOpenTenant opens 200 tenants that each served a read and
// a write, and reports the resident memory and Go heap they added.
func BenchmarkMemoryPerOpenTenant(b *testing.B) {
	const n = 200
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		env := auratest.New(b, auratest.Options{MaxOpen: 1000})
		slugs := createTenants(b, env, n)
		for _, s := range slugs {
			<-env.Router.Forget(s)
		}
		runtime.GC()
		rss0, heap0 := rss(b), heapInUse()
		b.StartTimer()
		for _, s := range slugs {
			db, err := env.Router.Acquire(ctx, s)
			if err != nil {
				b.Fatal(err)
			}
			if err := db.SetSetting(ctx, tenant.Setting{Key: "k", Value: []byte("v")}); err != nil {
				b.Fatal(err)
			}
			if _, err := db.GetSetting(ctx, "k"); err != nil {
				b.Fatal(err)
			}
			db.Release()
		}
		b.StopTimer()
		runtime.GC()
		b.ReportMetric(float64(rss(b)-rss0)/n/1024, "KiB-RSS/tenant")
		b.ReportMetric(float64(heapInUse()-heap0)/n/1024, "KiB-heap/tenant")
		if got := env.Router.Open(); got != n {
			b.Fatalf("open = %d, want %d", got, n)
		}
	}
}

func rss(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(raw))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func heapInUse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
