package stays

import (
	"context"
	"strconv"

	"github.com/aurapms/aura/tenant"
)

// GuestPage is one page of ListGuests, newest guest first.
type GuestPage struct {
	Guests     []Guest `json:"guests"`
	NextCursor string  `json:"next_cursor,omitempty"`
}

// ListGuests returns the guests of the tenant, newest first, a page at a
// time: limit (default 50, at most 200) guests after cursor (from a
// previous page's NextCursor). Only the guests on the page are unsealed,
// so a page costs its own size whatever the number of guests. Erased
// guests are listed without personal data; restricted guests only for a
// caller marked by WithRestricted. It returns EINVALID for a
// cursor this list did not return.
func (db Store) ListGuests(ctx context.Context, limit int, cursor string) (GuestPage, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	var before int64
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 36, 64)
		if err != nil || n <= 0 {
			var fe tenant.FieldErrors
			fe.Add("cursor", "is not a cursor this list returned")
			return GuestPage{}, fe.Err("The guest list request is not valid.")
		}
		before = n
	}
	page := GuestPage{Guests: []Guest{}}
	err := db.View(ctx, func(tx *tenant.Tx) error {
		q, args := guestSelect+` WHERE `+restrictedFilter(ctx)+` ORDER BY seq DESC LIMIT ?`, []any{limit + 1}
		if before > 0 {
			q, args = guestSelect+` WHERE seq < ? AND `+restrictedFilter(ctx)+` ORDER BY seq DESC LIMIT ?`, []any{before, limit + 1}
		}
		rows, err := tx.Query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var last int64
		for rows.Next() {
			if len(page.Guests) == limit {
				page.NextCursor = strconv.FormatInt(last, 36)
				break
			}
			st, err := db.scanGuest(rows)
			if err != nil {
				return err
			}
			if st.guest.RestrictedAt != nil {
				noteRestrictedRead(ctx, st.guest.ID)
			}
			page.Guests = append(page.Guests, st.guest)
			last = st.seq
		}
		return rows.Err()
	})
	return page, err
}

// GuestNames returns the display names of the given guests ("(erased
// guest)" for an erased one), unsealing only their name fields: what a
// list of reservations needs. Unknown ids are left out.
func (db Store) GuestNames(ctx context.Context, ids []string) (map[string]string, error) {
	var out map[string]string
	err := db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		out, err = db.GuestNamesTx(tx, ids)
		return err
	})
	return out, err
}
