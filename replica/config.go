package replica

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"gopkg.in/yaml.v3"
)

// Destination types.
const (
	TypeFile = "file" // a directory on this machine (on-site)
	TypeS3   = "s3"   // an S3-compatible bucket (off-site), e.g. Hetzner Object Storage
)

// Default settings. Retention depends on where the replica lives: 7 days
// on-site (a directory), 30 days off-site (S3).
const (
	DefaultSyncInterval        = time.Second
	DefaultCheckpointInterval  = time.Minute
	DefaultCheckpointPages     = 10000
	DefaultSnapshotInterval    = 24 * time.Hour
	DefaultRetentionOnSite     = 7 * 24 * time.Hour
	DefaultRetentionOffSite    = 30 * 24 * time.Hour
	DefaultL0Retention         = 5 * time.Minute
	DefaultShutdownSyncTimeout = 10 * time.Second
)

// DefaultLevels are the compaction intervals of levels 1, 2, 3 (Litestream's
// defaults): a point-in-time restore older than the L0 retention is precise
// to the level-1 interval.
var DefaultLevels = []time.Duration{30 * time.Second, 5 * time.Minute, time.Hour}

// Destination is where a replica is written: a directory or an S3 bucket.
// Every database Aura replicates lives under its own prefix of it
// (platform/<key id>, tenants/<tenant id>).
type Destination struct {
	Type string
	// Path is the directory (file) or the key prefix inside the bucket (s3).
	Path            string
	Bucket          string
	Region          string
	Endpoint        string
	ForcePathStyle  bool
	AccessKeyID     string
	SecretAccessKey string
}

// String describes the destination for logs and status pages, without secrets.
func (d Destination) String() string {
	switch d.Type {
	case TypeFile:
		return "file " + d.Path
	case TypeS3:
		s := "s3://" + d.Bucket + "/" + strings.TrimPrefix(d.Path, "/")
		if d.Endpoint != "" {
			s += " at " + d.Endpoint
		}
		return s
	}
	return d.Type
}

// Config is the replication set-up: where replicas go and how often
// changes, snapshots and compactions happen.
//
// Every database replicates to two places at once: the on-site replica
// (Destination, a directory on the server, kept Retention) and, when the
// config names any, an off-site target (Targets, kept OffSiteRetention).
// Litestream writes the on-site replica; a mirror copies each encrypted file
// it writes to the off-site target, so an unreachable bucket never holds up
// the on-site replica and is caught up when it comes back.
type Config struct {
	// Destination is the on-site replica of every database.
	Destination Destination
	// Targets are the named off-site targets (the replicas of litestream.yml
	// after the on-site one). A database replicates to DefaultTarget, or to
	// the target named by its prefix "@NAME/…" (TargetPrefix): a tenant set
	// to one (`aura tenant set-region`) replicates there. Without targets
	// there is no off-site replica.
	Targets       map[string]Destination
	DefaultTarget string
	// SyncInterval is how often committed changes are shipped to the
	// replica; it is the precision of a point-in-time restore.
	SyncInterval time.Duration
	// MonitorInterval is how often Litestream reads new WAL frames
	// (default: SyncInterval).
	MonitorInterval time.Duration
	// ShipEvery is how soon the changes of a commit the Replicator hears
	// of (Committed) are read from the WAL and shipped to the on-site
	// replica, at most once per ShipEvery per file (default: a quarter of
	// the SyncInterval), so a commit reaches the replica well within a
	// SyncInterval instead of up to a monitor plus a sync interval. Half
	// the interval left the 99th percentile of the lag near a second under
	// a saturating write load (BenchmarkReplicationLag at 500 commits/s:
	// p99 0.68 s at half, 0.46-0.59 s at a quarter, for about a tenth more
	// CPU in that benchmark).
	ShipEvery time.Duration
	// CheckpointInterval is how often Litestream checkpoints the WAL.
	CheckpointInterval time.Duration
	// CheckpointPages is the WAL size, in pages, at which Litestream
	// checkpoints (default 10,000, about 40 MB). Litestream holds the write
	// lock while it checkpoints, so every checkpoint stalls writers for a
	// moment: fewer, larger ones keep that out of the 99th percentile.
	CheckpointPages int
	// SnapshotInterval is how often a full snapshot is written (at most
	// 24h: snapshots are at least nightly by default).
	SnapshotInterval time.Duration
	// Retention is how long the on-site replica keeps snapshots (and what
	// a restore needs between them): 7 days by default (30 days when the
	// on-site replica is itself an S3 bucket).
	Retention time.Duration
	// OffSiteRetention is how long the off-site targets keep them: 30 days
	// by default. It is never shorter than Retention.
	OffSiteRetention time.Duration
	// L0Retention keeps per-sync files this long after compaction; within
	// it a restore is precise to the sync interval.
	L0Retention time.Duration
	// Levels are the compaction intervals of levels 1..n.
	Levels []time.Duration
	// ShutdownSyncTimeout bounds the retries of a final sync when a file
	// is unregistered while the replica is unreachable.
	ShutdownSyncTimeout time.Duration
	// Logger receives Litestream's warnings and errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock retention measures snapshot ages against (default
	// time.Now; tests move it days ahead). Litestream's own background
	// retention, which also runs, reads the wall clock.
	Now func() time.Time
}

