package pms

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/stays"
)

// The API's hottest bodies (a reservation, a page of them, a booking) are
// written by hand-made appending encoders instead of encoding/json's
// reflection: a list of 50 reservations spent a fifth of its time there.
// Each renders exactly the bytes writeAPI's reflective path renders (same
// keys, order, omitempty, instants in whole UTC seconds, HTML-safe string
// escaping, the trailing newline); TestAppendJSONMatchesEncoding fills
// every field of the types at random and compares both, so a field added
// to one of these types fails it until the encoder learns it.

// appendBuffers holds the byte slices the appending encoders fill.
var appendBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// outOfRange is what appendTime panics with for an instant encoding/json
// refuses (a year outside 0-9999); fastJSON turns it into a false, so the
// reflective path reports the same error it always did.
type outOfRange struct{}

// fastJSON renders v with a hand-made encoder when there is one for its
// type, else reports false.
func fastJSON(b []byte, v any) (_ []byte, ok bool) {
	defer func() {
		if e := recover(); e != nil {
			if _, is := e.(outOfRange); !is {
				panic(e)
			}
			ok = false
		}
	}()
	switch v := v.(type) {
	case stays.Reservation:
		return appendReservation(b, &v), true
	case web.ApiList[stays.Reservation]:
		b = append(b, `{"data":`...)
		b = appendReservations(b, v.Data)
		b = append(b, `,"next_cursor":`...)
		if v.NextCursor == nil {
			b = append(b, "null"...)
		} else {
			b = appendString(b, *v.NextCursor)
		}
		return append(b, '}'), true
	case stays.Booking:
		return appendBooking(b, &v), true
	}
	return b, false
}

// writeFast writes v through its hand-made encoder and reports true, or
// writes nothing and reports false when v's type has none.
func writeFast(w http.ResponseWriter, status int, v any) (bool, error) {
	p := appendBuffers.Get().(*[]byte)
	b, ok := fastJSON((*p)[:0], v)
	if !ok {
		appendBuffers.Put(p)
		return false, nil
	}
	b = append(b, '\n') // as json.Encoder ends a value
	err := web.WriteJSONBytes(w, status, b)
	if cap(b) <= 1<<20 { // a rare huge page should not pin its memory
		*p = b
		appendBuffers.Put(p)
	}
	return true, err
}

func appendBooking(b []byte, k *stays.Booking) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, k.ID)
	b = append(b, `,"property_id":`...)
	b = appendString(b, k.PropertyID)
	b = append(b, `,"booker_id":`...)
	b = appendString(b, k.BookerID)
	b = append(b, `,"source":`...)
	b = appendString(b, k.Source)
	if k.OTACode != "" {
		b = append(b, `,"ota_code":`...)
		b = appendString(b, k.OTACode)
	}
	b = append(b, `,"commission":`...)
	b = appendMoney(b, k.Commission)
	b = append(b, `,"notes":`...)
	b = appendString(b, k.Notes)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(k.Version), 10)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, k.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, k.UpdatedAt)
	b = append(b, `,"reservations":`...)
	b = appendReservations(b, k.Reservations)
	return append(b, '}')
}

func appendReservations(b []byte, rs []stays.Reservation) []byte {
	if rs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendReservation(b, &rs[i])
	}
	return append(b, ']')
}

func appendReservation(b []byte, r *stays.Reservation) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"booking_id":`...)
	b = appendString(b, r.BookingID)
	b = append(b, `,"property_id":`...)
	b = appendString(b, r.PropertyID)
	b = append(b, `,"room_type_id":`...)
	b = appendString(b, r.RoomTypeID)
	if r.RoomID != "" {
		b = append(b, `,"room_id":`...)
		b = appendString(b, r.RoomID)
	}
	b = append(b, `,"rate_plan_id":`...)
	b = appendString(b, r.RatePlanID)
	b = append(b, `,"guest_id":`...)
	b = appendString(b, r.GuestID)
	b = append(b, `,"source":`...)
	b = appendString(b, r.Source)
	b = append(b, `,"arrival":`...)
	b = r.Arrival.AppendJSON(b)
	b = append(b, `,"departure":`...)
	b = r.Departure.AppendJSON(b)
	b = append(b, `,"adults":`...)
	b = strconv.AppendInt(b, int64(r.Adults), 10)
	b = append(b, `,"children":`...)
	b = strconv.AppendInt(b, int64(r.Children), 10)
	b = append(b, `,"status":`...)
	b = appendString(b, r.Status)
	b = append(b, `,"overbooked":`...)
	b = strconv.AppendBool(b, r.Overbooked)
	b = append(b, `,"nights":`...)
	if r.Nights == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Nights {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNight(b, &r.Nights[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"total":`...)
	b = appendMoney(b, r.Total)
	if r.CancellationFee != nil {
		b = append(b, `,"cancellation_fee":`...)
		b = appendMoney(b, *r.CancellationFee)
	}
	if r.NoShowFee != nil {
		b = append(b, `,"no_show_fee":`...)
		b = appendMoney(b, *r.NoShowFee)
	}
	if r.CheckedInAt != nil {
		b = append(b, `,"checked_in_at":`...)
		b = appendTime(b, *r.CheckedInAt)
	}
	if r.CheckedOutAt != nil {
		b = append(b, `,"checked_out_at":`...)
		b = appendTime(b, *r.CheckedOutAt)
	}
	if r.CancelledAt != nil {
		b = append(b, `,"cancelled_at":`...)
		b = appendTime(b, *r.CancelledAt)
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(r.Version), 10)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, r.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, r.UpdatedAt)
	return append(b, '}')
}

func appendNight(b []byte, n *stays.Night) []byte {
	b = append(b, `{"date":`...)
	b = n.Date.AppendJSON(b)
	b = append(b, `,"price":`...)
	b = appendMoney(b, n.Price)
	if n.RoomID != "" {
		b = append(b, `,"room_id":`...)
		b = appendString(b, n.RoomID)
	}
	if n.Released {
		b = append(b, `,"released":true`...)
	}
	return append(b, '}')
}

func appendMoney(b []byte, m tenant.Money) []byte {
	b = append(b, `{"amount":`...)
	b = strconv.AppendInt(b, m.Amount, 10)
	b = append(b, `,"currency":`...)
	b = appendString(b, m.Currency)
	return append(b, '}')
}

// appendTime renders t as writeAPI does: whole seconds in UTC, RFC 3339.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y < 0 || y > 9999 {
		panic(outOfRange{})
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString appends s as a JSON string the way encoding/json does by
// default: printable ASCII other than the quote, the backslash and the
// HTML-sensitive <, > and & as they are, anything else through
// encoding/json itself.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			out, _ := json.Marshal(s) // a string always encodes
			return append(b, out...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
