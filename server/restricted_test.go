package server_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// restrictedStays is a tenant whose guest Rhea Restrictowa (email,
// phone, address, notes, an ID document) has two stays, one arriving
// today and one in house with a folio (a charge and a payment), a
// guest email queued to her and a channel stay stored overbooked, and
// whose processing is then restricted (GDPR art. 18). desk is a
// front-desk user and acc an accountant (neither has
// guests.restricted.read); the owner has it.
type restrictedStays struct {
	h                       *harness
	f                       *pmsFixture
	b                       stays.Booking
	res, inHouse            stays.Reservation
	booked                  stays.Reservation // Otto Offen's, booked by her
	gid, folio, ical, photo string
	record                  string
	desk, acc, owner        map[string]string
	deskSession, accSession []*http.Cookie
	ownerSession            []*http.Cookie
	secrets                 []string
	notes                   string
}

func newRestrictedStays(t *testing.T) *restrictedStays {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 2).signIn()
	const (
		family   = "Restrictowa"
		email    = "rhea@restrictowa.example"
		phone    = "+49 170 5550199"
		street   = "Geheimweg 17"
		notes    = "allergic-to-sesame-7731"
		document = "P7731RX"
		// photoText is in the ID photo's bytes.
		photoText = "ID-PHOTO-7731"
	)
	// Guest emails on before the bookings, so the stay's confirmation to
	// the guest is queued (and listed with its recipient).
	if resp, _ := f.page("POST", "/settings/guest-emails", url.Values{"property_id": {f.prop.ID}, "enabled": {"on"}, "pre_arrival_days": {"2"},
		"idempotency_key": {"g1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turning guest emails on: %d", resp.StatusCode)
	}
	h.clock.Advance(61e9)
	body := fmt.Sprintf(`{"property_id": %q, "notes": %q, "booker": {"new": {"given_name": "Rhea", "family_name": %q, "email": %q, "phone": %q,
		"address": {"line1": %q, "city": "Berlin", "country": "DE"}, "notes": %q}},
		"reservations": [{"room_type_id": %q, "rate_plan_id": %q, "arrival": %q, "departure": %q, "adults": 1}]}`,
		f.prop.ID, notes, family, email, phone, street, notes, f.rt.ID, f.plan.ID, f.today, f.today.AddDays(2))
	resp, out := f.api("POST", "/bookings", body)
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, out)
	}
	rs := &restrictedStays{h: h, f: f, notes: notes, secrets: []string{family, email, phone, street, notes, document, photoText}}
	rs.b = decode[stays.Booking](t, out)
	rs.res = rs.b.Reservations[0]
	rs.gid = rs.res.GuestID
	// A second stay, in house (checked in with her passport), so the
	// departures, in-house and police lists have the guest too.
	resp, out = f.api("POST", "/bookings", fmt.Sprintf(`{"property_id": %q, "booker": {"id": %q}, "reservations": [{"room_type_id": %q, "rate_plan_id": %q, "arrival": %q, "departure": %q, "adults": 1}]}`,
		f.prop.ID, rs.gid, f.rt.ID, f.plan.ID, f.today, f.today.AddDays(1)))
	if resp.StatusCode != 201 {
		t.Fatalf("second booking: %d %s", resp.StatusCode, out)
	}
	rs.inHouse = decode[stays.Booking](t, out).Reservations[0]
	photo := base64.StdEncoding.EncodeToString(append([]byte{0xFF, 0xD8, 0xFF}, photoText...))
	if resp, out := f.api("POST", "/reservations/"+rs.inHouse.ID+"/check-in", `{"room_id": "`+f.rooms[1].ID+`", "guests": [{"document": {"type": "passport", "number": "`+document+`", "issuing_country": "FR"}, "birth_date": "1977-03-31", "photos": ["`+photo+`"]}]}`); resp.StatusCode != 200 {
		t.Fatalf("check-in: %d %s", resp.StatusCode, out)
	}
	resp, out = f.api("GET", "/reservations/"+rs.inHouse.ID+"/check-ins", "")
	if recs := decode[struct{ Data []stays.CheckInRecord }](t, out).Data; resp.StatusCode != 200 || len(recs) != 1 || len(recs[0].Photos) != 1 {
		t.Fatalf("check-in records: %d %s", resp.StatusCode, out)
	} else {
		rs.photo, rs.record = recs[0].Photos[0].ID, recs[0].ID
	}
	// A stay she booked for someone else, whose guest is not restricted:
	// its confirmations go to both.
	resp, out = f.api("POST", "/bookings", fmt.Sprintf(`{"property_id": %q, "booker": {"id": %q}, "reservations": [{"room_type_id": %q, "rate_plan_id": %q, "arrival": %q, "departure": %q, "adults": 1,
		"guest": {"new": {"given_name": "Otto", "family_name": "Offen", "email": "otto@offen.example"}}}]}`,
		f.prop.ID, rs.gid, f.rt.ID, f.plan.ID, f.today.AddDays(3), f.today.AddDays(5)))
	if resp.StatusCode != 201 {
		t.Fatalf("booking for another guest: %d %s", resp.StatusCode, out)
	}
	rs.booked = decode[stays.Booking](t, out).Reservations[0]
	// A third, from a channel into the full house: stored overbooked.
	resp, out = f.api("POST", "/bookings", fmt.Sprintf(`{"property_id": %q, "source": "booking.com", "ota_code": "BDC-7731", "booker": {"id": %q}, "reservations": [{"room_type_id": %q, "rate_plan_id": %q, "arrival": %q, "departure": %q, "adults": 1}]}`,
		f.prop.ID, rs.gid, f.rt.ID, f.plan.ID, f.today, f.today.AddDays(1)))
	if resp.StatusCode != 201 || !decode[stays.Booking](t, out).Reservations[0].Overbooked {
		t.Fatalf("channel booking: %d %s", resp.StatusCode, out)
	}
	// The in-house stay's folio: a charge and a payment.
	for path, body := range map[string]string{"/ledger/categories/ACC": `{"name": "Accommodation", "account": "8300"}`,
		"/ledger/tax-codes/DE-19": `{"name": "Standard", "category": "S", "rates": [{"valid_from": "2020-01-01", "basis_points": 1900}]}`} {
		if resp, out := f.api("PUT", path, body); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, out)
		}
	}
	resp, out = f.api("POST", "/reservations/"+rs.inHouse.ID+"/folios", "")
	if resp.StatusCode != 201 {
		t.Fatalf("folio: %d %s", resp.StatusCode, out)
	}
	rs.folio = decode[ledger.Folio](t, out).ID
	if resp, out := f.api("POST", "/folios/"+rs.folio+"/charges", `{"description": "Parking", "unit_price": 1500, "tax_code": "DE-19", "category": "ACC"}`); resp.StatusCode != 201 {
		t.Fatalf("charge: %d %s", resp.StatusCode, out)
	}
	if resp, out := f.api("POST", "/folios/"+rs.folio+"/payments", `{"method": "cash", "amount": 1500}`); resp.StatusCode != 201 {
		t.Fatalf("payment: %d %s", resp.StatusCode, out)
	}
	// A calendar export of the room she stays in.
	resp, out = f.api("POST", "/channels/exports", `{"property_id": "`+f.prop.ID+`", "room_id": "`+f.rooms[1].ID+`", "channel": "vrbo"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("calendar export: %d %s", resp.StatusCode, out)
	}
	u, err := url.Parse(decode[pms.ExportCreated](t, out).URL)
	if err != nil {
		t.Fatal(err)
	}
	rs.ical = u.Path
	// One run of the guest-mail job's planning: the confirmation queued.
	f.store(t, func(ctx context.Context, db *tenant.DB) {
		if n, err := guestmail.New(db).Plan(aura.WithActor(ctx, aura.SystemActor("guest-mail"))); err != nil || n == 0 {
			t.Fatalf("planning guest emails: %d %v", n, err)
		}
	})
	if resp, _ := f.page("POST", "/guests/"+rs.gid+"/restrict", url.Values{"restrict": {"on"}, "reason": {"disputes the stay"}, "idempotency_key": {"r1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("restrict: %d", resp.StatusCode)
	}

	rs.desk = map[string]string{"Authorization": "Bearer " + f.roleToken(t, identity.RoleFrontDesk, "fred@alpha.example")}
	rs.deskSession = []*http.Cookie{h.login("alpha", "fred@alpha.example", ownerPassword)}
	rs.acc = map[string]string{"Authorization": "Bearer " + f.roleToken(t, identity.RoleAccountant, "acc@alpha.example")}
	rs.accSession = []*http.Cookie{h.login("alpha", "acc@alpha.example", ownerPassword)}
	rs.owner = map[string]string{"Authorization": "Bearer " + f.token}
	rs.ownerSession = []*http.Cookie{f.session}
	return rs
}

// audited counts the guest's guest.restricted_read rows.
func (rs *restrictedStays) audited(t *testing.T) int {
	db := rs.h.acquire("alpha")
	defer db.Release()
	var n int
	if err := db.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE action = 'guest.restricted_read' AND entity_id = ?`, rs.gid).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// restrictedSurface is a page or API response walked by walk.
