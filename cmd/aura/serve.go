package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/internal/sdnotify"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/metrics"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/schema"
	"github.com/aurapms/aura/server"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/sqlite"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// serveFlags are the flags of `aura serve`.
type serveFlags struct {
	addr, httpAddr        string
	dev                   bool
	tlsDomain             string
	tlsCert, tlsKey       string
	acmeEmail, acmeDir    string
	acmeCAFile            string
	baseURL               string
	smtpAddr, smtpFrom    string
	smtpUser              string
	sessionIdle, sessionX time.Duration
	shutdownTimeout       time.Duration
	metricsAddr           string
	metricsChosen         bool // --metrics-addr or AURA_METRICS_ADDR was given
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("serve", "serve [flags]")
	var f serveFlags
	fl.StringVar(&f.addr, "addr", "", "address to listen on (default 127.0.0.1:8080 with --dev, :443 with TLS)")
	fl.StringVar(&f.httpAddr, "http-addr", "", "plain-HTTP address that redirects to HTTPS and answers ACME challenges (default :80 with TLS; \"off\" for none)")
	fl.BoolVar(&f.dev, "dev", false, "development mode: plain HTTP, loopback addresses only, cookies without Secure")
	fl.StringVar(&f.tlsDomain, "tls-domain", "", "obtain and renew certificates by ACME for these domains (comma-separated); the cache lives in DATA/acme")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate chain file (with --tls-key); re-read when it changes")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file (with --tls-cert)")
	fl.StringVar(&f.acmeEmail, "acme-email", os.Getenv("AURA_ACME_EMAIL"), "contact email given to the ACME certificate authority (env AURA_ACME_EMAIL)")
	fl.StringVar(&f.acmeDir, "acme-directory", autocert.DefaultACMEDirectory, "ACME directory URL (change it only for a staging or test CA)")
	fl.StringVar(&f.acmeCAFile, "acme-ca-file", "", "PEM roots to trust when talking to the ACME directory (for a test CA)")
	fl.StringVar(&f.baseURL, "base-url", os.Getenv("AURA_BASE_URL"), "the address users reach Aura at, for links in emails (env AURA_BASE_URL; default from --tls-domain or --addr)")
	fl.StringVar(&f.smtpAddr, "smtp-addr", os.Getenv("AURA_SMTP_ADDR"), "SMTP server host:port for invitations and guest emails (env AURA_SMTP_ADDR); without it the inviter is shown the link and guest emails stay queued")
	fl.StringVar(&f.smtpFrom, "smtp-from", os.Getenv("AURA_SMTP_FROM"), "sender address of emails (env AURA_SMTP_FROM)")
	fl.StringVar(&f.smtpUser, "smtp-user", os.Getenv("AURA_SMTP_USER"), "SMTP user (env AURA_SMTP_USER); the password is read from AURA_SMTP_PASSWORD")
	fl.DurationVar(&f.sessionIdle, "session-idle", time.Hour, "sign a user out after this long without a request")
	fl.DurationVar(&f.sessionX, "session-max", 12*time.Hour, "sign a user out this long after sign-in, whatever they do")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, wait this long for requests in flight before closing connections (the files then close: transactions finish, checkpoints are signed, the last changes are replicated)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", envOr("AURA_METRICS_ADDR", defaultMetricsAddr), "private address of /metrics (Prometheus) and /debug/pprof/, never the public port (env AURA_METRICS_ADDR; \"off\" for none)")
	litestream := fl.String("litestream", os.Getenv("AURA_LITESTREAM"), "replication config in Litestream's format, applied again on SIGHUP when it changed (env AURA_LITESTREAM; default: a local replica in DATA-replica beside the data directory)")
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	useACME, useCert := f.tlsDomain != "", f.tlsCert != "" || f.tlsKey != ""
	switch {
	case f.dev && (useACME || useCert):
		return fmt.Errorf("--dev serves plain HTTP; leave out --tls-domain, --tls-cert and --tls-key")
	case useACME && useCert:
		return fmt.Errorf("use either --tls-domain (ACME) or --tls-cert/--tls-key, not both")
	case useCert && (f.tlsCert == "" || f.tlsKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together")
	case !f.dev && !useACME && !useCert:
		return fmt.Errorf("serving needs TLS: give --tls-domain DOMAIN (certificates by ACME) or --tls-cert/--tls-key; plain HTTP only with --dev on loopback")
	}
	if f.addr == "" {
		f.addr = ":443"
		if f.dev {
			f.addr = "127.0.0.1:8080"
		}
	}
	if f.httpAddr == "" && !f.dev {
		f.httpAddr = ":80"
	}
	if f.dev {
		if err := loopbackOnly(f.addr); err != nil {
			return err
		}
	}
	fl.Visit(func(fl *flag.Flag) { f.metricsChosen = f.metricsChosen || fl.Name == "metrics-addr" })
	f.metricsChosen = f.metricsChosen || os.Getenv("AURA_METRICS_ADDR") != ""
	if err := checkMetricsAddr(f.metricsAddr, f.addr); err != nil {
		return err
	}
	if f.shutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout must be positive")
	}
	if f.sessionIdle <= 0 || f.sessionX <= 0 {
		return fmt.Errorf("--session-idle and --session-max must be positive")
	}
	mail := web.MailConfig{Addr: f.smtpAddr, From: f.smtpFrom, User: f.smtpUser, Password: os.Getenv("AURA_SMTP_PASSWORD")}
	if err := mail.Validate(); err != nil {
		return err
	}
	e.mail = mailer.SMTP{Addr: mail.Addr, From: mail.From, User: mail.User, Password: mail.Password}
	started := time.Now()
	// Check the key before touching the data directory at all.
	master, err := e.loadMasterKey()
	if err != nil {
		return err
	}
	if err := platform.CheckMasterKey(ctx, e.platformPath(), master); err != nil {
		return err
	}
	if err := checkDataDirMode(e.dataDir); err != nil {
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
	met := metrics.New(e.metricsSnapshot)
	sqlite.ObserveCommits(met.Commit)
	defer sqlite.ObserveCommits(nil)
	srv, err := server.New(web.Config{Platform: e.platform, Router: e.router, Control: e.control, Logger: e.logger, Dev: f.dev,
		BaseURL: f.baseURLOrDefault(), Mail: mail, Sessions: sessionPolicy(f.sessionIdle, f.sessionX), AfterPurge: e.checkpointFile,
		Observer: met, Ready: e.ready(master)})
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	var acmeManager *autocert.Manager
	var certs *keyPairLoader
	switch {
	case useACME:
		if acmeManager, err = f.autocertManager(e.dataDir); err != nil {
			return err
		}
		tlsCfg = acmeManager.TLSConfig()
	case useCert:
		if certs, err = newKeyPairLoader(f.tlsCert, f.tlsKey); err != nil {
			return err
		}
		tlsCfg = &tls.Config{GetCertificate: certs.get}
	}
	var tickets *ticketKeys
	if tlsCfg != nil {
		hardenTLS(tlsCfg)
		tickets = newTicketKeys(tlsCfg)
	}

	// SIGHUP is caught from before the listener is announced: one sent
	// as soon as the server is up reloads rather than ends it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// Every listener is bound before anything starts in the background:
	// a port that cannot be had ends the command with nothing left running.
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	var hln, mln net.Listener
	closeListeners := func() {
		for _, l := range []net.Listener{ln, hln, mln} {
			if l != nil {
				l.Close()
			}
		}
	}
	if tlsCfg != nil && f.httpAddr != "off" {
		if hln, err = net.Listen("tcp", f.httpAddr); err != nil {
			closeListeners()
			return err
		}
	}
	if f.metricsAddr != "off" {
		mln, err = e.metricsListener(f.metricsAddr, ln.Addr().String())
		switch {
		case err != nil && !f.metricsChosen && errors.Is(err, syscall.EADDRINUSE):
			// Another server on this machine has the default port: serve
			// without metrics rather than not at all. A port given
			// explicitly must be had.
			e.logger.Warn("metrics listener not started: the default address is in use; give each server its own --metrics-addr", "addr", f.metricsAddr)
			mln = nil
		case err != nil:
			mln = nil
			closeListeners()
			return err
		}
	}
	// Plain HTTP redirects to the port HTTPS actually listens on, and
	// answers ACME http-01 challenges when certificates come by ACME.
	var httpHandler http.Handler = redirectToHTTPS(ln.Addr().String())
	if acmeManager != nil {
		httpHandler = acmeManager.HTTPHandler(httpHandler)
	}
	hs := newHTTPServer(srv)
	hs.ErrorLog = slog.NewLogLogger(e.logger.Handler(), slog.LevelWarn)
	hs.TLSConfig = tlsCfg
	type serving struct {
		srv *http.Server
		ln  net.Listener
	}
	servers := []serving{{hs, ln}}
	if tlsCfg != nil {
		// Serve on a TLS listener of tlsCfg itself (ServeTLS would clone
		// it, and the rotated ticket keys would never reach the clone).
		servers[0].ln = tls.NewListener(ln, tlsCfg)
	}
	if hln != nil {
		redirect := newHTTPServer(httpHandler)
		redirect.ErrorLog = hs.ErrorLog
		servers = append(servers, serving{redirect, hln})
	}
	if mln != nil {
		ms := newHTTPServer(met.Handler())
		ms.WriteTimeout = 0 // a CPU profile or trace streams for its ?seconds=
		ms.ErrorLog = hs.ErrorLog
		servers = append(servers, serving{ms, mln})
	}

	// Whatever runs in the background runs under bg and is waited for
	// before the command returns, on every path: Main closes the files
	// only once no job, sweep or server can still use them (or write to
	// the command's output).
	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	spawn := func(run func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run()
		}()
	}
	defer func() {
		stopBG()
		for _, s := range servers {
			s.srv.Close() // a no-op for a server already shut down
		}
		wg.Wait()
	}()
	errc := make(chan error, len(servers))
	// Sign the platform chain now: rows written into the platform DB
	// while no server ran are checked at once.
	if err := e.control.SignPlatform(ctx); err != nil && !control.IsBroken(err) {
		e.logger.Warn("platform checkpoint failed", "err", err)
	}
	spawn(func() { e.watchPlatform(bg) })
	spawn(func() { e.checkpointLoop(bg, 5*time.Minute) })
	spawn(func() { (&control.Scheduler{Service: e.control, Jobs: e.tenantJobs(), Observe: met.JobRun}).Run(bg) })
	if e.replicator != nil {
		spawn(func() { e.drillLoop(bg, 24*time.Hour) })
	}
	spawn(func() { srv.Run(bg, 30*time.Second) })
	if tickets != nil {
		spawn(func() { tickets.run(bg, ticketKeyRotation) })
	}
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
	}
	fmt.Fprintf(e.io.Out, "Aura is listening on %s://%s/\n", scheme, ln.Addr())
	if hln != nil {
		fmt.Fprintf(e.io.Out, "Plain HTTP on http://%s/ redirects to HTTPS.\n", hln.Addr())
	}
	if mln != nil {
		fmt.Fprintf(e.io.Out, "Metrics on http://%s/metrics (profiles under /debug/pprof/).\n", mln.Addr())
	}
	for _, s := range servers {
		spawn(func() {
			if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		})
	}
	// systemd (Type=notify) learns the server is up only now, with the
	// listeners accepting, and from then on expects the watchdog's pings.
	if _, err := sdnotify.Notify(sdnotify.Ready + "\nSTATUS=serving on " + ln.Addr().String()); err != nil {
		e.logger.Warn("systemd notification failed", "err", err)
	}
	e.logger.Info("aura serving", "version", version, "tenant_schema", schema.Latest(schema.Tenant), "platform_schema", schema.Latest(schema.Platform))
	e.removeUpgradeCopies(started)
	if every, ok := sdnotify.WatchdogInterval(); ok {
		spawn(func() { e.watchdog(bg, every/2) })
	}
	for done := false; !done; {
		select {
		case err := <-errc:
			return err
		case <-hup:
			e.reload(ctx, certs)
		case <-ctx.Done():
			done = true
		}
	}
	// Stopping: tell systemd, drain the requests in flight for at most
	// --shutdown-timeout, then return, and Main closes the files (each
	// tenant's checkpoint signed and its last changes replicated, then the
	// platform DB's).
	sdnotify.Notify(sdnotify.Stopping)
	start := time.Now()
	shutdown, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.logger.Warn("requests still running at the end of --shutdown-timeout were cut off", "timeout", f.shutdownTimeout, "err", err)
			s.srv.Close()
		}
	}
	e.logger.Info("stopped serving; closing the files", "drain", time.Since(start).Round(time.Millisecond))
	return nil
}

