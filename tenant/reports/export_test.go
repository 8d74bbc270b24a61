package reports_test

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/reports"
)

// TestExportFailsBeforeItsFirstByte: the accounting export of a period
// without lines is its header alone; when the query of its lines fails (a
// table it reads is gone), WriteExport returns the error having written
// nothing, not even the byte order mark, so the caller can still answer
// with an error instead of a file cut short.
func TestExportFailsBeforeItsFirstByte(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-12-30")
	p := reports.Period{PropertyID: f.Prop.ID, From: f.Day(0), To: f.Day(3)}
	recs := csvWritten(t, true, func(w io.Writer, bom bool) error { return reports.New(f.DB).WriteExport(f.Ctx, w, p, bom) })
	if len(recs) != 1 || !slices.Equal(recs[0], reports.ExportColumns) {
		t.Fatalf("export without lines: %q", recs)
	}

	if _, err := f.DB.SQL().Write.Exec(`DROP TABLE ledger_document_lines`); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	err := reports.New(f.DB).WriteExport(f.Ctx, &b, p, true)
	if err == nil || !strings.Contains(err.Error(), "ledger_document_lines") {
		t.Fatalf("export with its query failing: %v", err)
	}
	if b.Len() != 0 {
		t.Fatalf("the failed export wrote %q", b.String())
	}
}
