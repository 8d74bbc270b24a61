package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// Folio kinds.
const (
	FolioGuest    = "guest"    // a reservation's: the guest's, or a second one (company pays the room)
	FolioBooking  = "booking"  // a booking's, across its reservations
	FolioExternal = "external" // not tied to a stay: a walk-in, the bar
	FolioHouse    = "house"    // the property's own
)

// Line kinds. Amounts of a line are never negative; the kind gives the sign
// in the balance.
const (
	LineCharge      = "charge"
	LineAllowance   = "allowance"    // reduces a charge, at most to zero
	LinePayment     = "payment"      // a succeeded payment
	LineRefund      = "refund"       // a succeeded refund
	LineTransferOut = "transfer_out" // a charge routed away to another folio
	LineTransferIn  = "transfer_in"  // the same charge arriving; it counts as a charge here
)

// Ref is an opaque reference to what a folio or a line belongs to in a
// higher layer: a kind and an id, e.g. {"reservation", "res_…"}.
type Ref struct {
	Kind string `json:"kind,omitempty"`
	ID   string `json:"id,omitempty"`
}

// RefReservation is the reference kind of a reservation; a guest folio
// refers to one.
const RefReservation = "reservation"

// RefBooking is the reference kind of a booking.
const RefBooking = "booking"

// Folio is an account of charges and payments of a property, in its
// currency. Default marks the folio postings to its reference land on
// when none is named.
type Folio struct {
	ID         string    `json:"id"`
	PropertyID string    `json:"property_id"`
	Kind       string    `json:"kind"`
	Ref        Ref       `json:"ref"`
	Label      string    `json:"label"`
	Default    bool      `json:"default"`
	Currency   string    `json:"currency"`
	CreatedAt  time.Time `json:"created_at"`
}

// Line is one immutable folio line. Its description (and reason) is stored
// plain and can never be changed or erased, so it is no place for a
// guest's name or other personal data: name the thing sold.
type Line struct {
	ID           string    `json:"id"`
	FolioID      string    `json:"folio_id"`
	Kind         string    `json:"kind"`
	ServiceDate  date.Date `json:"service_date"`
	BusinessDate date.Date `json:"business_date"`
	Description  string    `json:"description"`
	Quantity     int       `json:"quantity"`
	UnitPrice    int64     `json:"unit_price"`
	Amounts
	TaxCode     string     `json:"tax_code,omitempty"`
	TaxCategory string     `json:"tax_category,omitempty"`
	TaxRate     int        `json:"tax_rate"` // basis points, frozen
	Currency    string     `json:"currency"`
	Category    string     `json:"category,omitempty"`
	Account     string     `json:"account,omitempty"`
	Actor       aura.Actor `json:"actor"`
	Ref         Ref        `json:"ref"`
	Night       date.Date  `json:"night"`
	Item        string     `json:"item,omitempty"`
	Corrects    string     `json:"corrects,omitempty"`
	PaymentID   string     `json:"payment_id,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	// Replayed marks a line returned again for a repeated Idempotency-Key.
	Replayed bool `json:"replayed,omitempty"`
}

// Sign returns +1 for a line that adds to what is owed (charge, transfer
// in, refund) and −1 for one that reduces it (allowance, transfer out,
// payment).
func (l Line) Sign() int64 {
	switch l.Kind {
	case LineAllowance, LineTransferOut, LinePayment:
		return -1
	}
	return 1
}

// revenue reports whether a line belongs on an invoice (a charge, or what
// corrects one), as opposed to a payment or refund.
func (l Line) revenue() bool { return l.Kind != LinePayment && l.Kind != LineRefund }

// chargeable reports whether a line is a charge on its folio: allowances
// and transfers refer to such lines.
func (l Line) chargeable() bool { return l.Kind == LineCharge || l.Kind == LineTransferIn }

// Balance is what a folio's lines add up to, gross:
// Balance = Charges + TransfersIn − Allowances − TransfersOut − Payments + Refunds.
// A positive balance is owed by the guest, a negative one owed to them.
type Balance struct {
	Currency     string `json:"currency"`
	Charges      int64  `json:"charges"`
	TransfersIn  int64  `json:"transfers_in"`
	Allowances   int64  `json:"allowances"`
	TransfersOut int64  `json:"transfers_out"`
	Payments     int64  `json:"payments"`
	Refunds      int64  `json:"refunds"`
	Balance      int64  `json:"balance"`
}

func (b *Balance) add(l Line) {
	switch l.Kind {
	case LineCharge:
		b.Charges += l.Gross
	case LineTransferIn:
		b.TransfersIn += l.Gross
	case LineAllowance:
		b.Allowances += l.Gross
	case LineTransferOut:
		b.TransfersOut += l.Gross
	case LinePayment:
		b.Payments += l.Gross
	case LineRefund:
		b.Refunds += l.Gross
	}
	b.Balance += l.Sign() * l.Gross
}

// FolioView is a folio with its lines in posting order, its balance and
// its payments and refunds.
type FolioView struct {
	Folio
	Lines    []Line    `json:"lines"`
	Balance  Balance   `json:"balance"`
	Payments []Payment `json:"payments"`
}

// FolioInput opens a folio. A guest or booking folio needs a Ref (the
// reservation or booking); an external one may have one; a house folio
// has none (use HouseFolio for the property's default one).
type FolioInput struct {
	PropertyID string `json:"property_id"`
	Kind       string `json:"kind"`
	Ref        Ref    `json:"ref"`
	Label      string `json:"label"`
}

func (in FolioInput) validate() error {
	var fe fieldErrors
	if in.PropertyID == "" {
		fe.add("property_id", "is required")
	}
	switch in.Kind {
	case FolioGuest, FolioBooking:
		if in.Ref.Kind == "" || in.Ref.ID == "" {
			fe.add("ref", "is required for a %s folio (what it belongs to)", in.Kind)
		}
	case FolioExternal:
	case FolioHouse:
		if in.Ref != (Ref{}) {
			fe.add("ref", "a house folio belongs to the property itself")
		}
	default:
		fe.add("kind", "must be guest, booking, external or house")
	}
	validRef(&fe, "ref", in.Ref)
	// A label names the folio's role ("Company", "Extras", "Bar"); it is
	// stored plain, so it is no place for a guest's name.
	fe.text("label", in.Label, 0, 100)
	return fe.err("The folio is not valid.")
}

func validRef(fe *fieldErrors, field string, r Ref) {
	if (r.Kind == "") != (r.ID == "") {
		fe.add(field, "needs both a kind and an id, or neither")
	}
	if r.Kind != "" {
		fe.code(field+".kind", r.Kind)
	}
	if len(r.ID) > 64 {
		fe.add(field+".id", "must be at most 64 characters")
	}
}

// OpenFolio opens a further folio (for example a company folio beside a
// reservation's guest folio, or an external folio for a walk-in). The
// property's ledger must be configured (its currency is the folio's).
// Errors: EINVALID naming the fields, ENOTFOUND for an unconfigured ledger.
func (s *Store) OpenFolio(ctx context.Context, in FolioInput) (Folio, error) {
	if err := in.validate(); err != nil {
		return Folio{}, err
	}
	var f Folio
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		st, err := s.settings(tx, in.PropertyID)
		if err != nil {
			return err
		}
		f, err = s.createFolio(tx, st.Currency, in, false)
		return err
	})
	return f, err
}

func (s *Store) createFolio(tx *tenant.Tx, currency string, in FolioInput, isDefault bool) (Folio, error) {
	f := Folio{ID: aura.NewOrderedID(prefixFolio), PropertyID: in.PropertyID, Kind: in.Kind, Ref: in.Ref, Label: in.Label,
		Default: isDefault, Currency: currency, CreatedAt: tx.Now}
	if _, err := tx.Exec(`INSERT INTO ledger_folios (id, property_id, kind, ref_kind, ref_id, label, is_default, currency, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, f.PropertyID, f.Kind, f.Ref.Kind, f.Ref.ID, f.Label, f.Default, f.Currency,
		formatTime(tx.Now)); err != nil {
		return Folio{}, err
	}
	return f, tx.Audit(audit.Entry{Action: "folio.opened", EntityType: "folio", EntityID: f.ID, After: f})
}