// defaultMetricsAddr is where /metrics listens unless told otherwise.
const defaultMetricsAddr = "127.0.0.1:9464"

// watchdog pings systemd's watchdog every interval while the platform DB
// answers, so a server that hangs is restarted (WatchdogSec in the unit).
func (e *env) watchdog(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		check, cancel := context.WithTimeout(ctx, every)
		_, err := e.platform.DataVersion(check)
		cancel()
		if err == nil {
			sdnotify.Notify(sdnotify.Watchdog)
		} else if ctx.Err() == nil {
			e.logger.Warn("watchdog ping withheld: the platform database does not answer", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reload answers SIGHUP (systemctl reload): the certificate files of
// --tls-cert/--tls-key are read again at once (ACME certificates renew by
// themselves), and a changed replication config is applied to every open
// database (reloadReplication).
func (e *env) reload(ctx context.Context, certs *keyPairLoader) {
	sdnotify.Notify(sdnotify.Reloading)
	defer sdnotify.Notify(sdnotify.Ready)
	if certs != nil {
		if err := certs.reload(); err != nil {
			e.logger.Error("SIGHUP: keeping the previous certificate", "err", err)
		} else {
			e.logger.Info("SIGHUP: certificate reloaded", "file", certs.certFile)
		}
	}
	if e.litestreamFile != "" && e.replicator != nil {
		e.reloadReplication(ctx)
	}
}

// reloadReplication applies a changed replication config (--litestream)
// while serving: the Replicator moves the platform DB and every open
// tenant file to it in turn (the last changes shipped under the old
// config first, nothing committed left out of the new replica: see
// replica.Replicator.Reconfigure), tenants opened later replicate under
// it, the audit witnesses follow the replica, and tenants whose replica
// prefix the new default target changes move as after `aura tenant
// set-region`. A config that cannot be used (unreadable, invalid, missing
// a target a tenant is set to, an unreachable on-site replica) changes
// nothing: replication goes on as before, and the error is logged.
func (e *env) reloadReplication(ctx context.Context) {
	b, err := os.ReadFile(e.litestreamFile)
	if err != nil {
		e.logger.Error("SIGHUP: the replication config cannot be read; replication goes on as before", "file", e.litestreamFile, "err", err)
		return
	}
	sum := sha256.Sum256(b)
	if sum == e.litestreamSum {
		return
	}
	refuse := func(err error) {
		e.logger.Error("SIGHUP: the replication config changed and cannot be used; replication goes on as before: fix the file and reload again", "file", e.litestreamFile, "err", err)
	}
	cfg, err := replica.LoadConfig(e.litestreamFile, e.dataDir)
	if err != nil {
		refuse(err)
		return
	}
	if err := e.checkTargets(ctx, cfg); err != nil {
		refuse(err)
		return
	}
	witnesses, err := e.witnessesFor(cfg)
	if err != nil {
		refuse(err)
		return
	}
	cfg.Logger = e.logger
	// Not cut short by a SIGTERM meanwhile: each file's move finishes
	// (the final sync under the old config is bounded by its
	// shutdown-sync-timeout).
	changed, err := e.replicator.Reconfigure(context.WithoutCancel(ctx), cfg)
	if !changed {
		if err != nil {
			refuse(err)
			return
		}
		e.litestreamSum = sum
		e.logger.Info("SIGHUP: the replication config was rewritten and replicates as before", "file", e.litestreamFile)
		return
	}
	e.litestreamSum = sum
	e.control.SetWitnesses(witnesses)
	if err != nil {
		e.logger.Error("SIGHUP: some databases could not move to the new replication config and replicate as before", "err", err)
	}
	e.logger.Info("SIGHUP: replication config applied", "file", e.litestreamFile, "on_site", cfg.Destination.String(), "off_site", cfg.OffSiteWhere(""))
	e.moveReplicas(ctx)
}

// checkTargets refuses a replication config without an off-site target
// some tenant is set to (`aura tenant set-region`): that tenant could not
// be opened under it.
func (e *env) checkTargets(ctx context.Context, cfg replica.Config) error {
	ts, err := e.platform.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if name := t.ReplicaTarget(); name != "" && t.Status != platform.StatusDeleted {
			if _, ok := cfg.Targets[name]; !ok {
				return fmt.Errorf("tenant %s replicates to the target %q, which the config no longer names (move the tenant first: aura tenant set-region %s --replica NAME)", t.Slug, name, t.Slug)
			}
		}
	}
	return nil
}

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// baseURLOrDefault returns --base-url, or one derived from the TLS domain
// or the listening address.
func (f serveFlags) baseURLOrDefault() string {
	switch {
	case f.baseURL != "":
		return f.baseURL
	case f.tlsDomain != "":
		return "https://" + strings.TrimSpace(strings.Split(f.tlsDomain, ",")[0]) + portSuffix(f.addr, "443")
	case f.dev:
		return "http://" + f.addr
	}
	return ""
}

func portSuffix(addr, def string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == def || port == "" || port == "0" {
		return ""
	}
	return ":" + port
}

// autocertManager configures ACME certificates for the --tls-domain names,
// cached in DATA/acme (mode 0700).
func (f serveFlags) autocertManager(dataDir string) (*autocert.Manager, error) {
	var domains []string
	for _, d := range strings.Split(f.tlsDomain, ",") {
		if d = strings.TrimSpace(d); d != "" {
			domains = append(domains, d)
		}
	}
	cache := filepath.Join(dataDir, "acme")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, err
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(cache),
		HostPolicy: hostPolicy(autocert.HostWhitelist(domains...)),
		Email:      f.acmeEmail,
	}
	if f.acmeDir != autocert.DefaultACMEDirectory || f.acmeCAFile != "" {
		client := &acme.Client{DirectoryURL: f.acmeDir}
		if f.acmeCAFile != "" {
			pem, err := os.ReadFile(f.acmeCAFile)
			if err != nil {
				return nil, fmt.Errorf("read --acme-ca-file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--acme-ca-file %s holds no PEM certificate", f.acmeCAFile)
			}
			client.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
		}
		m.Client = client
	}
	return m, nil
}

// hostPolicy applies policy to a host without its port: autocert checks
// the Host header of http-01 challenge requests as sent, which carries a
// port when plain HTTP is not on port 80.
func hostPolicy(policy autocert.HostPolicy) autocert.HostPolicy {
	return func(ctx context.Context, host string) error {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return policy(ctx, host)
	}
}

// redirectToHTTPS answers plain HTTP with a permanent redirect to the same
// host and path over HTTPS (on the TLS listener's port when it is not 443).
func redirectToHTTPS(tlsAddr string) http.Handler {
	suffix := portSuffix(tlsAddr, "443")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || strings.ContainsAny(host, "/\\@") {
			http.Error(w, "Use HTTPS.", http.StatusBadRequest)
			return
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		http.Redirect(w, r, "https://"+host+suffix+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// keyPairLoader serves a certificate from files and re-reads them when
// they change (a renewal by another tool), at most once a minute.
type keyPairLoader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	mod               time.Time
	checked           time.Time
}

func newKeyPairLoader(certFile, keyFile string) (*keyPairLoader, error) {
	l := &keyPairLoader{certFile: certFile, keyFile: keyFile}
	if err := l.load(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *keyPairLoader) load() error {
	c, err := tls.LoadX509KeyPair(l.certFile, l.keyFile)
	if err != nil {
		return fmt.Errorf("load --tls-cert %s / --tls-key %s: %w", l.certFile, l.keyFile, err)
	}
	fi, err := os.Stat(l.certFile)
	if err != nil {
		return err
	}
	l.cert, l.mod, l.checked = &c, fi.ModTime(), time.Now()
	return nil
}

// reload reads the files now, keeping the previous certificate when they
// do not load.
func (l *keyPairLoader) reload() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	cert, mod := l.cert, l.mod
	if err := l.load(); err != nil {
		l.cert, l.mod = cert, mod
		return err
	}
	return nil
}

func (l *keyPairLoader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.checked) > time.Minute {
		l.checked = time.Now()
		if fi, err := os.Stat(l.certFile); err == nil && !fi.ModTime().Equal(l.mod) {
			if err := l.load(); err != nil {
				fmt.Fprintln(os.Stderr, "aura: keeping the previous certificate:", err)
			}
		}
	}
	return l.cert, nil
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
		// A restore run from the command line waits for this server to
		// close the tenant's file.
		if err := e.control.ReleaseMaintained(ctx); err != nil {
			e.logger.Warn("release of a tenant under maintenance failed", "err", err)
		}
		v, err := e.platform.DataVersion(ctx)
		if err != nil || v == last {
			continue
		}
		last = v
		e.router.Revalidate(ctx)
		e.moveReplicas(ctx)
	}
}

// moveReplicas closes and reopens every open tenant whose replica target
// changed (`aura tenant set-region`): closing ships its last changes to
// the old target, reopening registers it at the new one, where Litestream
// starts with a full snapshot.
func (e *env) moveReplicas(ctx context.Context) {
	if e.replicator == nil {
		return
	}
	ts, err := e.platform.Tenants(ctx)
	if err != nil {
		return
	}
	bySlug := map[string]platform.Tenant{}
	for _, t := range ts {
		bySlug[t.Slug] = t
	}
	for _, slug := range e.router.OpenSlugs() {
		t, ok := bySlug[slug]
		if !ok {
			continue
		}
		have, want := e.replicator.RegisteredPrefix(e.router.Path(t.ID)), e.control.ReplicaPrefix(t)
		if have == "" || have == want {
			continue
		}
		e.logger.Info("tenant moves to another replica target", "tenant", slug, "from", have, "to", want)
		closed := e.router.Forget(slug)
		go func() {
			select {
			case <-closed:
			case <-ctx.Done():
				return
			}
			if db, err := e.router.Acquire(ctx, slug); err == nil {
				db.Release()
			} else {
				e.logger.Warn("reopening a tenant at its new replica target failed", "tenant", slug, "err", err)
			}
		}()
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
			if err := e.control.Checkpoint(ctx, slug); err != nil && !control.IsBroken(err) {
				e.logger.Warn("checkpoint failed", "tenant", slug, "err", err)
			}
		}
		if err := e.control.SignPlatform(ctx); err != nil && !control.IsBroken(err) {
			e.logger.Warn("platform checkpoint failed", "err", err)
		}
	}
}