type restrictedSurface struct {
	name, path string
	api        bool
	// shows: the owner's response names the guest (so a read happens).
	shows bool
	// placeholder: the response names the stay's guest, as
	// stays.RestrictedName for a user who may not see her.
	placeholder bool
	// want: a text the owner's answer has, showing that the record the
	// surface is about (a payment, an email, a room) is on it.
	want string
	// as: who else opens it: "" the front-desk user, "acc" the
	// accountant (reports are not the front desk's), "forbidden" the
	// front-desk user, refused (only owners and managers open it, and
	// both may see restricted guests), "public" anyone without
	// credentials (a calendar's secret URL).
	as string
}

// walk fetches each surface as the user without guests.restricted.read
// (none of the guest's secrets in the answer) and as the owner (the
// guest shown as s.shows says, and one guest.restricted_read row per
// answer that shows her, none for one that does not).
func (rs *restrictedStays) walk(t *testing.T, surfaces []restrictedSurface) {
	for _, s := range surfaces {
		t.Run(s.name, func(t *testing.T) {
			r := req{path: s.path, cookies: rs.deskSession}
			switch {
			case s.as == "public":
				r = req{path: s.path}
			case s.as == "acc" && s.api:
				r = req{path: s.path, header: rs.acc}
			case s.as == "acc":
				r = req{path: s.path, cookies: rs.accSession}
			case s.api:
				r = req{path: s.path, header: rs.desk}
			}
			resp, page := rs.h.do(r)
			if s.as == "forbidden" && resp.StatusCode != http.StatusForbidden {
				t.Fatalf("front desk: %d, want 403 %.300s", resp.StatusCode, page)
			} else if s.as != "forbidden" && resp.StatusCode != 200 && resp.StatusCode != 404 {
				t.Fatalf("front desk: %d %.300s", resp.StatusCode, page)
			}
			for _, secret := range rs.secrets {
				if strings.Contains(page, secret) {
					t.Errorf("front desk sees %q", secret)
				}
			}
			if s.placeholder && !strings.Contains(page, stays.RestrictedName) {
				t.Errorf("front desk: no %q placeholder", stays.RestrictedName)
			}
			before := rs.audited(t)
			r.cookies, r.header = rs.ownerSession, nil
			if s.api {
				r.cookies, r.header = nil, rs.owner
			}
			if s.as == "public" {
				r.cookies, r.header = nil, nil
			}
			resp, page = rs.h.do(r)
			if resp.StatusCode != 200 {
				t.Fatalf("owner: %d %.300s", resp.StatusCode, page)
			}
			reads := rs.audited(t) - before
			if s.want != "" && !strings.Contains(page, s.want) {
				t.Errorf("owner: %q is not on it %.300s", s.want, page)
			}
			shown := false
			for _, secret := range rs.secrets {
				shown = shown || strings.Contains(page, secret)
			}
			if shown != s.shows || s.shows && reads != 1 || !s.shows && reads != 0 {
				t.Errorf("owner: shows the guest %v (want %v), %d reads audited", shown, s.shows, reads)
			}
		})
	}
}