// defaultFolio returns the default folio of (kind, ref) in a property,
// opening it when it does not exist yet.
func (s *Store) defaultFolio(tx *tenant.Tx, st Settings, kind string, ref Ref) (Folio, error) {
	f, err := scanFolio(tx.QueryRow(`SELECT `+folioColumns+` FROM ledger_folios
		WHERE property_id = ? AND kind = ? AND ref_kind = ? AND ref_id = ? AND is_default = 1`, st.PropertyID, kind, ref.Kind, ref.ID))
	if err == nil {
		return f, nil
	}
	if err != sql.ErrNoRows {
		return Folio{}, err
	}
	label := map[string]string{FolioGuest: "Guest", FolioBooking: "Booking", FolioHouse: "House"}[kind]
	return s.createFolio(tx, st.Currency, FolioInput{PropertyID: st.PropertyID, Kind: kind, Ref: ref, Label: label}, true)
}

// GuestFolio returns a reservation's default guest folio, opening it on
// first use: where PostNight posts when no folio is named. Errors:
// ENOTFOUND for an unconfigured ledger, EINVALID for an empty id.
func (s *Store) GuestFolio(ctx context.Context, propertyID, reservationID string) (Folio, error) {
	return s.defaultOf(ctx, propertyID, FolioGuest, Ref{Kind: RefReservation, ID: reservationID})
}

// HouseFolio returns the property's house folio, opening it on first use.
// Errors: ENOTFOUND for an unconfigured ledger.
func (s *Store) HouseFolio(ctx context.Context, propertyID string) (Folio, error) {
	return s.defaultOf(ctx, propertyID, FolioHouse, Ref{})
}

func (s *Store) defaultOf(ctx context.Context, propertyID, kind string, ref Ref) (Folio, error) {
	if kind != FolioHouse && ref.ID == "" {
		return Folio{}, aura.Invalid("The folio is not valid.", aura.FieldError{Field: "ref.id", Message: "is required"})
	}
	var f Folio
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		st, err := s.settings(tx, propertyID)
		if err != nil {
			return err
		}
		f, err = s.defaultFolio(tx, st, kind, ref)
		return err
	})
	return f, err
}

