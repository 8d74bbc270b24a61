package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// apiRaw sends a raw body (an ID photo) with the fixture's token.
func (f *pmsFixture) apiRaw(method, path, contentType string, body []byte) (*http.Response, string) {
	return f.h.do(req{method: method, path: "/" + f.t.Slug + "/api/v1" + path, raw: body, contentType: contentType,
		header: map[string]string{"Authorization": "Bearer " + f.token}})
}

// problemFields returns the fields named by a problem's errors.
func problemFields(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range decode[web.Problem](t, body).Errors {
		out[e.Field] = e.Message
	}
	return out
}

// nightsSold returns how many rooms are sold on each night of [from, to).
func nightsSold(t *testing.T, f *pmsFixture, from, to date.Date) map[date.Date]int {
	t.Helper()
	resp, body := f.api("GET", "/availability?from="+from.String()+"&to="+to.String(), "")
	if resp.StatusCode != 200 {
		t.Fatalf("availability: %d %s", resp.StatusCode, body)
	}
	out := map[date.Date]int{}
	for _, n := range decode[inventory.Availability](t, body).RoomTypes[0].Nights {
		out[n.Date] = n.Sold
	}
	return out
}

// TestFrontDeskAPI walks a front-desk day through the JSON API: the day's
// lists, a check-in with an ID document and a photo, the photo served
// privately, photos added raw (and refused when they are not images or
// too large), a companion's record with a photo larger than a plain JSON
// body may be, a rectification, extension and early departure moving
// availability, check-out, a housekeeping user's token, and the
// retention purge visible over HTTP.
func TestFrontDeskAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 3)
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Tilda", f.today, f.today.AddDays(3)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	res := decode[stays.Booking](t, body).Reservations[0]
	id := res.ID

	t.Run("FrontDeskDay", func(t *testing.T) {
		resp, body := f.api("GET", "/front-desk", "")
		fd := decode[frontdesk.FrontDesk](t, body)
		if resp.StatusCode != 200 || fd.Date != f.today || len(fd.Arrivals) != 1 || fd.Arrivals[0].Reservation.ID != id ||
			fd.Arrivals[0].GuestName != "Tilda Tester" || len(fd.InHouse) != 0 {
			t.Fatalf("front desk: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("GET", "/front-desk?date="+f.today.AddDays(3).String()+"&property_id="+f.prop.ID, "")
		if fd := decode[frontdesk.FrontDesk](t, body); resp.StatusCode != 200 || len(fd.Arrivals) != 0 || fd.Date != f.today.AddDays(3) {
			t.Fatalf("front desk in three days: %d %s", resp.StatusCode, body)
		}
		// A token that may not see guests sees no names.
		db := h.acquire("alpha")
		_, narrow, err := identity.New(db).CreateToken(aura.WithActor(context.Background(), f.owner.Actor()), f.owner.ID, "arrivals screen",
			[]identity.Permission{identity.PermReservationsRead}, time.Time{})
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		screen := *f
		screen.token = narrow
		resp, body = screen.api("GET", "/front-desk", "")
		if fd := decode[frontdesk.FrontDesk](t, body); resp.StatusCode != 200 || len(fd.Arrivals) != 1 || fd.Arrivals[0].GuestName != "Guest" || strings.Contains(body, "Tilda") {
			t.Fatalf("front desk without guests.read: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("GET", "/front-desk?date=tomorrow", "")
		if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)["date"] == "" {
			t.Fatalf("a date that is no date: %d %s", resp.StatusCode, body)
		}
	})

	jpg := auratest.JPEG(t, 24, 16)
	checkIn := stays.CheckInInput{RoomID: f.rooms[0].ID, Version: 1, Guests: []stays.GuestCheckIn{{
		Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "C01X00T47", IssuingCountry: "DE"},
		Photos:   [][]byte{jpg}}}}
	t.Run("ErrCheckInNotAnImage", func(t *testing.T) {
		bad := checkIn
		bad.Guests = []stays.GuestCheckIn{checkIn.Guests[0]}
		bad.Guests[0].Photos = [][]byte{[]byte("this is a text file, not a photo")}
		resp, body := f.api("POST", "/reservations/"+id+"/check-in", auratest.JSON(t, bad))
		if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)["guests[0].photos[0]"] != "must be a JPEG, PNG or HEIC image" {
			t.Fatalf("text as a photo: %d %s", resp.StatusCode, body)
		}
		if r := f.reservation(t, id); r.Status != stays.ReservationConfirmed || r.Version != 1 {
			t.Fatalf("a refused check-in changed the reservation: %s v%d", r.Status, r.Version)
		}
	})
	resp, body = f.api("POST", "/reservations/"+id+"/check-in", auratest.JSON(t, checkIn))
	if resp.StatusCode != 200 || decode[stays.Reservation](t, body).Status != stays.ReservationInHouse {
		t.Fatalf("check-in: %d %s", resp.StatusCode, body)
	}

	var rec stays.CheckInRecord
	var jpgID, pngID string
	t.Run("RecordAndPhoto", func(t *testing.T) {
		resp, body := f.api("GET", "/guests/"+res.GuestID+"/check-ins", "")
		recs := decode[struct{ Data []stays.CheckInRecord }](t, body).Data
		if resp.StatusCode != 200 || len(recs) != 1 || recs[0].Document.Number != "C01X00T47" || !recs[0].Primary ||
			len(recs[0].Photos) != 1 || recs[0].Photos[0].ContentType != "image/jpeg" || recs[0].Photos[0].Size != len(jpg) {
			t.Fatalf("guest's check-ins: %d %s", resp.StatusCode, body)
		}
		rec, jpgID = recs[0], recs[0].Photos[0].ID
		resp, body = f.api("GET", "/reservations/"+id+"/check-ins", "")
		if got := decode[struct{ Data []stays.CheckInRecord }](t, body).Data; resp.StatusCode != 200 || len(got) != 1 || got[0].ID != rec.ID {
			t.Fatalf("reservation's check-ins: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("GET", "/id-photos/"+jpgID, "")
		if resp.StatusCode != 200 || body != string(jpg) || resp.Header.Get("Content-Type") != "image/jpeg" ||
			resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") {
			t.Fatalf("photo: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
		}
	})

	t.Run("AddPhotoRaw", func(t *testing.T) {
		png := auratest.PNG(t, 24, 16)
		resp, body := f.apiRaw("POST", "/check-ins/"+rec.ID+"/photos", "image/png", png)
		p := decode[stays.IDPhoto](t, body)
		if resp.StatusCode != http.StatusCreated || p.ContentType != "image/png" || p.Size != len(png) || p.RecordID != rec.ID {
			t.Fatalf("add a PNG: %d %s", resp.StatusCode, body)
		}
		pngID = p.ID
		resp, body = f.api("GET", "/id-photos/"+pngID, "")
		if resp.StatusCode != 200 || body != string(png) || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("the PNG read back: %d %s (%d bytes)", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		// A text file is no photo, whatever its Content-Type claims.
		for _, ct := range []string{"image/jpeg", "text/plain"} {
			resp, body = f.apiRaw("POST", "/check-ins/"+rec.ID+"/photos", ct, []byte("this is a text file, not a photo"))
			if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)["photo"] != "must be a JPEG, PNG or HEIC image" {
				t.Fatalf("a text file sent as %s: %d %s", ct, resp.StatusCode, body)
			}
		}
		resp, body = f.apiRaw("POST", "/check-ins/"+rec.ID+"/photos", "image/jpeg", []byte{})
		if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)["photo"] != "is empty" {
			t.Fatalf("an empty body: %d %s", resp.StatusCode, body)
		}
		// One byte over the limit is 413; a photo of exactly the limit is taken.
		big := append(bytes.Clone(jpg), make([]byte, stays.MaxIDPhotoSize-len(jpg)+1)...)
		resp, body = f.apiRaw("POST", "/check-ins/"+rec.ID+"/photos", "image/jpeg", big)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 10 MiB") {
			t.Fatalf("a photo over 10 MiB: %d %.300s", resp.StatusCode, body)
		}
		resp, body = f.apiRaw("POST", "/check-ins/"+rec.ID+"/photos", "image/jpeg", big[:stays.MaxIDPhotoSize])
		if p := decode[stays.IDPhoto](t, body); resp.StatusCode != http.StatusCreated || p.Size != stays.MaxIDPhotoSize {
			t.Fatalf("a photo of 10 MiB: %d %.300s", resp.StatusCode, body)
		}
		resp, body = f.apiRaw("POST", "/check-ins/cki_nosuchrecord0000/photos", "image/png", png)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a photo for no record: %d %s", resp.StatusCode, body)
		}
		_, body = f.api("GET", "/guests/"+res.GuestID+"/check-ins", "")
		if recs := decode[struct{ Data []stays.CheckInRecord }](t, body).Data; len(recs[0].Photos) != 3 {
			t.Fatalf("the record keeps %d photos, want 3: %.500s", len(recs[0].Photos), body)
		}
	})

	t.Run("DeletePhoto", func(t *testing.T) {
		resp, body := f.api("DELETE", "/id-photos/"+pngID, "")
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("GET", "/id-photos/"+pngID, "")
		if p := decode[web.Problem](t, body); resp.StatusCode != http.StatusGone || p.Status != http.StatusGone || !strings.Contains(p.Detail, "was purged on") || p.Title != "Gone" {
			t.Fatalf("a deleted photo: %d %s", resp.StatusCode, body)
		}
		if resp, _ := f.api("DELETE", "/id-photos/"+pngID, ""); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete again: %d", resp.StatusCode)
		}
		_, body = f.api("GET", "/guests/"+res.GuestID+"/check-ins", "")
		for _, p := range decode[struct{ Data []stays.CheckInRecord }](t, body).Data[0].Photos {
			if (p.ID == pngID) != (p.PurgedAt != nil) || p.ID == pngID && p.PurgeReason != stays.PurgeDeleted {
				t.Fatalf("photo %s after deleting %s: %+v", p.ID, pngID, p)
			}
		}
	})

	t.Run("CompanionRecord", func(t *testing.T) {
		// A photo of 100 KB, more than a plain JSON body may carry.
		photo := append(auratest.JPEG(t, 24, 16), make([]byte, 100<<10)...)
		in := stays.GuestCheckIn{New: &stays.GuestInput{GivenName: "Theo", FamilyName: "Tester"},
			Document: stays.IDDocument{Type: stays.DocumentIDCard, Number: "L01X00T47", IssuingCountry: "DE"}, Photos: [][]byte{photo}}
		resp, body := f.api("POST", "/reservations/"+id+"/check-ins", auratest.JSON(t, in))
		c := decode[stays.CheckInRecord](t, body)
		if resp.StatusCode != http.StatusCreated || c.Primary || c.GuestName != "Theo Tester" || len(c.Photos) != 1 || c.Photos[0].Size != len(photo) {
			t.Fatalf("companion: %d %.500s", resp.StatusCode, body)
		}
		// The party of two is complete.
		in.New = &stays.GuestInput{GivenName: "Third", FamilyName: "Person"}
		in.Photos = nil
		resp, body = f.api("POST", "/reservations/"+id+"/check-ins", auratest.JSON(t, in))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(problemFields(t, body)["guest_id"], "all are checked in") {
			t.Fatalf("a third guest for two: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("GET", "/reservations/"+id+"/check-ins", "")
		if recs := decode[struct{ Data []stays.CheckInRecord }](t, body).Data; len(recs) != 2 || !recs[0].Primary || recs[1].ID != c.ID {
			t.Fatalf("reservation's check-ins: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Rectify", func(t *testing.T) {
		resp, body := f.api("PATCH", "/check-ins/"+rec.ID, `{"birth_date": "1980-02-29"}`, "If-Match", fmt.Sprintf(`"%d"`, rec.Version))
		got := decode[stays.CheckInRecord](t, body)
		if resp.StatusCode != 200 || got.BirthDate.String() != "1980-02-29" || got.Document.Number != "C01X00T47" ||
			got.Version != rec.Version+1 || resp.Header.Get("ETag") != fmt.Sprintf(`"%d"`, rec.Version+1) {
			t.Fatalf("rectify: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("PATCH", "/check-ins/"+rec.ID, `{"document": {"number": "C01X00T48"}}`, "If-Match", fmt.Sprintf(`"%d"`, rec.Version))
		if resp.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("stale rectification: %d %s", resp.StatusCode, body)
		}
		// A token that checks guests in but may not see ID documents
		// cannot read a record through its rectification, nor add guests.
		db := h.acquire("alpha")
		_, narrow, err := identity.New(db).CreateToken(aura.WithActor(context.Background(), f.owner.Actor()), f.owner.ID, "kiosk",
			[]identity.Permission{identity.PermFrontDeskWrite}, time.Time{})
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		kiosk := *f
		kiosk.token = narrow
		if resp, body := kiosk.api("PATCH", "/check-ins/"+rec.ID, `{"birth_date": "1980-03-01"}`); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("rectify without iddocuments.read: %d %s", resp.StatusCode, body)
		}
		if resp, body := kiosk.api("POST", "/reservations/"+id+"/check-ins", `{"new": {"given_name": "Nobody", "family_name": "Else"}}`); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a new companion without guests.write: %d %s", resp.StatusCode, body)
		}
		if resp, body := kiosk.api("POST", "/reservations/"+id+"/check-in", `{"guests": [{}, {"new": {"given_name": "Nobody", "family_name": "Else"}}]}`); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "guests.write") {
			t.Fatalf("a check-in creating a companion without guests.write: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("PATCH", "/check-ins/"+rec.ID, `{"document": {"type": "library_card"}}`)
		if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)["document.type"] == "" {
			t.Fatalf("bad document type: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("ExtendAndDepartEarly", func(t *testing.T) {
		from, to := f.today, f.today.AddDays(6)
		before := nightsSold(t, f, from, to)
		for d := from; d.Before(to); d = d.AddDays(1) {
			if want := map[bool]int{true: 1, false: 0}[d.Before(f.today.AddDays(3))]; before[d] != want {
				t.Fatalf("before: night %s sold %d, want %d", d, before[d], want)
			}
		}
		r := f.reservation(t, id)
		resp, body := f.api("POST", "/reservations/"+id+"/extend", fmt.Sprintf(`{"departure": %q}`, f.today.AddDays(5)), "If-Match", fmt.Sprintf(`"%d"`, r.Version))
		ext := decode[stays.Reservation](t, body)
		if resp.StatusCode != 200 || ext.Departure != f.today.AddDays(5) || resp.Header.Get("ETag") != fmt.Sprintf(`"%d"`, ext.Version) {
			t.Fatalf("extend: %d %s", resp.StatusCode, body)
		}
		if after := nightsSold(t, f, from, to); after[f.today.AddDays(3)] != 1 || after[f.today.AddDays(4)] != 1 || after[f.today.AddDays(5)] != 0 {
			t.Fatalf("after the extension: %v", after)
		}
		resp, body = f.api("POST", "/reservations/"+id+"/extend", fmt.Sprintf(`{"departure": %q}`, f.today.AddDays(6)), "If-Match", fmt.Sprintf(`"%d"`, r.Version))
		if resp.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("stale extension: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/reservations/"+id+"/extend", fmt.Sprintf(`{"departure": %q}`, f.today.AddDays(1)))
		if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)["departure"] == "" {
			t.Fatalf("an extension to an earlier date: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/reservations/"+id+"/depart-early", fmt.Sprintf(`{"departure": %q}`, f.today.AddDays(2)), "If-Match", fmt.Sprintf(`"%d"`, r.Version))
		if resp.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("stale early departure: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("POST", "/reservations/"+id+"/depart-early", fmt.Sprintf(`{"departure": %q}`, f.today.AddDays(2)), "If-Match", fmt.Sprintf(`"%d"`, ext.Version))
		if early := decode[stays.Reservation](t, body); resp.StatusCode != 200 || early.Departure != f.today.AddDays(2) || len(early.Nights) != 2 {
			t.Fatalf("depart early: %d %s", resp.StatusCode, body)
		}
		after := nightsSold(t, f, from, to)
		for d := from; d.Before(to); d = d.AddDays(1) {
			if want := map[bool]int{true: 1, false: 0}[d.Before(f.today.AddDays(2))]; after[d] != want {
				t.Fatalf("after the early departure: night %s sold %d, want %d", d, after[d], want)
			}
		}
	})

	// The guest leaves today; the room is left dirty.
	resp, body = f.api("POST", "/reservations/"+id+"/check-out", "")
	if out := decode[stays.CheckOutResult](t, body); resp.StatusCode != 200 || out.Reservation.Status != stays.ReservationCheckedOut || !out.EarlyDeparture {
		t.Fatalf("check-out: %d %s", resp.StatusCode, body)
	}

	t.Run("HousekeepingToken", func(t *testing.T) {
		ctx := aura.WithActor(context.Background(), f.owner.Actor())
		db := h.acquire("alpha")
		u, err := identity.New(db).CreateUser(ctx, h.hasher, identity.NewUser{Email: "hanna@alpha.example", Name: "Hanna", Role: identity.RoleHousekeeping, Password: ownerPassword})
		var token string
		if err == nil {
			_, token, err = identity.New(db).CreateToken(ctx, u.ID, "housekeeping tablet", identity.RolePermissions(identity.RoleHousekeeping), time.Time{})
		}
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		hk := *f
		hk.token = token
		for _, path := range []string{"/reservations", "/guests", "/guests/" + res.GuestID, "/guests/" + res.GuestID + "/check-ins",
			"/reservations/" + id + "/check-ins", "/id-photos/" + jpgID, "/front-desk", "/night-audit"} {
			if resp, body := hk.api("GET", path, ""); resp.StatusCode != http.StatusForbidden {
				t.Errorf("housekeeping GET %s: %d, want 403 (%.200s)", path, resp.StatusCode, body)
			}
		}
		resp, body := hk.api("GET", "/housekeeping", "")
		board := decode[frontdesk.HousekeepingBoard](t, body)
		if resp.StatusCode != 200 || len(board.Rooms) != 3 || strings.Contains(body, "Tilda") || strings.Contains(body, "Tester") {
			t.Fatalf("board: %d %s", resp.StatusCode, body)
		}
		var card frontdesk.BoardRoom
		for _, b := range board.Rooms {
			if b.RoomID == f.rooms[0].ID {
				card = b
			}
		}
		if card.Condition != inventory.HousekeepingDirty {
			t.Fatalf("the room checked out of: %+v", card)
		}
		resp, body = hk.api("PUT", "/rooms/"+card.RoomID+"/housekeeping", `{"housekeeping": "sparkling"}`, "If-Match", fmt.Sprintf(`"%d"`, card.Version))
		if resp.StatusCode != http.StatusBadRequest || problemFields(t, body)["housekeeping"] == "" {
			t.Fatalf("an unknown condition: %d %s", resp.StatusCode, body)
		}
		resp, body = hk.api("PUT", "/rooms/"+card.RoomID+"/housekeeping", `{"housekeeping": "clean"}`, "If-Match", fmt.Sprintf(`"%d"`, card.Version))
		rm := decode[inventory.Room](t, body)
		if resp.StatusCode != 200 || rm.Housekeeping != inventory.HousekeepingClean || rm.Version != card.Version+1 {
			t.Fatalf("mark clean: %d %s", resp.StatusCode, body)
		}
		resp, _ = hk.api("POST", "/rooms/"+card.RoomID+"/housekeeping", fmt.Sprintf(`{"housekeeping": "dirty", "version": %d}`, card.Version))
		if resp.StatusCode != http.StatusPreconditionFailed || f.room(t, card.RoomID).Housekeeping != inventory.HousekeepingClean {
			t.Fatalf("a stale tap: %d", resp.StatusCode)
		}
		resp, body = hk.api("POST", "/rooms/"+card.RoomID+"/housekeeping", fmt.Sprintf(`{"housekeeping": "inspected", "version": %d}`, rm.Version))
		if resp.StatusCode != 200 || decode[inventory.Room](t, body).Housekeeping != inventory.HousekeepingInspected {
			t.Fatalf("mark inspected (POST): %d %s", resp.StatusCode, body)
		}
		db = h.acquire("alpha")
		rows, err := db.AuditLog(context.Background(), audit.Filter{Action: "room.housekeeping_changed", Entity: card.RoomID})
		db.Release()
		if err != nil {
			t.Fatal(err)
		}
		byToken := 0
		for _, row := range rows {
			if row.ActorKind == aura.ActorToken && row.ActorName == u.ID && (strings.Contains(row.After.String, `"clean"`) || strings.Contains(row.After.String, `"inspected"`)) {
				byToken++
			}
		}
		if byToken != 2 {
			t.Fatalf("%d audit rows of the token's changes, want 2: %+v", byToken, rows)
		}
	})

	t.Run("PurgeVisible", func(t *testing.T) {
		p := f.prop
		resp, body := f.api("PATCH", "/properties/"+p.ID, `{"front_desk": {"id_photo_retention_days": 1, "purge_document_numbers": true, "night_audit_time": "03:00"}}`)
		if resp.StatusCode != 200 {
			t.Fatalf("retention: %d %s", resp.StatusCode, body)
		}
		// A day and a bit after check-out the window has passed.
		h.clock.Advance(25 * time.Hour)
		db := h.acquire("alpha")
		purged, err := frontdesk.New(db).PurgeIDPhotos(context.Background())
		rows, aerr := db.AuditLog(context.Background(), audit.Filter{Action: "checkin_record.purged"})
		db.Release()
		if err != nil || aerr != nil || purged.Photos != 3 || len(rows) != 2 {
			t.Fatalf("purge: %+v %v; audit rows %d %v", purged, err, len(rows), aerr)
		}
		if strings.Contains(rows[0].After.String+rows[1].After.String, "C01X00T47") {
			t.Fatalf("the audit rows of the purge hold the document number")
		}
		resp, body = f.api("GET", "/id-photos/"+jpgID, "")
		if p := decode[web.Problem](t, body); resp.StatusCode != http.StatusGone || !strings.Contains(p.Detail, "was purged on") ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("purged photo: %d %s", resp.StatusCode, body)
		}
		resp, body = f.api("GET", "/guests/"+res.GuestID+"/check-ins", "")
		recs := decode[struct{ Data []stays.CheckInRecord }](t, body).Data
		if resp.StatusCode != 200 || len(recs) != 1 || recs[0].NumberPurgedAt == nil || recs[0].Document.Number != "" ||
			!strings.Contains(body, `"number_purged_at"`) || strings.Contains(body, "C01X00T47") {
			t.Fatalf("the record after the purge: %d %s", resp.StatusCode, body)
		}
		for _, ph := range recs[0].Photos {
			if ph.PurgedAt == nil || ph.ID != pngID && ph.PurgeReason != stays.PurgeRetention {
				t.Fatalf("photo after the purge: %+v", ph)
			}
		}
	})
}

// TestNightAuditAPI: the business day over the API, and a night audit run
// twice marks the guest who never came a no-show once.
func TestNightAuditAPI(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2)
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Nora", f.today, f.today.AddDays(2)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	id := decode[stays.Booking](t, body).Reservations[0].ID
	type state struct {
		BusinessDay frontdesk.BusinessDay          `json:"business_day"`
		History     []frontdesk.ClosedBusinessDate `json:"history"`
	}
	resp, body = f.api("GET", "/night-audit", "")
	st := decode[state](t, body)
	if resp.StatusCode != 200 || st.BusinessDay.Date.IsZero() || st.BusinessDay.PropertyID != f.prop.ID || st.BusinessDay.NextRollAt.IsZero() ||
		len(st.History) != 0 || !hasJSON(t, body, "history", `[]`) {
		t.Fatalf("night audit before any run: %d %s", resp.StatusCode, body)
	}
	open := st.BusinessDay.Date

	// Two days later: the arrival date has closed without the guest.
	h.clock.Advance(48 * time.Hour)
	resp, body = f.api("POST", "/night-audit/run", "")
	first := decode[frontdesk.NightAuditResult](t, body)
	noShows := 0
	for _, c := range first.Closed {
		for _, r := range c.NoShows {
			if r == id {
				noShows++
			}
		}
	}
	if resp.StatusCode != 200 || len(first.Closed) == 0 || noShows != 1 || !first.BusinessDate.After(open) {
		t.Fatalf("first run: %d %s", resp.StatusCode, body)
	}
	if r := f.reservation(t, id); r.Status != stays.ReservationNoShow {
		t.Fatalf("after the audit the reservation is %s", r.Status)
	}
	resp, body = f.api("POST", "/night-audit/run?property_id="+f.prop.ID, "")
	second := decode[frontdesk.NightAuditResult](t, body)
	if resp.StatusCode != 200 || len(second.Closed) != 0 || second.BusinessDate != first.BusinessDate {
		t.Fatalf("second run: %d %s", resp.StatusCode, body)
	}
	resp, body = f.api("GET", "/night-audit?limit=10", "")
	st = decode[state](t, body)
	total := 0
	for _, c := range st.History {
		total += len(c.NoShows)
	}
	if resp.StatusCode != 200 || len(st.History) != len(first.Closed) || total != 1 || st.BusinessDay.Date != first.BusinessDate ||
		st.BusinessDay.LastClosed == nil || *st.BusinessDay.LastClosed != first.Closed[len(first.Closed)-1].Date || st.BusinessDay.Behind != 0 {
		t.Fatalf("night audit after two runs: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.api("GET", "/night-audit?limit=0", ""); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("limit 0: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.api("POST", "/night-audit/run?property_id=prp_nosuchproperty0", ""); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an unknown property: %d %s", resp.StatusCode, body)
	}
}

// TestCheckInAPIBodyLimit: a check-in over JSON carries photos as base64
// beyond the plain JSON limit of 64 KiB, up to the upload limit of the
// check-in pages; a larger body is 413 and checks nobody in.
func TestCheckInAPIBodyLimit(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1)
	resp, body := f.api("POST", "/bookings", f.bookingJSON("Tilda", f.today, f.today.AddDays(1)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, body)
	}
	id := decode[stays.Booking](t, body).Reservations[0].ID
	in := func(photo []byte) string {
		return auratest.JSON(t, stays.CheckInInput{RoomID: f.rooms[0].ID, Guests: []stays.GuestCheckIn{{
			Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "C01X00T47", IssuingCountry: "DE"}, Photos: [][]byte{photo}}}})
	}
	jpg := auratest.JPEG(t, 24, 16)
	huge := append(bytes.Clone(jpg), make([]byte, 40<<20)...) // 53 MiB as base64
	resp, body = f.api("POST", "/reservations/"+id+"/check-in", in(huge))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || f.reservation(t, id).Status != stays.ReservationConfirmed {
		t.Fatalf("a 53 MiB check-in: %d %.300s", resp.StatusCode, body)
	}
	photo := append(bytes.Clone(jpg), make([]byte, 2<<20)...) // a phone camera's 2 MiB
	resp, body = f.api("POST", "/reservations/"+id+"/check-in", in(photo))
	if resp.StatusCode != 200 || decode[stays.Reservation](t, body).Status != stays.ReservationInHouse {
		t.Fatalf("a check-in with a 2 MiB photo: %d %.300s", resp.StatusCode, body)
	}
	_, body = f.api("GET", "/reservations/"+id+"/check-ins", "")
	if recs := decode[struct{ Data []stays.CheckInRecord }](t, body).Data; len(recs) != 1 || len(recs[0].Photos) != 1 || recs[0].Photos[0].Size != len(photo) {
		t.Fatalf("the record: %s", body)
	}
}
