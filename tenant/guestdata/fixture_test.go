package guestdata_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	_ "github.com/aurapms/aura/tenant/pmsledger" // the night audit posts through it
	"github.com/aurapms/aura/tenant/stays"
)

// Marker values of the guest the tests anonymise: each is searched for in
// the bytes of the tenant file.
const (
	markerGiven  = "Zebulon"
	markerFamily = "Quartermaine-Xylo"
	markerEmail  = "zebulon.quartermaine@example.com"
	markerNotes  = "MARKER-booking-note-f00d"
	markerNumber = "L01X00T47"
	markerPhoto  = "MARKER-photo-quartermaine"
)

// stayed is a guest who booked, checked in with an ID photo, stayed two
// nights (posted by the real night audit), paid, got an invoice and left.
type stayed struct {
	guest   stays.Guest
	res     stays.Reservation
	booking stays.Booking
	record  stays.CheckInRecord
	folio   ledger.Folio
	invoice ledger.Document
}

// stayGuest runs the marker guest's stay from day d on fixture f.
func stayGuest(t testing.TB, f *pmstest.Fixture, d date.Date, room int) stayed {
	return stayAgain(t, f, d, room, "")
}

// stayAgain is stayGuest for the existing guest guestID ("" for a new
// marker guest).
func stayAgain(t testing.TB, f *pmstest.Fixture, d date.Date, room int, guestID string) stayed {
	t.Helper()
	var s stayed
	in := f.Booking(d, d.AddDays(2))
	in.Booker = stays.GuestRef{ID: guestID}
	if guestID == "" {
		in.Booker.New = &stays.GuestInput{GivenName: markerGiven, FamilyName: markerFamily, Email: markerEmail, Phone: "+49 30 1234567",
			Address: inventory.Address{Line1: "Quartermaine Allee 7", City: "Berlin", PostalCode: "10115", Country: "DE"}, Nationality: "DE", Language: "de"}
	}
	in.Notes = markerNotes
	s.booking = pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	s.res = s.booking.Reservations[0]
	if guestID != "" { // close the day between two stays
		f.At(d, 3, 0)
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(context.Background(), f.Prop.ID))(t)
	}
	f.At(d, 15, 0)
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, s.res.ID, stays.CheckInInput{RoomID: f.Rooms[room].ID, Guests: []stays.GuestCheckIn{{
		Document: stays.IDDocument{Type: stays.DocumentIDCard, Number: markerNumber, IssuingCountry: "DE"},
		Photos:   [][]byte{pmstest.PhotoJPEG(t, markerPhoto, 160, 120)}}}}))(t)
	s.record = pmstest.Must(stays.New(f.DB).ReservationCheckIns(f.Ctx, s.res.ID))(t)[0]
	for i := 1; i <= 2; i++ {
		f.At(d.AddDays(i), 3, 0)
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(context.Background(), f.Prop.ID))(t)
	}
	f.At(d.AddDays(2), 9, 0)
	led := ledger.New(f.DB)
	s.folio = pmstest.Must(led.GuestFolio(f.Ctx, f.Prop.ID, s.res.ID))(t)
	bal := pmstest.Must(led.FolioBalance(f.Ctx, s.folio.ID))(t)
	if bal.Balance <= 0 {
		t.Fatalf("the stay posted nothing: %+v", bal)
	}
	pmstest.Must(led.RecordPayment(f.Ctx, ledger.PaymentInput{FolioID: s.folio.ID, Method: "cash", Amount: bal.Balance, BusinessDate: d.AddDays(2)}))(t)
	if st := pmstest.Must(led.Settings(f.Ctx, f.Prop.ID))(t); st.Legal.VATID == "" {
		st.Legal = ledger.Legal{Company: "Hotel Test GmbH", Address: ledger.Address{Line1: "Uferweg 1", PostalCode: "10117", City: "Berlin", Country: "DE"},
			VATID: "DE123456789", TaxNumber: "27/123/45678", Email: "rechnung@hotel-test.example"}
		pmstest.Must(led.Configure(f.Ctx, st))(t)
	}
	s.invoice = pmstest.Must(led.IssueInvoice(f.Ctx, ledger.InvoiceInput{FolioID: s.folio.ID, IssueDate: d.AddDays(2),
		Recipient: ledger.Recipient{Name: markerGiven + " " + markerFamily, Address: ledger.Address{Line1: "Quartermaine Allee 7", PostalCode: "10115", City: "Berlin", Country: "DE"}}}))(t)
	f.At(d.AddDays(2), 10, 0)
	pmstest.Must(stays.New(f.DB).CheckOut(f.Ctx, s.res.ID, 0))(t)
	s.guest = pmstest.Must(stays.New(f.DB).GetGuest(f.Ctx, s.res.GuestID))(t)
	return s
}

// bookTotals are the figures reports are made of, read straight from the
// tables: every folio line summed by kind, account, tax code and business
// date; every document's totals; every night's price; every payment.
func bookTotals(t testing.TB, f *pmstest.Fixture) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT kind, account, tax_code, business_date, sum(net), sum(tax), sum(gross), count(*) FROM ledger_lines GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
		`SELECT number, net, tax, gross, prepaid, due, hash FROM ledger_documents ORDER BY number`,
		`SELECT reservation_id, date, price, room_type_id, coalesce(room_id, '') FROM reservation_nights ORDER BY 1, 2`,
		`SELECT id, kind, method, status, amount FROM ledger_payments ORDER BY id`,
		`SELECT id, status, arrival, departure, adults, children FROM reservations ORDER BY id`,
	} {
		rows, err := f.DB.SQL().Read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// sealedCells returns the stored (sealed) bytes of the guest's personal
// cells and wrapped key, and of the record's document and number and the
// booking's notes: what must leave the file.
func sealedCells(t testing.TB, f *pmstest.Fixture, s stayed) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var key, given, family, email, doc, number, notes, photo []byte
	r := f.DB.SQL().Read
	if err := r.QueryRow(`SELECT key_wrapped, given_name, family_name, email FROM guests WHERE id = ?`, s.guest.ID).Scan(&key, &given, &family, &email); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRow(`SELECT document, document_number FROM checkin_records WHERE id = ?`, s.record.ID).Scan(&doc, &number); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRow(`SELECT notes FROM bookings WHERE id = ?`, s.booking.ID).Scan(&notes); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRow(`SELECT data FROM id_photo_bytes WHERE photo_id = ?`, s.record.Photos[0].ID).Scan(&photo); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string][]byte{"key_wrapped": key, "given_name": given, "family_name": family, "email": email,
		"document": doc, "document_number": number, "booking notes": notes, "photo head": photo[:64], "photo middle": photo[len(photo)/2 : len(photo)/2+64]} {
		if len(v) < 16 {
			t.Fatalf("%s is only %d bytes", name, len(v))
		}
		out[name] = bytes.Clone(v)
	}
	return out
}
