package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/tenant/channels"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/keys"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/tenant"
	"github.com/stripe/stripe-go/v85"
)

// env is what every subcommand shares: the common flags and the resources
// opened from them, closed when the command ends.
type env struct {
	io IO

	dataDir        string
	masterKeyFile  string
	signingKeyFile string
	maxOpen        int
	idleTimeout    time.Duration
	witnessFile    string
	// litestreamFile is the replication config (env AURA_LITESTREAM;
	// commands with a --litestream flag set it): its destination also
	// holds the audit witness.
	litestreamFile string
	// litestreamSum is the SHA-256 of the replication config serve last
	// applied (at start or at a SIGHUP): a SIGHUP applies the file only
	// when it differs.
	litestreamSum [32]byte

	logger   *slog.Logger
	platform *platform.DB
	router   *tenant.Router
	control  *control.Service

	// replicator, when set before open (by serve), replicates the platform
	// DB and every tenant file while the router holds it open.
	replicator *replica.Replicator

	// mail is the SMTP server guest emails go through (serve's --smtp-*
	// flags); with no address the guest-mail job queues and never sends.
	mail mailer.SMTP

	// stripe is the Stripe API backend of the background jobs; nil is
	// Stripe's own API (tests set stripe-mock).
	stripe stripe.Backend

	// icalFetcher fetches imported calendars; nil is the default fetcher,
	// which refuses private addresses (tests set one that may reach their
	// loopback server).
	icalFetcher *channels.Fetcher

	// ariPushers keep the channel-manager ARI pushers (their rate-limit
	// state) per tenant and property; now is their clock (nil: time.Now;
	// tests set a fake one).
	ariMu      sync.Mutex
	ariPushers map[string]*channels.ARIPusher
	now        func() time.Time

	// platformHead is the platform chain's head when it was opened: a
	// command that moved it signs the new head as it ends.
	platformHead audit.Head
}

func newEnv(stdio IO) *env {
	// AURA_LOG_LEVEL=debug adds a line per HTTP request; the default,
	// info, keeps the console to what an operator acts on.
	level := slog.LevelInfo
	if v := os.Getenv("AURA_LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			level = slog.LevelInfo
		}
	}
	return &env{io: stdio, logger: slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: level}))}
}

