package owners

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/big"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Owner is the owner of managed units, unsealed.
type Owner struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Email   string            `json:"email"`
	Address inventory.Address `json:"address"`
	VATID   string            `json:"vat_id"`
	// Payout is where the owner's payout goes: an IBAN (checked by its
	// mod-97 digits, stored without spaces) or another reference.
	Payout    string    `json:"payout"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// ErasedAt is when the owner's personal data was erased (EraseOwner),
	// nil while it is kept; an erased owner's Name is ErasedName and every
	// other personal field is empty.
	ErasedAt *time.Time `json:"erased_at,omitempty"`
}

// ErasedName is the name an erased owner shows under.
const ErasedName = "Erased owner"

// OwnerInput creates or replaces an owner. Version, when not zero, must
// match on update.
type OwnerInput struct {
	Name    string            `json:"name"`
	Email   string            `json:"email"`
	Address inventory.Address `json:"address"`
	VATID   string            `json:"vat_id"`
	Payout  string            `json:"payout"`
	Version int               `json:"version,omitempty"`
}

func (in *OwnerInput) normalise() {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	in.VATID = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(in.VATID), " ", ""))
	in.Payout = strings.TrimSpace(in.Payout)
	if compact := strings.ToUpper(strings.ReplaceAll(in.Payout, " ", "")); looksLikeIBAN(compact) {
		in.Payout = compact
	}
	in.Address.Line1 = strings.TrimSpace(in.Address.Line1)
	in.Address.Line2 = strings.TrimSpace(in.Address.Line2)
	in.Address.PostalCode = strings.TrimSpace(in.Address.PostalCode)
	in.Address.City = strings.TrimSpace(in.Address.City)
	in.Address.Region = strings.TrimSpace(in.Address.Region)
	in.Address.Country = strings.ToUpper(strings.TrimSpace(in.Address.Country))
}

func (in OwnerInput) validate() error {
	var fe tenant.FieldErrors
	fe.Text("name", in.Name, 1, 200)
	if in.Email == "" {
		fe.Add("email", "is required, so statements can reach the owner")
	} else if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
		fe.Add("email", "must be an email address such as ana@example.com")
	}
	fe.Text("address.line1", in.Address.Line1, 0, 200)
	fe.Text("address.line2", in.Address.Line2, 0, 200)
	fe.Text("address.postal_code", in.Address.PostalCode, 0, 20)
	fe.Text("address.city", in.Address.City, 0, 100)
	fe.Text("address.region", in.Address.Region, 0, 100)
	if c := in.Address.Country; c != "" && !inventory.IsCountryCode(c) {
		fe.Add("address.country", "must be a two-letter ISO 3166 country code such as DE")
	}
	if v := in.VATID; v != "" && !validVATID(v) {
		fe.Add("vat_id", "must be a VAT id such as DE123456789 (country code, then 2 to 13 letters or digits)")
	}
	switch {
	case in.Payout == "":
	case looksLikeIBAN(in.Payout) && !validIBAN(in.Payout):
		fe.Add("payout", "this IBAN's check digits do not match; check it for a typo")
	default:
		fe.Text("payout", in.Payout, 0, 100)
	}
	return fe.Err("The owner is not valid.")
}

func validVATID(v string) bool {
	if len(v) < 4 || len(v) > 15 {
		return false
	}
	for i, c := range v {
		letter := c >= 'A' && c <= 'Z'
		if i < 2 && !letter || i >= 2 && !letter && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// looksLikeIBAN reports whether s has an IBAN's shape: two letters, two
// digits, then 11 to 30 letters or digits.
func looksLikeIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i, c := range s {
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if i < 2 && !letter || i >= 2 && i < 4 && !digit || i >= 4 && !letter && !digit {
			return false
		}
	}
	return true
}

// validIBAN checks an IBAN's ISO 7064 mod-97 check digits.
func validIBAN(iban string) bool {
	var digits strings.Builder
	for _, c := range iban[4:] + iban[:4] {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(strconv.Itoa(int(c - 'A' + 10)))
		} else {
			digits.WriteRune(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// ownerColumns are the sealed personal columns, in storage order.
var ownerColumns = []string{"name", "email", "address", "vat_id", "payout"}

func (in OwnerInput) plain() [][]byte {
	return [][]byte{[]byte(in.Name), []byte(in.Email), []byte(tenant.MustJSON(in.Address)), []byte(in.VATID), []byte(in.Payout)}
}

// sealedOwner is how an owner row looks in audit rows: only sealed values,
// which the owner's key alone opens.
type sealedOwner struct {
	ID      string            `json:"id"`
	Version int               `json:"version"`
	Sealed  map[string][]byte `json:"sealed"`
}

func sealOwner(k *tenant.SubjectKey, id string, version int, in OwnerInput) ([][]byte, sealedOwner) {
	pt := in.plain()
	out := make([][]byte, len(pt))
	so := sealedOwner{ID: id, Version: version, Sealed: map[string][]byte{}}
	for i, col := range ownerColumns {
		out[i] = k.Seal("owners", col, id, pt[i])
		so.Sealed[col] = out[i]
	}
	return out, so
}

func ownerFromInput(id string, in OwnerInput, version int, created, updated time.Time) Owner {
	return Owner{ID: id, Name: in.Name, Email: in.Email, Address: in.Address, VATID: in.VATID, Payout: in.Payout,
		Version: version, CreatedAt: created, UpdatedAt: updated}
}

// CreateOwner adds an owner, sealing every personal field under a new
// per-owner key, and audits "owner.created" with the sealed values. It
// returns EINVALID for bad input.
func (s Store) CreateOwner(ctx context.Context, in OwnerInput) (Owner, error) {
	in.normalise()
	if err := in.validate(); err != nil {
		return Owner{}, err
	}
	var o Owner
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		id := aura.NewID("own")
		k, wrapped := s.NewSubjectKey(id)
		cols, so := sealOwner(k, id, 1, in)
		now := tenant.FormatTime(tx.Now)
		if _, err := tx.Exec(`INSERT INTO owners (id, key_wrapped, name, email, address, vat_id, payout, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, id, wrapped, cols[0], cols[1], cols[2], cols[3], cols[4], now, now); err != nil {
			return err
		}
		o = ownerFromInput(id, in, 1, tx.Now, tx.Now)
		return tx.Audit(audit.Entry{Action: "owner.created", EntityType: "owner", EntityID: id, After: so})
	})
	return o, err
}

