// Package metrics exposes Aura's operating state in the Prometheus text
// format, with github.com/prometheus/client_golang, on a private listener
// (cmd/aura's --metrics-addr, loopback by default) together with
// net/http/pprof. Counters and histograms are fed by hooks (server's
// Observer, sqlite.ObserveCommits, the scheduler's Observe); the state of
// tenants, replicas, audit chains and drills is read at each scrape from a
// Source. The only tenant label is the tenant id, and only for open tenants
// (bounded by the open-tenant cap): no slugs and no personal data.
package metrics

import (
	"context"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Snapshot is the state read at each scrape.
type Snapshot struct {
	// Router counters (tenant.Router.Stats).
	OpenTenants                        int
	TenantOpens, Evictions, IdleCloses int64
	// DBs are the platform DB (ID "platform") and each open tenant (ID
	// the tenant id).
	DBs []DB
	// BrokenChains counts audit chains found broken, over every tenant and
	// the platform; FailedDrills counts tenants whose last drill failed.
	BrokenChains, FailedDrills int
}

// DB is the state of one database.
type DB struct {
	ID string
	// Replicas are the database's replicas: "on-site", and "off-site" when
	// it has an off-site target. Empty when the file is not registered with
	// replication.
	Replicas      []Replica
	AuditBroken   bool
	DrillRan      bool
	DrillOK       bool
	DrillAt       time.Time
	DrillDuration time.Duration
}

// Replica is the state of one replica of a database.
type Replica struct {
	Name                   string // "on-site" or "off-site"
	Where                  string // its destination, without secrets ("" not reported)
	Lag                    time.Duration
	LastSync, LastSnapshot time.Time
	// Failing is true while the replica cannot be written.
	Failing bool
}

// Source returns the current Snapshot; it is called once per scrape with
// the scrape's context.
type Source func(ctx context.Context) Snapshot

// Metrics holds the registry and the series fed by hooks.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	commits   prometheus.Histogram
	batches   prometheus.Histogram
	jobRuns   *prometheus.CounterVec
	jobFails  *prometheus.CounterVec
	jobTime   *prometheus.HistogramVec
	loginFail prometheus.Counter
	throttled prometheus.Counter
	now       func() time.Time
}

// New returns Metrics reading state from src (nil: hooks only), with the
// Go runtime and process collectors.
func New(src Source) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: time.Now}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aura_http_requests_total",
		Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "aura_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"})
	m.commits = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "aura_sqlite_write_transaction_seconds",
		Help:    "Time of each committed write transaction, BEGIN to the end of COMMIT.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}})
	m.batches = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "aura_sqlite_group_commit_requests",
		Help:    "Requests carried by each committed write transaction (group-commit batch size).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64}})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aura_job_runs_total",
		Help: "Scheduled job runs (per tenant run) by job."}, []string{"job"})
	m.jobFails = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "aura_job_failures_total",
		Help: "Scheduled job runs that failed, by job."}, []string{"job"})
	m.jobTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "aura_job_duration_seconds",
		Help: "Time of each scheduled job run, by job.", Buckets: prometheus.ExponentialBuckets(.001, 4, 10)}, []string{"job"})
	m.loginFail = prometheus.NewCounter(prometheus.CounterOpts{Name: "aura_login_failures_total",
		Help: "Wrong passwords and codes at sign-in and in-session checks."})
	m.throttled = prometheus.NewCounter(prometheus.CounterOpts{Name: "aura_login_throttled_total",
		Help: "Sign-in attempts refused by the throttle."})
	m.reg.MustRegister(m.requests, m.latency, m.commits, m.batches, m.jobRuns, m.jobFails, m.jobTime, m.loginFail, m.throttled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src != nil {
		m.reg.MustRegister(&state{src: src, now: func() time.Time { return m.now() }})
	}
	return m
}

