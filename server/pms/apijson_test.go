package pms

import (
	"bytes"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/stays"
)

// reflectiveJSON renders v the way writeAPI did before the hand-made
// encoders: normalised instants, then encoding/json.
func reflectiveJSON(t *testing.T, v any) ([]byte, error) {
	t.Helper()
	pv := reflect.New(reflect.TypeOf(v))
	pv.Elem().Set(reflect.ValueOf(v))
	normaliseTimes(pv)
	rec := httptest.NewRecorder()
	err := web.WriteJSON(rec, 200, pv.Elem().Interface())
	return rec.Body.Bytes(), err
}

// fill sets every exported field of v (a pointer) to a random value: empty
// and non-empty strings with characters JSON escapes, zero and non-zero
// numbers, nil and set pointers and slices, instants in other zones with
// nanoseconds, zero and real dates.
func fill(rng *rand.Rand, v reflect.Value) {
	strs := []string{"", "res_01HZX", "direct", "<b>&amp;</b>", "quote \" back \\ slash", "tab\tnew\nline\x01", "Müller 東京", "line\u2028sep", "bad \xff utf8"}
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		zone := time.FixedZone("X", rng.IntN(50000)-25000)
		v.Set(reflect.ValueOf(time.Date(1990+rng.IntN(60), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1e9), zone)))
		return
	case reflect.TypeFor[date.Date]():
		if rng.IntN(5) > 0 {
			v.Set(reflect.ValueOf(date.New(1990+rng.IntN(60), time.Month(1+rng.IntN(12)), 1+rng.IntN(28))))
		} else {
			v.Set(reflect.ValueOf(date.Date{}))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[rng.IntN(len(strs))])
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(rng.Int64N(2_000_000) - 1_000_000)
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Pointer:
		if rng.IntN(2) == 0 {
			v.Set(reflect.Zero(v.Type()))
		} else {
			p := reflect.New(v.Type().Elem())
			fill(rng, p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		if rng.IntN(4) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		n := rng.IntN(4)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			fill(rng, s.Index(i))
		}
		v.Set(s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i))
			}
		}
	default:
		panic("fill: no rule for " + v.Type().String())
	}
}

// TestAppendJSONMatchesEncoding: the hand-made encoders of a reservation,
// a page of reservations and a booking write the very bytes writeAPI's
// reflective path writes, for values with every field set at random.
func TestAppendJSONMatchesEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 4))
	for i := 0; i < 3000; i++ {
		var v any
		switch i % 3 {
		case 0:
			var r stays.Reservation
			fill(rng, reflect.ValueOf(&r).Elem())
			v = r
		case 1:
			var l web.ApiList[stays.Reservation]
			fill(rng, reflect.ValueOf(&l).Elem())
			v = l
		case 2:
			var k stays.Booking
			fill(rng, reflect.ValueOf(&k).Elem())
			v = k
		}
		want, err := reflectiveJSON(t, v)
		if err != nil {
			t.Fatalf("%T: encoding/json: %v", v, err)
		}
		got, ok := fastJSON(nil, v)
		if !ok {
			t.Fatalf("%T has no hand-made encoder", v)
		}
		got = append(got, '\n')
		if !bytes.Equal(got, want) {
			t.Fatalf("%T differs:\n got %s\nwant %s", v, got, want)
		}
		rec := httptest.NewRecorder()
		if err := writeAPI(rec, 201, v); err != nil || rec.Code != 201 || !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("writeAPI: %v %d %s", err, rec.Code, rec.Body.Bytes())
		}
		if h := rec.Header(); h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" || h.Get("Content-Length") == "" {
			t.Fatalf("writeAPI headers: %v", h)
		}
	}
}

// TestAppendJSONOutOfRange: an instant encoding/json refuses makes the
// hand-made encoder step aside, so writeAPI fails as it always did (a
// clean error, no half body).
func TestAppendJSONOutOfRange(t *testing.T) {
	r := stays.Reservation{ID: "r", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, ok := fastJSON(nil, r); ok {
		t.Fatal("fastJSON rendered the year 10000")
	}
	rec := httptest.NewRecorder()
	if err := writeAPI(rec, 200, r); err == nil || rec.Body.Len() != 0 {
		t.Fatalf("writeAPI: %v, body %q", err, rec.Body.Bytes())
	}
}
