package pms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/stays"
)

// The money API (issue 13): folios, postings, payments, invoices and the
// ledger settings, each the twin of a page. Bodies are the ledger's own
// input types; the folio, payment or invoice of the path wins over one in
// the body, and a business or service date left out is the property's
// business date. Every action takes Idempotency-Key: a retry with the
// same body returns the first result (Idempotent-Replayed: true), the
// same key with another body is 422.

// MoneyRoutes are the rows of the money pages and API in the route table.
func (s Handlers) MoneyRoutes() []web.Route {
	none, res := web.Iso(), web.Iso("id", "res_aaaaaaaaaaaaaaaa")
	fol, pay, inv := web.Iso("id", "fol_aaaaaaaaaaaaaaaa"), web.Iso("id", "pay_aaaaaaaaaaaaaaaa"), web.Iso("id", "inv_aaaaaaaaaaaaaaaa")
	code := web.Iso("code", "DE-7")
	return []web.Route{
		// Pages.
		{Method: "GET", Path: "/:tenant/folios/:id", Access: web.Session, Perm: identity.PermFoliosRead, Isolation: fol, Page: "folio", Handle: s.folioPage},
		{Method: "POST", Path: "/:tenant/reservations/:id/folios", Access: web.Session, Perm: identity.PermFoliosWrite, Isolation: res, Page: "folio", Handle: s.folioOpen},
		{Method: "POST", Path: "/:tenant/folios/:id/charges", Access: web.Session, Perm: identity.PermFoliosWrite, Isolation: fol, Page: "folio", Handle: s.folioForm("charge")},
		{Method: "POST", Path: "/:tenant/folios/:id/products", Access: web.Session, Perm: identity.PermFoliosWrite, Isolation: fol, Page: "folio", Handle: s.folioForm("product")},
		{Method: "POST", Path: "/:tenant/folios/:id/allowances", Access: web.Session, Perm: identity.PermFoliosWrite, Isolation: fol, Page: "folio", Handle: s.folioForm("allowance")},
		{Method: "POST", Path: "/:tenant/folios/:id/transfers", Access: web.Session, Perm: identity.PermFoliosWrite, Isolation: fol, Page: "folio", Handle: s.folioForm("transfer")},
		{Method: "POST", Path: "/:tenant/folios/:id/payments", Access: web.Session, Perm: identity.PermPaymentsWrite, Isolation: fol, Page: "folio", Handle: s.folioForm("payment")},
		{Method: "POST", Path: "/:tenant/folios/:id/refunds", Access: web.Session, Perm: identity.PermPaymentsWrite, Isolation: fol, Page: "folio", Handle: s.folioForm("refund")},
		{Method: "POST", Path: "/:tenant/folios/:id/invoices", Access: web.Session, Perm: identity.PermInvoicesIssue, Isolation: fol, Page: "folio", Handle: s.folioForm("invoice")},
		{Method: "GET", Path: "/:tenant/invoices", Access: web.Session, Perm: identity.PermFoliosRead, Isolation: none, Page: "invoices", Handle: s.invoicesPage},
		{Method: "GET", Path: "/:tenant/invoices/:id", Access: web.Session, Perm: identity.PermFoliosRead, Isolation: inv, Page: "invoice", Handle: s.invoicePage},
		{Method: "GET", Path: "/:tenant/invoices/:id/pdf", Access: web.Session, Perm: identity.PermFoliosRead, Isolation: inv, Handle: s.invoiceFile("pdf")},
		{Method: "GET", Path: "/:tenant/invoices/:id/xml", Access: web.Session, Perm: identity.PermFoliosRead, Isolation: inv, Handle: s.invoiceFile("xml")},
		{Method: "POST", Path: "/:tenant/invoices/:id/credit-notes", Access: web.Session, Perm: identity.PermCreditNotes, Isolation: inv, Page: "invoice", Handle: s.creditNoteSubmit},
		{Method: "GET", Path: "/:tenant/cashier", Access: web.Session, Perm: identity.PermFoliosRead, Isolation: none, Page: "cashier", Handle: s.cashierPage},
		{Method: "GET", Path: "/:tenant/settings/ledger", Access: web.Session, Perm: identity.PermLedgerWrite, Isolation: none, Page: "ledger_settings", Handle: s.ledgerSettingsPage},
		{Method: "POST", Path: "/:tenant/settings/ledger", Access: web.Session, Perm: identity.PermLedgerWrite, Isolation: none, Page: "ledger_settings", Handle: s.ledgerSettingsSave},

		// API.
		{Method: "GET", Path: "/:tenant/api/v1/reservations/:id/folios", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: res, Handle: s.apiReservationFolios},
		{Method: "POST", Path: "/:tenant/api/v1/reservations/:id/folios", Access: web.Token, Perm: identity.PermFoliosWrite, Isolation: res, Handle: s.apiFolioOpen},
		{Method: "GET", Path: "/:tenant/api/v1/folios/:id", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: fol, Handle: s.apiFolio},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/charges", Access: web.Token, Perm: identity.PermFoliosWrite, Isolation: fol, Handle: s.apiFolioAction("charge")},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/products", Access: web.Token, Perm: identity.PermFoliosWrite, Isolation: fol, Handle: s.apiFolioAction("product")},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/allowances", Access: web.Token, Perm: identity.PermFoliosWrite, Isolation: fol, Handle: s.apiFolioAction("allowance")},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/transfers", Access: web.Token, Perm: identity.PermFoliosWrite, Isolation: fol, Handle: s.apiFolioAction("transfer")},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/payments", Access: web.Token, Perm: identity.PermPaymentsWrite, Isolation: fol, Handle: s.apiFolioAction("payment")},
		{Method: "POST", Path: "/:tenant/api/v1/payments/:id/refunds", Access: web.Token, Perm: identity.PermPaymentsWrite, Isolation: pay, Handle: s.apiRefund},
		{Method: "POST", Path: "/:tenant/api/v1/folios/:id/invoices", Access: web.Token, Perm: identity.PermInvoicesIssue, Isolation: fol, Handle: s.apiFolioAction("invoice")},
		{Method: "POST", Path: "/:tenant/api/v1/invoices/:id/credit-notes", Access: web.Token, Perm: identity.PermCreditNotes, Isolation: inv, Handle: s.apiCreditNote},
		{Method: "GET", Path: "/:tenant/api/v1/invoices", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: none, Handle: s.apiInvoices},
		{Method: "GET", Path: "/:tenant/api/v1/invoices/:id", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: inv, Handle: s.apiInvoice},
		{Method: "GET", Path: "/:tenant/api/v1/invoices/:id/pdf", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: inv, Handle: s.invoiceFile("pdf")},
		{Method: "GET", Path: "/:tenant/api/v1/invoices/:id/xml", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: inv, Handle: s.invoiceFile("xml")},
		{Method: "GET", Path: "/:tenant/api/v1/payments", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: none, Handle: s.apiPayments},
		{Method: "GET", Path: "/:tenant/api/v1/ledger", Access: web.Token, Perm: identity.PermFoliosRead, Isolation: none, Handle: s.apiLedger},
		{Method: "PUT", Path: "/:tenant/api/v1/ledger/settings", Access: web.Token, Perm: identity.PermLedgerWrite, Isolation: none, Handle: s.apiLedgerSettings},
		{Method: "PUT", Path: "/:tenant/api/v1/ledger/tax-codes/:code", Access: web.Token, Perm: identity.PermLedgerWrite, Isolation: code, Handle: s.apiLedgerSet("tax-code")},
		{Method: "PUT", Path: "/:tenant/api/v1/ledger/categories/:code", Access: web.Token, Perm: identity.PermLedgerWrite, Isolation: code, Handle: s.apiLedgerSet("category")},
		{Method: "PUT", Path: "/:tenant/api/v1/ledger/products/:code", Access: web.Token, Perm: identity.PermLedgerWrite, Isolation: code, Handle: s.apiLedgerSet("product")},
		{Method: "PUT", Path: "/:tenant/api/v1/ledger/city-tax", Access: web.Token, Perm: identity.PermLedgerWrite, Isolation: none, Handle: s.apiLedgerSet("city-tax")},
	}
}

