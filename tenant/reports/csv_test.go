package reports_test

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aurapms/aura/tenant/reports"
)

// csvWritten runs write with the byte order mark on or off, fails t
// unless the text starts with the mark exactly when it is on, and returns
// the text's records parsed back.
func csvWritten(t *testing.T, bom bool, write func(w io.Writer, bom bool) error) [][]string {
	t.Helper()
	var b strings.Builder
	if err := write(&b, bom); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if strings.HasPrefix(text, reports.BOM) != bom {
		t.Fatalf("byte order mark %v: the CSV starts %q", bom, text[:min(len(text), 8)])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, reports.BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// sameRecords fails t unless got holds want's records, in order.
func sameRecords(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("record %d: %q, want %q", i, got[i], want[i])
		}
	}
}
