package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/server"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("serve", "serve [flags]")
	addr := fl.String("addr", "127.0.0.1:8080", "address to listen on")
	dev := fl.Bool("dev", false, "development mode: plain HTTP, loopback addresses only")
	litestream := fl.String("litestream", os.Getenv("AURA_LITESTREAM"), "replication config in Litestream's format (env AURA_LITESTREAM; default: a local replica in DATA-replica beside the data directory)")
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	if !*dev {
		return fmt.Errorf("serving without TLS needs --dev (TLS comes with --tls-domain or --tls-cert/--tls-key)")
	}
	if err := loopbackOnly(*addr); err != nil {
		return err
	}
	// Check the key before touching the data directory at all.
	master, err := e.loadMasterKey()
	if err != nil {
		return err
	}
	if err := platform.CheckMasterKey(ctx, e.platformPath(), master); err != nil {
		return err
	}
	lock, err := lockDataDir(e.dataDir)
	if err != nil {
		return fmt.Errorf("%v (%s)", err, e.dataDir)
	}
	defer lock.release()
	if err := e.startReplication(*litestream); err != nil {
		return err
	}
	if err := e.open(ctx, true); err != nil {
		return err
	}
	srv := server.New(server.Config{Platform: e.platform, Router: e.router, Control: e.control, Logger: e.logger, Dev: *dev})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go e.watchPlatform(ctx)
	go e.checkpointLoop(ctx, 5*time.Minute)
	go (&control.Scheduler{Service: e.control, Jobs: e.tenantJobs()}).Run(ctx)
	fmt.Fprintf(e.io.Out, "Aura is listening on http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.logger.Info("stopped")
	return nil
}

// loopbackOnly refuses a --dev address that is not a loopback address: plain
// HTTP must never face a network.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("bad --addr %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--dev serves plain HTTP and only on a loopback address (127.0.0.1 or ::1), not %q", addr)
	}
	return nil
}

// watchPlatform notices commits to the platform DB made by other processes
// (`aura tenant suspend` run beside the server) and closes tenants that are
// no longer active.
func (e *env) watchPlatform(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, _ := e.platform.DataVersion(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := e.platform.DataVersion(ctx)
		if err != nil || v == last {
			continue
		}
		last = v
		e.router.Revalidate(ctx)
	}
}

// checkpointLoop signs the audit head of every open tenant at each interval,
// so a truncation or rewrite is detectable even for tenants that stay open
// for days. Tenants are also checkpointed as their files close.
func (e *env) checkpointLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, slug := range e.router.OpenSlugs() {
			if err := e.control.Checkpoint(ctx, slug); err != nil {
				e.logger.Warn("checkpoint failed", "tenant", slug, "err", err)
			}
		}
	}
}

// startReplication reads the replication config (the local default without
// one) and starts the replicator that env.open wires to the platform DB and
// the tenant router.
func (e *env) startReplication(configFile string) error {
	cfg, err := replica.LoadConfig(configFile, e.dataDir)
	if err != nil {
		return err
	}
	cfg.Logger = e.logger
	if e.replicator, err = replica.New(cfg); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Replicating to %s (encrypted; snapshots every %s, kept %s)\n", cfg.Destination, cfg.SnapshotInterval, cfg.Retention)
	return nil
}
