package replica_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/replica"
)

const repoConfig = "../litestream.yml"

func TestLoadConfig(t *testing.T) {
	t.Run("RepositoryFile", func(t *testing.T) {
		cfg, err := replica.LoadConfig(repoConfig, "data")
		if err != nil {
			t.Fatal(err)
		}
		root, _ := filepath.Abs("..")
		def := replica.DefaultConfig(filepath.Join(root, "data"))
		if got, want := cfg.Destination, def.Destination; got != want {
			t.Fatalf("destination %+v, want the default %+v", got, want)
		}
		if cfg.Retention != 7*24*time.Hour || cfg.SnapshotInterval != 24*time.Hour || cfg.SyncInterval != time.Second {
			t.Fatalf("retention %s, snapshots every %s, sync every %s", cfg.Retention, cfg.SnapshotInterval, cfg.SyncInterval)
		}
	})
	t.Run("HetznerExample", func(t *testing.T) {
		// The commented-out example in litestream.yml, taken literally.
		b, err := os.ReadFile(repoConfig)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		start := strings.Index(text, "# snapshot:")
		if start < 0 {
			t.Fatal("litestream.yml has no commented-out example")
		}
		var lines []string
		for _, l := range strings.Split(text[start:], "\n") {
			lines = append(lines, strings.TrimPrefix(strings.TrimPrefix(l, "#"), " "))
		}
		t.Setenv("AURA_S3_ACCESS_KEY_ID", "hetzner-key-id")
		t.Setenv("AURA_S3_SECRET_ACCESS_KEY", "hetzner-secret")
		cfg, err := replica.ParseConfig([]byte(strings.Join(lines, "\n")), "/etc/aura", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Destination; got != (replica.Destination{Type: replica.TypeFile, Path: "/etc/aura/data-replica"}) {
			t.Fatalf("on-site %+v", got)
		}
		want := replica.Destination{
			Type: replica.TypeS3, Bucket: "aura-backups", Path: "aura", Region: "fsn1",
			Endpoint: "https://fsn1.your-objectstorage.com", ForcePathStyle: true,
			AccessKeyID: "hetzner-key-id", SecretAccessKey: "hetzner-secret",
		}
		if got := cfg.Targets["eu"]; got != want || cfg.DefaultTarget != "eu" || len(cfg.Targets) != 1 {
			t.Fatalf("off-site %+v (default %q), want %+v", cfg.Targets, cfg.DefaultTarget, want)
		}
		if cfg.Retention != 7*24*time.Hour || cfg.OffSiteRetention != 30*24*time.Hour {
			t.Fatalf("retention on-site %s, off-site %s, want 7 and 30 days", cfg.Retention, cfg.OffSiteRetention)
		}
		if s := cfg.Where(""); strings.Contains(s, "hetzner-secret") || strings.Contains(s, "hetzner-key-id") ||
			s != "on-site file /etc/aura/data-replica; eu: s3://aura-backups/aura at https://fsn1.your-objectstorage.com" {
			t.Fatalf("Where() = %q", s)
		}
		if s := cfg.Destination.String(); strings.Contains(s, "hetzner-secret") || strings.Contains(s, "hetzner-key-id") {
			t.Fatalf("String() shows a secret: %s", s)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		cfg, err := replica.LoadConfig("", "some/data")
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs("some/data")
		if got, want := cfg.Destination.Path, abs+"-replica"; got != want || cfg.Destination.Type != replica.TypeFile {
			t.Fatalf("default replica %+v, want a directory at %s", cfg.Destination, want)
		}
		if cfg.Retention != 7*24*time.Hour || cfg.SnapshotInterval != 24*time.Hour || cfg.SyncInterval != time.Second || cfg.L0Retention != 5*time.Minute {
			t.Fatalf("defaults %+v", cfg)
		}
		if len(cfg.Targets) != 0 || cfg.Where("") != "on-site file "+abs+"-replica; no off-site replica" {
			t.Fatalf("default off-site %+v: %s", cfg.Targets, cfg.Where(""))
		}
		// A lone s3 replica is the off-site one; the on-site one is then
		// the directory beside the data.
		s3, err := replica.ParseConfig([]byte("dbs:\n  - replica:\n      url: s3://bkt/some/path?endpoint=fsn1.your-objectstorage.com&region=fsn1\n"), "/", "/srv/data")
		if err != nil {
			t.Fatal(err)
		}
		want := replica.Destination{Type: replica.TypeS3, Bucket: "bkt", Path: "some/path", Region: "fsn1", Endpoint: "https://fsn1.your-objectstorage.com", ForcePathStyle: true}
		if s3.Targets["off-site"] != want || s3.DefaultTarget != "off-site" || s3.Destination.Path != "/srv/data-replica" ||
			s3.Retention != 7*24*time.Hour || s3.OffSiteRetention != 30*24*time.Hour {
			t.Fatalf("s3 url config %+v, retention %s/%s", s3, s3.Retention, s3.OffSiteRetention)
		}
	})
	t.Run("Overrides", func(t *testing.T) {
		t.Setenv("REPLICA_DIR", "/srv/replica")
		cfg, err := replica.ParseConfig([]byte(`
sync-interval: 2s
snapshot:
  interval: 12h
  retention: 240h
levels:
  - interval: 1m
  - interval: 10m
l0-retention: 10m
dbs:
  - checkpoint-interval: 30s
    monitor-interval: 500ms
    snapshot:
      retention: 336h
    replica:
      url: file://${REPLICA_DIR}
`), "/", "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Destination.Path != "/srv/replica" || cfg.SyncInterval != 2*time.Second || cfg.SnapshotInterval != 12*time.Hour ||
			cfg.Retention != 336*time.Hour || cfg.L0Retention != 10*time.Minute || cfg.CheckpointInterval != 30*time.Second ||
			cfg.MonitorInterval != 500*time.Millisecond || len(cfg.Levels) != 2 || cfg.Levels[1] != 10*time.Minute {
			t.Fatalf("config %+v", cfg)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for name, yml := range map[string]string{
			"unknown key":          "dbs:\n  - replica:\n      type: file\n      path: /r\n      age:\n        recipients: [x]\n",
			"db path":              "dbs:\n  - path: /data/t.db\n    replica:\n      type: file\n      path: /r\n",
			"two dbs":              "dbs:\n  - replica: {type: file, path: /a}\n  - replica: {type: file, path: /b}\n",
			"no dbs":               "snapshot:\n  interval: 1h\n",
			"unknown type":         "dbs:\n  - replica: {type: gcs, bucket: b}\n",
			"url and path":         "dbs:\n  - replica: {url: 's3://b/p', path: x}\n",
			"bucket for file":      "dbs:\n  - replica: {type: file, path: /r, bucket: b}\n",
			"s3 without bucket":    "dbs:\n  - replica: {type: s3}\n",
			"half credentials":     "dbs:\n  - replica: {type: s3, bucket: b, access-key-id: k}\n",
			"retention < snap":     "snapshot: {interval: 24h, retention: 1h}\ndbs:\n  - replica: {type: file, path: /r}\n",
			"negative sync":        "dbs:\n  - replica: {type: file, path: /r, sync-interval: -1s}\n",
			"not a duration":       "dbs:\n  - replica: {type: file, path: /r, sync-interval: often}\n",
			"shrinking levels":     "levels: [{interval: 1h}, {interval: 1m}]\ndbs:\n  - replica: {type: file, path: /r}\n",
			"bad force-path-style": "dbs:\n  - replica: {url: 's3://b/p?force-path-style=maybe'}\n",
			"off-site shorter":     "dbs:\n  - replicas:\n      - {type: file, path: /r, retention: 720h}\n      - {name: x, type: s3, bucket: b, retention: 168h}\n",
			"two off-site windows": "dbs:\n  - replicas:\n      - {type: file, path: /r}\n      - {name: x, type: s3, bucket: b, retention: 720h}\n      - {name: y, type: s3, bucket: c, retention: 800h}\n",
			"off-site is on-site":  "dbs:\n  - replicas:\n      - {type: file, path: /r}\n      - {name: x, type: file, path: /r}\n",
			"s3 without data dir":  "dbs:\n  - replica: {type: s3, bucket: b}\n",
		} {
			if _, err := replica.ParseConfig([]byte(yml), "/", ""); aura.ErrorCode(err) != aura.EINVALID {
				t.Fatalf("%s: err = %v, want EINVALID", name, err)
			}
		}
		_, err := replica.ParseConfig([]byte("dbs:\n  - replica:\n      type: file\n      path: /r\n      age:\n        recipients: [x]\n"), "/", "")
		if !strings.Contains(aura.ErrorMessage(err), "age") {
			t.Fatalf("the message does not name the refused key: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := replica.LoadConfig(filepath.Join(t.TempDir(), "missing.yml"), "data"); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
}

// TestNamedTargets: in a replicas list the first file replica is the
// on-site one and the others are named off-site targets, the first of them
// the default; names must be unique and well-formed; TargetPrefix
// addresses a target and the Replicator refuses a target the config does
// not name.
func TestNamedTargets(t *testing.T) {
	good := "dbs:\n  - replicas:\n      - type: file\n        path: here\n      - name: eu\n        type: file\n        path: eu\n      - name: ch\n        type: file\n        path: ch\n"
	cfg, err := replica.ParseConfig([]byte(good), "/srv", "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DefaultTarget != "eu" || cfg.Destination.Path != "/srv/here" || cfg.Targets["eu"].Path != "/srv/eu" || cfg.Targets["ch"].Path != "/srv/ch" || len(cfg.Targets) != 2 {
		t.Fatalf("config = %+v", cfg)
	}
	if got := cfg.TargetPrefix("ch", "tenants/t1"); got != "@ch/tenants/t1" {
		t.Fatalf("TargetPrefix(ch) = %q", got)
	}
	if got := cfg.TargetPrefix("eu", "tenants/t1"); got != "tenants/t1" {
		t.Fatalf("TargetPrefix(default) = %q", got)
	}
	for _, bad := range []string{
		"dbs:\n  - replicas:\n      - name: eu\n        type: file\n        path: a\n      - name: eu\n        type: file\n        path: b\n",
		"dbs:\n  - replicas:\n      - type: file\n        path: a\n      - type: s3\n        bucket: b\n      - type: s3\n        bucket: c\n",
		"dbs:\n  - replicas:\n      - name: Eu!\n        type: file\n        path: a\n",
		"dbs:\n  - replica:\n      type: file\n      path: a\n    replicas:\n      - name: ch\n        type: file\n        path: b\n",
	} {
		if _, err := replica.ParseConfig([]byte(bad), "/srv", "/srv/data"); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
	cfg.Destination.Path, cfg.Logger = t.TempDir(), quietLogger()
	cfg.Targets = map[string]replica.Destination{"eu": {Type: replica.TypeFile, Path: t.TempDir()}, "ch": {Type: replica.TypeFile, Path: t.TempDir()}}
	r := mustReplicator(t, cfg)
	if _, err := r.Timeline(context.Background(), "@mars/tenants/t1", newKey()); err == nil || !strings.Contains(err.Error(), `"mars" is not in the replication config`) {
		t.Fatalf("unknown target: %v", err)
	}
}
