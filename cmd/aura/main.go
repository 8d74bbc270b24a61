// Command aura is the Aura property-management server and its operations
// tool: one binary that serves the web UI and API and manages tenants, keys,
// audit chains and backups. Run `aura help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/aurapms/aura"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// IO is the standard streams of one invocation.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, env *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve (--tls-domain D | --tls-cert F --tls-key F | --dev) [--addr ADDR] [--http-addr ADDR] [--base-url URL] [--smtp-addr H:P --smtp-from A] [--litestream FILE]\n\tserve the web UI and API (HTTPS; plain HTTP only with --dev on loopback), replicating every open database", cmdServe},
		{"keys", "keys generate FILE | keys rotate-master --new-key-file FILE\n\tcreate a master key, or re-wrap every tenant key under a new one", cmdKeys},
		{"tenant", "tenant create SLUG --name NAME [--owner-email E [--owner-password-stdin]] | list [--json] | suspend SLUG | resume SLUG | delete SLUG\n\tmanage tenants", cmdTenant},
		{"token", "token create SLUG --email E --name N [--scopes S,…] [--expires 90d|YYYY-MM-DD|never]\n\tcreate an API token for a tenant user (printed once)", cmdToken},
		{"staff", "staff create EMAIL --password-stdin | list | disable EMAIL | enable EMAIL\n\tmanage platform staff (two-factor authentication is mandatory)", cmdStaff},
		{"audit", "audit verify SLUG | audit verify --platform\n\tverify a tenant's (or the platform's) audit chain", cmdAudit},
		{"backup", "backup status [--json] | backup verify [SLUG…] [--sample N] [--json]\n\thow far each database's encrypted replica is, and the restore drill", cmdBackup},
		{"restore", "restore SLUG (--at RFC3339 | --latest) [--dry-run] [--yes] | restore --platform (--at RFC3339 | --latest) [--dry-run] [--yes]\n\trestore one tenant (or the platform DB) to a point in time from its encrypted replica", cmdRestore},
		{"doctor", "doctor [--tls-cert FILE] [--litestream FILE] [--skip CHECK,…]\n\tcheck keys, data directory, disk, clock, certificates, schema, audit chains, drills and replicas; exit 0 ok, 1 warnings, 2 failures", cmdDoctor},
		{"version", "version [--json]\n\tprint the version, commit, Go version, schema versions and replica format", cmdVersion},
		{"install-service", "install-service [--output FILE|-] [--user NAME] [--tls-domain D] [--litestream FILE] [--key-dir DIR] [--serve-flags \"…\"]\n\twrite the systemd unit (Type=notify, sandboxed, keys by LoadCredential=) for this binary", cmdInstallService},
		{"demo", "demo [--base-url URL]\n\tcreate the demo tenant, its owner and its demo property when they do not exist, and print how to sign in (used by `make run`)", cmdDemo},
	}
}

// Main runs the aura command with args (without the program name) and
// returns the process exit code: 0 on success, 1 on an error (printed as one
// line on stderr), 2 on a usage error.
//
// Every file and directory the command creates is private to its user
// (umask 077), so the data directory never holds a file others can read.
func Main(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int {
	restrictUmask()
	stdio := IO{In: in, Out: out, Err: errw}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		e := newEnv(stdio)
		err := c.run(ctx, e, args[1:])
		e.close()
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		}
		var exit exitError
		if errors.As(err, &exit) {
			fmt.Fprintln(errw, "aura:", exit.msg)
			return exit.code
		}
		fmt.Fprintln(errw, "aura:", message(err))
		return 1
	}
	fmt.Fprintf(errw, "aura: unknown command %q; run `aura help`\n", args[0])
	return 2
}

// message renders an error as one line for the terminal: the user-facing
// message of an aura.Error, the error text of anything else.
func message(err error) string {
	var e *aura.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: aura COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  aura %s\n", c.usage)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes --data DIR (env AURA_DATA, default ./data) and --master-key-file FILE")
	fmt.Fprintln(w, "(env AURA_MASTER_KEY_FILE); `aura COMMAND --help` shows a command's flags.")
}

// errUsage marks a usage error already explained on stderr.
var errUsage = errors.New("usage")

// exitError carries a specific exit code and message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