const folioColumns = `id, property_id, kind, ref_kind, ref_id, label, is_default, currency, created_at`

func scanFolio(r interface{ Scan(...any) error }) (Folio, error) {
	var f Folio
	var created string
	err := r.Scan(&f.ID, &f.PropertyID, &f.Kind, &f.Ref.Kind, &f.Ref.ID, &f.Label, &f.Default, &f.Currency, &created)
	f.CreatedAt = parseTime(created)
	return f, err
}

func (s *Store) folio(tx *tenant.Tx, id string) (Folio, error) {
	f, err := scanFolio(tx.QueryRow(`SELECT `+folioColumns+` FROM ledger_folios WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return Folio{}, notFound("folio", id)
	}
	return f, err
}

// Folios returns the folios that belong to a reference (a reservation's
// guest and company folios), oldest first.
func (s *Store) Folios(ctx context.Context, ref Ref) ([]Folio, error) {
	var out []Folio
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(`SELECT `+folioColumns+` FROM ledger_folios WHERE ref_kind = ? AND ref_id = ? ORDER BY created_at, rowid`, ref.Kind, ref.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f, err := scanFolio(rows)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		return rows.Err()
	})
	return out, err
}

// Folio returns a folio with its lines, balance and payments, or
// ENOTFOUND.
func (s *Store) Folio(ctx context.Context, id string) (FolioView, error) {
	var v FolioView
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		f, err := s.folio(tx, id)
		if err != nil {
			return err
		}
		v.Folio = f
		if v.Lines, err = s.lines(tx, id); err != nil {
			return err
		}
		v.Balance = Balance{Currency: f.Currency}
		for _, l := range v.Lines {
			v.Balance.add(l)
		}
		v.Payments, err = s.payments(tx, `WHERE folio_id = ? ORDER BY created_at, rowid`, id)
		return err
	})
	return v, err
}

// FolioBalance returns a folio's balance, or ENOTFOUND.
func (s *Store) FolioBalance(ctx context.Context, id string) (Balance, error) {
	var b Balance
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		b, err = s.balance(tx, id)
		return err
	})
	return b, err
}

func (s *Store) balance(tx *tenant.Tx, folioID string) (Balance, error) {
	f, err := s.folio(tx, folioID)
	if err != nil {
		return Balance{}, err
	}
	b := Balance{Currency: f.Currency}
	rows, err := tx.Query(`SELECT kind, sum(gross) FROM ledger_lines WHERE folio_id = ? GROUP BY kind`, folioID)
	if err != nil {
		return b, err
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.Kind, &l.Gross); err != nil {
			return b, err
		}
		b.add(l)
	}
	return b, rows.Err()
}

// Balances returns the summed balance of every folio of each reference id
// of one kind (for the front desk's departures list), keyed by id; ids
// without folios are absent.
func (s *Store) Balances(ctx context.Context, refKind string, ids []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		args := []any{refKind}
		for _, id := range ids {
			args = append(args, id)
		}
		rows, err := tx.Query(`SELECT f.ref_id, l.kind, sum(l.gross) FROM ledger_folios f JOIN ledger_lines l ON l.folio_id = f.id
			WHERE f.ref_kind = ? AND f.ref_id IN (`+placeholders(len(ids))+`) GROUP BY f.ref_id, l.kind`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var l Line
			if err := rows.Scan(&id, &l.Kind, &l.Gross); err != nil {
				return err
			}
			out[id] += l.Sign() * l.Gross
		}
		return rows.Err()
	})
	return out, err
}

const lineColumns = `id, folio_id, kind, service_date, business_date, description, quantity, unit_price, net, tax, gross,
	tax_code, tax_category, tax_rate, currency, category, account, actor, ref_kind, ref_id, night, item, corrects, payment_id, reason, created_at`

func scanLine(r interface{ Scan(...any) error }) (Line, error) {
	var l Line
	var actor, night, created string
	var corrects, payment sql.NullString
	err := r.Scan(&l.ID, &l.FolioID, &l.Kind, &l.ServiceDate, &l.BusinessDate, &l.Description, &l.Quantity, &l.UnitPrice,
		&l.Net, &l.Tax, &l.Gross, &l.TaxCode, &l.TaxCategory, &l.TaxRate, &l.Currency, &l.Category, &l.Account, &actor,
		&l.Ref.Kind, &l.Ref.ID, &night, &l.Item, &corrects, &payment, &l.Reason, &created)
	if err != nil {
		return l, err
	}
	if night != "" {
		l.Night, err = date.Parse(night)
		if err != nil {
			return l, err
		}
	}
	l.Corrects, l.PaymentID = corrects.String, payment.String
	l.CreatedAt = parseTime(created)
	return l, json.Unmarshal([]byte(actor), &l.Actor)
}

func (s *Store) lines(tx *tenant.Tx, folioID string) ([]Line, error) {
	return tenant.QueryAll(tx, scanLine, `SELECT `+lineColumns+` FROM ledger_lines WHERE folio_id = ? ORDER BY rowid`, folioID)
}

func (s *Store) line(tx *tenant.Tx, id string) (Line, error) {
	l, err := scanLine(tx.QueryRow(`SELECT `+lineColumns+` FROM ledger_lines WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return Line{}, notFound("folio line", id)
	}
	return l, err
}

// insertLine writes a line, filling its id, actor and time.
func (s *Store) insertLine(tx *tenant.Tx, l *Line) error {
	l.ID = aura.NewOrderedID(prefixLine)
	l.Actor = aura.ActorFrom(tx.Context())
	l.CreatedAt = tx.Now
	night := ""
	if !l.Night.IsZero() {
		night = l.Night.String()
	}
	var corrects, payment any
	if l.Corrects != "" {
		corrects = l.Corrects
	}
	if l.PaymentID != "" {
		payment = l.PaymentID
	}
	_, err := tx.Exec(`INSERT INTO ledger_lines (`+lineColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.FolioID, l.Kind, l.ServiceDate, l.BusinessDate, l.Description, l.Quantity, l.UnitPrice, l.Net, l.Tax, l.Gross,
		l.TaxCode, l.TaxCategory, l.TaxRate, l.Currency, l.Category, l.Account, mustJSON(l.Actor), l.Ref.Kind, l.Ref.ID, night,
		l.Item, corrects, payment, l.Reason, formatTime(tx.Now))
	return err
}

// lineFromDraft makes a charge line on folio f from a computed draft.
func lineFromDraft(f Folio, d Draft, businessDate date.Date, ref Ref, night date.Date) Line {
	return Line{FolioID: f.ID, Kind: LineCharge, ServiceDate: d.ServiceDate, BusinessDate: businessDate, Description: d.Description,
		Quantity: d.Quantity, UnitPrice: d.UnitPrice, Amounts: d.Amounts, TaxCode: d.TaxCode, TaxCategory: d.TaxCategory,
		TaxRate: d.TaxRate, Currency: f.Currency, Category: d.Category, Account: d.Account, Ref: ref, Night: night, Item: d.Item}
}

// auditLine is what an audit row records of a posted line.
type auditLine struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Item        string    `json:"item,omitempty"`
	ServiceDate date.Date `json:"service_date"`
	Description string    `json:"description"`
	Amounts
	TaxCode  string `json:"tax_code,omitempty"`
	TaxRate  int    `json:"tax_rate"`
	Corrects string `json:"corrects,omitempty"`
}

