package stays

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Guest is a guest profile. Every personal field is stored sealed under the
// guest's own key, which is wrapped by the tenant key; a Guest value is the
// unsealed view. An erased guest (its key destroyed) has Erased set and no
// personal data.
type Guest struct {
	ID          string            `json:"id"`
	GivenName   string            `json:"given_name"`
	FamilyName  string            `json:"family_name"`
	Email       string            `json:"email"`
	Phone       string            `json:"phone"`
	Address     inventory.Address `json:"address"`
	Nationality string            `json:"nationality"` // ISO 3166-1 alpha-2
	Language    string            `json:"language"`    // BCP 47, e.g. de or en-GB
	Notes       string            `json:"notes"`
	Erased      bool              `json:"erased,omitempty"`
	// RestrictedAt is when processing was restricted (GDPR art. 18), nil
	// when it is not: see WithRestricted.
	RestrictedAt *time.Time `json:"restricted_at,omitempty"`
	Version      int        `json:"version"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Name returns the guest's full name as shown in lists; an anonymised
// guest's name is its pseudonym (see Pseudonym).
func (g Guest) Name() string {
	if g.Erased {
		return Pseudonym(g.ID)
	}
	return strings.TrimSpace(g.GivenName + " " + g.FamilyName)
}

// GuestInput creates or replaces a guest profile. Version, when not zero,
// must match on update.
type GuestInput struct {
	GivenName   string            `json:"given_name"`
	FamilyName  string            `json:"family_name"`
	Email       string            `json:"email"`
	Phone       string            `json:"phone"`
	Address     inventory.Address `json:"address"`
	Nationality string            `json:"nationality"`
	Language    string            `json:"language"`
	Notes       string            `json:"notes"`
	Version     int               `json:"version,omitempty"`
}

func (in *GuestInput) normalise() {
	in.GivenName = strings.TrimSpace(in.GivenName)
	in.FamilyName = strings.TrimSpace(in.FamilyName)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Nationality = strings.ToUpper(strings.TrimSpace(in.Nationality))
	in.Language = strings.TrimSpace(in.Language)
}

// validate checks a guest; prefix names the fields ("booker." in a booking).
func (in GuestInput) validate(fe *tenant.FieldErrors, prefix string) {
	if in.GivenName == "" && in.FamilyName == "" {
		fe.Add(prefix+"family_name", "a guest needs a given name or a family name")
	}
	fe.Text(prefix+"given_name", in.GivenName, 0, 100)
	fe.Text(prefix+"family_name", in.FamilyName, 0, 100)
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 254 {
			fe.Add(prefix+"email", "must be an email address such as ana@example.com")
		}
	}
	if in.Phone != "" {
		digits := 0
		for _, r := range in.Phone {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune("+-()/. ", r):
			default:
				digits = -100
			}
		}
		if digits < 4 || digits > 20 || len(in.Phone) > 40 {
			fe.Add(prefix+"phone", "must be a phone number of 4 to 20 digits")
		}
	}
	fe.Text(prefix+"address.line1", in.Address.Line1, 0, 200)
	fe.Text(prefix+"address.line2", in.Address.Line2, 0, 200)
	fe.Text(prefix+"address.postal_code", in.Address.PostalCode, 0, 20)
	fe.Text(prefix+"address.city", in.Address.City, 0, 100)
	fe.Text(prefix+"address.region", in.Address.Region, 0, 100)
	if c := in.Address.Country; c != "" && !inventory.IsCountryCode(c) {
		fe.Add(prefix+"address.country", "must be a two-letter ISO 3166 country code such as DE")
	}
	if in.Nationality != "" && !inventory.IsCountryCode(in.Nationality) {
		fe.Add(prefix+"nationality", "must be a two-letter ISO 3166 country code such as DE")
	}
	if in.Language != "" && !isLanguageTag(in.Language) {
		fe.Add(prefix+"language", "must be a language tag such as de or en-GB")
	}
	if len(in.Notes) > 4000 {
		fe.Add(prefix+"notes", "must be at most 4000 characters")
	}
}

func isLanguageTag(s string) bool {
	if len(s) < 2 || len(s) > 12 {
		return false
	}
	for i, part := range strings.Split(s, "-") {
		if len(part) < 2 || len(part) > 8 {
			return false
		}
		for _, r := range part {
			if !(r < 128 && (unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r))) {
				return false
			}
		}
	}
	return true
}

// guestColumns are the sealed personal columns, in storage order.
var guestColumns = []string{"given_name", "family_name", "email", "phone", "address", "nationality", "language", "notes"}

func (in GuestInput) plain() [][]byte {
	return [][]byte{[]byte(in.GivenName), []byte(in.FamilyName), []byte(in.Email), []byte(in.Phone),
		[]byte(tenant.MustJSON(in.Address)), []byte(in.Nationality), []byte(in.Language), []byte(in.Notes)}
}

// sealedGuest is how a guest row looks in audit rows: only sealed values
// (base64 in JSON), which the guest's key alone opens.
type sealedGuest struct {
	ID      string            `json:"id"`
	Version int               `json:"version"`
	Sealed  map[string][]byte `json:"sealed"`
}

func sealGuest(k *tenant.SubjectKey, id string, version int, in GuestInput) ([][]byte, sealedGuest) {
	pt := in.plain()
	out := make([][]byte, len(pt))
	sg := sealedGuest{ID: id, Version: version, Sealed: map[string][]byte{}}
	for i, col := range guestColumns {
		out[i] = k.Seal("guests", col, id, pt[i])
		sg.Sealed[col] = out[i]
	}
	return out, sg
}

// CreateGuest adds a guest profile, sealing every personal field under a new
// per-guest key and indexing its search terms. It returns EINVALID for bad input.
func (db Store) CreateGuest(ctx context.Context, in GuestInput) (Guest, error) {
	gs, err := db.CreateGuests(ctx, []GuestInput{in})
	if err != nil {
		return Guest{}, err
	}
	return gs[0], nil
}

// CreateGuests adds many guest profiles in one transaction (an import), one
// audit row each. Nothing is written when any input is invalid: the
// EINVALID error names the failing fields as "guests[i].field".
func (db Store) CreateGuests(ctx context.Context, ins []GuestInput) ([]Guest, error) {
	ins = append([]GuestInput(nil), ins...)
	var fe tenant.FieldErrors
	for i := range ins {
		ins[i].normalise()
		ins[i].validate(&fe, "guests["+tenant.Itoa(i)+"].")
	}
	if len(ins) == 1 {
		for i := range fe {
			fe[i].Field = strings.TrimPrefix(fe[i].Field, "guests[0].")
		}
	}
	if err := fe.Err("The guest is not valid."); err != nil {
		return nil, err
	}
	out := make([]Guest, 0, len(ins))
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		ix := db.newGuestIndexer()
		for _, in := range ins {
			g, _, err := db.createGuest(tx, ix, in)
			if err != nil {
				return err
			}
			out = append(out, g)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// createGuest writes a validated guest in tx and returns it with its key.
func (db Store) createGuest(tx *tenant.Tx, ix *guestIndexer, in GuestInput) (Guest, *tenant.SubjectKey, error) {
	id := aura.NewOrderedID("gst")
	k, wrapped := db.NewSubjectKey(id)
	cols, sg := sealGuest(k, id, 1, in)
	now := tenant.FormatTime(tx.Now)
	res, err := tx.Exec(`INSERT INTO guests (id, key_wrapped, given_name, family_name, email, phone, address, nationality, language, notes,
		version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		id, wrapped, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], now, now)
	if err != nil {
		return Guest{}, nil, err
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return Guest{}, nil, err
	}
	if err := ix.insert(tx, seq, in); err != nil {
		return Guest{}, nil, err
	}
	if err := tx.Audit(audit.Entry{Action: "guest.created", EntityType: "guest", EntityID: id, After: sg}); err != nil {
		return Guest{}, nil, err
	}
	return guestFromInput(id, in, 1, tx.Now, tx.Now), k, nil
}