// DefaultReplicaDir returns the replica directory used when there is no
// litestream.yml: beside the data directory, named after it with
// "-replica" (./data → ./data-replica), so that a copy or loss of the data
// directory never takes the replica with it.
func DefaultReplicaDir(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	return filepath.Clean(abs) + "-replica"
}

// DefaultConfig returns the configuration used without a litestream.yml: a
// local directory replica beside dataDir with on-site retention.
func DefaultConfig(dataDir string) Config {
	return Config{Destination: Destination{Type: TypeFile, Path: DefaultReplicaDir(dataDir)}}.withDefaults()
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.SyncInterval, DefaultSyncInterval)
	def(&c.MonitorInterval, c.SyncInterval)
	def(&c.ShipEvery, c.SyncInterval/4)
	def(&c.CheckpointInterval, DefaultCheckpointInterval)
	if c.CheckpointPages <= 0 {
		c.CheckpointPages = DefaultCheckpointPages
	}
	def(&c.SnapshotInterval, DefaultSnapshotInterval)
	if c.Destination.Type == TypeS3 {
		def(&c.Retention, DefaultRetentionOffSite)
	} else {
		def(&c.Retention, DefaultRetentionOnSite)
	}
	def(&c.OffSiteRetention, max(DefaultRetentionOffSite, c.Retention))
	def(&c.L0Retention, DefaultL0Retention)
	def(&c.ShutdownSyncTimeout, DefaultShutdownSyncTimeout)
	if c.Levels == nil {
		c.Levels = append([]time.Duration(nil), DefaultLevels...)
	}
	return c
}