// ensureLedger configures a property's ledger from its older tax settings
// when it is not configured yet (pmsledger.Ensure), so every money page
// and call works on a property set up before the ledger existed.
func ensureLedger(ctx context.Context, db *tenant.DB, p inventory.Property) error {
	var configured bool
	if err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		configured, err = ledger.New(db).Configured(tx, p.ID)
		return err
	}); err != nil || configured {
		return err
	}
	return db.Update(ctx, func(tx *tenant.Tx) error {
		_, err := pmsledger.Ensure(tx, db, p)
		return err
	})
}

// folioContext is a folio with its property and the property's business date.
type folioContext struct {
	folio ledger.Folio
	prop  inventory.Property
	today date.Date
}

func (s Handlers) folioContext(ctx context.Context, c *web.Call, folioID string) (folioContext, error) {
	v, err := ledger.New(c.DB).Folio(ctx, folioID)
	if err != nil {
		return folioContext{}, err
	}
	prop, err := inventory.New(c.DB).GetProperty(ctx, v.Folio.PropertyID)
	if err != nil {
		return folioContext{}, err
	}
	today, err := inventory.New(c.DB).PropertyToday(ctx, prop.ID)
	return folioContext{folio: v.Folio, prop: prop, today: today}, err
}

// idempotency reads the API's Idempotency-Key and the hash of the body.
func idempotency(r *http.Request, body []byte) (string, []byte) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return "", nil
	}
	sum := sha256.Sum256(body)
	return key, sum[:]
}

