package reports_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/owners"
	"github.com/aurapms/aura/tenant/reports"
	"github.com/aurapms/aura/tenant/stays"
)

// managedHotel runs three units over the turn of January 2027 through the
// real booking, check-in and night-audit paths, at 100.00 a night (7% VAT
// included: 93.46 net):
//
//	room 101: Ana's from 1 Jan, open-ended; 12.50% commission, 31.00 a month, 25.00 a stay
//	room 102: Ana's 1 Jan – 1 Feb (the contract ends: 2 Feb is no longer hers), 10%, 15.00 a stay;
//	          Ben's from 2 Feb, 20%, 28.00 a month
//	room 103: nobody's
//
//	R1: room 101, 30 Jan – 2 Feb (nights 30, 31 Jan and 1 Feb: across the month end)
//	R2: room 102, 31 Jan – 4 Feb (nights 31 Jan, 1 Feb under Ana; 2, 3 Feb under Ben)
//	R3: room 103, 30 – 31 Jan (no owner)
//
// The night audit posts every night up to 3 February.
type managed struct {
	f        *pmstest.Fixture
	ana, ben owners.Owner
	r1, r2   stays.Reservation
	c101     owners.Contract
}

func managedHotel(t *testing.T) managed {
	t.Helper()
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2027-01-30")
	o := owners.New(f.DB)
	d := date.MustParse
	m := managed{f: f}
	m.ana = pmstest.Must(o.CreateOwner(f.Ctx, owners.OwnerInput{Name: "Ana Owner", Email: "ana@example.com", Payout: "DE89370400440532013000"}))(t)
	m.ben = pmstest.Must(o.CreateOwner(f.Ctx, owners.OwnerInput{Name: "Ben Owner", Email: "ben@example.com"}))(t)
	m.c101 = pmstest.Must(o.CreateContract(f.Ctx, m.ana.ID, owners.ContractInput{RoomID: f.Rooms[0].ID, Start: d("2027-01-01"), CommissionBP: 1250, MonthlyFee: 3100, StayFee: 2500}))(t)
	pmstest.Must(o.CreateContract(f.Ctx, m.ana.ID, owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2027-01-01"), End: d("2027-02-02"), CommissionBP: 1000, StayFee: 1500}))(t)
	pmstest.Must(o.CreateContract(f.Ctx, m.ben.ID, owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2027-02-02"), CommissionBP: 2000, MonthlyFee: 2800}))(t)
	st := stays.New(f.DB)
	f.At(f.Day(0), 12, 0)
	m.r1 = f.Book(t, d("2027-01-30"), d("2027-02-02"))
	m.r2 = f.Book(t, d("2027-01-31"), d("2027-02-04"))
	r3 := f.Book(t, d("2027-01-30"), d("2027-01-31"))
	f.At(f.Day(0), 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, m.r1.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID}))(t)
	pmstest.Must(st.CheckIn(f.Ctx, r3.ID, stays.CheckInInput{RoomID: f.Rooms[2].ID}))(t)
	audit := func(day int) {
		f.At(f.Day(day), 3, 0)
		pmstest.Must(frontdesk.New(f.DB).RunNightAudit(context.Background(), f.Prop.ID))(t)
	}
	audit(1)
	f.At(f.Day(1), 15, 0)
	pmstest.Must(st.CheckIn(f.Ctx, m.r2.ID, stays.CheckInInput{RoomID: f.Rooms[1].ID}))(t)
	for day := 2; day <= 5; day++ {
		audit(day)
	}
	f.At(f.Day(5), 10, 0)
	return m
}

// ownerLine is the part of an owner statement line a table row states by hand.
type ownerLine struct {
	res, room           string
	first, last         string
	nights              int
	net, gross          int64
	commission, stayFee int64
	payout              int64
}

// TestOwnerStatements: hand-computed owner statements. 100.00 gross is
// 93.46 net. Commissions round half up per line: 12.50% of 186.92 is
// 23.365 → 23.37; of 93.46, 11.6825 → 11.68; 10% of 93.46 is 9.346 → 9.35;
// 20% of 186.92 is 37.384 → 37.38.
func TestOwnerStatements(t *testing.T) {
	m := managedHotel(t)
	f, s := m.f, reports.New(m.f.DB)
	jan, feb, mar := date.MustParse("2027-01-01"), date.MustParse("2027-02-01"), date.MustParse("2027-03-01")
	type fee struct {
		room, month  string
		nights, days int
		amount       int64
	}
	for _, tc := range []struct {
		name     string
		owner    string
		from, to date.Date
		lines    []ownerLine
		fees     []fee
		totals   reports.OwnerTotals
	}{
		{"Ana, January: R1's first two nights split off at the month end; R2's first night; 101's whole month", m.ana.ID, jan, feb,
			[]ownerLine{
				{m.r1.ID, "101", "2027-01-30", "2027-01-31", 2, 18692, 20000, 2337, 0, 16355},
				{m.r2.ID, "102", "2027-01-31", "2027-01-31", 1, 9346, 10000, 935, 0, 8411},
			},
			[]fee{{"101", "2027-01", 31, 31, 3100}},
			reports.OwnerTotals{Stays: 2, Nights: 3, Revenue: reports.Amount{Net: 28038, Gross: 30000}, Commission: 3272, MonthlyFees: 3100, Fees: 3100, Payout: 21666}},
		{"Ana, February: R1's last night carries its stay fee; R2 only until her contract ends", m.ana.ID, feb, mar,
			[]ownerLine{
				{m.r1.ID, "101", "2027-02-01", "2027-02-01", 1, 9346, 10000, 1168, 2500, 5678},
				{m.r2.ID, "102", "2027-02-01", "2027-02-01", 1, 9346, 10000, 935, 0, 8411},
			},
			[]fee{{"101", "2027-02", 28, 28, 3100}},
			reports.OwnerTotals{Stays: 2, Nights: 2, Revenue: reports.Amount{Net: 18692, Gross: 20000}, Commission: 2103, StayFees: 2500, MonthlyFees: 3100, Fees: 5600, Payout: 10989}},
		{"Ben, February: 102 from the 2nd: R2's last two nights, 27 of 28 nights of his monthly fee", m.ben.ID, feb, mar,
			[]ownerLine{
				{m.r2.ID, "102", "2027-02-02", "2027-02-03", 2, 18692, 20000, 3738, 0, 14954},
			},
			[]fee{{"102", "2027-02", 27, 28, 2700}},
			reports.OwnerTotals{Stays: 1, Nights: 2, Revenue: reports.Amount{Net: 18692, Gross: 20000}, Commission: 3738, MonthlyFees: 2700, Fees: 2700, Payout: 12254}},
		{"Ben, January: no nights yet, no fee (his contract starts in February)", m.ben.ID, jan, feb, nil, nil,
			reports.OwnerTotals{}},
		{"Ana, 15 Jan – 15 Feb: 17 of 31 nights and 14 of 28", m.ana.ID, date.MustParse("2027-01-15"), date.MustParse("2027-02-15"),
			[]ownerLine{
				{m.r1.ID, "101", "2027-01-30", "2027-02-01", 3, 28038, 30000, 3505, 2500, 22033},
				{m.r2.ID, "102", "2027-01-31", "2027-02-01", 2, 18692, 20000, 1869, 0, 16823},
			},
			// 31.00 × 17/31 = 17.00; 31.00 × 14/28 = 15.50
			[]fee{{"101", "2027-01", 17, 31, 1700}, {"101", "2027-02", 14, 28, 1550}},
			reports.OwnerTotals{Stays: 2, Nights: 5, Revenue: reports.Amount{Net: 46730, Gross: 50000}, Commission: 5374, StayFees: 2500, MonthlyFees: 3250, Fees: 5750, Payout: 35606}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := pmstest.Must(s.GenerateStatement(f.Ctx, reports.StatementInput{PropertyID: f.Prop.ID, Kind: reports.StatementKindOwner, OwnerID: tc.owner, From: tc.from, To: tc.to}))(t)
			if st.Kind != "owner" || st.OwnerID != tc.owner || !strings.HasPrefix(st.Number, "OS-2027-") || st.Owner == nil || len(st.Lines) != 0 {
				t.Fatalf("statement %+v", st)
			}
			var got []ownerLine
			for _, l := range st.Owner.Lines {
				got = append(got, ownerLine{l.ReservationID, l.Room, l.FirstNight.String(), l.LastNight.String(), l.Nights, l.Revenue.Net, l.Revenue.Gross, l.Commission, l.StayFee, l.Payout})
			}
			if len(got) != len(tc.lines) {
				t.Fatalf("lines %+v, want %+v", got, tc.lines)
			}
			for i := range got {
				if got[i] != tc.lines[i] {
					t.Errorf("line %d: %+v, want %+v", i, got[i], tc.lines[i])
				}
			}
			var fees []fee
			for _, x := range st.Owner.Fees {
				fees = append(fees, fee{x.Room, x.Month, x.Nights, x.MonthNights, x.Amount})
			}
			if len(fees) != len(tc.fees) {
				t.Fatalf("fees %+v, want %+v", fees, tc.fees)
			}
			for i := range fees {
				if fees[i] != tc.fees[i] {
					t.Errorf("fee %d: %+v, want %+v", i, fees[i], tc.fees[i])
				}
			}
			if st.Owner.Totals != tc.totals {
				t.Errorf("totals %+v, want %+v", st.Owner.Totals, tc.totals)
			}
		})
	}
}

// TestOwnerStatementDocument: an owner statement is a statement like a
// channel's: numbered in its own series, audited with its hash, immutable,
// the same document when generated again, a new one once a posting
// changed its figures, listed, and written as CSV that parses back.
func TestOwnerStatementDocument(t *testing.T) {
	m := managedHotel(t)
	f, s := m.f, reports.New(m.f.DB)
	in := reports.StatementInput{PropertyID: f.Prop.ID, Kind: reports.StatementKindOwner, OwnerID: m.ana.ID, From: date.MustParse("2027-01-01"), To: date.MustParse("2027-02-01")}
	st := pmstest.Must(s.GenerateStatement(f.Ctx, in))(t)
	if st.Number != "OS-2027-000001" || st.Owner.Totals.Payout != 21666 {
		t.Fatalf("statement %s %+v", st.Number, st.Owner.Totals)
	}
	action, after := pmstest.LastAction(t, f)
	for _, want := range []string{st.Number, st.Hash, m.ana.ID, `"payout":21666`, `"kind":"owner"`} {
		if action != "statement.generated" || !strings.Contains(after, want) {
			t.Fatalf("last audit row %s %s lacks %s", action, after, want)
		}
	}
	var body string
	if err := f.DB.SQL().Read.QueryRow(`SELECT body FROM report_statements WHERE id = ?`, st.ID).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(after, "Ana Owner") || strings.Contains(body, "Ana Owner") || strings.Contains(body, "DE89370400440532013000") {
		t.Fatal("the audit row or the stored body holds the owner's personal data in plain text")
	}
	for _, q := range []string{`UPDATE report_statements SET body = '{}' WHERE id = ?`, `DELETE FROM report_statements WHERE id = ?`} {
		if _, err := f.DB.SQL().Write.Exec(q, st.ID); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Fatalf("%s: %v", q, err)
		}
	}

	// Again with the same figures: the same document.
	rows := f.AuditRows(t)
	again := pmstest.Must(s.GenerateStatement(f.Ctx, in))(t)
	if again.ID != st.ID || again.Hash != st.Hash || !again.Existing || f.AuditRows(t) != rows {
		t.Fatalf("again %s %s existing=%v", again.ID, again.Number, again.Existing)
	}
	// A channel's statement numbers in its own series.
	ota := pmstest.Must(s.GenerateStatement(f.Ctx, reports.StatementInput{PropertyID: f.Prop.ID, Channel: "direct", From: in.From, To: in.To}))(t)
	if ota.Number != "ST-2027-000001" || ota.Kind != "ota" || ota.Owner != nil {
		t.Fatalf("channel statement %s %s", ota.Number, ota.Kind)
	}

	// A late allowance on R1's night of 30 January: the stored statement
	// does not change; generating again makes OS-2027-000002.
	var line string
	if err := f.DB.SQL().Read.QueryRow(`SELECT id FROM ledger_lines WHERE ref_id = ? AND item = 'room' AND service_date = '2027-01-30'`, m.r1.ID).Scan(&line); err != nil {
		t.Fatal(err)
	}
	pmstest.Must(ledger.New(f.DB).PostAllowance(f.Ctx, ledger.AllowanceInput{LineID: line, Amount: 1070, BusinessDate: date.MustParse("2027-02-04"), Reason: "Broken shower"}))(t)
	old := pmstest.Must(s.GetStatement(f.Ctx, st.ID))(t)
	if old.Hash != st.Hash || old.Owner.Totals != st.Owner.Totals {
		t.Fatalf("a later posting changed the stored statement: %+v", old.Owner.Totals)
	}
	second := pmstest.Must(s.GenerateStatement(f.Ctx, in))(t)
	// 10.70 gross is 10.00 net: R1's January net 176.92, commission
	// 12.5% = 22.115 → 22.12.
	if second.Number != "OS-2027-000002" || second.Existing || second.Owner.Lines[0].Revenue != (reports.Amount{Net: 17692, Gross: 18930}) ||
		second.Owner.Lines[0].Commission != 2212 || second.Owner.Totals.Payout != 21666-1000+(2337-2212) {
		t.Fatalf("second %s %+v", second.Number, second.Owner)
	}
	list := pmstest.Must(s.ListStatements(f.Ctx, f.Prop.ID))(t)
	if len(list) != 3 || list[0].ID != second.ID || list[0].Owner == nil || list[0].Owner.Totals.Payout != second.Owner.Totals.Payout || list[0].Owner.Lines != nil {
		t.Fatalf("list %+v", list)
	}

	// CSV, parsed back.
	recs := csvWritten(t, true, func(w io.Writer, bom bool) error { return reports.WriteStatementCSV(w, st, bom) })
	want := [][]string{
		reports.OwnerStatementColumns,
		{"OS-2027-000001", m.ana.ID, "stay", m.r1.ID, "101", "2027-01-30", "2027-01-31", "", "2", "186.92", "200.00", "1250", "23.37", "0.00", "163.55", "EUR"},
		{"OS-2027-000001", m.ana.ID, "stay", m.r2.ID, "102", "2027-01-31", "2027-01-31", "", "1", "93.46", "100.00", "1000", "9.35", "0.00", "84.11", "EUR"},
		{"OS-2027-000001", m.ana.ID, "monthly_fee", "", "101", "", "", "2027-01", "31", "", "", "", "", "31.00", "-31.00", "EUR"},
		{"OS-2027-000001", m.ana.ID, "total", "", "", "", "", "", "3", "280.38", "300.00", "", "32.72", "31.00", "216.66", "EUR"},
	}
	sameRecords(t, recs, want)
	f.VerifyAudit(t)

	// Bad input: refused naming the field, nothing written.
	rows = f.AuditRows(t)
	other := pmstest.Must(owners.New(f.DB).CreateOwner(f.Ctx, owners.OwnerInput{Name: "Cem", Email: "cem@example.com"}))(t)
	rows++
	for _, bad := range []struct {
		in    reports.StatementInput
		field string
	}{
		{reports.StatementInput{PropertyID: f.Prop.ID, Kind: "owner", From: in.From, To: in.To}, "owner_id"},
		{reports.StatementInput{PropertyID: f.Prop.ID, Kind: "owner", OwnerID: "own_nope", From: in.From, To: in.To}, "owner_id"},
		{reports.StatementInput{PropertyID: f.Prop.ID, Kind: "owner", OwnerID: other.ID, From: in.From, To: in.To}, "owner_id"},
		{reports.StatementInput{PropertyID: f.Prop.ID, Kind: "owner", OwnerID: m.ana.ID, From: in.To, To: in.From}, "to"},
		{reports.StatementInput{PropertyID: f.Prop.ID, Kind: "landlord", OwnerID: m.ana.ID, From: in.From, To: in.To}, "kind"},
	} {
		_, err := s.GenerateStatement(f.Ctx, bad.in)
		pmstest.WantCode(t, err, "invalid")
		if !pmstest.HasField(err, bad.field) {
			t.Errorf("%+v: %v does not name %s", bad.in, err, bad.field)
		}
	}
	if f.AuditRows(t) != rows {
		t.Fatal("a refused statement wrote an audit row")
	}
}