// Validate reports the first problem with c as EINVALID.
func (c Config) Validate() error {
	if err := c.Destination.validate(); err != nil {
		return err
	}
	for name, d := range c.Targets {
		if !validTargetName(name) {
			return aura.Errorf(aura.EINVALID, "The off-site target name %q is not lowercase letters, digits and -.", name)
		}
		if err := d.validate(); err != nil {
			return err
		}
		if d.sameAs(c.Destination) {
			return aura.Errorf(aura.EINVALID, "The off-site target %s is the on-site replica %s: an off-site copy must live elsewhere.", name, d)
		}
	}
	if _, ok := c.Targets[c.DefaultTarget]; len(c.Targets) > 0 && !ok {
		return aura.Errorf(aura.EINVALID, "The default off-site target %q is not among the targets.", c.DefaultTarget)
	}
	if c.OffSiteRetention < c.Retention {
		return aura.Errorf(aura.EINVALID, "The off-site retention (%s) is shorter than the on-site one (%s); off-site copies are the ones kept longer.", c.OffSiteRetention, c.Retention)
	}
	for name, v := range map[string]time.Duration{
		"sync-interval": c.SyncInterval, "monitor-interval": c.MonitorInterval,
		"checkpoint-interval": c.CheckpointInterval, "snapshot.interval": c.SnapshotInterval,
		"snapshot.retention": c.Retention, "l0-retention": c.L0Retention, "shutdown-sync-timeout": c.ShutdownSyncTimeout,
	} {
		if v <= 0 {
			return aura.Errorf(aura.EINVALID, "%s must be a positive duration, got %s.", name, v)
		}
	}
	if c.Retention < c.SnapshotInterval {
		return aura.Errorf(aura.EINVALID, "snapshot.retention (%s) is shorter than snapshot.interval (%s): there would be times with no snapshot to restore from.", c.Retention, c.SnapshotInterval)
	}
	for i, v := range c.Levels {
		if v <= 0 || (i > 0 && v < c.Levels[i-1]) {
			return aura.Errorf(aura.EINVALID, "levels[%d].interval must be positive and not shorter than the level before it.", i)
		}
	}
	return nil
}

func (d Destination) validate() error {
	switch d.Type {
	case TypeFile:
		if d.Path == "" {
			return aura.Errorf(aura.EINVALID, "A file replica needs a path.")
		}
	case TypeS3:
		if d.Bucket == "" {
			return aura.Errorf(aura.EINVALID, "An s3 replica needs a bucket.")
		}
	case "":
		return aura.Errorf(aura.EINVALID, "The replica needs a type (file or s3) or a url.")
	default:
		return aura.Errorf(aura.EINVALID, "Replica type %q is not supported; use file or s3.", d.Type)
	}
	return nil
}

// sameAs reports whether d and o store in the same place.
func (d Destination) sameAs(o Destination) bool {
	if d.Type != o.Type {
		return false
	}
	if d.Type == TypeFile {
		return filepath.Clean(d.Path) == filepath.Clean(o.Path)
	}
	return d.Bucket == o.Bucket && d.Endpoint == o.Endpoint && strings.Trim(d.Path, "/") == strings.Trim(o.Path, "/")
}

// The subset of Litestream's configuration file that Aura honours. Any other
// key is refused, so a setting is never silently ignored.
type fileConfig struct {
	replicaSettings `yaml:",inline"`

	Snapshot            snapshotConfig `yaml:"snapshot"`
	Levels              []levelConfig  `yaml:"levels"`
	L0Retention         *time.Duration `yaml:"l0-retention"`
	ShutdownSyncTimeout *time.Duration `yaml:"shutdown-sync-timeout"`
	DBs                 []dbConfig     `yaml:"dbs"`
}

type snapshotConfig struct {
	Interval  *time.Duration `yaml:"interval"`
	Retention *time.Duration `yaml:"retention"`
}

type levelConfig struct {
	Interval time.Duration `yaml:"interval"`
}

type dbConfig struct {
	Path               string         `yaml:"path"`
	Dir                string         `yaml:"dir"`
	MonitorInterval    *time.Duration `yaml:"monitor-interval"`
	CheckpointInterval *time.Duration `yaml:"checkpoint-interval"`
	Snapshot           snapshotConfig `yaml:"snapshot"`
	Replica            *replicaConfig `yaml:"replica"`
	// Replicas are named targets (Litestream's list form); the first is
	// the default.
	Replicas []replicaConfig `yaml:"replicas"`
}

type replicaSettings struct {
	SyncInterval    *time.Duration `yaml:"sync-interval"`
	AccessKeyID     string         `yaml:"access-key-id"`
	SecretAccessKey string         `yaml:"secret-access-key"`
	Region          string         `yaml:"region"`
	Bucket          string         `yaml:"bucket"`
	Endpoint        string         `yaml:"endpoint"`
	ForcePathStyle  *bool          `yaml:"force-path-style"`
}

