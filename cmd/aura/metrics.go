package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/metrics"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
)

// checkMetricsAddr refuses a --metrics-addr on the public port.
func checkMetricsAddr(addr, public string) error {
	if addr == "off" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad --metrics-addr %q: %v", addr, err)
	}
	if _, pport, err := net.SplitHostPort(public); err == nil && pport == port && port != "0" {
		return fmt.Errorf("--metrics-addr %s is on the public port %s: metrics and profiles go on a private listener (the default is 127.0.0.1:9464)", addr, pport)
	}
	return nil
}

// metricsListener checks --metrics-addr against the public address and
// listens on it: never the public port, and a warning off loopback.
func (e *env) metricsListener(addr, public string) (net.Listener, error) {
	if err := checkMetricsAddr(addr, public); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		e.logger.Warn("metrics and profiles listen off loopback: keep that address behind a firewall (they tell tenant ids, timings and memory contents)", "addr", addr)
	}
	return net.Listen("tcp", addr)
}

// metricsSnapshot is the state /metrics reports at each scrape: the
// router's counters, the platform DB and each open tenant (by id), audit
// chains and restore drills.
func (e *env) metricsSnapshot(ctx context.Context) metrics.Snapshot {
	st := e.router.Stats()
	snap := metrics.Snapshot{OpenTenants: st.Open, TenantOpens: st.Opens, Evictions: st.Evictions, IdleCloses: st.IdleCloses}
	audits, err := e.platform.AuditStatuses(ctx)
	if err != nil {
		e.logger.Warn("metrics: audit states", "err", err)
	}
	drills, err := e.platform.LatestDrills(ctx)
	if err != nil {
		e.logger.Warn("metrics: drills", "err", err)
	}
	for _, a := range audits {
		if a.Broken() {
			snap.BrokenChains++
		}
	}
	for _, d := range drills {
		if !d.OK {
			snap.FailedDrills++
		}
	}
	ts, err := e.platform.Tenants(ctx)
	if err != nil {
		e.logger.Warn("metrics: tenants", "err", err)
	}
	ids := map[string]string{}
	for _, t := range ts {
		ids[t.Slug] = t.ID
	}
	one := func(id, path string) metrics.DB {
		db := metrics.DB{ID: id, AuditBroken: audits[id].Broken()}
		if e.replicator != nil {
			if rs, err := e.replicator.Status(ctx, path); err == nil {
				db.Replicas = append(db.Replicas, metrics.Replica{Name: replica.OnSite, Where: rs.Where, Lag: rs.Lag, LastSync: rs.LastSync, LastSnapshot: rs.LastSnapshot})
				if o := rs.OffSite; o != nil {
					db.Replicas = append(db.Replicas, metrics.Replica{Name: replica.OffSite, Where: o.Target + ": " + o.Where, Lag: o.Lag, LastSync: o.LastSync, LastSnapshot: o.LastSnapshot, Failing: o.Error != ""})
				}
			}
		}
		if d, ok := drills[id]; ok {
			db.DrillRan, db.DrillOK, db.DrillAt, db.DrillDuration = true, d.OK, d.RanAt, d.Duration
		}
		return db
	}
	snap.DBs = append(snap.DBs, one(platform.ChainID, e.platformPath()))
	for _, slug := range e.router.OpenSlugs() {
		if id := ids[slug]; id != "" {
			snap.DBs = append(snap.DBs, one(id, e.router.Path(id)))
		}
	}
	return snap
}

// ready is /readyz: the master key is the platform DB's, the platform DB
// takes its write lock, and the platform DB's replication runs and is
// less than readyLag behind.
func (e *env) ready(master *keys.MasterKey) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := platform.CheckMasterKey(ctx, e.platformPath(), master); err != nil {
			return "master_key", err
		}
		if err := e.platform.CheckWritable(ctx); err != nil {
			return "platform_db", err
		}
		if e.replicator != nil {
			st, err := e.replicator.Status(ctx, e.platformPath())
			if err != nil {
				return "replication", err
			}
			if st.Lag > readyLag {
				return "replication", fmt.Errorf("the platform DB's replica is %v behind", st.Lag.Round(time.Second))
			}
		}
		return "", nil
	}
}

// readyLag is how far behind the platform DB's replica may be before
// /readyz fails: a replica that stopped shipping changes is an outage of
// the backups, which a load balancer's check should surface.
const readyLag = 5 * time.Minute