// SetClock replaces the clock ages are computed with (tests).
func (m *Metrics) SetClock(now func() time.Time) { m.now = now }

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// methods bounds the method label: anything else is "OTHER".
var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// Request counts one HTTP request (server.Observer).
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	if !methods[method] {
		method = "OTHER"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

// LoginFailed counts a wrong password or code (server.Observer).
func (m *Metrics) LoginFailed() { m.loginFail.Inc() }

// LoginThrottled counts an attempt the throttle refused (server.Observer).
func (m *Metrics) LoginThrottled() { m.throttled.Inc() }

// Commit records one committed write transaction (sqlite.ObserveCommits).
func (m *Metrics) Commit(took time.Duration, requests int) {
	m.commits.Observe(took.Seconds())
	m.batches.Observe(float64(requests))
}

// JobRun records one scheduled job run (control.Scheduler.Observe).
func (m *Metrics) JobRun(job string, took time.Duration, err error) {
	m.jobRuns.WithLabelValues(job).Inc()
	m.jobTime.WithLabelValues(job).Observe(took.Seconds())
	if err != nil {
		m.jobFails.WithLabelValues(job).Inc()
	}
}

// Handler serves /metrics and net/http/pprof's /debug/pprof/. Mount it on
// a private listener only: profiles show memory contents and call stacks.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// state is the collector of the Source's Snapshot.
type state struct {
	src Source
	now func() time.Time
}

var (
	descOpen       = prometheus.NewDesc("aura_tenants_open", "Tenant files open now.", nil, nil)
	descOpens      = prometheus.NewDesc("aura_tenant_opens_total", "Tenant files opened.", nil, nil)
	descEvictions  = prometheus.NewDesc("aura_tenant_evictions_total", "Tenant files closed to stay within the open-tenant cap.", nil, nil)
	descIdle       = prometheus.NewDesc("aura_tenant_idle_closes_total", "Tenant files closed after the idle timeout.", nil, nil)
	descLag        = prometheus.NewDesc("aura_replication_lag_seconds", "Age of the oldest change not yet in the replica (0: in sync).", []string{"db", "replica"}, nil)
	descLastSync   = prometheus.NewDesc("aura_replication_last_sync_timestamp_seconds", "When the replica last confirmed an upload (0: never).", []string{"db", "replica"}, nil)
	descSnapAge    = prometheus.NewDesc("aura_replication_last_snapshot_age_seconds", "Age of the newest full snapshot in the replica.", []string{"db", "replica"}, nil)
	descReplicaOK  = prometheus.NewDesc("aura_replication_ok", "1 when the replica is written, 0 while writes to it fail (an unreachable off-site target).", []string{"db", "replica"}, nil)
	descReplicaAt  = prometheus.NewDesc("aura_replication_target_info", "Where the replica is written now (always 1; the destination, without secrets, is the where label).", []string{"db", "replica", "where"}, nil)
	descAudit      = prometheus.NewDesc("aura_audit_chain_ok", "1 when the database's audit chain is not known to be broken, 0 when it was found broken.", []string{"db"}, nil)
	descBroken     = prometheus.NewDesc("aura_audit_chains_broken", "Audit chains found broken, over the platform and every tenant.", nil, nil)
	descDrillOK    = prometheus.NewDesc("aura_restore_drill_ok", "1 when the last restore drill of the tenant passed, 0 when it failed.", []string{"db"}, nil)
	descDrillAt    = prometheus.NewDesc("aura_restore_drill_last_timestamp_seconds", "When the last restore drill of the tenant ran.", []string{"db"}, nil)
	descDrillTime  = prometheus.NewDesc("aura_restore_drill_duration_seconds", "How long the last restore drill of the tenant took.", []string{"db"}, nil)
	descDrillsFail = prometheus.NewDesc("aura_restore_drills_failed", "Tenants whose last restore drill failed.", nil, nil)
)

func (c *state) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descOpens, descEvictions, descIdle, descLag, descLastSync, descSnapAge, descReplicaOK, descReplicaAt,
		descAudit, descBroken, descDrillOK, descDrillAt, descDrillTime, descDrillsFail} {
		ch <- d
	}
}

func (c *state) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := c.src(ctx)
	now := c.now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(descOpen, float64(s.OpenTenants))
	counter(descOpens, s.TenantOpens)
	counter(descEvictions, s.Evictions)
	counter(descIdle, s.IdleCloses)
	gauge(descBroken, float64(s.BrokenChains))
	gauge(descDrillsFail, float64(s.FailedDrills))
	for _, db := range s.DBs {
		ok := 1.0
		if db.AuditBroken {
			ok = 0
		}
		gauge(descAudit, ok, db.ID)
		for _, r := range db.Replicas {
			gauge(descLag, r.Lag.Seconds(), db.ID, r.Name)
			gauge(descLastSync, unix(r.LastSync), db.ID, r.Name)
			if !r.LastSnapshot.IsZero() {
				gauge(descSnapAge, now.Sub(r.LastSnapshot).Seconds(), db.ID, r.Name)
			}
			ok := 1.0
			if r.Failing {
				ok = 0
			}
			gauge(descReplicaOK, ok, db.ID, r.Name)
			if r.Where != "" {
				gauge(descReplicaAt, 1, db.ID, r.Name, r.Where)
			}
		}
		if db.DrillRan {
			v := 0.0
			if db.DrillOK {
				v = 1
			}
			gauge(descDrillOK, v, db.ID)
			gauge(descDrillAt, unix(db.DrillAt), db.ID)
			gauge(descDrillTime, db.DrillDuration.Seconds(), db.ID)
		}
	}
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
