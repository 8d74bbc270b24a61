package owners

import (
	"context"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// errErased refuses a change to an owner whose personal data is erased.
var errErased = aura.Errorf(aura.ECONFLICT, "This owner's personal data was erased; the owner cannot be changed.")

// Erasure is what EraseOwner did.
type Erasure struct {
	OwnerID    string    `json:"owner_id"`
	ErasedAt   time.Time `json:"erased_at"`
	Contracts  int       `json:"contracts"`  // the owner's contracts, kept with their terms
	Statements int       `json:"statements"` // the owner's statements, kept with their figures
}

// EraseOwner erases an owner's personal data for good (the owner's right
// to erasure, once no contract needs it): with secure_delete on, it
// overwrites the owner's wrapped key and every sealed field (name, email,
// address, VAT id, payout) with empty values, so nothing sealed under the
// key, in the row or in the sealed copies the audit rows hold, opens
// again, and records when. The row, the contracts and the owner
// statements stay: the statements keep their figures (they never held the
// owner's personal data) and the owner shows as ErasedName. It audits
// "owner.erased" with counts only. It returns ENOTFOUND for an unknown
// owner, EPRECONDITION when version is not zero and not the owner's, and
// ECONFLICT for one already erased or with a contract that runs past
// today (end it first).
func (s Store) EraseOwner(ctx context.Context, id string, version int) (Erasure, error) {
	var e Erasure
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		st, err := s.load(tx, id)
		if err != nil {
			return err
		}
		if st.owner.ErasedAt != nil {
			return aura.Errorf(aura.ECONFLICT, "This owner's personal data was already erased.")
		}
		if err := tenant.CheckVersion("owner", id, st.owner.Version, version); err != nil {
			return err
		}
		cs, err := ContractsTx(tx, id, "")
		if err != nil {
			return err
		}
		if err := runningContract(tx, cs); err != nil {
			return err
		}
		e = Erasure{OwnerID: id, ErasedAt: tx.Now, Contracts: len(cs)}
		if err := tx.QueryRow(`SELECT count(*) FROM report_statements WHERE owner_id = ?`, id).Scan(&e.Statements); err != nil {
			return err
		}
		if err := tenant.SecureDelete(tx); err != nil {
			return err
		}
		now := tenant.FormatTime(tx.Now)
		if _, err := tx.Exec(`UPDATE owners SET key_wrapped = x'', name = x'', email = x'', address = x'', vat_id = x'', payout = x'',
			version = version + 1, updated_at = ?, erased_at = ? WHERE id = ?`, now, now, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "owner.erased", EntityType: "owner", EntityID: id, After: e})
	})
	return e, err
}

// runningContract is the ECONFLICT that refuses an erasure while one of
// the owner's contracts cs runs past today, nil when none does. Today is
// each contract's property's business date, not the server's (UTC) date:
// a contract ending tomorrow in Honolulu still holds tonight's night when
// it is already tomorrow in UTC.
func runningContract(tx *tenant.Tx, cs []Contract) error {
	today := map[string]date.Date{}
	for _, c := range cs {
		if !c.End.IsZero() {
			if _, ok := today[c.PropertyID]; !ok {
				p, err := inventory.GetProperty(tx, c.PropertyID)
				if err != nil {
					return err
				}
				if today[c.PropertyID], err = p.Today(tx); err != nil {
					return err
				}
			}
		}
		if c.End.IsZero() || c.End.After(today[c.PropertyID]) {
			return aura.Errorf(aura.ECONFLICT, "Room %s is still under a contract with this owner: end the contract before erasing the owner.", c.RoomNumber)
		}
	}
	return nil
}

// ErasureRefusal answers why EraseOwner would refuse the owner now (a
// contract that runs past today, or the owner already erased), nil when
// it would not; the confirmation step shows it before anyone ticks the box.
func (s Store) ErasureRefusal(ctx context.Context, id string) error {
	return s.View(ctx, func(tx *tenant.Tx) error {
		st, err := s.load(tx, id)
		if err != nil {
			return err
		}
		if st.owner.ErasedAt != nil {
			return aura.Errorf(aura.ECONFLICT, "This owner's personal data was already erased.")
		}
		cs, err := ContractsTx(tx, id, "")
		if err != nil {
			return err
		}
		return runningContract(tx, cs)
	})
}
