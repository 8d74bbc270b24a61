package pms

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/ledger"
)

// A partial credit note from the invoice page: the form names each invoice
// line's amount to credit ("credit_<line number>", gross, in the
// invoice's currency; empty credits nothing of that line). Each credited
// amount becomes an allowance on the folio and the invoice stays in
// force; the full credit note (no lines) cancels it instead.

// creditNoteLines reads the partial credit note form of doc.
func creditNoteLines(v url.Values, doc ledger.Document) ([]ledger.CreditLine, web.FormErrors) {
	var fe web.FormErrors
	var lines []ledger.CreditLine
	for _, l := range doc.Lines {
		name := "credit_" + strconv.Itoa(l.No)
		n, ok := fe.Amount(v, name, doc.Currency)
		if !ok || n == 0 {
			continue
		}
		if n > l.Gross {
			fe.Add(name, "must be at most the line's gross amount")
			continue
		}
		lines = append(lines, ledger.CreditLine{Line: l.No, Amount: n})
	}
	if len(lines) == 0 && len(fe) == 0 {
		fe.Add("lines", "name at least one line and the amount to credit")
	}
	return lines, fe
}

// creditNoteField maps the ledger's fields to the form's: the partial
// form's reason is partial_reason, its line amounts are reported at the
// lines.
func creditNoteField(mode string) func(string) string {
	return func(f string) string {
		switch {
		case mode != "partial":
			return f
		case f == "reason":
			return "partial_reason"
		case strings.HasPrefix(f, "lines"):
			return "lines"
		}
		return f
	}
}
