package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/metrics"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// TestSeries feeds every hook and a Snapshot and reads the series back
// through the Prometheus text parser: values, label sets, the method label
// bounded, ages against the clock, no replication series for a database
// that is not replicated, and no drill series for one never drilled.
func TestSeries(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	m := metrics.New(func(ctx context.Context) metrics.Snapshot {
		return metrics.Snapshot{OpenTenants: 2, TenantOpens: 5, Evictions: 1, IdleCloses: 2, BrokenChains: 1, FailedDrills: 1,
			DBs: []metrics.DB{
				{ID: "platform", Replicas: []metrics.Replica{
					{Name: "on-site", Lag: 3 * time.Second, LastSync: now.Add(-time.Second), LastSnapshot: now.Add(-time.Hour)},
					{Name: "off-site", Lag: 40 * time.Second, LastSync: now.Add(-time.Minute), LastSnapshot: now.Add(-2 * time.Hour), Failing: true},
				}},
				{ID: "tnt_a", Replicas: []metrics.Replica{{Name: "on-site"}}, AuditBroken: true, DrillRan: true, DrillOK: false, DrillAt: now.Add(-2 * time.Hour), DrillDuration: 1500 * time.Millisecond},
				{ID: "tnt_b"},
			}}
	})
	m.SetClock(func() time.Time { return now })
	m.Request("/:tenant/users", "GET", 200, 30*time.Millisecond)
	m.Request("/:tenant/users", "BREW", 405, time.Millisecond)
	m.Commit(2*time.Millisecond, 7)
	m.JobRun("night-audit", time.Second, nil)
	m.JobRun("night-audit", time.Second, context.DeadlineExceeded)
	m.LoginFailed()
	m.LoginThrottled()
	fams := scrape(t, m)

	get := func(name string, want map[string]string) *dto.Metric {
		t.Helper()
		for _, mm := range fams[name].GetMetric() {
			got := labels(mm)
			match := len(got) == len(want)
			for k, v := range want {
				match = match && got[k] == v
			}
			if match {
				return mm
			}
		}
		return nil
	}
	checks := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"aura_http_requests_total", map[string]string{"route": "/:tenant/users", "method": "GET", "status": "200"}, 1},
		{"aura_http_requests_total", map[string]string{"route": "/:tenant/users", "method": "OTHER", "status": "405"}, 1},
		{"aura_tenants_open", nil, 2},
		{"aura_tenant_opens_total", nil, 5},
		{"aura_tenant_evictions_total", nil, 1},
		{"aura_tenant_idle_closes_total", nil, 2},
		{"aura_audit_chains_broken", nil, 1},
		{"aura_restore_drills_failed", nil, 1},
		{"aura_replication_lag_seconds", map[string]string{"db": "platform", "replica": "on-site"}, 3},
		{"aura_replication_last_snapshot_age_seconds", map[string]string{"db": "platform", "replica": "on-site"}, 3600},
		{"aura_replication_ok", map[string]string{"db": "platform", "replica": "on-site"}, 1},
		{"aura_replication_lag_seconds", map[string]string{"db": "platform", "replica": "off-site"}, 40},
		{"aura_replication_last_snapshot_age_seconds", map[string]string{"db": "platform", "replica": "off-site"}, 7200},
		{"aura_replication_last_sync_timestamp_seconds", map[string]string{"db": "platform", "replica": "off-site"}, float64(now.Add(-time.Minute).Unix())},
		{"aura_replication_ok", map[string]string{"db": "platform", "replica": "off-site"}, 0},
		{"aura_replication_lag_seconds", map[string]string{"db": "tnt_a", "replica": "on-site"}, 0},
		{"aura_audit_chain_ok", map[string]string{"db": "platform"}, 1},
		{"aura_audit_chain_ok", map[string]string{"db": "tnt_a"}, 0},
		{"aura_restore_drill_ok", map[string]string{"db": "tnt_a"}, 0},
		{"aura_restore_drill_duration_seconds", map[string]string{"db": "tnt_a"}, 1.5},
		{"aura_job_runs_total", map[string]string{"job": "night-audit"}, 2},
		{"aura_job_failures_total", map[string]string{"job": "night-audit"}, 1},
		{"aura_login_failures_total", nil, 1},
		{"aura_login_throttled_total", nil, 1},
	}
	for _, c := range checks {
		mm := get(c.name, c.labels)
		if mm == nil {
			t.Errorf("%s%v is missing", c.name, c.labels)
			continue
		}
		var v float64
		switch {
		case mm.Counter != nil:
			v = mm.Counter.GetValue()
		case mm.Gauge != nil:
			v = mm.Gauge.GetValue()
		}
		if v != c.value {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.value)
		}
	}
	if h := get("aura_sqlite_group_commit_requests", nil); h == nil || h.Histogram.GetSampleSum() != 7 {
		t.Errorf("group commit batch histogram: %v", h)
	}
	if get("aura_replication_lag_seconds", map[string]string{"db": "tnt_b", "replica": "on-site"}) != nil {
		t.Error("a database that is not replicated has a lag series")
	}
	if get("aura_restore_drill_ok", map[string]string{"db": "tnt_b"}) != nil || get("aura_restore_drill_ok", map[string]string{"db": "platform"}) != nil {
		t.Error("a database never drilled has a drill series")
	}
	for name := range fams {
		if !strings.HasPrefix(name, "aura_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			t.Errorf("unexpected family %s", name)
		}
	}
}