// flagSet returns a flag set with the common flags registered; defaults come
// from the environment.
func (e *env) flagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("aura "+name, flag.ContinueOnError)
	fs.SetOutput(e.io.Err)
	fs.StringVar(&e.dataDir, "data", envOr("AURA_DATA", "data"), "data directory (env AURA_DATA)")
	fs.StringVar(&e.masterKeyFile, "master-key-file", defaultMasterKeyFile(), "master key file, outside the data directory, mode 0600 (env AURA_MASTER_KEY_FILE; under systemd, default: master.key of $CREDENTIALS_DIRECTORY, from the unit's LoadCredential=)")
	fs.StringVar(&e.signingKeyFile, "signing-key-file", os.Getenv("AURA_SIGNING_KEY_FILE"), "audit signing key file (env AURA_SIGNING_KEY_FILE; default: "+keys.SigningKeyName+" beside the master key)")
	fs.IntVar(&e.maxOpen, "max-open-tenants", 256, "most tenant files kept open at once")
	fs.DurationVar(&e.idleTimeout, "tenant-idle-timeout", 5*time.Minute, "close a tenant file unused for this long")
	fs.StringVar(&e.witnessFile, "audit-witness", os.Getenv("AURA_AUDIT_WITNESS"), "also keep the newest audit checkpoint of every chain in this append-only file, on another disk (env AURA_AUDIT_WITNESS)")
	e.litestreamFile = os.Getenv("AURA_LITESTREAM")
	fs.Usage = func() {
		fmt.Fprintf(e.io.Err, "Usage: aura %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, with flags allowed before, between and after the
// positional arguments, and returns the positional arguments. A flag error
// becomes errUsage (already printed); want is the number of positional
// arguments the command takes (-1 for any).
func (e *env) parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if want >= 0 && len(pos) != want {
		fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}

// defaultMasterKeyFile is AURA_MASTER_KEY_FILE or, under systemd with
// LoadCredential=master.key:…, the credential's copy: systemd reads the key
// from wherever it is kept (another volume) and hands it to this service
// alone, in a private in-memory directory.
func defaultMasterKeyFile() string {
	if v := os.Getenv("AURA_MASTER_KEY_FILE"); v != "" {
		return v
	}
	if dir := os.Getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		if p := filepath.Join(dir, "master.key"); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func (e *env) platformPath() string { return filepath.Join(e.dataDir, "platform.db") }
func (e *env) tenantsDir() string   { return filepath.Join(e.dataDir, "tenants") }

// loadMasterKey reads the master key, refusing one kept inside the data dir.
func (e *env) loadMasterKey() (*keys.MasterKey, error) {
	return keys.LoadMasterKey(e.masterKeyFile, e.dataDir)
}

// loadSigningKey reads the audit signing key; when create is set and the file
// does not exist yet, it is generated beside the master key first.
func (e *env) loadSigningKey(create bool) (*keys.SigningKey, error) {
	path := e.signingKeyFile
	if path == "" {
		path = keys.DefaultSigningKeyPath(e.masterKeyFile)
	}
	if _, err := os.Stat(path); create && errors.Is(err, fs.ErrNotExist) {
		if err := keys.GenerateSigningKeyFile(path); err != nil {
			return nil, err
		}
		fmt.Fprintf(e.io.Err, "aura: created the audit signing key %s; keep it with the master key and back both up outside the data directory\n", path)
	}
	return keys.LoadSigningKey(path, e.dataDir)
}

// open loads the keys, opens the platform DB (checking the master key before
// anything is written), and builds the tenant router and control service.
func (e *env) open(ctx context.Context, createSigningKey bool) error {
	master, err := e.loadMasterKey()
	if err != nil {
		return err
	}
	signer, err := e.loadSigningKey(createSigningKey)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(e.tenantsDir(), 0o700); err != nil {
		return fmt.Errorf("create the data directory: %w", err)
	}
	if e.platform, err = platform.Open(ctx, e.platformPath(), master); err != nil {
		return err
	}
	if e.replicator != nil {
		// The platform replica's key comes from the master key, so its
		// prefix names the master key: after a rotation, replication
		// starts afresh under the new key and older backups stay readable
		// with the old one.
		if err := e.replicator.Register(ctx, e.platformPath(), "platform/"+master.ID(), master.DerivedKey("platform-replica")); err != nil {
			return err
		}
		e.platform.SQL().AfterCommit(e.replicator.Committed(e.platformPath()))
	}
	witnesses, err := e.witnesses()
	if err != nil {
		return err
	}
	if e.platformHead, err = e.platform.AuditHead(ctx); err != nil {
		return err
	}
	e.control = &control.Service{Platform: e.platform, Signer: signer, TenantsDir: e.tenantsDir(), Logger: e.logger,
		Replicator: e.replicator, Witnesses: witnesses}
	e.router = tenant.NewRouter(tenant.Config{
		Dir:         e.tenantsDir(),
		Directory:   control.Directory{Platform: e.platform},
		MaxOpen:     e.maxOpen,
		IdleTimeout: e.idleTimeout,
		Logger:      e.logger,
		OnOpen:      e.replicateTenant,
		OnClose: func(db *tenant.DB) {
			// Sign the head as the file closes, so every write is covered
			// by a checkpoint kept outside the file. A chain that does not
			// verify is not signed (and was logged and marked broken).
			if err := e.control.SignTenant(context.Background(), db); err != nil && !control.IsBroken(err) {
				e.logger.Warn("checkpoint on close failed", "tenant", db.Slug, "err", err)
			}
			if e.replicator != nil {
				// Ship the last changes before the file closes.
				if err := e.replicator.Unregister(context.Background(), db.Path); err != nil {
					e.logger.Warn("final replication sync failed", "tenant", db.Slug, "err", err)
				}
			}
		},
	})
	e.control.Router = e.router
	return nil
}

// replicateTenant registers a tenant file with replication as the router
// opens it, under its own prefix and with its own key (a file that cannot be
// replicated is not served), and signs its head, so that rows written
// into the file while it was closed are checked at once: a chain that does
// not verify is marked broken, and the tenant keeps serving.
func (e *env) replicateTenant(ctx context.Context, db *tenant.DB) error {
	if e.replicator != nil {
		t, err := e.platform.TenantByID(ctx, db.ID)
		if err != nil {
			return err
		}
		if err := e.replicator.Register(ctx, db.Path, e.control.ReplicaPrefix(t), db.DerivedKey("replica")); err != nil {
			return err
		}
		// Ship each commit within the replica's ShipEvery, off the
		// request path, instead of waiting for Litestream's timers.
		db.SQL().AfterCommit(e.replicator.Committed(db.Path))
	}
	if err := e.control.SignTenant(ctx, db); err != nil && !control.IsBroken(err) {
		e.logger.Warn("checkpoint on open failed", "tenant", db.Slug, "err", err)
	}
	return nil
}

// witnesses returns where the newest audit checkpoints are kept outside the
// data directory: the on-site replica destination (from the replication
// config, the local default without one), the default off-site target when
// there is one, and the --audit-witness file.
func (e *env) witnesses() ([]audit.Witness, error) {
	cfg, err := replica.LoadConfig(e.litestreamFile, e.dataDir)
	if err != nil {
		return nil, err
	}
	return e.witnessesFor(cfg)
}

// witnessesFor returns the witnesses of the replication config cfg (see
// witnesses).
func (e *env) witnessesFor(cfg replica.Config) ([]audit.Witness, error) {
	// The default off-site target first (out of reach of whoever can
	// write this server's disks: a break it finds is named after it),
	// then the on-site replica's directory.
	var ws []audit.Witness
	if off, ok := cfg.Targets[cfg.DefaultTarget]; ok {
		ws = append(ws, replica.NewWitness(off))
	}
	ws = append(ws, replica.NewWitness(cfg.Destination))
	if e.witnessFile != "" {
		abs, err := filepath.Abs(e.witnessFile)
		if err != nil {
			return nil, err
		}
		data, err := filepath.Abs(e.dataDir)
		if err != nil {
			return nil, err
		}
		if rel, err := filepath.Rel(data, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("the audit witness file %s lies inside the data directory %s; a witness must be out of reach of whoever can write the data files: put it on another disk", e.witnessFile, e.dataDir)
		}
		ws = append(ws, audit.NewFileWitness(abs))
	}
	return ws, nil
}

func (e *env) close() {
	if e.router != nil {
		e.router.Close()
	}
	if e.control != nil && e.platform != nil {
		// A command that wrote to the platform chain signs its new head
		// (after the router, whose closing signs tenants).
		if head, err := e.platform.AuditHead(context.Background()); err == nil && head.Seq != e.platformHead.Seq {
			if err := e.control.SignPlatform(context.Background()); err != nil && !control.IsBroken(err) {
				e.logger.Warn("signing the platform audit chain failed", "err", err)
			}
		}
	}
	if e.replicator != nil {
		// After the router: tenant files are unregistered as they close;
		// this ships the platform DB's last changes.
		if err := e.replicator.Close(context.Background()); err != nil {
			e.logger.Warn("final replication sync failed", "err", err)
		}
	}
	if e.platform != nil {
		e.platform.Close()
	}
}