type replicaConfig struct {
	replicaSettings `yaml:",inline"`

	Name string `yaml:"name"`
	Type string `yaml:"type"`
	Path string `yaml:"path"`
	URL  string `yaml:"url"`
	// Retention is how long this replica keeps snapshots (Litestream 0.3's
	// per-replica key): the on-site one's overrides snapshot.retention;
	// the off-site ones share one value.
	Retention *time.Duration `yaml:"retention"`
}

// LoadConfig reads a litestream.yml, expanding $VAR and ${VAR} from the
// environment first (as Litestream does) so secrets can stay out of the
// file. With path "" it returns DefaultConfig(dataDir). It returns
// ENOTFOUND for a missing file and EINVALID, naming the key, for anything
// Aura does not honour or cannot use.
func LoadConfig(path, dataDir string) (Config, error) {
	if path == "" {
		return DefaultConfig(dataDir), nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, aura.Errorf(aura.ENOTFOUND, "The replication config %s does not exist.", path)
	} else if err != nil {
		return Config{}, aura.Errorf(aura.EINVALID, "Cannot read the replication config %s: %v", path, err)
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return Config{}, aura.Errorf(aura.EINVALID, "Bad replication config path %s: %v", path, err)
	}
	cfg, err := ParseConfig(b, base, dataDir)
	if err != nil {
		return Config{}, aura.Errorf(aura.EINVALID, "%s: %s", path, aura.ErrorMessage(err))
	}
	return cfg, nil
}

