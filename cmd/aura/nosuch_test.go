package main

import (
	"strings"
	"testing"
)

// Every command given a slug that names no tenant says which slug it did
// not find.
func TestNoSuchTenantNamesSlug(t *testing.T) {
	c := newCLI(t)
	c.mustRun("", "tenant", "create", "real")
	cfg := fastReplication(t)
	for _, args := range [][]string{
		{"tenant", "suspend", "nosuch"},
		{"tenant", "resume", "nosuch"},
		{"tenant", "delete", "nosuch"},
		{"token", "create", "nosuch", "--email", "owner@nosuch.example", "--name", "x"},
		{"audit", "verify", "nosuch"},
		{"restore", "nosuch", "--latest", "--yes", "--litestream", cfg},
		{"backup", "verify", "nosuch", "--litestream", cfg},
	} {
		code, out, errs := c.run("", args...)
		if code == 0 || !strings.Contains(errs+out, `"nosuch"`) {
			t.Errorf("aura %s: exit %d, output does not name the slug:\n%s%s", strings.Join(args, " "), code, out, errs)
		}
	}
}
