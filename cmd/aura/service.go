package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/aurapms/aura/deploy"
)

// unitFields are the values `aura install-service` fills into deploy.Unit.
type unitFields struct {
	User, Binary, DataDir, KeyDir string
	Litestream, EnvironmentFile   string
	// StateRoot is the directory the service may write: the data
	// directory's parent, which also holds the default local replica
	// (DATA-replica). StateDirectory is its name under /var/lib, where
	// systemd creates it owned by User (empty when it lies elsewhere).
	StateRoot, StateDirectory string
	ServeArgs                 []string
}

var unitUser = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

func cmdInstallService(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("install-service", "install-service [--output FILE|-] [--user NAME] [--binary PATH] [--key-dir DIR] [--tls-domain D] [--acme-email A] [--litestream FILE] [--serve-flags \"…\"]")
	var f unitFields
	output := fl.String("output", "/etc/systemd/system/aura.service", "where to write the unit (- for standard output)")
	fl.StringVar(&f.User, "user", "aura", "the dedicated system user the server runs as (create it with useradd --system --home-dir /var/lib/aura --shell /usr/sbin/nologin aura)")
	fl.StringVar(&f.Binary, "binary", "", "absolute path of the aura binary (default: this binary)")
	fl.StringVar(&f.KeyDir, "key-dir", "/etc/aura/keys", "root-only directory holding master.key and audit-signing.key, handed to the service by LoadCredential=")
	fl.StringVar(&f.EnvironmentFile, "environment-file", "/etc/aura/aura.env", "optional file of AURA_* settings (SMTP password and the like), read by systemd")
	tlsDomain := fl.String("tls-domain", "", "serve HTTPS for these domains with ACME certificates (passed to serve)")
	acmeEmail := fl.String("acme-email", "", "ACME contact email (passed to serve)")
	lite := fl.String("litestream", "", "replication config (AURA_LITESTREAM), e.g. /etc/aura/litestream.yml")
	extra := fl.String("serve-flags", "", "more flags for aura serve, separated by spaces (e.g. \"--base-url https://pms.example.com --metrics-addr 127.0.0.1:9464\")")
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	if e.dataDir == "data" && os.Getenv("AURA_DATA") == "" {
		e.dataDir = "/var/lib/aura/data" // the default ./data means nothing to a service
	}
	f.DataDir, f.Litestream = e.dataDir, *lite
	if f.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		if f.Binary, err = filepath.EvalSymlinks(exe); err != nil {
			return err
		}
	}
	if *tlsDomain != "" {
		f.ServeArgs = append(f.ServeArgs, "--tls-domain", *tlsDomain)
	}
	if *acmeEmail != "" {
		f.ServeArgs = append(f.ServeArgs, "--acme-email", *acmeEmail)
	}
	f.ServeArgs = append(f.ServeArgs, strings.Fields(*extra)...)
	unit, err := renderUnit(f)
	if err != nil {
		return err
	}
	if *output == "-" {
		_, err := e.io.Out.Write(unit)
		return err
	}
	if err := os.WriteFile(*output, unit, 0o644); err != nil {
		return fmt.Errorf("write the unit: %w (run as root, or use --output)", err)
	}
	fmt.Fprintf(e.io.Out, "Wrote %s. Next (as root):\n", *output)
	fmt.Fprintf(e.io.Out, "  useradd --system --home-dir /var/lib/aura --shell /usr/sbin/nologin %s   # once\n", f.User)
	fmt.Fprintf(e.io.Out, "  install -d -m 0700 %s && aura keys generate %s/master.key   # once, outside the data volume\n", f.KeyDir, f.KeyDir)
	fmt.Fprintln(e.io.Out, "  systemctl daemon-reload && systemctl enable --now aura")
	fmt.Fprintln(e.io.Out, "  systemctl status aura; journalctl -u aura -f")
	return nil
}

// renderUnit fills the unit template after checking every value: a
// newline or a space in a path would let a value add directives.
func renderUnit(f unitFields) ([]byte, error) {
	if !unitUser.MatchString(f.User) || f.User == "root" {
		return nil, fmt.Errorf("--user %q: give a dedicated system user (lowercase letters, digits, _ and -), not root", f.User)
	}
	for _, p := range []struct{ flag, path string }{{"--binary", f.Binary}, {"--data", f.DataDir}, {"--key-dir", f.KeyDir}, {"--litestream", f.Litestream}, {"--environment-file", f.EnvironmentFile}} {
		if p.path == "" && (p.flag == "--litestream" || p.flag == "--environment-file") {
			continue
		}
		if !filepath.IsAbs(p.path) || strings.ContainsAny(p.path, " \t\n\r\"'\\%$;") {
			return nil, fmt.Errorf("%s %q: give an absolute path without spaces, quotes or %%, $, ; or \\", p.flag, p.path)
		}
	}
	for _, a := range f.ServeArgs {
		if strings.ContainsAny(a, "\n\r\"'\\%$;") {
			return nil, fmt.Errorf("serve flag %q: no quotes, newlines or %%, $, ; or \\", a)
		}
	}
	f.DataDir = filepath.Clean(f.DataDir)
	f.StateRoot = filepath.Dir(f.DataDir)
	if rel, err := filepath.Rel("/var/lib", f.StateRoot); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		f.StateDirectory = rel
	}
	if f.StateRoot == "/" {
		return nil, fmt.Errorf("--data %s: put the data directory one level below a directory of its own (e.g. /var/lib/aura/data), which also holds the local replica", f.DataDir)
	}
	tmpl, err := template.New("aura.service").Parse(deploy.Unit)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