// ParseConfig parses the contents of a litestream.yml; relative file
// replica paths are resolved against baseDir. The first file replica of
// the list is the on-site one (DefaultReplicaDir(dataDir) when the list has
// none); every other replica is an off-site target, the first of them the
// default. See LoadConfig.
func ParseConfig(b []byte, baseDir, dataDir string) (Config, error) {
	b = []byte(os.Expand(string(b), func(key string) string {
		if key == "PID" {
			return strconv.Itoa(os.Getpid())
		}
		return os.Getenv(key)
	}))
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, aura.Errorf(aura.EINVALID, "%s (Aura honours the keys listed in the README's replication section)", strings.TrimPrefix(err.Error(), "yaml: "))
	}

	var cfg Config
	if len(fc.DBs) != 1 || (fc.DBs[0].Replica == nil) == (len(fc.DBs[0].Replicas) == 0) {
		return Config{}, aura.Errorf(aura.EINVALID, "dbs must hold exactly one entry with a replica (or a replicas list of named targets, the first the default): Aura applies it to the platform DB and every tenant, each under its own prefix.")
	}
	db := fc.DBs[0]
	if db.Path != "" || db.Dir != "" {
		return Config{}, aura.Errorf(aura.EINVALID, "dbs[0] must not name a path or dir: Aura decides which databases it replicates.")
	}
	list := db.Replicas
	if db.Replica != nil {
		list = []replicaConfig{*db.Replica}
	}
	onSite := -1
	for i, r := range list {
		if r.Type == TypeFile || strings.HasPrefix(r.URL, TypeFile+"://") {
			onSite = i
			break
		}
	}
	var rc replicaConfig
	var onSiteRetention, offSiteRetention *time.Duration
	var onSiteName string
	for i, r := range list {
		r.replicaSettings = r.merged(fc.replicaSettings)
		dest, err := r.destination(baseDir)
		if err != nil {
			return Config{}, err
		}
		if i == onSite {
			if r.Name != "" && !validTargetName(r.Name) {
				return Config{}, aura.Errorf(aura.EINVALID, "replicas[%d]: a replica's name is lowercase letters, digits and - (got %q).", i, r.Name)
			}
			onSiteName = r.Name
			rc, cfg.Destination, onSiteRetention = r, dest, r.Retention
			continue
		}
		if r.Name == "" && len(list)-btoi(onSite >= 0) == 1 {
			r.Name = "off-site" // the one off-site target may go unnamed
		}
		if !validTargetName(r.Name) {
			return Config{}, aura.Errorf(aura.EINVALID, "replicas[%d]: each off-site replica target needs a name of lowercase letters, digits and - (got %q).", i, r.Name)
		}
		if _, dup := cfg.Targets[r.Name]; dup || r.Name == onSiteName {
			return Config{}, aura.Errorf(aura.EINVALID, "replicas: the name %q is used twice.", r.Name)
		}
		if r.Retention != nil {
			if offSiteRetention != nil && *offSiteRetention != *r.Retention {
				return Config{}, aura.Errorf(aura.EINVALID, "replicas: the off-site targets give different retentions (%s, %s); give them one.", *offSiteRetention, *r.Retention)
			}
			offSiteRetention = r.Retention
		}
		if cfg.Targets == nil {
			cfg.Targets = map[string]Destination{}
			cfg.DefaultTarget = r.Name
			if onSite < 0 {
				rc = r // settings such as sync-interval come from the first replica
			}
		}
		cfg.Targets[r.Name] = dest
	}
	if onSite < 0 {
		if dataDir == "" {
			return Config{}, aura.Errorf(aura.EINVALID, "The replication config names no file replica and no data directory is known to put the on-site replica beside.")
		}
		cfg.Destination = Destination{Type: TypeFile, Path: DefaultReplicaDir(dataDir)}
	}
	set := func(dst *time.Duration, vs ...*time.Duration) {
		for _, v := range vs {
			if v != nil {
				*dst = *v
				return
			}
		}
	}
	set(&cfg.SyncInterval, rc.SyncInterval)
	set(&cfg.MonitorInterval, db.MonitorInterval)
	set(&cfg.CheckpointInterval, db.CheckpointInterval)
	set(&cfg.SnapshotInterval, db.Snapshot.Interval, fc.Snapshot.Interval)
	set(&cfg.Retention, onSiteRetention, db.Snapshot.Retention, fc.Snapshot.Retention)
	set(&cfg.OffSiteRetention, offSiteRetention)
	set(&cfg.L0Retention, fc.L0Retention)
	set(&cfg.ShutdownSyncTimeout, fc.ShutdownSyncTimeout)
	if fc.Levels != nil {
		cfg.Levels = []time.Duration{}
		for _, l := range fc.Levels {
			cfg.Levels = append(cfg.Levels, l.Interval)
		}
	}
	cfg = cfg.withDefaults()
	return cfg, cfg.Validate()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func validTargetName(name string) bool {
	if name == "" || len(name) > 32 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// TargetPrefix returns the replica prefix of prefix with its off-site copy
// at the named target: "@target/prefix", or prefix itself for the default
// ("" or DefaultTarget). The on-site replica is at prefix either way.
func (c Config) TargetPrefix(target, prefix string) string {
	if target == "" || target == c.DefaultTarget {
		return prefix
	}
	return "@" + target + "/" + prefix
}

// Where describes where a database with the off-site target named target
// ("" is the default) is replicated, for people and without secrets:
// "on-site file DIR; off-site NAME: s3://…".
func (c Config) Where(target string) string {
	return OnSite + " " + c.Destination.String() + "; " + c.OffSiteWhere(target)
}

// OffSiteWhere describes the off-site target named target ("" is the
// default), without secrets: "NAME: s3://…", or "no off-site replica".
func (c Config) OffSiteWhere(target string) string {
	if target == "" {
		target = c.DefaultTarget
	}
	if target == "" {
		return "no off-site replica"
	}
	if d, ok := c.Targets[target]; ok {
		return target + ": " + d.String()
	}
	return target + " (not in the replication config)"
}

// OffSiteTarget returns the name of the off-site target a database with
// the recorded target ("" is the default) replicates to, "" when there is
// none.
func (c Config) OffSiteTarget(target string) string {
	if target == "" {
		return c.DefaultTarget
	}
	return target
}

// merged fills the settings the replica leaves empty from the global ones.
func (rc replicaConfig) merged(g replicaSettings) replicaSettings {
	s := rc.replicaSettings
	str := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	str(&s.AccessKeyID, g.AccessKeyID)
	str(&s.SecretAccessKey, g.SecretAccessKey)
	str(&s.Region, g.Region)
	str(&s.Bucket, g.Bucket)
	str(&s.Endpoint, g.Endpoint)
	if s.ForcePathStyle == nil {
		s.ForcePathStyle = g.ForcePathStyle
	}
	if s.SyncInterval == nil {
		s.SyncInterval = g.SyncInterval
	}
	return s
}

// destination builds the Destination of a replica entry, from its url or
// from type and the separate keys (not both).
func (rc replicaConfig) destination(baseDir string) (Destination, error) {
	d := Destination{
		Type: rc.Type, Path: rc.Path, Bucket: rc.Bucket, Region: rc.Region, Endpoint: rc.Endpoint,
		AccessKeyID: rc.AccessKeyID, SecretAccessKey: rc.SecretAccessKey,
	}
	if rc.URL != "" {
		if rc.Path != "" {
			return d, aura.Errorf(aura.EINVALID, "replica: give either url or path, not both.")
		}
		u, err := url.Parse(rc.URL)
		if err != nil {
			return d, aura.Errorf(aura.EINVALID, "replica: bad url %q: %v", rc.URL, err)
		}
		if rc.Type != "" && rc.Type != u.Scheme {
			return d, aura.Errorf(aura.EINVALID, "replica: type %q does not match the url scheme %q.", rc.Type, u.Scheme)
		}
		d.Type = u.Scheme
		switch u.Scheme {
		case TypeFile:
			d.Path = u.Host + u.Path
		case TypeS3:
			if rc.Bucket != "" {
				return d, aura.Errorf(aura.EINVALID, "replica: give either url or bucket, not both.")
			}
			d.Bucket, d.Path = u.Host, strings.Trim(u.Path, "/")
			q := u.Query()
			if v := q.Get("endpoint"); v != "" {
				d.Endpoint = v
			}
			if v := q.Get("region"); v != "" {
				d.Region = v
			}
			for _, k := range []string{"force-path-style", "forcePathStyle"} {
				if v := q.Get(k); v != "" {
					b, err := strconv.ParseBool(v)
					if err != nil {
						return d, aura.Errorf(aura.EINVALID, "replica: %s=%q in the url is not true or false.", k, v)
					}
					rc.ForcePathStyle = &b
				}
			}
		default:
			return d, aura.Errorf(aura.EINVALID, "replica: url scheme %q is not supported; use file:// or s3://.", u.Scheme)
		}
	}
	if d.Type == TypeFile {
		if d.Path == "" {
			return d, aura.Errorf(aura.EINVALID, "replica: a file replica needs a path.")
		}
		if !filepath.IsAbs(d.Path) {
			d.Path = filepath.Join(baseDir, d.Path)
		}
		d.Path = filepath.Clean(d.Path)
		if d.Bucket != "" || d.Endpoint != "" || d.AccessKeyID != "" {
			return d, aura.Errorf(aura.EINVALID, "replica: bucket, endpoint and keys apply to s3 replicas, not file.")
		}
	}
	if d.Type == TypeS3 {
		if d.Endpoint != "" && !strings.Contains(d.Endpoint, "://") {
			d.Endpoint = "https://" + d.Endpoint
		}
		// Like Litestream: path-style addressing whenever a custom endpoint
		// is given (Hetzner, MinIO, …), unless set explicitly.
		d.ForcePathStyle = d.Endpoint != ""
		if rc.ForcePathStyle != nil {
			d.ForcePathStyle = *rc.ForcePathStyle
		}
		if (d.AccessKeyID == "") != (d.SecretAccessKey == "") {
			return d, aura.Errorf(aura.EINVALID, "replica: give both access-key-id and secret-access-key, or neither (then AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are used).")
		}
	}
	return d, nil
}
