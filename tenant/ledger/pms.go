package ledger

import (
	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
)

// The calls below run inside a transaction the PMS opened: the night audit
// closes a date with its charges, a cancellation books its fee, a
// check-out leaves its balance on the city ledger, each in ONE
// transaction with the PMS's own change.

// Setup is a property's whole first ledger configuration: its settings and
// the tax codes, accounting categories and city-tax versions they name.
type Setup struct {
	Settings   Settings      `json:"settings"`
	TaxCodes   []TaxCode     `json:"tax_codes"`
	Categories []Category    `json:"categories"`
	CityTax    []CityTaxRule `json:"city_tax"`
}

// Configured reports whether a property's ledger is configured.
func (s *Store) Configured(tx *tenant.Tx, propertyID string) (bool, error) {
	_, err := s.settings(tx, propertyID)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// SetupTx configures a property's ledger from a whole Setup in the
// caller's transaction, each part audited as Configure, SetTaxCode,
// SetCategory and SetCityTax audit it. It is meant for a ledger not yet
// configured (the PMS derives the Setup from the property's older tax
// settings); on a configured ledger it fails with EPRECONDITION through
// the settings' version. Errors: EINVALID naming the part and field.
func (s *Store) SetupTx(tx *tenant.Tx, in Setup) error {
	in.Settings.normalise()
	if err := in.Settings.validate(); err != nil {
		return err
	}
	for i := range in.Categories {
		c := in.Categories[i]
		var fe fieldErrors
		fe.code("code", c.Code)
		fe.text("name", c.Name, 0, 100)
		fe.text("account", c.Account, 1, 40)
		if err := fe.err("The accounting category is not valid."); err != nil {
			return err
		}
		if err := s.setCategoryTx(tx, in.Settings.PropertyID, c, 0); err != nil {
			return err
		}
	}
	for i := range in.TaxCodes {
		c := in.TaxCodes[i]
		c.Rates = append([]Rate(nil), c.Rates...)
		c.normalise()
		if err := c.validate(); err != nil {
			return err
		}
		if err := s.setTaxCodeTx(tx, in.Settings.PropertyID, &c); err != nil {
			return err
		}
	}
	if len(in.CityTax) > 0 {
		versions := append([]CityTaxRule(nil), in.CityTax...)
		sortCityTax(versions)
		var fe fieldErrors
		for i := range versions {
			var prev *CityTaxRule
			if i > 0 {
				prev = &versions[i-1]
			}
			versions[i].validate(&fe, "versions["+itoa(i)+"].", prev)
		}
		if err := fe.err("The city tax is not valid."); err != nil {
			return err
		}
		if err := s.setCityTaxTx(tx, in.Settings.PropertyID, versions, 0); err != nil {
			return err
		}
	}
	var out Settings
	return s.configureTx(tx, in.Settings, &out)
}

// Fee is a one-off charge the PMS books for a reservation: a cancellation
// or no-show fee. Item names it ("fee:cancellation", "fee:no_show"); with
// the reservation and Night (the arrival) it makes the posting idempotent,
// as a night's items are. The amount is on the property's pricing basis,
// taxed with the accommodation tax code and booked to the accommodation
// category (a fee for a room not used is priced as the room).
type Fee struct {
	PropertyID   string    `json:"property_id"`
	Reservation  string    `json:"reservation"`
	Item         string    `json:"item"`
	Description  string    `json:"description"`
	Amount       int64     `json:"amount"`
	Night        date.Date `json:"night"`
	BusinessDate date.Date `json:"business_date"`
}

// PostFeeTx posts a Fee to the reservation's default guest folio in the
// caller's transaction and audits it ("folio.charge_posted"). A fee
// already posted for the same reservation, night and item is not posted
// again (posted is false). Errors: ENOTFOUND for an unconfigured ledger,
// EINVALID for an amount out of range.
func (s *Store) PostFeeTx(tx *tenant.Tx, in Fee) (l Line, posted bool, err error) {
	var fe fieldErrors
	if in.Amount <= 0 || in.Amount > MaxAmount {
		fe.add("amount", "must be 1 to %d minor units", int64(MaxAmount))
	}
	fe.text("description", in.Description, 1, 200)
	if err := fe.err("The fee is not valid."); err != nil {
		return l, false, err
	}
	cfg, err := s.config(tx, in.PropertyID)
	if err != nil {
		return l, false, err
	}
	st, err := s.settings(tx, in.PropertyID)
	if err != nil {
		return l, false, err
	}
	ref := Ref{Kind: RefReservation, ID: in.Reservation}
	done, err := s.postedItems(tx, ref, in.Night)
	if err != nil || done[in.Item] {
		return l, false, err
	}
	f, err := s.defaultFolio(tx, st, FolioGuest, ref)
	if err != nil {
		return l, false, err
	}
	d, err := cfg.Charge(in.Night, in.Description, 1, in.Amount, cfg.AccommodationTaxCode, cfg.AccommodationCategory, cfg.PricesIncludeTax)
	if err != nil {
		return l, false, err
	}
	d.Item = in.Item
	l = lineFromDraft(f, d, in.BusinessDate, ref, in.Night)
	if err := s.insertLine(tx, &l); err != nil {
		return l, false, err
	}
	return l, true, tx.Audit(audit.Entry{Action: "folio.charge_posted", EntityType: "folio", EntityID: f.ID, After: auditLines([]Line{l})[0]})
}

// RefBalanceTx returns the summed balance of every folio of a reference
// (a reservation's guest folios), in the caller's transaction.
func (s *Store) RefBalanceTx(tx *tenant.Tx, ref Ref) (int64, error) {
	rows, err := tx.Query(`SELECT l.kind, sum(l.gross) FROM ledger_folios f JOIN ledger_lines l ON l.folio_id = f.id
		WHERE f.ref_kind = ? AND f.ref_id = ? GROUP BY l.kind`, ref.Kind, ref.ID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var bal int64
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.Kind, &l.Gross); err != nil {
			return 0, err
		}
		bal += l.Sign() * l.Gross
	}
	return bal, rows.Err()
}

// LeaveOnCityLedgerTx settles every folio of a reference that has an open
// balance with a "city_ledger" payment of that balance (a receivable the
// property collects later, e.g. from a company), the reason as its note,
// in the caller's transaction, each audited as "payment.recorded". It
// returns the payments recorded. A folio in credit is left as it is.
// Errors: EINVALID for a reason that is empty, too long or holds a card
// number.
func (s *Store) LeaveOnCityLedgerTx(tx *tenant.Tx, ref Ref, reason string, businessDate date.Date) ([]Payment, error) {
	var fe fieldErrors
	fe.text("reason", reason, 1, 500)
	if err := fe.err("Say why the balance is left on the city ledger."); err != nil {
		return nil, err
	}
	rows, err := tx.Query(`SELECT id FROM ledger_folios WHERE ref_kind = ? AND ref_id = ? ORDER BY created_at, id`, ref.Kind, ref.ID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []Payment
	for _, id := range ids {
		b, err := s.balance(tx, id)
		if err != nil {
			return nil, err
		}
		if b.Balance <= 0 {
			continue
		}
		f, err := s.folio(tx, id)
		if err != nil {
			return nil, err
		}
		p := Payment{ID: aura.NewOrderedID(prefixPayment), Kind: KindPayment, FolioID: f.ID, Method: MethodCityLedger, Status: StatusSucceeded,
			Amount: b.Balance, Currency: f.Currency, Note: reason, BusinessDate: businessDate}
		if err := s.insertPayment(tx, &p, f); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
