package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/schema"
)

// version and commit are set at build time (make build passes
// -ldflags "-X main.version=… -X main.commit=…"); a plain go build leaves
// "dev" and the VCS revision Go recorded, if any.
var (
	version = "dev"
	commit  = ""
)

// buildInfo is what `aura version` prints.
type buildInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	Go             string `json:"go"`
	TenantSchema   int    `json:"tenant_schema"`
	PlatformSchema int    `json:"platform_schema"`
	ReplicaFormat  int    `json:"replica_format"`
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Go: runtime.Version(),
		TenantSchema: schema.Latest(schema.Tenant), PlatformSchema: schema.Latest(schema.Platform), ReplicaFormat: replica.FormatVersion}
	if b.Commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					b.Commit = s.Value
				}
			}
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("version", "version [--json]")
	asJSON := fl.Bool("json", false, "print as JSON")
	if _, err := e.parse(fl, args, 0); err != nil {
		return err
	}
	b := currentBuild()
	if *asJSON {
		enc := json.NewEncoder(e.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	fmt.Fprintf(e.io.Out, "aura %s (commit %s, %s)\n", b.Version, b.Commit, b.Go)
	fmt.Fprintf(e.io.Out, "schema: tenant %d, platform %d; encrypted replica format %d\n", b.TenantSchema, b.PlatformSchema, b.ReplicaFormat)
	return nil
}

// removeUpgradeCopies deletes the copies Migrate wrote before migrating
// (FILE.pre-upgrade-vN) that are older than this server's start: the
// upgrade that made them has since run and stopped, and this start went
// well. Copies made by this run stay until the next one.
func (e *env) removeUpgradeCopies(started time.Time) {
	for _, dir := range []string{e.dataDir, e.tenantsDir()} {
		matches, _ := filepath.Glob(filepath.Join(dir, "*"+schema.BackupMarker+"*"))
		for _, m := range matches {
			fi, err := os.Stat(m)
			if err != nil || !fi.ModTime().Before(started) || strings.HasSuffix(m, "-journal") {
				continue
			}
			if err := os.Remove(m); err != nil {
				e.logger.Warn("could not remove a copy taken before an upgrade", "file", m, "err", err)
				continue
			}
			e.logger.Info("removed the copy taken before the last upgrade", "file", m)
		}
	}
}