func auditLines(ls []Line) []auditLine {
	out := make([]auditLine, len(ls))
	for i, l := range ls {
		out[i] = auditLine{ID: l.ID, Kind: l.Kind, Item: l.Item, ServiceDate: l.ServiceDate, Description: l.Description,
			Amounts: l.Amounts, TaxCode: l.TaxCode, TaxRate: l.TaxRate, Corrects: l.Corrects}
	}
	return out
}

// NightPosting is one reservation's night for PostNight: the reservation
// (an opaque id), the folio to post to (empty: the reservation's default
// guest folio, opened on first use) and the night with its frozen price,
// party, position in the stay and extras.
type NightPosting struct {
	Reservation string `json:"reservation"`
	FolioID     string `json:"folio_id,omitempty"`
	Night
}

// NightBatch is what the night audit posts for one business date of a
// property: every in-house reservation's night.
type NightBatch struct {
	PropertyID   string         `json:"property_id"`
	BusinessDate date.Date      `json:"business_date"`
	Nights       []NightPosting `json:"nights"`
}

// Skipped names an item of a night that was already posted.
type Skipped struct {
	Reservation string    `json:"reservation"`
	Night       date.Date `json:"night"`
	Item        string    `json:"item"`
}

// NightResult is what PostNight posted and what it found already posted.
type NightResult struct {
	Posted  []Line    `json:"posted"`
	Skipped []Skipped `json:"skipped,omitempty"`
}

// PostNight posts, in ONE transaction, every given reservation night of a
// business date: the room at its frozen price, its city tax and its
// extras, as computed by Config.NightLines, each line with its service
// date (the night) and the business date. It is idempotent per
// reservation, night and item: what is already posted is skipped and
// reported, so a night audit that runs again posts nothing twice. One
// audit row per reservation night lists its lines. Errors: EINVALID for a
// bad batch or a night the configuration cannot price (nothing is
// posted), ENOTFOUND for an unconfigured ledger or an unknown folio,
// ECONFLICT for a folio of another property.
func (s *Store) PostNight(ctx context.Context, in NightBatch) (NightResult, error) {
	var fe fieldErrors
	if in.BusinessDate.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
	if len(in.Nights) > 100_000 {
		fe.add("nights", "at most 100000 nights per batch")
	}
	for i, n := range in.Nights {
		p := "nights[" + itoa(i) + "]."
		if n.Reservation == "" || len(n.Reservation) > 64 {
			fe.add(p+"reservation", "is required (at most 64 characters)")
		}
		fe.text(p+"description", n.Description, 0, 200)
	}
	if err := fe.err("The night batch is not valid."); err != nil {
		return NightResult{}, err
	}
	var res NightResult
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		var err error
		res, err = s.PostNightTx(tx, in)
		return err
	})
	if err != nil {
		return NightResult{}, err
	}
	return res, nil
}