// UpdateOwner replaces an owner's fields, re-sealing them under the
// owner's key, and audits "owner.updated" (sealed before and after). It
// returns ENOTFOUND, EPRECONDITION or EINVALID.
func (s Store) UpdateOwner(ctx context.Context, id string, in OwnerInput) (Owner, error) {
	in.normalise()
	if err := in.validate(); err != nil {
		return Owner{}, err
	}
	var o Owner
	err := s.Update(ctx, func(tx *tenant.Tx) error {
		st, err := s.load(tx, id)
		if err != nil {
			return err
		}
		if st.owner.ErasedAt != nil {
			return errErased
		}
		if err := tenant.CheckVersion("owner", id, st.owner.Version, in.Version); err != nil {
			return err
		}
		version := st.owner.Version + 1
		cols, after := sealOwner(st.key, id, version, in)
		if _, err := tx.Exec(`UPDATE owners SET name = ?, email = ?, address = ?, vat_id = ?, payout = ?, version = ?, updated_at = ? WHERE id = ?`,
			cols[0], cols[1], cols[2], cols[3], cols[4], version, tenant.FormatTime(tx.Now), id); err != nil {
			return err
		}
		o = ownerFromInput(id, in, version, st.owner.CreatedAt, tx.Now)
		return tx.Audit(audit.Entry{Action: "owner.updated", EntityType: "owner", EntityID: id, Before: st.sealed, After: after})
	})
	return o, err
}

// GetOwner returns an owner, unsealed, or ENOTFOUND.
func (s Store) GetOwner(ctx context.Context, id string) (Owner, error) {
	var o Owner
	err := s.View(ctx, func(tx *tenant.Tx) error {
		st, err := s.load(tx, id)
		o = st.owner
		return err
	})
	return o, err
}

// OwnerTx returns an owner, unsealed, inside the caller's transaction, or
// ENOTFOUND.
func (s Store) OwnerTx(tx *tenant.Tx, id string) (Owner, error) {
	st, err := s.load(tx, id)
	return st.owner, err
}

// ListOwners returns every owner, unsealed, ordered by name.
func (s Store) ListOwners(ctx context.Context) ([]Owner, error) {
	out := []Owner{}
	err := s.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(ownerSelect + ` ORDER BY created_at, id LIMIT 1000`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			st, err := s.scan(rows)
			if err != nil {
				return err
			}
			out = append(out, st.owner)
		}
		return rows.Err()
	})
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, err
}

type storedOwner struct {
	key    *tenant.SubjectKey
	owner  Owner
	sealed sealedOwner
}

const ownerSelect = `SELECT id, key_wrapped, name, email, address, vat_id, payout, version, created_at, updated_at, erased_at FROM owners`

func (s Store) load(tx *tenant.Tx, id string) (storedOwner, error) {
	st, err := s.scan(tx.QueryRow(ownerSelect+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return st, tenant.NotFound("owner", id)
	}
	return st, err
}

func (s Store) scan(row interface{ Scan(...any) error }) (storedOwner, error) {
	var st storedOwner
	var wrapped []byte
	cols := make([][]byte, len(ownerColumns))
	var created, updated string
	var erased sql.NullString
	o := &st.owner
	if err := row.Scan(&o.ID, &wrapped, &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &o.Version, &created, &updated, &erased); err != nil {
		return st, err
	}
	o.CreatedAt, o.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	if erased.Valid {
		// Its key is gone: nothing to open.
		at := tenant.ParseTime(erased.String)
		o.ErasedAt, o.Name = &at, ErasedName
		return st, nil
	}
	k, err := s.OpenSubjectKey(o.ID, wrapped)
	if err != nil {
		return st, err
	}
	st.key = k
	st.sealed = sealedOwner{ID: o.ID, Version: o.Version, Sealed: map[string][]byte{}}
	pt := make([]string, len(cols))
	for i, col := range ownerColumns {
		st.sealed.Sealed[col] = cols[i]
		b, err := k.Unseal("owners", col, o.ID, cols[i])
		if err != nil {
			return st, err
		}
		pt[i] = string(b)
	}
	o.Name, o.Email, o.VATID, o.Payout = pt[0], pt[1], pt[3], pt[4]
	if err := json.Unmarshal([]byte(pt[2]), &o.Address); err != nil {
		return st, err
	}
	return st, nil
}
