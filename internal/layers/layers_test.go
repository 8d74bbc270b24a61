package layers

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// module is the import path of the module under test.
const module = "github.com/aurapms/aura"

// moduleGraph lists the module's packages and their module imports as
// `go list -deps -json` reports them, with extra go list flags.
// (go test puts its own go first on PATH.)
func moduleGraph(t *testing.T, flags ...string) []Package {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"list", "-e", "-deps", "-json"}, flags...)
	cmd := exec.Command("go", append(args, "./...")...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var graph []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel, ok := Relative(module, p.ImportPath)
		if !ok {
			continue
		}
		pkg := Package{Path: rel}
		for _, imp := range p.Imports {
			if r, ok := Relative(module, imp); ok {
				pkg.Imports = append(pkg.Imports, r)
			}
		}
		graph = append(graph, pkg)
	}
	if len(graph) < 10 {
		t.Fatalf("go list found only %d module packages", len(graph))
	}
	return graph
}

// TestLayerOrder checks the module's real import graph against Rules: no
// upward or sideways import, no forbidden one, and every package under
// tenant/ and server/ has a layer.
func TestLayerOrder(t *testing.T) {
	violations, unplaced := Check(moduleGraph(t), Rules)
	for _, v := range violations {
		t.Error(v)
	}
	for _, p := range unplaced {
		if strings.HasPrefix(p, "tenant") || strings.HasPrefix(p, "server") {
			t.Errorf("%s has no layer: add it to layers.Rules and docs/ARCHITECTURE.md", p)
		} else {
			t.Logf("%s has no layer yet (add it to layers.Rules)", p)
		}
	}
}

// TestUpwardImportFails shows the check catches what it is for: on a
// synthetic graph, and on the real module with a file added (through a go
// list overlay, nothing is written to the tree) that makes the lowest
// domain import the highest.
func TestUpwardImportFails(t *testing.T) {
	t.Run("synthetic", func(t *testing.T) {
		graph := []Package{
			{Path: "tenant", Imports: []string{"", "sqlite"}},
			{Path: "tenant/identity", Imports: []string{"tenant", "tenant/stays"}},     // upward
			{Path: "tenant/inventory", Imports: []string{"tenant", "tenant/payments"}}, // sideways
			{Path: "tenant/stays", Imports: []string{"tenant", "tenant/ledger"}},       // forbidden
			{Path: "tenant/frontdesk", Imports: []string{"tenant", "tenant/stays"}},    // fine
			{Path: "tenant/newthing", Imports: []string{"tenant"}},                     // unplaced
		}
		violations, unplaced := Check(graph, Rules)
		want := []string{
			"tenant/identity (layer 4) imports tenant/stays (layer 6): an upward import",
			"tenant/inventory imports tenant/payments of its own layer (5): a sideways import",
			"tenant/stays imports tenant/ledger, which its rule forbids",
		}
		if strings.Join(violations, "\n") != strings.Join(want, "\n") {
			t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(violations, "\n"), strings.Join(want, "\n"))
		}
		if len(unplaced) != 1 || unplaced[0] != "tenant/newthing" {
			t.Errorf("unplaced = %v, want [tenant/newthing]", unplaced)
		}
	})
	t.Run("real module with an upward import", func(t *testing.T) {
		dir := t.TempDir()
		bad := filepath.Join(dir, "upward.go")
		if err := os.WriteFile(bad, []byte("package identity\n\nimport _ \""+module+"/tenant/frontdesk\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		target, err := filepath.Abs("../../tenant/identity/zz_upward.go")
		if err != nil {
			t.Fatal(err)
		}
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {target: bad}})
		overlayFile := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
			t.Fatal(err)
		}
		violations, _ := Check(moduleGraph(t, "-overlay", overlayFile), Rules)
		want := "tenant/identity (layer 4) imports tenant/frontdesk (layer 7): an upward import"
		if len(violations) != 1 || violations[0] != want {
			t.Errorf("violations = %q, want exactly %q", violations, want)
		}
	})
}
