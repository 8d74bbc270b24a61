package owners

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// MaxFee is the largest fixed fee a contract takes, in minor units
// (10,000,000.00 in a two-decimal currency): anything larger is a typo.
const MaxFee = 1_000_000_000

// Contract is a management contract: one room (unit) of a property under
// an owner for the nights [Start, End), or from Start on while End is the
// zero date (JSON null). Its terms:
//
//   - CommissionBP: the manager's commission in basis points (1500 =
//     15%) of the unit's net room revenue, rounded half up per statement
//     line.
//   - MonthlyFee: a fixed fee per calendar month, in minor units of the
//     property's currency, prorated by the nights of the month the
//     contract covers (rounded half up).
//   - StayFee: a fixed fee per stay (e.g. cleaning), in minor units,
//     charged on the statement holding the stay's last night in the unit.
type Contract struct {
	ID           string    `json:"id"`
	OwnerID      string    `json:"owner_id"`
	PropertyID   string    `json:"property_id"`
	RoomID       string    `json:"room_id"`
	RoomNumber   string    `json:"room_number"`
	Start        date.Date `json:"start"`
	End          date.Date `json:"end"`
	CommissionBP int64     `json:"commission_bp"`
	MonthlyFee   int64     `json:"monthly_fee"`
	StayFee      int64     `json:"stay_fee"`
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Covers reports whether the contract holds the night d.
func (c Contract) Covers(d date.Date) bool {
	return !d.Before(c.Start) && (c.End.IsZero() || d.Before(c.End))
}

// ContractInput creates or replaces a contract. End is the first night
// no longer under the contract (the zero date: open-ended). Version, when
// not zero, must match on update.
type ContractInput struct {
	RoomID       string    `json:"room_id"`
	Start        date.Date `json:"start"`
	End          date.Date `json:"end"`
	CommissionBP int64     `json:"commission_bp"`
	MonthlyFee   int64     `json:"monthly_fee"`
	StayFee      int64     `json:"stay_fee"`
	Version      int       `json:"version,omitempty"`
}

func (in ContractInput) validate() error {
	var fe tenant.FieldErrors
	if in.RoomID == "" {
		fe.Add("room_id", "choose the unit (room) the owner owns")
	}
	if in.Start.IsZero() {
		fe.Add("start", "is required: the first night under the contract (YYYY-MM-DD)")
	}
	if !in.End.IsZero() && !in.Start.IsZero() && !in.Start.Before(in.End) {
		fe.Add("end", "must be after the start (the first night no longer under the contract)")
	}
	if in.CommissionBP < 0 || in.CommissionBP > 10000 {
		fe.Add("commission_bp", "must be between 0 and 10000 basis points (0%% to 100%%)")
	}
	if in.MonthlyFee < 0 || in.MonthlyFee > MaxFee {
		fe.Add("monthly_fee", "must be between 0 and %d minor units", MaxFee)
	}
	if in.StayFee < 0 || in.StayFee > MaxFee {
		fe.Add("stay_fee", "must be between 0 and %d minor units", MaxFee)
	}
	return fe.Err("The contract is not valid.")
}

// CreateContract puts a room under an owner and audits
// "owner_contract.created". It returns ENOTFOUND for an unknown owner,
// EINVALID for bad input or an unknown room, and ECONFLICT when another
// contract holds the room on one of the nights.
func (s Store) CreateContract(ctx context.Context, ownerID string, in ContractInput) (Contract, error) {
	if err := in.validate(); err != nil {
		return Contract{}, err
	}
	var c Contract
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		if st, err := s.load(tx, ownerID); err != nil {
			return err
		} else if st.owner.ErasedAt != nil {
			return errErased
		}
		room, err := roomOf(tx, in.RoomID)
		if err != nil {
			return err
		}
		if err := free(tx, in, ""); err != nil {
			return err
		}
		c = Contract{ID: aura.NewID("occ"), OwnerID: ownerID, PropertyID: room.PropertyID, RoomID: room.ID, RoomNumber: room.Number,
			Start: in.Start, End: in.End, CommissionBP: in.CommissionBP, MonthlyFee: in.MonthlyFee, StayFee: in.StayFee,
			Version: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		now := tenant.FormatTime(tx.Now)
		if _, err := tx.Exec(`INSERT INTO owner_contracts (id, owner_id, property_id, room_id, start_date, end_date, commission_bp, monthly_fee, stay_fee,
			version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, c.ID, c.OwnerID, c.PropertyID, c.RoomID, c.Start, c.End,
			c.CommissionBP, c.MonthlyFee, c.StayFee, now, now); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "owner_contract.created", EntityType: "owner_contract", EntityID: c.ID, After: c})
	})
	return c, err
}

// UpdateContract replaces a contract's room, nights and terms (ending a
// contract sets its End) and audits "owner_contract.updated". Statements
// already generated keep the figures they were generated with. Errors as
// CreateContract, and EPRECONDITION for a stale version.
func (s Store) UpdateContract(ctx context.Context, id string, in ContractInput) (Contract, error) {
	if err := in.validate(); err != nil {
		return Contract{}, err
	}
	var c Contract
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		before, err := ContractTx(tx, id)
		if err != nil {
			return err
		}
		if err := tenant.CheckVersion("contract", id, before.Version, in.Version); err != nil {
			return err
		}
		room, err := roomOf(tx, in.RoomID)
		if err != nil {
			return err
		}
		if err := free(tx, in, id); err != nil {
			return err
		}
		c = before
		c.PropertyID, c.RoomID, c.RoomNumber, c.Start, c.End = room.PropertyID, room.ID, room.Number, in.Start, in.End
		c.CommissionBP, c.MonthlyFee, c.StayFee = in.CommissionBP, in.MonthlyFee, in.StayFee
		c.Version, c.UpdatedAt = before.Version+1, tx.Now
		if _, err := tx.Exec(`UPDATE owner_contracts SET property_id = ?, room_id = ?, start_date = ?, end_date = ?, commission_bp = ?, monthly_fee = ?,
			stay_fee = ?, version = ?, updated_at = ? WHERE id = ?`, c.PropertyID, c.RoomID, c.Start, c.End, c.CommissionBP, c.MonthlyFee, c.StayFee,
			c.Version, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{Action: "owner_contract.updated", EntityType: "owner_contract", EntityID: id, Before: before, After: c})
	})
	return c, err
}

func roomOf(tx *tenant.Tx, id string) (inventory.Room, error) {
	room, err := inventory.GetRoom(tx, id)
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return room, aura.Invalid("The contract is not valid.", aura.FieldError{Field: "room_id", Message: "no such room"})
	}
	return room, err
}

// free returns ECONFLICT when a contract other than exceptID holds the
// room on one of in's nights.
func free(tx *tenant.Tx, in ContractInput, exceptID string) error {
	var other string
	var start, end date.Date
	err := tx.QueryRow(`SELECT id, start_date, end_date FROM owner_contracts WHERE room_id = ? AND id != ?
		AND (end_date IS NULL OR end_date > ?) AND (? IS NULL OR start_date < ?) ORDER BY start_date LIMIT 1`,
		in.RoomID, exceptID, in.Start, in.End, in.End).Scan(&other, &start, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	until := "on"
	if !end.IsZero() {
		until = "until " + end.AddDays(-1).String()
	}
	return &aura.Error{Code: aura.ECONFLICT, Message: fmt.Sprintf("Another contract already holds this unit from %s %s; end it first.", start, until),
		Fields: []aura.FieldError{{Field: "start", Message: "overlaps another contract of this unit"}}}
}

const contractSelect = `SELECT c.id, c.owner_id, c.property_id, c.room_id, r.number, c.start_date, c.end_date, c.commission_bp, c.monthly_fee, c.stay_fee,
	c.version, c.created_at, c.updated_at FROM owner_contracts c JOIN rooms r ON r.id = c.room_id`

func scanContract(row interface{ Scan(...any) error }) (Contract, error) {
	var c Contract
	var created, updated string
	err := row.Scan(&c.ID, &c.OwnerID, &c.PropertyID, &c.RoomID, &c.RoomNumber, &c.Start, &c.End, &c.CommissionBP, &c.MonthlyFee, &c.StayFee,
		&c.Version, &created, &updated)
	c.CreatedAt, c.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	return c, err
}

// ContractTx returns a contract inside the caller's transaction, or
// ENOTFOUND.
func ContractTx(tx *tenant.Tx, id string) (Contract, error) {
	c, err := scanContract(tx.QueryRow(contractSelect+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, tenant.NotFound("contract", id)
	}
	return c, err
}

// GetContract returns a contract, or ENOTFOUND.
func (s Store) GetContract(ctx context.Context, id string) (Contract, error) {
	var c Contract
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var err error
		c, err = ContractTx(tx, id)
		return err
	})
	return c, err
}

// ListContracts returns an owner's contracts, by start and room.
func (s Store) ListContracts(ctx context.Context, ownerID string) ([]Contract, error) {
	out := []Contract{}
	err := s.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = ContractsTx(tx, ownerID, "")
		return err
	})
	return out, err
}

// ContractsTx returns an owner's contracts inside the caller's
// transaction, by start and room; with propertyID set, only those of that
// property.
func ContractsTx(tx *tenant.Tx, ownerID, propertyID string) ([]Contract, error) {
	rows, err := tx.Query(contractSelect+` WHERE c.owner_id = ? AND (? = '' OR c.property_id = ?) ORDER BY c.start_date, r.number, c.id`,
		ownerID, propertyID, propertyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Contract{}
	for rows.Next() {
		c, err := scanContract(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
