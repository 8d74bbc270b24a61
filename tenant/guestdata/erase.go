package guestdata

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// OpenBalance is a folio reference of the guest whose balance is not zero:
// it refuses anonymisation until it is settled.
type OpenBalance struct {
	RefKind string       `json:"ref_kind"` // reservation or booking
	RefID   string       `json:"ref_id"`
	Balance tenant.Money `json:"balance"`
	What    string       `json:"what"`   // the folio for people: "the folio of the stay 3 Mar – Thu 5 Mar 2026"
	Amount  string       `json:"amount"` // the balance as the property's country writes it
}

// Item is one line of the confirmation step: what goes or stays, and why.
type Item struct {
	What string `json:"what"`
	Why  string `json:"why"`
}

// ErasurePlan is what anonymising a guest would do, shown on the
// confirmation step before anything changes: the refusals (stays in house,
// open balances) and what would be removed and kept, and why.
type ErasurePlan struct {
	GuestID      string                `json:"guest_id"`
	Name         string                `json:"name"`      // the name today (the pseudonym once erased)
	Pseudonym    string                `json:"pseudonym"` // the name the guest keeps
	Version      int                   `json:"version"`   // the profile's version, to confirm against
	Erased       bool                  `json:"erased"`
	Reservations []stays.Reservation   `json:"reservations"`
	InHouse      []stays.Reservation   `json:"in_house"`
	OpenBalances []OpenBalance         `json:"open_balances"`
	Invoices     []string              `json:"invoices"` // numbers of the documents issued on the guest's folios
	Removed      []Item                `json:"removed"`
	Kept         []Item                `json:"kept"`
	Refusal      string                `json:"refusal,omitempty"` // why it cannot be done now, with what to do
	counts       stays.ErasedGuestData // what the stays side holds
	messages     int                   // messages to the guest
	consents     int                   // consents recorded
	cards        int                   // stored cards still pointing at Stripe
	inHouse      []string              // the stays in house, for people
}

// Erasure is the result of an anonymisation.
type Erasure struct {
	GuestID   string                `json:"guest_id"`
	Pseudonym string                `json:"pseudonym"`
	Removed   stays.ErasedGuestData `json:"removed"`
	Messages  int                   `json:"messages"` // messages whose recipient, subject and bodies were removed
	Consents  int                   `json:"consents"` // consents deleted
	Cards     int                   `json:"cards"`    // stored cards whose Stripe references were removed
	Kept      KeptCounts            `json:"kept"`
}

// KeptCounts is what an anonymisation left in place.
type KeptCounts struct {
	Reservations int `json:"reservations"`
	Folios       int `json:"folios"`
	Invoices     int `json:"invoices"`
}

// PlanErasure returns what anonymising the guest would remove and keep,
// and why it would be refused now. It returns ENOTFOUND for an unknown
// guest; other errors are internal.
func (s Store) PlanErasure(ctx context.Context, guestID string) (ErasurePlan, error) {
	ctx = stays.WithRestricted(ctx) // exercising the guest's rights is processing the restriction allows
	var p ErasurePlan
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var err error
		p, err = s.planTx(tx, guestID)
		return err
	})
	return p, err
}

