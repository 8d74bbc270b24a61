package pms

import (
	"reflect"
	"testing"
	"time"

	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/stays"
)

// TestNormaliseTimes: writeAPI's walk reaches instants at any depth (in a
// struct, behind a pointer, in a slice, in a map of pointers) and skips
// types that hold none.
func TestNormaliseTimes(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 1, 12, 30, 15, 987654321, berlin)
	want := time.Date(2026, 3, 1, 11, 30, 15, 0, time.UTC)
	type inner struct {
		At *time.Time `json:"at"`
	}
	type outer struct {
		Reservations []stays.Reservation `json:"reservations"`
		Inner        []*inner            `json:"inner"`
		ByKey        map[string]*inner   `json:"by_key"`
		Any          any                 `json:"any"`
	}
	a1, a2 := at, at
	v := outer{
		Reservations: []stays.Reservation{{CreatedAt: at, CheckedInAt: &a1, Nights: []stays.Night{{Price: tenant.Money{Amount: 1}}}}},
		Inner:        []*inner{{At: &a2}},
		ByKey:        map[string]*inner{"k": {At: new(time.Time)}},
	}
	*v.ByKey["k"].At = at
	pv := reflect.New(reflect.TypeOf(v))
	pv.Elem().Set(reflect.ValueOf(v))
	normaliseTimes(pv)
	got := pv.Elem().Interface().(outer)
	for name, tm := range map[string]time.Time{"created_at": got.Reservations[0].CreatedAt, "checked_in_at": *got.Reservations[0].CheckedInAt,
		"slice of pointers": *got.Inner[0].At, "map of pointers": *got.ByKey["k"].At} {
		if !tm.Equal(want) || tm.Location() != time.UTC || tm.Nanosecond() != 0 {
			t.Errorf("%s: %v, want %v", name, tm, want)
		}
	}
	for _, c := range []struct {
		v    any
		want bool
	}{{stays.Night{}, false}, {tenant.Money{}, false}, {"", false}, {stays.Reservation{}, true}, {[]*inner{}, true}, {outer{}, true}} {
		if got := holdsTime(reflect.TypeOf(c.v)); got != c.want {
			t.Errorf("holdsTime(%T) = %v", c.v, got)
		}
	}
}