// PostNightTx is PostNight inside the caller's transaction: the night
// audit closes a business date and posts its nights in one transaction, so
// a date is closed with its charges or not at all. It does not validate
// the batch's shape (PostNight does); an error leaves the caller's
// transaction to be rolled back.
func (s *Store) PostNightTx(tx *tenant.Tx, in NightBatch) (NightResult, error) {
	var res NightResult
	cfg, err := s.config(tx, in.PropertyID)
	if err != nil {
		return res, err
	}
	st, err := s.settings(tx, in.PropertyID)
	if err != nil {
		return res, err
	}
	for i, n := range in.Nights {
		drafts, err := cfg.NightLines(n.Night)
		if err != nil {
			return res, aura.Invalid(aura.ErrorMessage(err), aura.FieldError{Field: "nights[" + itoa(i) + "]", Message: aura.ErrorMessage(err)})
		}
		ref := Ref{Kind: RefReservation, ID: n.Reservation}
		var f Folio
		if n.FolioID != "" {
			if f, err = s.folio(tx, n.FolioID); err != nil {
				return res, err
			}
			if f.PropertyID != in.PropertyID {
				return res, aura.Errorf(aura.ECONFLICT, "The folio %s belongs to another property.", f.ID)
			}
		} else if f, err = s.defaultFolio(tx, st, FolioGuest, ref); err != nil {
			return res, err
		}
		posted, err := s.postedItems(tx, ref, n.Date)
		if err != nil {
			return res, err
		}
		var lines []Line
		for _, d := range drafts {
			if posted[d.Item] {
				res.Skipped = append(res.Skipped, Skipped{Reservation: n.Reservation, Night: n.Date, Item: d.Item})
				continue
			}
			l := lineFromDraft(f, d, in.BusinessDate, ref, n.Date)
			if err := s.insertLine(tx, &l); err != nil {
				return res, err
			}
			lines = append(lines, l)
		}
		if len(lines) == 0 {
			continue
		}
		res.Posted = append(res.Posted, lines...)
		if err := tx.Audit(audit.Entry{Action: "folio.night_posted", EntityType: "folio", EntityID: f.ID, After: map[string]any{
			"reservation": n.Reservation, "night": n.Date, "business_date": in.BusinessDate, "lines": auditLines(lines),
		}}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// postedItems returns the items already posted for a reference's night.
func (s *Store) postedItems(tx *tenant.Tx, ref Ref, night date.Date) (map[string]bool, error) {
	rows, err := tx.Query(`SELECT item FROM ledger_lines INDEXED BY ledger_lines_night
		WHERE ref_kind = ? AND ref_id = ? AND night = ? AND item != '' AND kind = 'charge'`, ref.Kind, ref.ID, night.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var item string
		if err := rows.Scan(&item); err != nil {
			return nil, err
		}
		out[item] = true
	}
	return out, rows.Err()
}

// ChargeInput posts a charge by hand: a description, a quantity and a unit
// price on the property's pricing basis (gross or net), a tax code and an
// accounting category of the property, the service date and the business
// date, and optionally what it belongs to (a reservation, and a night).
type ChargeInput struct {
	FolioID      string    `json:"folio_id"`
	ServiceDate  date.Date `json:"service_date"`
	BusinessDate date.Date `json:"business_date"`
	Description  string    `json:"description"`
	Quantity     int       `json:"quantity"`
	UnitPrice    int64     `json:"unit_price"`
	TaxCode      string    `json:"tax_code"`
	Category     string    `json:"category"`
	Ref          Ref       `json:"ref"`
	Night        date.Date `json:"night"`
	Reason       string    `json:"reason,omitempty"`
	// IdempotencyKey (the API's Idempotency-Key) makes a retry return the
	// first result instead of posting again; RequestHash identifies the
	// request (a hash of the body; the input's JSON when empty).
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

func validPosting(fe *fieldErrors, folioID string, service, business date.Date) {
	if folioID == "" {
		fe.add("folio_id", "is required")
	}
	if service.IsZero() {
		fe.add("service_date", "is required (YYYY-MM-DD)")
	}
	if business.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
}

// PostCharge posts one charge computed by Config.Charge (per-line
// rounding, the tax code's rate on the service date frozen) and audits it.
// Errors: EINVALID naming the fields or an unknown tax code or category,
// ENOTFOUND for an unknown folio.
func (s *Store) PostCharge(ctx context.Context, in ChargeInput) (Line, error) {
	var fe fieldErrors
	validPosting(&fe, in.FolioID, in.ServiceDate, in.BusinessDate)
	fe.text("description", in.Description, 1, 200)
	fe.text("reason", in.Reason, 0, 200)
	validRef(&fe, "ref", in.Ref)
	if in.Quantity == 0 {
		in.Quantity = 1
	}
	if err := fe.err("The charge is not valid."); err != nil {
		return Line{}, err
	}
	return s.postLine(ctx, scopeCharge, in.IdempotencyKey, s.idemHash(in.IdempotencyKey, in.RequestHash, in), in.FolioID, func(f Folio, cfg *Config) (Line, error) {
		d, err := cfg.Charge(in.ServiceDate, in.Description, in.Quantity, in.UnitPrice, in.TaxCode, in.Category, cfg.PricesIncludeTax)
		if err != nil {
			return Line{}, err
		}
		l := lineFromDraft(f, d, in.BusinessDate, in.Ref, in.Night)
		l.Reason = in.Reason
		return l, nil
	})
}

// postLine posts one line by hand on a folio in one transaction, once per
// idempotency key of scope: a repeat with the same key and hash returns
// the first line, marked Replayed (another hash is refused by replayed).
// line makes the line from the folio and its configuration; it is
// inserted and audited ("folio.charge_posted").
func (s *Store) postLine(ctx context.Context, scope, key string, hash []byte, folioID string, line func(f Folio, cfg *Config) (Line, error)) (Line, error) {
	var l Line
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		if id, err := s.replayed(tx, scope, key, hash); err != nil || id != "" {
			if err == nil {
				l, err = s.line(tx, id)
				l.Replayed = true
			}
			return err
		}
		f, cfg, err := s.folioConfig(tx, folioID)
		if err != nil {
			return err
		}
		if l, err = line(f, cfg); err != nil {
			return err
		}
		if err := s.insertLine(tx, &l); err != nil {
			return err
		}
		if err := tx.Audit(audit.Entry{Action: "folio.charge_posted", EntityType: "folio", EntityID: f.ID, After: auditLines([]Line{l})[0]}); err != nil {
			return err
		}
		return s.remember(tx, scope, key, hash, l.ID)
	})
	return l, err
}

// ProductPosting posts a product from the catalogue by hand (the minibar,
// a late check-out): the quantity (default 1), times the party's persons
// for a per-person product.
type ProductPosting struct {
	FolioID      string    `json:"folio_id"`
	Product      string    `json:"product"`
	Quantity     int       `json:"quantity"`
	Party        Party     `json:"party"`
	ServiceDate  date.Date `json:"service_date"`
	BusinessDate date.Date `json:"business_date"`
	Ref          Ref       `json:"ref"`
	// IdempotencyKey (the API's Idempotency-Key) makes a retry return the
	// first result instead of posting again; RequestHash identifies the
	// request (a hash of the body; the input's JSON when empty).
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

// PostProduct posts a product from the property's catalogue at its current
// price, tax code and category (Config.ProductLine) and audits it.
// Errors: EINVALID naming the fields or an unknown or inactive product,
// ENOTFOUND for an unknown folio.
func (s *Store) PostProduct(ctx context.Context, in ProductPosting) (Line, error) {
	var fe fieldErrors
	validPosting(&fe, in.FolioID, in.ServiceDate, in.BusinessDate)
	fe.code("product", in.Product)
	validRef(&fe, "ref", in.Ref)
	if err := fe.err("The product posting is not valid."); err != nil {
		return Line{}, err
	}
	return s.postLine(ctx, scopeProduct, in.IdempotencyKey, s.idemHash(in.IdempotencyKey, in.RequestHash, in), in.FolioID, func(f Folio, cfg *Config) (Line, error) {
		d, err := cfg.ProductLine(in.Product, in.Quantity, in.ServiceDate, in.Party)
		if err != nil {
			return Line{}, err
		}
		l := lineFromDraft(f, d, in.BusinessDate, in.Ref, date.Date{})
		l.Item = "" // a product posted by hand may be posted again the same day
		return l, nil
	})
}

func (s *Store) folioConfig(tx *tenant.Tx, folioID string) (Folio, *Config, error) {
	f, err := s.folio(tx, folioID)
	if err != nil {
		return f, nil, err
	}
	cfg, err := s.config(tx, f.PropertyID)
	return f, cfg, err
}

// chargeState is what has happened to a chargeable line since it was posted.
type chargeState struct {
	line       Line
	allowed    Amounts // allowances on it so far
	movedBy    string  // the transfer_out that moved it away, if any
	documented string  // the number of a live document it is on, if any
}

func (c chargeState) remaining() Amounts { return c.line.Amounts.Sub(c.allowed) }

func (s *Store) chargeState(tx *tenant.Tx, lineID string) (chargeState, error) {
	l, err := s.line(tx, lineID)
	if err != nil {
		return chargeState{}, err
	}
	c := chargeState{line: l}
	rows, err := tx.Query(`SELECT id, kind, net, tax, gross FROM ledger_lines WHERE corrects = ?`, lineID)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, kind string
		var a Amounts
		if err := rows.Scan(&id, &kind, &a.Net, &a.Tax, &a.Gross); err != nil {
			return c, err
		}
		switch kind {
		case LineAllowance:
			c.allowed = c.allowed.Add(a)
		case LineTransferOut:
			c.movedBy = id
		}
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	c.documented, err = s.documentedBy(tx, lineID)
	return c, err
}

// documentedBy returns the number of the live document a folio line is on:
// an invoice not cancelled by a credit note, or a partial credit note of
// such an invoice ("" when none).
func (s *Store) documentedBy(tx *tenant.Tx, lineID string) (string, error) {
	var number string
	err := tx.QueryRow(`SELECT d.number FROM ledger_document_lines dl JOIN ledger_documents d ON d.id = dl.document_id
		WHERE dl.folio_line_id = ? AND NOT EXISTS (SELECT 1 FROM ledger_documents c WHERE c.corrects = coalesce(d.corrects, d.id) AND c.cancels = 1)
		LIMIT 1`, lineID).Scan(&number)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return number, err
}

// open refuses a change to a charge that has been moved away or invoiced.
func (c chargeState) open() error {
	if !c.line.chargeable() {
		return aura.Errorf(aura.ECONFLICT, "The line %s is a %s, not a charge.", c.line.ID, c.line.Kind)
	}
	if c.movedBy != "" {
		return aura.Errorf(aura.ECONFLICT, "The charge %s was moved to another folio; correct it there.", c.line.ID)
	}
	if c.documented != "" {
		return aura.Errorf(aura.ECONFLICT, "The charge %s is on %s, which is issued and cannot change: correct it with a credit note.", c.line.ID, c.documented)
	}
	return nil
}

// AllowanceInput reduces a charge: by Amount on the property's pricing
// basis (gross when prices include tax, net otherwise), or by everything
// that remains of it when Amount is 0.
type AllowanceInput struct {
	LineID       string    `json:"line_id"`
	Amount       int64     `json:"amount"`
	BusinessDate date.Date `json:"business_date"`
	Reason       string    `json:"reason"`
	// IdempotencyKey (the API's Idempotency-Key) makes a retry return the
	// first result instead of posting again; RequestHash identifies the
	// request (a hash of the body; the input's JSON when empty).
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

// PostAllowance posts an allowance against a charge (or a charge moved in
// from another folio) at the charge's frozen tax rate, capped at what
// remains of the charge. The allowance that brings a charge to zero takes
// exactly its remaining net, tax and gross, so a fully waived charge nets
// to zero in every column. Errors: EINVALID naming the fields or an amount
// above what remains, ENOTFOUND for an unknown line, ECONFLICT for a line
// that is not a charge, was moved away or is on an issued invoice.
func (s *Store) PostAllowance(ctx context.Context, in AllowanceInput) (Line, error) {
	var fe fieldErrors
	if in.LineID == "" {
		fe.add("line_id", "is required")
	}
	if in.BusinessDate.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
	if in.Amount < 0 || in.Amount > MaxAmount {
		fe.add("amount", "must be 0 (all that remains) to %d minor units", int64(MaxAmount))
	}
	fe.text("reason", in.Reason, 1, 200)
	if err := fe.err("The allowance is not valid."); err != nil {
		return Line{}, err
	}
	var l Line
	hash := s.idemHash(in.IdempotencyKey, in.RequestHash, in)
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		if id, err := s.replayed(tx, scopeAllowance, in.IdempotencyKey, hash); err != nil || id != "" {
			if err == nil {
				l, err = s.line(tx, id)
				l.Replayed = true
			}
			return err
		}
		if err := func() error {
			c, err := s.chargeState(tx, in.LineID)
			if err != nil {
				return err
			}
			if err := c.open(); err != nil {
				return err
			}
			f, cfg, err := s.folioConfig(tx, c.line.FolioID)
			if err != nil {
				return err
			}
			l, err = s.allowance(tx, f, c, in.Amount, cfg.PricesIncludeTax, in.BusinessDate, in.Reason)
			if err != nil {
				return err
			}
			return tx.Audit(audit.Entry{Action: "folio.allowance_posted", EntityType: "folio", EntityID: f.ID,
				Before: map[string]any{"charge": c.line.ID, "remaining": c.remaining()}, After: auditLines([]Line{l})[0]})
		}(); err != nil {
			return err
		}
		return s.remember(tx, scopeAllowance, in.IdempotencyKey, hash, l.ID)
	})
	return l, err
}

// allowance computes and writes an allowance of amount (0: all that
// remains) against a charge.
func (s *Store) allowance(tx *tenant.Tx, f Folio, c chargeState, amount int64, includesTax bool, businessDate date.Date, reason string) (Line, error) {
	rem := c.remaining()
	if rem.Gross == 0 {
		return Line{}, aura.Errorf(aura.ECONFLICT, "Nothing remains of the charge %s to reduce.", c.line.ID)
	}
	a := rem
	if amount != 0 {
		a = Split(amount, c.line.TaxRate, includesTax)
		basis := rem.Net
		if includesTax {
			basis = rem.Gross
		}
		if amount > basis || a.Net > rem.Net || a.Tax > rem.Tax || a.Gross > rem.Gross {
			return Line{}, aura.Invalid("The allowance is larger than what remains of the charge.",
				aura.FieldError{Field: "amount", Message: "must be at most " + FormatAmount(basis, f.Currency) + " (what remains of the charge)"})
		}
		if amount == basis {
			a = rem // the last allowance takes exactly what remains
		}
	}
	l := Line{FolioID: f.ID, Kind: LineAllowance, ServiceDate: c.line.ServiceDate, BusinessDate: businessDate,
		Description: "Allowance: " + c.line.Description, Quantity: 1, UnitPrice: a.Gross, Amounts: a,
		TaxCode: c.line.TaxCode, TaxCategory: c.line.TaxCategory, TaxRate: c.line.TaxRate, Currency: f.Currency,
		Category: c.line.Category, Account: c.line.Account, Ref: c.line.Ref, Night: c.line.Night, Corrects: c.line.ID, Reason: reason}
	if !includesTax {
		l.UnitPrice = a.Net
	}
	return l, s.insertLine(tx, &l)
}

// TransferInput routes a charge to another folio of the same property.
type TransferInput struct {
	LineID       string    `json:"line_id"`
	ToFolioID    string    `json:"to_folio_id"`
	BusinessDate date.Date `json:"business_date"`
	Reason       string    `json:"reason"`
	// IdempotencyKey (the API's Idempotency-Key) makes a retry return the
	// first result instead of posting again; RequestHash identifies the
	// request (a hash of the body; the input's JSON when empty).
	IdempotencyKey string `json:"-"`
	RequestHash    []byte `json:"-"`
}

// TransferLine moves what remains of a charge (the charge less its
// allowances) to another folio of the same property: a transfer_out line on
// the source and a transfer_in line on the target, each naming the other
// side, written with one audit row. The moved charge counts as a charge on
// the target and nets to zero on the source. Errors: EINVALID naming the
// fields, ENOTFOUND for an unknown line or folio, ECONFLICT for a line that
// is not a charge, was already moved, is on an issued invoice, has nothing
// left, or a target folio that is the same or of another property.
func (s *Store) TransferLine(ctx context.Context, in TransferInput) (out, moved Line, err error) {
	var fe fieldErrors
	if in.LineID == "" {
		fe.add("line_id", "is required")
	}
	if in.ToFolioID == "" {
		fe.add("to_folio_id", "is required")
	}
	if in.BusinessDate.IsZero() {
		fe.add("business_date", "is required (YYYY-MM-DD)")
	}
	fe.text("reason", in.Reason, 0, 200)
	if err := fe.err("The transfer is not valid."); err != nil {
		return Line{}, Line{}, err
	}
	hash := s.idemHash(in.IdempotencyKey, in.RequestHash, in)
	err = s.db.Update(ctx, func(tx *tenant.Tx) error {
		if id, err := s.replayed(tx, scopeTransfer, in.IdempotencyKey, hash); err != nil || id != "" {
			if err == nil {
				if moved, err = s.line(tx, id); err == nil {
					out, err = s.line(tx, moved.Corrects)
				}
				moved.Replayed = true
			}
			return err
		}
		if err := func() error {
			c, err := s.chargeState(tx, in.LineID)
			if err != nil {
				return err
			}
			if err := c.open(); err != nil {
				return err
			}
			from, err := s.folio(tx, c.line.FolioID)
			if err != nil {
				return err
			}
			to, err := s.folio(tx, in.ToFolioID)
			if err != nil {
				return err
			}
			if to.ID == from.ID || to.PropertyID != from.PropertyID || to.Currency != from.Currency {
				return aura.Errorf(aura.ECONFLICT, "A charge can move only to another folio of the same property.")
			}
			rem := c.remaining()
			if rem.Gross == 0 {
				return aura.Errorf(aura.ECONFLICT, "Nothing remains of the charge %s to move.", c.line.ID)
			}
			st, err := s.settings(tx, from.PropertyID)
			if err != nil {
				return err
			}
			unit := rem.Net // what remains, on the property's pricing basis
			if st.PricesIncludeTax {
				unit = rem.Gross
			}
			out = c.line
			out.FolioID, out.Kind, out.BusinessDate, out.Amounts, out.Corrects, out.Reason = from.ID, LineTransferOut, in.BusinessDate, rem, c.line.ID, in.Reason
			out.Quantity, out.UnitPrice, out.Item, out.PaymentID = 1, unit, "", ""
			out.Description = "Moved to folio " + to.ID + ": " + c.line.Description
			if err := s.insertLine(tx, &out); err != nil {
				return err
			}
			moved = c.line
			moved.FolioID, moved.Kind, moved.BusinessDate, moved.Amounts, moved.Corrects, moved.Reason = to.ID, LineTransferIn, in.BusinessDate, rem, out.ID, in.Reason
			moved.Item, moved.PaymentID = "", ""
			if rem != c.line.Amounts {
				moved.Quantity, moved.UnitPrice = 1, unit
			}
			if err := s.insertLine(tx, &moved); err != nil {
				return err
			}
			return tx.Audit(audit.Entry{Action: "folio.line_transferred", EntityType: "folio", EntityID: from.ID,
				Before: map[string]any{"charge": c.line.ID, "folio": from.ID, "remaining": rem},
				After:  map[string]any{"folio": to.ID, "lines": auditLines([]Line{out, moved})}})
		}(); err != nil {
			return err
		}
		return s.remember(tx, scopeTransfer, in.IdempotencyKey, hash, moved.ID)
	})
	return out, moved, err
}