// TestRestrictedGuestSurfaces walks the pages and API responses that show
// a reservation's guest, for a guest whose processing is restricted (GDPR
// art. 18): a front-desk user (no guests.restricted.read) never sees the
// guest's name, email, phone, address, notes or ID document on any of
// them; the owner (who has it) does, and each of those reads is audited
// (guest.restricted_read, one row per read).
func TestRestrictedGuestSurfaces(t *testing.T) {
	rs := newRestrictedStays(t)
	res, inHouse, b, f := rs.res, rs.inHouse, rs.b, rs.f
	day, tomorrow := f.today.String(), f.today.AddDays(1).String()
	rs.walk(t, []restrictedSurface{
		{name: "reservation page", path: "/alpha/reservations/" + res.ID, shows: true, placeholder: true},
		{name: "reservation page in house", path: "/alpha/reservations/" + inHouse.ID, shows: true, placeholder: true},
		{name: "reservations list", path: "/alpha/reservations", shows: true, placeholder: true},
		{name: "check-in page", path: "/alpha/reservations/" + res.ID + "/check-in", shows: true, placeholder: true},
		{name: "check-out page", path: "/alpha/reservations/" + inHouse.ID + "/check-out", shows: true},
		{name: "registration card", path: "/alpha/reservations/" + inHouse.ID + "/registration-card", shows: true, placeholder: true},
		{name: "front desk", path: "/alpha/frontdesk?date=" + day, shows: true, placeholder: true},
		{name: "arrivals print", path: "/alpha/frontdesk/print?list=arrivals&date=" + day, shows: true, placeholder: true},
		{name: "departures print", path: "/alpha/frontdesk/print?list=departures&date=" + tomorrow, shows: true},
		{name: "guest list", path: "/alpha/guests", shows: true},
		{name: "API guest search", path: "/alpha/api/v1/guests?q=Rhea", api: true, shows: true},
		{name: "tape chart", path: "/alpha/tapechart?from=" + day, shows: true, placeholder: true},
		{name: "calendar", path: "/alpha/calendar?from=" + day},
		{name: "search by name", path: "/alpha/search?q=Rhea", shows: true},
		{name: "search by reservation", path: "/alpha/search?q=" + res.ID, shows: true, placeholder: true},
		{name: "dashboard", path: "/alpha/", shows: true},
		{name: "API reservation", path: "/alpha/api/v1/reservations/" + res.ID, api: true},
		{name: "API reservations", path: "/alpha/api/v1/reservations?property_id=" + f.prop.ID, api: true},
		{name: "API booking", path: "/alpha/api/v1/bookings/" + b.ID, api: true, shows: true},
		{name: "API front desk", path: "/alpha/api/v1/front-desk?property_id=" + f.prop.ID + "&date=" + day, api: true, shows: true},
		{name: "API tape chart", path: "/alpha/api/v1/tape-chart?property_id=" + f.prop.ID + "&from=" + day, api: true, shows: true},
	})
	// A client that hangs up as soon as the answer starts still leaves
	// its audit row: the data went out, so the read counts.
	t.Run("client hangs up", func(t *testing.T) {
		before := rs.audited(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rq := httptest.NewRequestWithContext(ctx, "GET", rs.h.ts.URL+"/alpha/api/v1/bookings/"+b.ID, nil)
		rq.Header.Set("Authorization", "Bearer "+f.token)
		rec := &hangUp{ResponseRecorder: httptest.NewRecorder(), cancel: cancel}
		rs.h.srv.ServeHTTP(rec, rq)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), rs.notes) {
			t.Fatalf("owner: %d %.300s", rec.Code, rec.Body.String())
		}
		if reads := rs.audited(t) - before; reads != 1 {
			t.Errorf("%d reads audited after the client hung up, want 1", reads)
		}
	})
}

