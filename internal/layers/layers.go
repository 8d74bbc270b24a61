// Package layers states the layer order of Aura's packages and checks an
// import graph against it. Its test reads the module's real graph
// (`go list -deps -json ./...`) and fails on any import that goes up or
// sideways, so the order in docs/ARCHITECTURE.md stays true.
//
// A package may import only packages of a lower layer, and not those its
// rule names in Not. Packages of one layer never import each other.
package layers

import (
	"fmt"
	"sort"
	"strings"
)

// Rule places the packages at Path (relative to the module; "" is the
// module root) in a layer. Lower layers never import higher ones.
type Rule struct {
	Path  string
	Layer int
	// Not lists lower packages this one still may not import.
	Not []string
	// Planned marks a package that does not exist yet: its place is kept
	// so it lands without rework.
	Planned bool
	What    string
}

// pmsDomains are the PMS domains under tenant/: they post money through the
// hook in tenant/stays (stays.RegisterPoster) and never import the books.
var pmsDomains = []string{"tenant/identity", "tenant/inventory", "tenant/stays", "tenant/frontdesk"}

// books are the ledger side of a tenant file.
var books = []string{"tenant/ledger", "tenant/payments"}

// Rules is the layer order of the module, lowest first.
var Rules = []Rule{
	{Path: "", Layer: 0, What: "the shared vocabulary: the one Error type, Actor, RequestInfo, NewID"},
	{Path: "date", Layer: 0, What: "calendar dates of a stay"},
	{Path: "schema", Layer: 0, What: "embedded migrations"},
	{Path: "deploy", Layer: 0, What: "the systemd unit"},
	{Path: "internal/sdnotify", Layer: 0, What: "systemd notifications"},
	{Path: "internal/stripemock", Layer: 0, What: "stripe-mock for tests"},
	{Path: "metrics", Layer: 0, What: "Prometheus metrics"},
	{Path: "locale", Layer: 1, What: "dates, instants and money as a country writes them"},
	{Path: "keys", Layer: 1, What: "master key, data keys, purpose keys, AEAD, signing key"},
	{Path: "credential", Layer: 1, What: "passwords, token format, TOTP, recovery codes"},
	{Path: "audit", Layer: 1, What: "the tamper-evident chain and checkpoint logs"},
	{Path: "mailer", Layer: 2, What: "sending email over SMTP (plain text and HTML)"},
	{Path: "sqlite", Layer: 2, What: "opening a file, transactions, group commit"},
	{Path: "replica", Layer: 2, What: "encrypted Litestream replication"},
	{Path: "platform", Layer: 3, Not: []string{"tenant"}, What: "the platform DB"},
	{Path: "tenant", Layer: 3, Not: []string{"platform"}, What: "the file layer: Router, DB, Tx, sealing, subject keys, audit glue"},
	{Path: "tenant/identity", Layer: 4, Not: books, What: "users, sessions, tokens, two-factor, permissions, impersonation"},
	{Path: "tenant/ledger", Layer: 4, What: "the books: folios, lines, payments, invoices"},
	{Path: "tenant/inventory", Layer: 5, Not: books, What: "properties, room types, rooms, blocks, rates, restrictions, availability, offers"},
	{Path: "tenant/payments", Layer: 5, Not: pmsDomains, What: "Stripe, recording money through the ledger"},
	{Path: "tenant/owners", Layer: 6, Not: books, What: "owners of managed units (sealed like guests) and their management contracts"},
	{Path: "tenant/stays", Layer: 6, Not: books, What: "bookings, reservations, guests, search, tape chart, check-in records, the posting hook"},
	{Path: "tenant/frontdesk", Layer: 7, Not: books, What: "front-desk and housekeeping boards, night audit, ID-photo retention"},
	{Path: "tenant/pmsledger", Layer: 7, Not: []string{"tenant/frontdesk", "tenant/payments"}, What: "posts the PMS's nights and fees to the ledger"},
	{Path: "tenant/channels", Layer: 7, Not: books, What: "channels: iCal calendars out (secret URLs) and in (feeds, channel blocks); the channel manager (revisions in, ARI out)"},
	{Path: "tenant/guestmail", Layer: 7, Not: books, What: "guest emails: per-property templates, the queue with retries, messages sealed under the guest's key"},
	{Path: "tenant/channelcards", Layer: 8, What: "attaches channel bookings' OTA virtual cards to their folios through payments"},
	{Path: "tenant/reports", Layer: 8, What: "the report engine and reports over stored nights and posted folio lines"},
	{Path: "tenant/guestdata", Layer: 8, What: "guest-data rights: export and erasure across stays and books"},
	{Path: "demo", Layer: 9, What: "the demo hotel"},
	{Path: "control", Layer: 9, What: "operations spanning platform and tenant files"},
	{Path: "internal/auratest", Layer: 10, What: "the test environment"},
	{Path: "internal/pmstest", Layer: 11, What: "the PMS test fixture"},
	{Path: "server/web", Layer: 10, What: "the HTTP core: dispatcher, middleware, route type, rendering, errors"},
	{Path: "server/pms", Layer: 11, What: "PMS and money pages and API handlers"},
	{Path: "server", Layer: 12, What: "the one route table, auth, account, users, audit, platform, backup pages"},
	{Path: "cmd/aura", Layer: 13, What: "flags, environment, wiring, subcommands"},
	{Path: "internal/layers", Layer: 0, What: "this check"},
}

// Package is one node of an import graph: its path relative to the module
// and the module packages it imports.
type Package struct {
	Path    string
	Imports []string
}

// Check returns every import of graph that breaks rules, as sentences,
// and the packages no rule places.
func Check(graph []Package, rules []Rule) (violations, unplaced []string) {
	byPath := map[string]Rule{}
	for _, r := range rules {
		byPath[r.Path] = r
	}
	name := func(p string) string {
		if p == "" {
			return "the module root"
		}
		return p
	}
	for _, p := range graph {
		r, ok := byPath[p.Path]
		if !ok {
			unplaced = append(unplaced, name(p.Path))
			continue
		}
		for _, imp := range p.Imports {
			ir, ok := byPath[imp]
			if !ok {
				continue // reported as unplaced when the graph holds it
			}
			switch {
			case ir.Layer > r.Layer:
				violations = append(violations, fmt.Sprintf("%s (layer %d) imports %s (layer %d): an upward import", name(p.Path), r.Layer, name(imp), ir.Layer))
			case ir.Layer == r.Layer:
				violations = append(violations, fmt.Sprintf("%s imports %s of its own layer (%d): a sideways import", name(p.Path), name(imp), r.Layer))
			case contains(r.Not, imp):
				violations = append(violations, fmt.Sprintf("%s imports %s, which its rule forbids", name(p.Path), name(imp)))
			}
		}
	}
	sort.Strings(violations)
	sort.Strings(unplaced)
	return violations, unplaced
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Relative returns an import path relative to module ("" for the module
// itself) and whether it lies in the module.
func Relative(module, importPath string) (string, bool) {
	if importPath == module {
		return "", true
	}
	rest, ok := strings.CutPrefix(importPath, module+"/")
	return rest, ok
}