// planTx reads the plan inside tx.
func (s Store) planTx(tx *tenant.Tx, guestID string) (ErasurePlan, error) {
	p := ErasurePlan{GuestID: guestID, Pseudonym: stays.Pseudonym(guestID), Reservations: []stays.Reservation{}, InHouse: []stays.Reservation{},
		OpenBalances: []OpenBalance{}, Invoices: []string{}}
	var wrapped []byte
	err := tx.QueryRow(`SELECT key_wrapped, version FROM guests WHERE id = ?`, guestID).Scan(&wrapped, &p.Version)
	if err == sql.ErrNoRows {
		return p, tenant.NotFound("guest", guestID)
	} else if err != nil {
		return p, err
	}
	p.Erased = wrapped == nil
	names, err := stays.New(s.DB).GuestNamesTx(tx, []string{guestID})
	if err != nil {
		return p, err
	}
	p.Name = names[guestID]
	res, err := stays.QueryReservations(tx, ` WHERE r.guest_id = ? OR r.booking_id IN (SELECT id FROM bookings WHERE booker_id = ?)
		OR r.id IN (SELECT reservation_id FROM checkin_records WHERE guest_id = ?) ORDER BY r.arrival DESC, r.id`, guestID, guestID, guestID)
	if err != nil {
		return p, err
	}
	if res != nil {
		p.Reservations = res
	}
	props := map[string]inventory.Property{}
	prop := func(id string) (inventory.Property, error) {
		if pr, ok := props[id]; ok {
			return pr, nil
		}
		pr, err := inventory.GetProperty(tx, id)
		props[id] = pr
		return pr, err
	}
	byID := map[string]stays.Reservation{}
	for _, r := range p.Reservations {
		byID[r.ID] = r
		if r.Status == stays.ReservationInHouse {
			pr, err := prop(r.PropertyID)
			if err != nil {
				return p, err
			}
			p.InHouse = append(p.InHouse, r)
			p.inHouse = append(p.inHouse, "the stay "+pr.Stay(r.Arrival, r.Departure)+" is in house")
		}
	}
	refs, err := guestRefs(tx, guestID)
	if err != nil {
		return p, err
	}
	led := ledger.New(s.DB)
	for _, ref := range refs {
		bal, err := led.RefBalanceTx(tx, ref)
		if err != nil {
			return p, err
		}
		if bal != 0 {
			var cur, propID string
			if err := tx.QueryRow(`SELECT currency, property_id FROM ledger_folios WHERE ref_kind = ? AND ref_id = ? LIMIT 1`, ref.Kind, ref.ID).Scan(&cur, &propID); err != nil {
				return p, err
			}
			pr, err := prop(propID)
			if err != nil {
				return p, err
			}
			ob := OpenBalance{RefKind: ref.Kind, RefID: ref.ID, Balance: tenant.Money{Amount: bal, Currency: cur}, What: "the folio of a booking the guest made",
				Amount: pr.Amount(bal)}
			if r, ok := byID[ref.ID]; ok && ref.Kind == ledger.RefReservation {
				ob.What = "the folio of the stay " + pr.Stay(r.Arrival, r.Departure)
			}
			p.OpenBalances = append(p.OpenBalances, ob)
		}
	}
	for _, ref := range refs {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM stripe_cards WHERE folio_id IN (SELECT id FROM ledger_folios WHERE ref_kind = ? AND ref_id = ?)
			AND (customer_id IS NOT NULL OR payment_method_id IS NOT NULL OR setup_intent_id IS NOT NULL)`, ref.Kind, ref.ID).Scan(&n); err != nil {
			return p, err
		}
		p.cards += n
	}
	docs, err := documentsOf(tx, refs)
	if err != nil {
		return p, err
	}
	for _, d := range docs {
		p.Invoices = append(p.Invoices, d.number)
	}
	if err := countStays(tx, guestID, &p.counts); err != nil {
		return p, err
	}
	if err := tx.QueryRow(`SELECT count(*) FROM guest_messages WHERE guest_id = ? AND recipient IS NOT NULL`, guestID).Scan(&p.messages); err != nil {
		return p, err
	}
	if err := tx.QueryRow(`SELECT count(*) FROM guest_consents WHERE guest_id = ?`, guestID).Scan(&p.consents); err != nil {
		return p, err
	}
	p.Refusal = p.refusal()
	p.Removed, p.Kept = p.items()
	return p, nil
}

// refusal says why the guest cannot be anonymised now, and what to do.
func (p ErasurePlan) refusal() string {
	if p.Erased {
		return "This guest was already anonymised."
	}
	var parts []string
	for _, w := range p.inHouse {
		parts = append(parts, w+": check the guest out first")
	}
	for _, b := range p.OpenBalances {
		parts = append(parts, fmt.Sprintf("%s has an open balance of %s: take a payment, post an allowance or move it to the city ledger", b.What, b.Amount))
	}
	if len(parts) == 0 {
		return ""
	}
	return "This guest cannot be anonymised yet: " + strings.Join(parts, "; ") + "."
}

// items names what goes and what stays, and why.
func (p ErasurePlan) items() (removed, kept []Item) {
	removed = []Item{
		{What: "The profile: name, email, phone, address, nationality, language and notes", Why: "personal data no longer needed; the guest is named " + p.Pseudonym + " from then on"},
		{What: "The guest's key", Why: "every value sealed under it (the profile, check-in documents, the personal fields inside audit rows, and copies in backups) can never be opened again"},
		{What: capital(count(p.counts.SearchTerms, "search-index entry", "search-index entries")), Why: "the guest can no longer be found by name, email or phone"},
		{What: capital(count(p.counts.Photos, "ID photo", "ID photos")) + " and the documents of " + count(p.counts.CheckInRecords, "check-in record", "check-in records"), Why: "registration data is kept only as long as the law requires"},
		{What: "Notes of " + count(p.counts.BookingNotes, "booking", "bookings") + " the guest made or stays on", Why: "staff write them about the people of the booking"},
		{What: capital(count(p.cards, "card", "cards")) + " on file on the guest's folios: the Stripe customer and payment-method references", Why: "the card can no longer be charged from Aura or traced to the guest here; Stripe keeps its own copy under its retention rules"},
		{What: capital(count(p.consents, "consent", "consents")) + " (marketing opt-in with its time and source)", Why: "a pseudonym cannot be contacted; the history of the answers stays in the audit trail without the guest's name"},
		{What: capital(count(p.messages, "email", "emails")) + " to the guest: recipient, subject and text; and the subject and text of emails to others about the guest's stays (a booker's confirmation names the guest)", Why: "they were sealed under the guest's key; what kind of message went when, and to whom, stays without its content"},
	}
	kept = []Item{
		{What: capital(count(len(p.Reservations), "reservation with its nights, room and prices", "reservations with their nights, rooms and prices")), Why: "occupancy and revenue reports must not change"},
		{What: "Folio lines and payments, with their descriptions, notes and folio labels", Why: "the books must stay complete and balanced, and posted lines are immutable; these texts are kept as booked, so they should never name a guest"},
		{What: invoicesKept(len(p.Invoices)), Why: "tax law requires issued invoices to be kept (8 years in Germany); the recipient is sealed under the financial-records key until the retention date"},
		{What: "The audit trail", Why: "its rows stay so the chain still verifies; the guest's personal fields inside them can no longer be opened"},
	}
	return removed, kept
}

// count says n things in words: "1 booking", "3 bookings", "no bookings"
// (capital starts a sentence with it).
func count(n int, one, many string) string {
	switch n {
	case 0:
		return "no " + many
	case 1:
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// invoicesKept names the invoices and credit notes an erasure keeps.
func invoicesKept(n int) string {
	if n == 0 {
		return "No invoices or credit notes to keep"
	}
	return count(n, "invoice or credit note", "invoices and credit notes") + ", with the recipient as issued"
}

// capital returns s with its first letter upper case.
func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// guestRefs returns the ledger references whose folios belong to the
// guest: reservations the guest stays on or booked, and bookings the guest
// made.
func guestRefs(tx *tenant.Tx, guestID string) ([]ledger.Ref, error) {
	rows, err := tx.Query(`SELECT 'reservation', id FROM reservations WHERE guest_id = ?1
		OR booking_id IN (SELECT id FROM bookings WHERE booker_id = ?1)
		UNION SELECT 'booking', id FROM bookings WHERE booker_id = ?1 ORDER BY 1, 2`, guestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Ref
	for rows.Next() {
		var r ledger.Ref
		if err := rows.Scan(&r.Kind, &r.ID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// docRef is an issued document on one of the guest's folios.
type docRef struct{ id, number, kind string }

// documentsOf returns the documents issued on the folios of refs, in
// issue order.
func documentsOf(tx *tenant.Tx, refs []ledger.Ref) ([]docRef, error) {
	var out []docRef
	for _, ref := range refs {
		rows, err := tx.Query(`SELECT d.id, d.number, d.kind FROM ledger_documents d JOIN ledger_folios f ON f.id = d.folio_id
			WHERE f.ref_kind = ? AND f.ref_id = ? ORDER BY d.issued_at, d.id`, ref.Kind, ref.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var d docRef
			if err := rows.Scan(&d.id, &d.number, &d.kind); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out, nil
}

// countStays counts what the stays side holds of the guest.
func countStays(tx *tenant.Tx, guestID string, c *stays.ErasedGuestData) error {
	return tx.QueryRow(`SELECT
		(SELECT count(*) FROM guest_search WHERE guest = (SELECT seq FROM guests WHERE id = ?1)),
		(SELECT count(*) FROM checkin_records WHERE guest_id = ?1),
		(SELECT count(*) FROM id_photos p JOIN checkin_records c ON c.id = p.record_id WHERE c.guest_id = ?1 AND p.purged_at IS NULL),
		(SELECT count(*) FROM bookings WHERE `+stays.GuestBookingsWhere+` AND notes IS NOT NULL)`, guestID).
		Scan(&c.SearchTerms, &c.CheckInRecords, &c.Photos, &c.BookingNotes)
}

// Erase anonymises a guest (see the package comment and
// stays.EraseGuestTx) in one transaction, after checking again what
// PlanErasure checked: it returns ECONFLICT with what to do while a stay of
// the guest is in house or a folio of the guest has an open balance, or
// when the guest was already anonymised; EPRECONDITION when version (when
// not zero) is not the profile's version (it changed since the
// confirmation was shown); ENOTFOUND for an unknown guest. The audit row
// ("guest.anonymised") records counts and the pseudonym, no personal data.
func (s Store) Erase(ctx context.Context, guestID string, version int) (Erasure, error) {
	ctx = stays.WithRestricted(ctx)
	var out Erasure
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		p, err := s.planTx(tx, guestID)
		if err != nil {
			return err
		}
		if p.Refusal != "" {
			return aura.Errorf(aura.ECONFLICT, "%s", p.Refusal)
		}
		if err := tenant.CheckVersion("guest", guestID, p.Version, version); err != nil {
			return err
		}
		removed, err := stays.EraseGuestTx(tx, guestID)
		if err != nil {
			return err
		}
		msgs, err := guestmail.EraseGuestMessagesTx(tx, guestID)
		if err != nil {
			return err
		}
		if _, err := guestmail.EraseStayMessagesTx(tx, guestID); err != nil {
			return err
		}
		consents, err := eraseConsentsTx(tx, guestID)
		if err != nil {
			return err
		}
		refs, err := guestRefs(tx, guestID)
		if err != nil {
			return err
		}
		cards, err := forgetCardsTx(tx, refs)
		if err != nil {
			return err
		}
		var folios int
		for _, ref := range refs {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM ledger_folios WHERE ref_kind = ? AND ref_id = ?`, ref.Kind, ref.ID).Scan(&n); err != nil {
				return err
			}
			folios += n
		}
		out = Erasure{GuestID: guestID, Pseudonym: p.Pseudonym, Removed: removed, Messages: msgs, Consents: consents, Cards: cards,
			Kept: KeptCounts{Reservations: len(p.Reservations), Folios: folios, Invoices: len(p.Invoices)}}
		return tx.Audit(audit.Entry{Action: "guest.anonymised", EntityType: "guest", EntityID: guestID,
			Before: map[string]any{"id": guestID, "version": p.Version},
			After:  map[string]any{"id": guestID, "version": p.Version + 1, "pseudonym": p.Pseudonym, "removed": removed, "messages": msgs, "consents": consents, "cards": cards, "kept": out.Kept}})
	})
	return out, err
}

// forgetCardsTx removes the Stripe references (customer, payment method,
// SetupIntent) of the cards stored on the folios of refs, inside the
// anonymisation: the card is marked failed ("guest_anonymised") and can
// no longer be charged or traced to the guest from Aura. Payments already
// taken keep their own records (the books). It returns how many cards it
// changed.
func forgetCardsTx(tx *tenant.Tx, refs []ledger.Ref) (int, error) {
	n := 0
	for _, ref := range refs {
		res, err := tx.Exec(`UPDATE stripe_cards SET customer_id = NULL, payment_method_id = NULL, setup_intent_id = NULL, status = 'failed',
			error_code = 'guest_anonymised', version = version + 1, updated_at = ?
			WHERE folio_id IN (SELECT id FROM ledger_folios WHERE ref_kind = ? AND ref_id = ?)
			AND (customer_id IS NOT NULL OR payment_method_id IS NOT NULL OR setup_intent_id IS NOT NULL)`, tenant.FormatTime(tx.Now), ref.Kind, ref.ID)
		if err != nil {
			return n, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return n, err
		}
		n += int(k)
	}
	return n, nil
}