// TestRestrictedGuestMoreSurfaces walks, for the same restricted guest,
// the pages and API responses beyond the stay's own: folios, the cashier
// and payments, the guest emails, housekeeping, the night audit, the
// police list and check-in records (ID documents and photos), the
// reports with their CSV exports and the channels' pages and calendar.
// Issued invoices and credit notes are legal documents and keep their
// recipient's name as issued, so none is issued here (the folio's
// invoice list is empty).
func TestRestrictedGuestMoreSurfaces(t *testing.T) {
	rs := newRestrictedStays(t)
	res, inHouse, f := rs.res, rs.inHouse, rs.f
	day, tomorrow, prop := f.today.String(), f.today.AddDays(1).String(), "property_id="+f.prop.ID
	month := f.today.String()[:7]
	// A statement of the channel stay's booking.
	resp, out := f.api("POST", "/statements", fmt.Sprintf(`{"property_id": %q, "kind": "ota", "channel": "booking.com", "from": %q, "to": %q}`,
		f.prop.ID, day, f.today.AddDays(7)))
	if resp.StatusCode != 201 {
		t.Fatalf("statement: %d %s", resp.StatusCode, out)
	}
	st := decode[reports.Statement](t, out)
	rs.walk(t, []restrictedSurface{
		// Folios.
		{name: "folio page", path: "/alpha/folios/" + rs.folio, shows: true, placeholder: true, want: "Parking"},
		{name: "API folio", path: "/alpha/api/v1/folios/" + rs.folio, api: true, want: "Parking"},
		{name: "API reservation folios", path: "/alpha/api/v1/reservations/" + inHouse.ID + "/folios", api: true, want: "Parking"},
		// The cashier and payments.
		{name: "cashier", path: "/alpha/cashier?date=" + day, want: "folios/" + rs.folio},
		{name: "API payments", path: "/alpha/api/v1/payments?" + prop + "&date=" + day, api: true, want: `"amount":1500`},
		// Guest emails: the guest page and the reservation page list them.
		{name: "guest page", path: "/alpha/guests/" + rs.gid, shows: true, want: "Your booking at Hotel Am See"},
		{name: "API guest", path: "/alpha/api/v1/guests/" + rs.gid, api: true, shows: true},
		{name: "reservation page with emails", path: "/alpha/reservations/" + res.ID, shows: true, placeholder: true, want: "Your booking at Hotel Am See"},
		{name: "reservation page of a stay she booked", path: "/alpha/reservations/" + rs.booked.ID, shows: true, placeholder: true, want: "otto@offen.example"},
		{name: "guest page of the guest she booked for", path: "/alpha/guests/" + rs.booked.GuestID, want: "otto@offen.example"},
		// Housekeeping.
		{name: "housekeeping", path: "/alpha/housekeeping", want: "1 guest tonight"},
		{name: "API housekeeping", path: "/alpha/api/v1/housekeeping?" + prop, api: true, want: `"number":"102"`},
		// The night audit: owners and managers only.
		{name: "night audit", path: "/alpha/night-audit", as: "forbidden"},
		{name: "API night audit", path: "/alpha/api/v1/night-audit?" + prop, api: true, as: "forbidden"},
		// The police list and the check-in records (ID documents).
		{name: "police list", path: "/alpha/frontdesk/print?list=police&date=" + day, shows: true, placeholder: true},
		{name: "API reservation check-ins", path: "/alpha/api/v1/reservations/" + inHouse.ID + "/check-ins", api: true, shows: true, placeholder: true},
		{name: "API guest check-ins", path: "/alpha/api/v1/guests/" + rs.gid + "/check-ins", api: true, shows: true},
		{name: "ID photo", path: "/alpha/id-photos/" + rs.photo, shows: true},
		{name: "API ID photo", path: "/alpha/api/v1/id-photos/" + rs.photo, api: true, shows: true},
		// Reports, as the accountant (reports are not the front desk's).
		{name: "reports", path: "/alpha/reports", as: "acc"},
		{name: "performance CSV", path: "/alpha/reports/performance.csv", as: "acc"},
		{name: "API performance", path: "/alpha/api/v1/reports/performance?" + prop, api: true, as: "acc"},
		{name: "daily report", path: "/alpha/reports/daily?date=" + day, as: "acc"},
		{name: "daily CSV", path: "/alpha/reports/daily.csv?date=" + day, as: "acc", want: "sold,3"},
		{name: "pace report", path: "/alpha/reports/pace", as: "acc"},
		{name: "pace CSV", path: "/alpha/reports/pace.csv", as: "acc"},
		{name: "receivables", path: "/alpha/reports/receivables?as_of=" + day, as: "acc", want: rs.folio},
		{name: "receivables CSV", path: "/alpha/reports/receivables.csv?as_of=" + day, as: "acc", want: rs.folio},
		{name: "payments report", path: "/alpha/reports/payments?from=" + day + "&to=" + tomorrow, as: "acc"},
		{name: "payments CSV", path: "/alpha/reports/payments.csv?from=" + day + "&to=" + tomorrow, as: "acc", want: "cash,1,15.00"},
		{name: "API payments report", path: "/alpha/api/v1/reports/payments?" + prop + "&from=" + day + "&to=" + tomorrow, api: true, as: "acc"},
		{name: "VAT report", path: "/alpha/reports/vat?month=" + month, as: "acc"},
		{name: "VAT CSV", path: "/alpha/reports/vat.csv?month=" + month, as: "acc"},
		{name: "city tax", path: "/alpha/reports/city-tax", as: "acc"},
		{name: "city tax CSV", path: "/alpha/reports/city-tax.csv", as: "acc"},
		{name: "ledger CSV", path: "/alpha/reports/ledger.csv?from=" + day + "&to=" + tomorrow, as: "acc", want: "Parking"},
		{name: "statements", path: "/alpha/reports/statements", as: "acc", want: st.ID},
		{name: "channel statement", path: "/alpha/reports/statements/" + st.ID, as: "acc", want: "BDC-7731"},
		{name: "channel statement CSV", path: "/alpha/reports/statements/" + st.ID + "/statement.csv", as: "acc", want: "BDC-7731"},
		{name: "API channel statement", path: "/alpha/api/v1/statements/" + st.ID, api: true, as: "acc", want: "BDC-7731"},
		// Channels: owners and managers only; the calendar by its secret URL.
		{name: "channels", path: "/alpha/settings/channels", as: "forbidden"},
		{name: "channels attention", path: "/alpha/channels/attention", as: "forbidden", want: "BDC-7731"},
		{name: "API channels attention", path: "/alpha/api/v1/channels/attention?" + prop, api: true, as: "forbidden", want: "BDC-7731"},
		{name: "API channel revisions", path: "/alpha/api/v1/channels/revisions?" + prop, api: true, as: "forbidden"},
		{name: "calendar export", path: rs.ical, as: "public", want: "SUMMARY:Reserved"},
	})
	// Nor may the front desk change her check-in record, add to its
	// photos or delete one: each is a 404, as her profile is, and the
	// record keeps its document and photo.
	t.Run("check-in record unchanged", func(t *testing.T) {
		if resp, out := rs.h.do(req{method: "PATCH", path: "/alpha/api/v1/check-ins/" + rs.record, json: `{"document": {"type": "id_card", "number": "X1", "issuing_country": "DE"}}`,
			header: rs.desk}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("front desk changes the record: %d %.300s", resp.StatusCode, out)
		}
		if resp, out := rs.h.do(req{method: "POST", path: "/alpha/api/v1/check-ins/" + rs.record + "/photos", raw: []byte{0xFF, 0xD8, 0xFF, 1}, contentType: "image/jpeg",
			header: rs.desk}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("front desk adds a photo: %d %.300s", resp.StatusCode, out)
		}
		if resp, out := rs.h.do(req{method: "DELETE", path: "/alpha/api/v1/id-photos/" + rs.photo, header: rs.desk}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("front desk deletes the photo: %d %.300s", resp.StatusCode, out)
		}
		// The reservation page says why her record is empty and offers
		// no upload the server would refuse.
		if resp, page := rs.h.do(req{path: "/alpha/reservations/" + inHouse.ID, cookies: rs.deskSession}); resp.StatusCode != 200 ||
			!strings.Contains(page, `id="withheld-`+rs.record+`"`) || strings.Contains(page, "check-ins/"+rs.record+"/photos") {
			t.Errorf("the front desk's reservation page: %d, want the withheld note and no upload form", resp.StatusCode)
		}
		if resp, out := f.api("GET", "/reservations/"+inHouse.ID+"/check-ins", ""); resp.StatusCode != 200 || !strings.Contains(out, rs.secrets[5]) ||
			strings.Count(out, `"content_type"`) != 1 || strings.Contains(out, `"purged_at"`) {
			t.Errorf("the record: %d %s", resp.StatusCode, out)
		}
	})
}

// hangUp cancels its request's context when the answer starts, as a
// client closing its connection after the first bytes does.
type hangUp struct {
	*httptest.ResponseRecorder
	cancel context.CancelFunc
}

func (w *hangUp) WriteHeader(code int) {
	w.cancel()
	w.ResponseRecorder.WriteHeader(code)
}

func (w *hangUp) Write(b []byte) (int, error) {
	w.cancel()
	return w.ResponseRecorder.Write(b)
}