// formBody turns the input a folio form was read into (see folioFormInput
// and stripeFormInput) into what the API's core takes from a request: a
// decoder of it as the JSON body, and the form's idempotency_key with the
// hash of that body (no hash without a key).
func formBody(v url.Values, in any) (decode func(any) error, key string, hash []byte) {
	body, _ := json.Marshal(in)
	key, hash = idempotency(&http.Request{Header: http.Header{"Idempotency-Key": {v.Get("idempotency_key")}}}, body)
	return func(dst any) error { return json.Unmarshal(body, dst) }, key, hash
}

// answerIdempotent writes a created result, marking a replay, and turns a
// key reused for another body into 422.
func answerIdempotent(w http.ResponseWriter, v any, replayed bool, err error) error {
	if err != nil {
		if HasField(err, "idempotency_key") && aura.ErrorCode(err) == aura.EINVALID {
			return web.WithStatus(err, http.StatusUnprocessableEntity)
		}
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	return writeAPI(w, http.StatusCreated, v)
}

func orDay(d, def date.Date) date.Date {
	if d.IsZero() {
		return def
	}
	return d
}

// actionFields points at the fields of a ledger input that every folio
// action (and card action, see stripeAction) fills in the same way. Every
// input has an idempotency key and a request hash; FolioID, BusinessDate,
// ServiceDate and Ref are nil where the input lacks them.
type actionFields struct {
	FolioID        *string
	IdempotencyKey *string
	RequestHash    *[]byte
	BusinessDate   *date.Date // the issue date of an invoice
	ServiceDate    *date.Date
	Ref            *ledger.Ref
}

// fill applies the defaults every folio action shares: the folio of the
// path (over one in the body), the request's idempotency key and hash, the
// property's business date for a business date left out, that business
// date for a service date left out, and the folio's reference for a
// reference left out.
func (fc folioContext) fill(f actionFields, key string, hash []byte) {
	if f.FolioID != nil {
		*f.FolioID = fc.folio.ID
	}
	*f.IdempotencyKey, *f.RequestHash = key, hash
	if f.BusinessDate != nil {
		*f.BusinessDate = orDay(*f.BusinessDate, fc.today)
	}
	if f.ServiceDate != nil {
		*f.ServiceDate = orDay(*f.ServiceDate, *f.BusinessDate)
	}
	if f.Ref != nil && f.Ref.ID == "" && fc.folio.Ref.ID != "" {
		*f.Ref = fc.folio.Ref
	}
}

// folioAction runs one action on a folio with a decoded input: the shared
// core of the API and the pages, so both post the same way.
func (s Handlers) folioAction(ctx context.Context, c *web.Call, fc folioContext, action string, decode func(any) error, key string, hash []byte) (any, bool, error) {
	l := ledger.New(c.DB)
	id := fc.folio.ID
	switch action {
	case "charge":
		var in ledger.ChargeInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		fc.fill(actionFields{FolioID: &in.FolioID, IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash,
			BusinessDate: &in.BusinessDate, ServiceDate: &in.ServiceDate, Ref: &in.Ref}, key, hash)
		out, err := l.PostCharge(ctx, in)
		return out, out.Replayed, err
	case "product":
		var in ledger.ProductPosting
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		fc.fill(actionFields{FolioID: &in.FolioID, IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash,
			BusinessDate: &in.BusinessDate, ServiceDate: &in.ServiceDate, Ref: &in.Ref}, key, hash)
		out, err := l.PostProduct(ctx, in)
		return out, out.Replayed, err
	case "allowance":
		var in ledger.AllowanceInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		if err := lineOf(ctx, l, in.LineID, id); err != nil {
			return nil, false, err
		}
		fc.fill(actionFields{IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		out, err := l.PostAllowance(ctx, in)
		return out, out.Replayed, err
	case "transfer":
		var in ledger.TransferInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		if err := lineOf(ctx, l, in.LineID, id); err != nil {
			return nil, false, err
		}
		fc.fill(actionFields{IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		_, moved, err := l.TransferLine(ctx, in)
		return moved, moved.Replayed, err
	case "payment":
		var in ledger.PaymentInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		if in.Method == ledger.MethodStripe {
			return nil, false, aura.Invalid("Card payments through Stripe are taken with Stripe, not recorded by hand.",
				aura.FieldError{Field: "method", Message: "must be cash, card_terminal, bank_transfer or city_ledger"})
		}
		fc.fill(actionFields{FolioID: &in.FolioID, IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		out, err := l.RecordPayment(ctx, in)
		return out, out.Replayed, err
	case "refund":
		var in ledger.RefundInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		p, err := l.Payment(ctx, in.PaymentID)
		if err != nil || p.FolioID != id {
			return nil, false, aura.Invalid("The refund is not valid.", aura.FieldError{Field: "payment_id", Message: "is not a payment of this folio"})
		}
		fc.fill(actionFields{IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.BusinessDate}, key, hash)
		out, err := l.RecordRefund(ctx, in)
		return out, out.Replayed, err
	case "invoice":
		var in ledger.InvoiceInput
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		fc.fill(actionFields{FolioID: &in.FolioID, IdempotencyKey: &in.IdempotencyKey, RequestHash: &in.RequestHash, BusinessDate: &in.IssueDate}, key, hash)
		out, err := l.IssueInvoice(ctx, in)
		return out, out.Replayed, err
	}
	return nil, false, aura.Errorf(aura.ENOTFOUND, "No such folio action.")
}

// lineOf checks that a line belongs to the folio of the path.
func lineOf(ctx context.Context, l *ledger.Store, lineID, folioID string) error {
	v, err := l.Folio(ctx, folioID)
	if err != nil {
		return err
	}
	for _, ln := range v.Lines {
		if ln.ID == lineID {
			return nil
		}
	}
	return aura.Invalid("The line is not on this folio.", aura.FieldError{Field: "line_id", Message: "is not a line of this folio"})
}

func (s Handlers) apiFolioAction(action string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		ctx := r.Context()
		raw, err := readJSONRaw(r)
		if err != nil {
			return err
		}
		fc, err := s.folioContext(ctx, c, c.Params.ByName("id"))
		if err != nil {
			return err
		}
		key, hash := idempotency(r, raw)
		out, replayed, err := s.folioAction(ctx, c, fc, action, func(v any) error { return decodeRaw(raw, v) }, key, hash)
		return answerIdempotent(w, out, replayed, err)
	}
}

// apiFolioView is a folio with its lines, balance and payments and the
// invoices issued from it.
type apiFolioView struct {
	ledger.FolioView
	Invoices []ledger.Document `json:"invoices"`
}

func (s Handlers) folioView(ctx context.Context, c *web.Call, id string) (apiFolioView, error) {
	l := ledger.New(c.DB)
	v, err := l.Folio(ctx, id)
	if err != nil {
		return apiFolioView{}, err
	}
	docs, err := l.ListInvoices(ctx, ledger.DocumentFilter{PropertyID: v.Folio.PropertyID, FolioID: id, Limit: 200})
	if docs == nil {
		docs = []ledger.Document{}
	}
	return apiFolioView{FolioView: v, Invoices: docs}, err
}

func (s Handlers) apiFolio(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	v, err := s.folioView(r.Context(), c, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, v)
}

func (s Handlers) apiReservationFolios(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	res, err := stays.New(c.DB).GetReservation(ctx, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	fs, err := ledger.New(c.DB).Folios(ctx, ledger.Ref{Kind: ledger.RefReservation, ID: res.ID})
	if err != nil {
		return err
	}
	out := ApiData[apiFolioView]{Data: []apiFolioView{}}
	for _, f := range fs {
		v, err := s.folioView(ctx, c, f.ID)
		if err != nil {
			return err
		}
		out.Data = append(out.Data, v)
	}
	return writeAPI(w, http.StatusOK, out)
}

// FolioOpenInput opens a folio of a reservation: without a label its
// default guest folio (where the night audit posts), with one a further
// guest folio (say "Company": the company pays the room).
type FolioOpenInput struct {
	Label string `json:"label,omitempty"`
}

// openFolio opens a reservation's default folio, or another one when a
// label is given.
func (s Handlers) openFolio(ctx context.Context, c *web.Call, resID, label string) (ledger.Folio, error) {
	res, err := stays.New(c.DB).GetReservation(ctx, resID)
	if err != nil {
		return ledger.Folio{}, err
	}
	prop, err := inventory.New(c.DB).GetProperty(ctx, res.PropertyID)
	if err != nil {
		return ledger.Folio{}, err
	}
	if err := ensureLedger(ctx, c.DB, prop); err != nil {
		return ledger.Folio{}, err
	}
	l := ledger.New(c.DB)
	def, err := l.GuestFolio(ctx, prop.ID, res.ID)
	if err != nil || strings.TrimSpace(label) == "" {
		return def, err
	}
	return l.OpenFolio(ctx, ledger.FolioInput{PropertyID: prop.ID, Kind: ledger.FolioGuest, Ref: def.Ref, Label: strings.TrimSpace(label)})
}

func (s Handlers) apiFolioOpen(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in FolioOpenInput
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	f, err := s.openFolio(r.Context(), c, c.Params.ByName("id"), in.Label)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusCreated, f)
}

func (s Handlers) apiRefund(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	raw, err := readJSONRaw(r)
	if err != nil {
		return err
	}
	p, err := ledger.New(c.DB).Payment(ctx, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	fc, err := s.folioContext(ctx, c, p.FolioID)
	if err != nil {
		return err
	}
	key, hash := idempotency(r, raw)
	out, replayed, err := s.folioAction(ctx, c, fc, "refund", func(v any) error {
		if err := decodeRaw(raw, v); err != nil {
			return err
		}
		v.(*ledger.RefundInput).PaymentID = p.ID
		return nil
	}, key, hash)
	return answerIdempotent(w, out, replayed, err)
}

func (s Handlers) apiCreditNote(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	raw, err := readJSONRaw(r)
	if err != nil {
		return err
	}
	var in ledger.CreditNoteInput
	if err := decodeRaw(raw, &in); err != nil {
		return err
	}
	doc, err := s.issueCreditNote(ctx, c, c.Params.ByName("id"), in, r.Header.Get("Idempotency-Key"), raw)
	return answerIdempotent(w, doc, doc.Replayed, err)
}

// issueCreditNote issues a credit note of the invoice of the path, the
// issue and business dates defaulting to the property's business date.
func (s Handlers) issueCreditNote(ctx context.Context, c *web.Call, invoiceID string, in ledger.CreditNoteInput, key string, body []byte) (ledger.Document, error) {
	l := ledger.New(c.DB)
	inv, err := l.Document(ctx, invoiceID)
	if err != nil {
		return ledger.Document{}, err
	}
	today, err := inventory.New(c.DB).PropertyToday(ctx, inv.PropertyID)
	if err != nil {
		return ledger.Document{}, err
	}
	in.InvoiceID = inv.ID
	in.IssueDate = orDay(in.IssueDate, today)
	if len(in.Lines) > 0 {
		in.BusinessDate = orDay(in.BusinessDate, today)
	}
	if key != "" {
		sum := sha256.Sum256(body)
		in.IdempotencyKey, in.RequestHash = key, sum[:]
	}
	return l.IssueCreditNote(ctx, in)
}

func (s Handlers) apiInvoices(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, err := apiPropertyOf(r, c)
	if err != nil {
		return err
	}
	f, err := invoiceFilter(r.URL.Query(), prop.ID)
	if err != nil {
		return err
	}
	docs, err := ledger.New(c.DB).ListInvoices(r.Context(), f)
	if err != nil {
		return err
	}
	if docs == nil {
		docs = []ledger.Document{}
	}
	var next *string
	if len(docs) == f.Limit && f.Limit > 0 {
		n := docs[len(docs)-1].ID
		next = &n
	}
	return writeAPI(w, http.StatusOK, web.ApiList[ledger.Document]{Data: docs, NextCursor: next})
}

// invoiceFilter reads the invoices list's query: kind, status, number
// (the search), from, to, limit and cursor.
func invoiceFilter(q url.Values, propertyID string) (ledger.DocumentFilter, error) {
	f := ledger.DocumentFilter{PropertyID: propertyID, Kind: q.Get("kind"), Status: q.Get("status"),
		Number: strings.TrimSpace(q.Get("number")), Before: q.Get("cursor"), Limit: 50}
	var err error
	if f.From, err = web.QueryDate(q, "from", date.Date{}); err != nil {
		return f, err
	}
	if f.To, err = web.QueryDate(q, "to", date.Date{}); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		var fe web.FormErrors
		f.Limit = fe.Int(q, "limit", 50)
		if err := fe.Err("The limit is not valid."); err != nil {
			return f, err
		}
		if f.Limit < 1 || f.Limit > 200 {
			return f, aura.Invalid("The limit is not valid.", aura.FieldError{Field: "limit", Message: "must be 1 to 200"})
		}
	}
	return f, nil
}

func (s Handlers) apiInvoice(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	doc, err := ledger.New(c.DB).Document(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, doc)
}

// invoiceFile serves an issued document's PDF or EN 16931 XML as a download.
func (s Handlers) invoiceFile(kind string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		doc, err := ledger.New(c.DB).Document(r.Context(), c.Params.ByName("id"))
		if err != nil {
			return err
		}
		var b []byte
		ct := "application/pdf"
		if kind == "xml" {
			b, err = ledger.InvoiceXML(doc)
			ct = "application/xml"
		} else {
			b, err = ledger.InvoicePDF(doc)
		}
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="`+doc.Number+`.`+kind+`"`)
		w.Header().Set("Cache-Control", "private, no-store")
		_, err = w.Write(b)
		return err
	}
}

func (s Handlers) apiPayments(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, today, err := apiPropertyToday(r, c)
	if err != nil {
		return err
	}
	d, err := web.QueryDate(r.URL.Query(), "date", today)
	if err != nil {
		return err
	}
	ps, err := ledger.New(c.DB).Payments(r.Context(), ledger.PaymentFilter{PropertyID: prop.ID, BusinessDate: d})
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []ledger.Payment{}
	}
	return writeAPI(w, http.StatusOK, ApiData[ledger.Payment]{Data: ps})
}

// LedgerView is a property's ledger configuration as the API shows it.
type LedgerView struct {
	Settings ledger.Settings `json:"settings"`
	Config   *ledger.Config  `json:"config"`
}

func (s Handlers) apiLedger(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	prop, err := apiPropertyOf(r, c)
	if err != nil {
		return err
	}
	l := ledger.New(c.DB)
	st, err := l.Settings(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	cfg, err := l.Config(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	setETag(w, st.Version)
	return writeAPI(w, http.StatusOK, LedgerView{Settings: st, Config: cfg})
}

func (s Handlers) apiLedgerSettings(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in ledger.Settings
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	// A property the tenant does not have is a 400 on property_id
	// before anything is written.
	pid, err := bodyPropertyID(r, c, in.PropertyID)
	if err != nil {
		return err
	}
	in.PropertyID = pid
	st, err := s.configureLedger(r.Context(), c, in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, st, st.Version)
}

// configureLedger saves a property's ledger settings. A property whose
// ledger is not configured gets the configuration derived from its tax
// settings first (its tax codes, categories and city tax), which the
// settings then replace; its version is then 1.
func (s Handlers) configureLedger(ctx context.Context, c *web.Call, in ledger.Settings) (ledger.Settings, error) {
	prop, err := inventory.New(c.DB).GetProperty(ctx, in.PropertyID)
	if err != nil {
		return ledger.Settings{}, err
	}
	if err := ensureLedger(ctx, c.DB, prop); err != nil {
		return ledger.Settings{}, err
	}
	if in.Version == 0 {
		in.Version = 1
	}
	return ledger.New(c.DB).Configure(ctx, in)
}

// CityTaxInput replaces every dated version of a property's city tax.
type CityTaxInput struct {
	PropertyID string               `json:"property_id,omitempty"`
	Versions   []ledger.CityTaxRule `json:"versions"`
	Version    int                  `json:"version,omitempty"`
}

// CategoryInput sets an accounting category.
type CategoryInput struct {
	PropertyID string `json:"property_id,omitempty"`
	ledger.Category
	Version int `json:"version,omitempty"`
}

// TaxCodeInput sets a tax code with its dated rates.
type TaxCodeInput struct {
	PropertyID string `json:"property_id,omitempty"`
	ledger.TaxCode
}

// ProductInput sets a product of the catalogue.
type ProductInput struct {
	PropertyID string `json:"property_id,omitempty"`
	ledger.Product
}

func (s Handlers) apiLedgerSet(what string) web.Handler {
	return func(w http.ResponseWriter, r *http.Request, c *web.Call) error {
		ctx := r.Context()
		var pid string
		var in any
		switch what {
		case "tax-code":
			in = &TaxCodeInput{}
		case "category":
			in = &CategoryInput{}
		case "product":
			in = &ProductInput{}
		default:
			in = &CityTaxInput{}
		}
		if err := web.DecodeJSON(r, in); err != nil {
			return err
		}
		switch v := in.(type) {
		case *TaxCodeInput:
			pid = v.PropertyID
		case *CategoryInput:
			pid = v.PropertyID
		case *ProductInput:
			pid = v.PropertyID
		case *CityTaxInput:
			pid = v.PropertyID
		}
		// A property the tenant does not have is a 400 on property_id
		// before anything is written.
		pid, err := bodyPropertyID(r, c, pid)
		if err != nil {
			return err
		}
		prop, err := inventory.New(c.DB).GetProperty(ctx, pid)
		if err != nil {
			return err
		}
		if err := ensureLedger(ctx, c.DB, prop); err != nil {
			return err
		}
		l, code := ledger.New(c.DB), c.Params.ByName("code")
		var out any
		switch v := in.(type) {
		case *TaxCodeInput:
			v.Code = code
			out, err = l.SetTaxCode(ctx, pid, v.TaxCode)
		case *CategoryInput:
			v.Code = code
			out, err = l.SetCategory(ctx, pid, v.Category, v.Version)
		case *ProductInput:
			v.Code = code
			out, err = l.SetProduct(ctx, pid, v.Product)
		case *CityTaxInput:
			var vs []ledger.CityTaxRule
			vs, err = l.SetCityTax(ctx, pid, v.Versions, v.Version)
			out = ApiData[ledger.CityTaxRule]{Data: vs}
		}
		if err != nil {
			return err
		}
		return writeAPI(w, http.StatusOK, out)
	}
}

// readJSONRaw reads a JSON body as decodeJSON does (content type, size,
// one value), keeping its bytes for the request hash and a later decode.
func readJSONRaw(r *http.Request) ([]byte, error) {
	var raw json.RawMessage
	return web.DecodeJSONBody(r, &raw)
}

// decodeRaw decodes a body read by readJSONRaw into v, as strictly as
// decodeJSON (unknown fields refused, messages naming the problem).
func decodeRaw(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return web.JsonError(err, raw)
	}
	return nil
}

// MoneyAPIDocs documents the money API in the OpenAPI document.
var MoneyAPIDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/reservations/:id/folios": {Summary: "A reservation's folios with lines, balance, payments and invoices", Tag: "Money",
		Response: ApiData[apiFolioView]{}},
	"POST /:tenant/api/v1/reservations/:id/folios": {Summary: "Open a reservation's guest folio (no label) or a further folio (a label, e.g. Company)", Tag: "Money",
		Body: FolioOpenInput{}, BodyOptional: true, Response: ledger.Folio{}, Status: 201},
	"GET /:tenant/api/v1/folios/:id": {Summary: "A folio with its lines, balance, payments and invoices", Tag: "Money", Response: apiFolioView{}},
	"POST /:tenant/api/v1/folios/:id/charges": {Summary: "Post a charge (the folio's reservation by default; dates default to the business date)", Tag: "Money",
		Body: ledger.ChargeInput{}, Response: ledger.Line{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/folios/:id/products": {Summary: "Post a product of the catalogue", Tag: "Money",
		Body: ledger.ProductPosting{}, Response: ledger.Line{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/folios/:id/allowances": {Summary: "Reduce a charge of the folio (at most to zero)", Tag: "Money",
		Body: ledger.AllowanceInput{}, Response: ledger.Line{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/folios/:id/transfers": {Summary: "Move what remains of a charge to another folio (both sides recorded); answers the line arrived", Tag: "Money",
		Body: ledger.TransferInput{}, Response: ledger.Line{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/folios/:id/payments": {Summary: "Record a payment by hand (cash, card terminal, bank transfer, city ledger)", Tag: "Money",
		Body: ledger.PaymentInput{}, Response: ledger.Payment{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/payments/:id/refunds": {Summary: "Refund a payment, at most what is left of it", Tag: "Money",
		Body: ledger.RefundInput{}, Response: ledger.Payment{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/folios/:id/invoices": {Summary: "Issue an invoice of every posted line not yet invoiced (gapless number; never changed afterwards)", Tag: "Money",
		Body: ledger.InvoiceInput{}, Response: ledger.Document{}, Status: 201, Idempotency: true},
	"POST /:tenant/api/v1/invoices/:id/credit-notes": {Summary: "Correct an invoice with a credit note, in full or for chosen lines", Tag: "Money",
		Body: ledger.CreditNoteInput{}, Response: ledger.Document{}, Status: 201, Idempotency: true},
	"GET /:tenant/api/v1/invoices": {Summary: "Invoices and credit notes, newest first", Tag: "Money",
		Query: []web.QueryParam{web.QProperty, web.Q("kind", "string", "invoice or credit_note"), web.Q("status", "string", "open, partially_paid, paid or cancelled"),
			web.Q("number", "string", "The document number, or its start"), web.Q("from", "date", "Issued on or after"), web.Q("to", "date", "Issued on or before"), web.QLimit, web.QCursor},
		Response: web.ApiList[ledger.Document]{}},
	"GET /:tenant/api/v1/invoices/:id":     {Summary: "An issued invoice or credit note", Tag: "Money", Response: ledger.Document{}},
	"GET /:tenant/api/v1/invoices/:id/pdf": {Summary: "The document as PDF (A4)", Tag: "Money", ResponseMedia: []string{"application/pdf"}},
	"GET /:tenant/api/v1/invoices/:id/xml": {Summary: "The document as an EN 16931 CII e-invoice", Tag: "Money", ResponseMedia: []string{"application/xml"}},
	"GET /:tenant/api/v1/payments": {Summary: "The payments and refunds of a business date (the cashier's day)", Tag: "Money",
		Query: []web.QueryParam{web.QProperty, web.QDay}, Response: ApiData[ledger.Payment]{}},
	"GET /:tenant/api/v1/ledger": {Summary: "A property's ledger settings and tax configuration", Tag: "Money",
		Query: []web.QueryParam{web.QProperty}, Response: LedgerView{}},
	"PUT /:tenant/api/v1/ledger/settings": {Summary: "Set the ledger settings (legal data, numbering, pricing basis); the first call derives the configuration from the property's tax settings", Tag: "Money",
		Query: []web.QueryParam{web.QProperty}, Body: ledger.Settings{}, Response: ledger.Settings{}, IfMatch: true},
	"PUT /:tenant/api/v1/ledger/tax-codes/:code": {Summary: "Create or replace a tax code with its dated rates", Tag: "Money",
		Query: []web.QueryParam{web.QProperty}, Body: TaxCodeInput{}, Response: ledger.TaxCode{}},
	"PUT /:tenant/api/v1/ledger/categories/:code": {Summary: "Create or replace an accounting category", Tag: "Money",
		Query: []web.QueryParam{web.QProperty}, Body: CategoryInput{}, Response: ledger.Category{}},
	"PUT /:tenant/api/v1/ledger/products/:code": {Summary: "Create or replace a product of the catalogue", Tag: "Money",
		Query: []web.QueryParam{web.QProperty}, Body: ProductInput{}, Response: ledger.Product{}},
	"PUT /:tenant/api/v1/ledger/city-tax": {Summary: "Replace every dated version of the city tax", Tag: "Money",
		Query: []web.QueryParam{web.QProperty}, Body: CityTaxInput{}, Response: ApiData[ledger.CityTaxRule]{}},
}