func guestFromInput(id string, in GuestInput, version int, created, updated time.Time) Guest {
	return Guest{ID: id, GivenName: in.GivenName, FamilyName: in.FamilyName, Email: in.Email, Phone: in.Phone, Address: in.Address,
		Nationality: in.Nationality, Language: in.Language, Notes: in.Notes, Version: version, CreatedAt: created, UpdatedAt: updated}
}

func (g Guest) input() GuestInput {
	return GuestInput{GivenName: g.GivenName, FamilyName: g.FamilyName, Email: g.Email, Phone: g.Phone, Address: g.Address,
		Nationality: g.Nationality, Language: g.Language, Notes: g.Notes}
}

// UpdateGuest replaces a guest's profile (rectification), re-sealing it
// under the guest's key and replacing its search terms. It returns
// ENOTFOUND, EPRECONDITION, EINVALID, or ECONFLICT for an erased guest.
func (db Store) UpdateGuest(ctx context.Context, id string, in GuestInput) (Guest, error) {
	in.normalise()
	var fe tenant.FieldErrors
	in.validate(&fe, "")
	if err := fe.Err("The guest is not valid."); err != nil {
		return Guest{}, err
	}
	var g Guest
	err := db.Update(ctx, func(tx *tenant.Tx) error {
		st, err := db.loadGuest(tx, id)
		if err != nil {
			return err
		}
		if st.guest.Erased {
			return aura.Errorf(aura.ECONFLICT, "This guest's personal data was erased; the profile cannot be changed.")
		}
		if err := tenant.CheckVersion("guest", id, st.guest.Version, in.Version); err != nil {
			return err
		}
		version := st.guest.Version + 1
		cols, after := sealGuest(st.key, id, version, in)
		if _, err := tx.Exec(`UPDATE guests SET given_name = ?, family_name = ?, email = ?, phone = ?, address = ?, nationality = ?, language = ?,
			notes = ?, version = ?, updated_at = ? WHERE seq = ?`, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7],
			version, tenant.FormatTime(tx.Now), st.seq); err != nil {
			return err
		}
		ix := db.newGuestIndexer()
		if err := ix.replace(tx, st.seq, in); err != nil {
			return err
		}
		if err := tx.Audit(audit.Entry{Action: "guest.updated", EntityType: "guest", EntityID: id, Before: st.sealed, After: after}); err != nil {
			return err
		}
		g = guestFromInput(id, in, version, st.guest.CreatedAt, tx.Now)
		return nil
	})
	return g, err
}