// startReplication reads the replication config (the local default without
// one) and starts the replicator that env.open wires to the platform DB and
// the tenant router.
func (e *env) startReplication(configFile string) error {
	e.litestreamFile = configFile
	if configFile != "" {
		b, err := os.ReadFile(configFile)
		if err != nil {
			return fmt.Errorf("read the replication config: %w", err)
		}
		e.litestreamSum = sha256.Sum256(b)
	}
	cfg, err := replica.LoadConfig(configFile, e.dataDir)
	if err != nil {
		return err
	}
	cfg.Logger = e.logger
	if e.replicator, err = replica.New(cfg); err != nil {
		return err
	}
	fmt.Fprintf(e.io.Out, "Replicating on-site to %s (encrypted; snapshots every %s, kept %s)\n", cfg.Destination, duration(cfg.SnapshotInterval), duration(cfg.Retention))
	if len(cfg.Targets) > 0 {
		fmt.Fprintf(e.io.Out, "Replicating off-site to %s (kept %s)\n", cfg.OffSiteWhere(""), duration(cfg.OffSiteRetention))
	} else {
		e.logger.Warn("no off-site replica is configured: a lost server takes its backups with it (add an s3 replica to the replication config)")
	}
	return nil
}

// drillLoop runs the restore drill of every active tenant once a day (the
// first an hour after start, so a restart does not cost a drill), keeping
// each result for the /platform backups page and `aura backup status`, and
// then prunes the copies tenants left at targets they moved away from.
func (e *env) drillLoop(ctx context.Context, every time.Duration) {
	wait := time.Hour
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = every
		ts, err := e.platform.Tenants(ctx)
		if err != nil {
			continue
		}
		// The live chains are verified in full once a day too: the signer
		// checks only the rows since each chain's newest checkpoint.
		if res, err := e.control.VerifyPlatformAudit(ctx); err != nil {
			e.logger.Warn("platform audit verification could not run", "err", err)
		} else if !res.OK() {
			e.logger.Error("platform audit chain BROKEN", "first_bad_seq", res.Break.Seq, "reason", res.Break.Reason)
		}
		for _, t := range ts {
			if t.Status != platform.StatusActive || t.Maintenance != "" || ctx.Err() != nil {
				continue
			}
			if res, err := e.control.VerifyAudit(ctx, t.Slug); err != nil {
				e.logger.Warn("audit verification could not run", "tenant", t.Slug, "err", err)
			} else if !res.OK() {
				e.logger.Error("audit chain BROKEN", "tenant", t.Slug, "first_bad_seq", res.Break.Seq, "reason", res.Break.Reason)
			}
			d, err := e.control.Drill(ctx, t)
			switch {
			case err != nil:
				e.logger.Warn("restore drill could not run", "tenant", t.Slug, "err", err)
			case !d.OK:
				e.logger.Error("restore drill FAILED", "tenant", t.Slug, "integrity", d.Integrity, "chain", d.Chain, "detail", d.Detail)
			}
		}
		// Copies left at a target a tenant moved away from: trimmed by
		// retention, then pruned once it has run out and the new target
		// checked out.
		moves, err := e.control.PruneMovedReplicas(ctx, time.Now())
		if err != nil {
			e.logger.Warn("pruning of moved replicas could not run", "err", err)
		}
		for _, m := range moves {
			e.logger.Info("replica left at a previous target", "tenant", m.Slug, "target", m.From, "action", m.Action, "detail", m.Detail)
		}
	}
}
