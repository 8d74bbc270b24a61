package reports_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// channelHotel books through a channel (booking_com) over New Year:
//
//	X: 30 Dec – 1 Jan, commission 15.00, stays (two nights posted, 200.00)
//	Y: 31 Dec – 1 Jan, commission 12.00, cancelled on 30 Dec (fee 100.00)
//	Z: 5 – 7 Jan, commission 9.00, cancelled free on 30 Dec
//	W: 30 – 31 Dec, direct: never on a channel's statement
func channelHotel(t *testing.T) *pmstest.Fixture {
	t.Helper()
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-12-30")
	st := stays.New(f.DB)
	book := func(source, code string, commission int64, a, d date.Date) stays.Reservation {
		in := f.Booking(a, d)
		in.Source, in.OTACode = source, code
		if commission > 0 {
			in.Commission = &tenant.Money{Amount: commission, Currency: "EUR"}
		}
		return pmstest.Must(st.CreateBooking(f.Ctx, in))(t).Reservations[0]
	}
	f.At(f.Day(0), 12, 0)
	x := book("booking_com", "BC-X", 1500, f.Day(0), f.Day(2))
	y := book("booking_com", "BC-Y", 1200, f.Day(1), f.Day(2))
	z := book("booking_com", "BC-Z", 900, f.Day(6), f.Day(8))
	w := book(stays.SourceDirect, "", 0, f.Day(0), f.Day(1))
	pmstest.Must(st.Cancel(f.Ctx, y.ID, stays.CancelInput{}))(t)
	pmstest.Must(st.Cancel(f.Ctx, z.ID, stays.CancelInput{}))(t)
	f.At(f.Day(0), 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, x.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	pmstest.Must(st.CheckIn(f.Ctx, w.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)
	for _, d := range []int{1, 2} {
		f.At(f.Day(d), 3, 0)
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(context.Background(), f.Prop.ID))(t)
	}
	f.At(f.Day(3), 10, 0)
	return f
}

// TestStatementGenerated: the channel's statement of January holds its
// three bookings by check-out, each with its posted revenue or fee and
// the commission owed, totals and a gapless number; it is audited
// ("statement.generated" with its hash) and immutable like an invoice.
func TestStatementGenerated(t *testing.T) {
	f := channelHotel(t)
	s := reports.New(f.DB)
	in := reports.StatementInput{PropertyID: f.Prop.ID, Channel: "booking_com", From: date.MustParse("2027-01-01"), To: date.MustParse("2027-02-01")}
	st := pmstest.Must(s.GenerateStatement(f.Ctx, in))(t)
	if st.Number != "ST-2027-000001" || len(st.Lines) != 3 {
		t.Fatalf("statement %+v", st)
	}
	type line struct {
		code       string
		checkOut   string
		nights     int
		room, fees int64
		commission int64
	}
	want := []line{{"BC-X", "2027-01-01", 2, 20000, 0, 1500}, {"BC-Y", "2027-01-01", 0, 0, 10000, 1200}, {"BC-Z", "2027-01-07", 0, 0, 0, 0}}
	for i, l := range st.Lines {
		got := line{l.OTACode, l.CheckOut.String(), l.Nights, l.Room.Gross, l.Fees.Gross, l.Commission}
		if got != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got, want[i])
		}
	}
	if tot := st.Totals; tot.Bookings != 3 || tot.Nights != 2 || tot.Room.Gross != 20000 || tot.Fees.Gross != 10000 || tot.Commission != 2700 {
		t.Fatalf("totals %+v", tot)
	}

	action, after := pmstest.LastAction(t, f)
	if action != "statement.generated" || !strings.Contains(after, st.Number) || !strings.Contains(after, st.Hash) {
		t.Fatalf("last audit row %s %s", action, after)
	}
	var body string
	if err := f.DB.SQL().Read.QueryRow(`SELECT body FROM report_statements WHERE id = ?`, st.ID).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(body)); hex.EncodeToString(sum[:]) != st.Hash {
		t.Fatal("the stored hash is not the body's")
	}

	// Immutable: no update or delete gets through, and later postings do
	// not change a generated statement.
	for _, q := range []string{`UPDATE report_statements SET body = '{}' WHERE id = ?`, `UPDATE report_statements SET number = 'ST-X' WHERE id = ?`,
		`DELETE FROM report_statements WHERE id = ?`} {
		if _, err := f.DB.SQL().Write.Exec(q, st.ID); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("%s: %v", q, err)
		}
	}
	got := pmstest.Must(s.GetStatement(f.Ctx, st.ID))(t)
	if got.Hash != st.Hash || got.Totals != st.Totals || len(got.Lines) != 3 || got.Number != st.Number {
		t.Fatalf("read back %+v", got)
	}

	// Generated again with the same figures: the same document, no new
	// number, no audit row.
	rowsBefore := f.AuditRows(t)
	again := pmstest.Must(s.GenerateStatement(f.Ctx, in))(t)
	if again.ID != st.ID || again.Number != st.Number || again.Hash != st.Hash || !again.Existing || len(again.Lines) != 3 || f.AuditRows(t) != rowsBefore {
		t.Fatalf("generated again: %s %s existing=%v, audit rows %d → %d", again.ID, again.Number, again.Existing, rowsBefore, f.AuditRows(t))
	}

	// Once a posting changes the figures, it is a new statement, numbered
	// on, and the list shows both, newest first.
	var roomLine string
	if err := f.DB.SQL().Read.QueryRow(`SELECT l.id FROM ledger_lines l JOIN reservations r ON r.id = l.ref_id JOIN bookings b ON b.id = r.booking_id
		WHERE b.ota_code = 'BC-X' AND l.item = 'room' AND l.kind = 'charge' LIMIT 1`).Scan(&roomLine); err != nil {
		t.Fatal(err)
	}
	pmstest.Must(ledger.New(f.DB).PostAllowance(f.Ctx, ledger.AllowanceInput{LineID: roomLine, Amount: 1000, BusinessDate: in.To, Reason: "Late complaint"}))(t)
	second := pmstest.Must(s.GenerateStatement(f.Ctx, in))(t)
	if second.Number != "ST-2027-000002" || second.Hash == st.Hash || second.Existing || second.Totals.Room.Gross != 19000 {
		t.Fatalf("second %s %s %+v", second.Number, second.Hash, second.Totals)
	}
	list := pmstest.Must(s.ListStatements(f.Ctx, f.Prop.ID))(t)
	if len(list) != 2 || list[0].ID != second.ID {
		t.Fatalf("list %+v", list)
	}
	f.VerifyAudit(t)

	// Bad input: refused before anything is written.
	rows := f.AuditRows(t)
	for _, bad := range []struct {
		in    reports.StatementInput
		field string
	}{
		{reports.StatementInput{PropertyID: f.Prop.ID, From: in.From, To: in.To}, "channel"},
		{reports.StatementInput{PropertyID: f.Prop.ID, Channel: "booking_com", From: in.To, To: in.From}, "to"},
	} {
		_, err := s.GenerateStatement(f.Ctx, bad.in)
		pmstest.WantCode(t, err, "invalid")
		if !pmstest.HasField(err, bad.field) {
			t.Errorf("%v does not name %s", err, bad.field)
		}
	}
	if _, err := s.GetStatement(f.Ctx, "stm_nope"); pmstest.Code(err) != "not_found" {
		t.Fatalf("unknown statement: %v", err)
	}
	if f.AuditRows(t) != rows {
		t.Fatal("a refused statement wrote an audit row")
	}
}