// GetGuest returns a guest's unsealed profile, or ENOTFOUND.
func (db Store) GetGuest(ctx context.Context, id string) (Guest, error) {
	var g Guest
	err := db.View(ctx, func(tx *tenant.Tx) error {
		st, err := db.loadGuest(tx, id)
		g = st.guest
		return err
	})
	return g, err
}

// storedGuest is a guest row read and unsealed.
type storedGuest struct {
	seq    int64
	key    *tenant.SubjectKey
	guest  Guest
	sealed sealedGuest
}

const guestSelect = `SELECT seq, id, key_wrapped, given_name, family_name, email, phone, address, nationality, language, notes, version, created_at, updated_at,
	restricted_at FROM guests`

func (db Store) loadGuest(tx *tenant.Tx, id string) (storedGuest, error) {
	st, err := db.scanGuest(tx.QueryRow(guestSelect+` WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return st, tenant.NotFound("guest", id)
	}
	return st, err
}

// scanGuest reads one row of guestSelect and unseals it.
func (db Store) scanGuest(s interface{ Scan(...any) error }) (storedGuest, error) {
	var st storedGuest
	var wrapped []byte
	cols := make([][]byte, len(guestColumns))
	var created, updated string
	var restricted sql.NullString
	g := &st.guest
	if err := s.Scan(&st.seq, &g.ID, &wrapped, &cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &cols[7],
		&g.Version, &created, &updated, &restricted); err != nil {
		return st, err
	}
	g.RestrictedAt = tenant.ParseNullTime(restricted)
	g.CreatedAt, g.UpdatedAt = tenant.ParseTime(created), tenant.ParseTime(updated)
	st.sealed = sealedGuest{ID: g.ID, Version: g.Version, Sealed: map[string][]byte{}}
	if wrapped == nil {
		g.Erased = true
		return st, nil
	}
	tenant.CountGuestOpen()
	k, err := db.OpenSubjectKey(g.ID, wrapped)
	if err != nil {
		return st, err
	}
	st.key = k
	pt := make([]string, len(cols))
	for i, col := range guestColumns {
		st.sealed.Sealed[col] = cols[i]
		b, err := k.Unseal("guests", col, g.ID, cols[i])
		if err != nil {
			return st, err
		}
		pt[i] = string(b)
	}
	g.GivenName, g.FamilyName, g.Email, g.Phone = pt[0], pt[1], pt[2], pt[3]
	if err := json.Unmarshal([]byte(pt[4]), &g.Address); err != nil {
		return st, err
	}
	g.Nationality, g.Language, g.Notes = pt[5], pt[6], pt[7]
	return st, nil
}

// GuestTx returns a guest's unsealed profile inside the caller's
// transaction, with the guest's key for sealing data that belongs to the
// guest (nil for an anonymised guest). It returns ENOTFOUND.
func (db Store) GuestTx(tx *tenant.Tx, id string) (Guest, *tenant.SubjectKey, error) {
	st, err := db.loadGuest(tx, id)
	return st.guest, st.key, err
}

// RestrictedName is how lists name a guest whose processing is
// restricted, for callers who may not see restricted guests.
const RestrictedName = "Restricted guest"

// GuestNamesTx returns the display names of the given guests, unsealing only
// the name columns of exactly those guests. A restricted guest is named
// RestrictedName, without unsealing anything, unless the transaction's
// context was marked by WithRestricted: lists, boards, search results and
// the tape chart do not show who they are.
func (db Store) GuestNamesTx(tx *tenant.Tx, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.Query(`SELECT id, key_wrapped, given_name, family_name, restricted_at IS NOT NULL FROM guests WHERE id IN (`+tenant.Placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sees := SeesRestricted(tx.Context())
	for rows.Next() {
		var id string
		var wrapped, given, family []byte
		var restricted bool
		if err := rows.Scan(&id, &wrapped, &given, &family, &restricted); err != nil {
			return nil, err
		}
		if wrapped == nil {
			out[id] = Guest{ID: id, Erased: true}.Name()
			continue
		}
		if restricted && !sees {
			out[id] = RestrictedName
			continue
		}
		if restricted {
			noteRestrictedRead(tx.Context(), id)
		}
		tenant.CountGuestOpen()
		k, err := db.OpenSubjectKey(id, wrapped)
		if err != nil {
			return nil, err
		}
		gn, err := k.Unseal("guests", "given_name", id, given)
		if err != nil {
			return nil, err
		}
		fn, err := k.Unseal("guests", "family_name", id, family)
		if err != nil {
			return nil, err
		}
		out[id] = Guest{GivenName: string(gn), FamilyName: string(fn)}.Name()
	}
	return out, rows.Err()
}

// guestKey opens the key of a guest for sealing related data (a booking's
// notes under its booker). It returns ECONFLICT for an erased guest.
func (db Store) guestKey(tx *tenant.Tx, id string) (*tenant.SubjectKey, error) {
	var wrapped []byte
	err := tx.QueryRow(`SELECT key_wrapped FROM guests WHERE id = ?`, id).Scan(&wrapped)
	if err == sql.ErrNoRows {
		return nil, tenant.NotFound("guest", id)
	} else if err != nil {
		return nil, err
	}
	if wrapped == nil {
		return nil, aura.Errorf(aura.ECONFLICT, "This guest's personal data was erased.")
	}
	return db.OpenSubjectKey(id, wrapped)
}

type seesRestrictedKey struct{}

// restrictedReads are the restricted guests whose personal data was
// shown under a context marked by WithRestricted, to be audited once each
// (AuditRestrictedReads).
type restrictedReads struct {
	mu      sync.Mutex
	pending []string
	seen    map[string]bool
}

// WithRestricted marks ctx as a caller who may see restricted guests
// (the permission guests.restricted.read): ListGuests and SearchGuests
// leave restricted guests out for everyone else, and GuestNamesTx and
// GetBooking hide their names and notes. Each restricted guest whose
// name or notes are shown under ctx is noted, for the caller to audit
// with AuditRestrictedReads; reading a restricted guest's profile is the
// caller's to audit too (tenant/guestdata). A ctx already marked keeps
// its notes.
func WithRestricted(ctx context.Context) context.Context {
	if SeesRestricted(ctx) {
		return ctx
	}
	return context.WithValue(ctx, seesRestrictedKey{}, &restrictedReads{seen: map[string]bool{}})
}

// SeesRestricted reports whether ctx was marked by WithRestricted.
func SeesRestricted(ctx context.Context) bool {
	_, ok := ctx.Value(seesRestrictedKey{}).(*restrictedReads)
	return ok
}

// noteRestrictedRead notes that restricted guest id's personal data is
// shown under ctx.
func noteRestrictedRead(ctx context.Context, id string) {
	rr, ok := ctx.Value(seesRestrictedKey{}).(*restrictedReads)
	if !ok {
		return
	}
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if !rr.seen[id] {
		rr.seen[id] = true
		rr.pending = append(rr.pending, id)
	}
}

// NoteRestrictedRead notes that restricted guest id's personal data is
// shown under ctx, for AuditRestrictedReads: for reads outside this
// package (a restricted guest's emails, tenant/guestmail).
func NoteRestrictedRead(ctx context.Context, id string) { noteRestrictedRead(ctx, id) }

// RestrictedReadAudited records that the caller audited the read of
// restricted guest id itself (the guest page's gate), so that
// AuditRestrictedReads does not audit it a second time.
func RestrictedReadAudited(ctx context.Context, id string) {
	rr, ok := ctx.Value(seesRestrictedKey{}).(*restrictedReads)
	if !ok {
		return
	}
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.seen[id] = true
	for i, p := range rr.pending {
		if p == id {
			rr.pending = append(rr.pending[:i], rr.pending[i+1:]...)
			break
		}
	}
}

// AuditRestrictedReads audits, once per guest, each restricted guest
// whose name or notes were shown under ctx since the last call
// ("guest.restricted_read", what: the page or API call), as the guest
// page's gate audits the profile.
func (db Store) AuditRestrictedReads(ctx context.Context, what string) error {
	rr, ok := ctx.Value(seesRestrictedKey{}).(*restrictedReads)
	if !ok {
		return nil
	}
	rr.mu.Lock()
	ids := rr.pending
	rr.pending = nil
	rr.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	return db.Update(ctx, func(tx *tenant.Tx) error {
		for _, id := range ids {
			if err := tx.Audit(audit.Entry{Action: "guest.restricted_read", EntityType: "guest", EntityID: id, After: map[string]any{"read": what}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// restrictedFilter is the SQL condition leaving restricted guests out for
// a caller who may not see them ("1" for one who may).
func restrictedFilter(ctx context.Context) string {
	if SeesRestricted(ctx) {
		return "1"
	}
	return "restricted_at IS NULL"
}
