package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMain gives every server the tests start (and the children they run)
// a metrics listener on a free port: the default, 127.0.0.1:9464, would
// collide between test binaries running at once.
func TestMain(m *testing.M) {
	if os.Getenv("AURA_METRICS_ADDR") == "" {
		os.Setenv("AURA_METRICS_ADDR", "127.0.0.1:0")
	}
	os.Exit(m.Run())
}

// metricsURL returns the metrics address a served instance printed.
func metricsURL(t *testing.T, s *served) string {
	t.Helper()
	// The line comes just after the public address, which serve waits for.
	re := regexp.MustCompile(`Metrics on (http://[0-9.:]+)/metrics`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(s.out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics address printed:\n%s", s.out.String())
		}
	}
}

func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics = %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse as the Prometheus text format: %v", err)
	}
	return fams
}

// value returns the value of the series of fam with labels (a subset).
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	fam, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range fam.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetrics serves with replication, makes requests, fails a sign-in
// until the throttle engages, and scrapes: the series parse with the
// Prometheus text parser and show requests by route pattern, latency,
// open tenants, commits and batch sizes, audit, replication and job
// state, login failures and throttles; tenant labels are ids, never
// slugs; and neither /metrics nor /debug/pprof/ answer on the public port.
func TestMetrics(t *testing.T) {
	c := newCLI(t)
	cfg := dualReplication(t)
	// Snapshots every second, so the snapshot age is there to see.
	if err := os.WriteFile(cfg, append([]byte("snapshot:\n  interval: 1s\n"), must(os.ReadFile(cfg))...), 0o600); err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery staple"
	c.mustRun(password+"\n", "tenant", "create", "seaside", "--name", "Seaside", "--owner-email", "owner@seaside.example", "--owner-password-stdin")
	tok := strings.TrimSpace(c.mustRun("", "token", "create", "seaside", "--email", "owner@seaside.example", "--name", "m", "--scopes", "users.read,users.write"))
	s := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	priv := metricsURL(t, s)
	for i := 0; i < 3; i++ {
		if !invite(t, s.https, "seaside", tok, "guest"+string(rune('a'+i))+"@seaside.example") {
			t.Fatal("invite failed")
		}
	}
	// Wrong passwords until the throttle refuses.
	throttled := false
	for i := 0; i < 30 && !throttled; i++ {
		resp, err := http.PostForm(s.https+"/seaside/login", map[string][]string{"email": {"owner@seaside.example"}, "password": {"wrong password " + string(rune('a'+i))}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		throttled = resp.StatusCode == http.StatusTooManyRequests
	}
	if !throttled {
		t.Fatal("the throttle never engaged")
	}
	var list []struct{ Slug, ID string }
	if err := json.Unmarshal([]byte(c.mustRun("", "tenant", "list", "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("tenant list: %v %v", list, err)
	}
	id := list[0].ID
	// Wait for a snapshot of the tenant (every second) to be in the replica.
	fams := scrape(t, priv)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); fams = scrape(t, priv) {
		if _, ok := value(fams, "aura_replication_last_snapshot_age_seconds", map[string]string{"db": id, "replica": "off-site"}); ok {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}

	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"aura_http_requests_total", map[string]string{"route": "/:tenant/api/v1/users", "method": "POST", "status": "201"}, 3},
		{"aura_http_requests_total", map[string]string{"route": "/:tenant/login", "method": "POST", "status": "429"}, 1},
		{"aura_http_request_duration_seconds", map[string]string{"route": "/:tenant/api/v1/users"}, 3},
		{"aura_tenants_open", nil, 1},
		{"aura_tenant_opens_total", nil, 1},
		{"aura_tenant_evictions_total", nil, 0},
		{"aura_sqlite_write_transaction_seconds", nil, 3},
		{"aura_sqlite_group_commit_requests", nil, 3},
		{"aura_audit_chain_ok", map[string]string{"db": id}, 1},
		{"aura_audit_chain_ok", map[string]string{"db": "platform"}, 1},
		{"aura_audit_chains_broken", nil, 0},
		{"aura_replication_lag_seconds", map[string]string{"db": id, "replica": "on-site"}, 0},
		{"aura_replication_last_sync_timestamp_seconds", map[string]string{"db": id, "replica": "on-site"}, float64(time.Now().Add(-time.Minute).Unix())},
		{"aura_replication_last_snapshot_age_seconds", map[string]string{"db": id, "replica": "on-site"}, 0},
		{"aura_replication_ok", map[string]string{"db": id, "replica": "on-site"}, 1},
		{"aura_replication_lag_seconds", map[string]string{"db": id, "replica": "off-site"}, 0},
		{"aura_replication_last_sync_timestamp_seconds", map[string]string{"db": id, "replica": "off-site"}, float64(time.Now().Add(-time.Minute).Unix())},
		{"aura_replication_last_snapshot_age_seconds", map[string]string{"db": id, "replica": "off-site"}, 0},
		{"aura_replication_ok", map[string]string{"db": id, "replica": "off-site"}, 1},
		{"aura_replication_ok", map[string]string{"db": "platform", "replica": "off-site"}, 1},
		{"aura_restore_drills_failed", nil, 0},
		{"aura_job_runs_total", nil, 1},
		{"aura_job_failures_total", nil, 0},
		{"aura_login_failures_total", nil, 3},
		{"aura_login_throttled_total", nil, 1},
		{"go_goroutines", nil, 1},
	}
	for _, ch := range checks {
		v, ok := value(fams, ch.name, ch.labels)
		if ch.name == "aura_job_failures_total" && !ok {
			continue // no job failed: the vector has no series yet
		}
		if !ok || v < ch.min {
			t.Errorf("%s%v = %v (present %v), want at least %v", ch.name, ch.labels, v, ok, ch.min)
		}
	}
	// No slug, email or path in any label.
	resp, _ := http.Get(priv + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, leak := range []string{"seaside", "@", "/seaside/"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("/metrics contains %q", leak)
		}
	}
	// Profiles on the private listener.
	if resp, err := http.Get(priv + "/debug/pprof/goroutine?debug=1"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("pprof on the metrics listener: %v %v", resp, err)
	}
	// Not on the public listener.
	for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/goroutine?debug=1"} {
		resp, err := http.Get(s.https + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(b), "aura_http_requests_total") || strings.Contains(string(b), "goroutine") {
			t.Errorf("public %s = %d %.80q", p, resp.StatusCode, b)
		}
	}
	// --metrics-addr on the public port is refused.
	code, _, errs := c.run("", "serve", "--dev", "--addr", "127.0.0.1:18461", "--metrics-addr", "127.0.0.1:18461")
	if code == 0 || !strings.Contains(errs, "public port") {
		t.Fatalf("metrics on the public port: exit %d %q", code, errs)
	}
}

// TestReadyz: ready with the platform DB writable and replicating; not
// ready, naming the check, when the platform DB cannot take its write lock.
func TestReadyz(t *testing.T) {
	c := newCLI(t)
	cfg := fastReplication(t)
	s := c.serve("--dev", "--addr", "127.0.0.1:0", "--litestream", cfg)
	get := func() (int, string) {
		resp, err := http.Get(s.https + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Fatalf("readyz = %d %s", code, body)
	}
	// Another process holds the platform DB's write lock: not ready.
	lock := lockPlatform(t, c.data)
	code, body := get()
	lock()
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"platform_db"`) {
		t.Fatalf("readyz with the write lock held elsewhere = %d %s", code, body)
	}
	if code, _ := get(); code != 200 {
		t.Fatalf("readyz after the lock went = %d", code)
	}
	// The slug cannot be taken by a tenant.
	if code, _, _ := c.run("", "tenant", "create", "readyz"); code != 1 {
		t.Fatal("a tenant took the slug readyz")
	}
}

// lockPlatform takes the platform DB's write lock from another connection,
// as another process would, and returns its release.
func lockPlatform(t *testing.T, data string) func() {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "platform.db"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
}

// TestMetricsDefaultPortBusy: with the default metrics address taken (by
// another server on the machine), serve starts without metrics and says
// so; a metrics address given explicitly must be had.
func TestMetricsDefaultPortBusy(t *testing.T) {
	if ln, err := net.Listen("tcp", defaultMetricsAddr); err == nil {
		defer ln.Close()
	} // else someone else holds it: busy all the same
	t.Setenv("AURA_METRICS_ADDR", "")
	c := newCLI(t)
	s := c.serve("--dev", "--addr", "127.0.0.1:0")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.errs.String(), "metrics listener not started") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(s.errs.String(), "metrics listener not started") || strings.Contains(s.out.String(), "Metrics on") {
		t.Fatalf("default port busy: out %q, errs %q", s.out.String(), s.errs.String())
	}
	s.stop()
	code, _, errs := c.run("", "serve", "--dev", "--addr", "127.0.0.1:0", "--metrics-addr", defaultMetricsAddr)
	if code == 0 || !strings.Contains(errs, "address already in use") {
		t.Fatalf("explicit busy metrics address: exit %d %q", code, errs)
	}
}
