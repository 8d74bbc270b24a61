package owners_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/owners"
)

// TestOwnerSealed: an owner's personal fields round-trip, are stored only
// sealed (none of them is in the tenant file or its audit rows in plain
// text), and an update is versioned and audited.
func TestOwnerSealed(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2027-01-10")
	s := owners.New(f.DB)
	in := owners.OwnerInput{Name: "Zuzanna Wróblewska", Email: "zuzanna@example.com", VATID: "de 123456789",
		Address: inventory.Address{Line1: "Kastanienallee 77", PostalCode: "10435", City: "Quedlinburgstadt", Country: "de"},
		Payout:  "DE89 3704 0044 0532 0130 00"}
	o := pmstest.Must(s.CreateOwner(f.Ctx, in))(t)
	if o.Payout != "DE89370400440532013000" || o.VATID != "DE123456789" || o.Address.Country != "DE" || o.Version != 1 {
		t.Fatalf("created %+v", o)
	}
	got := pmstest.Must(s.GetOwner(f.Ctx, o.ID))(t)
	if got.Name != in.Name || got.Email != in.Email || got.Address.City != "Quedlinburgstadt" || got.Payout != o.Payout {
		t.Fatalf("read back %+v", got)
	}
	action, after := pmstest.LastAction(t, f)
	if action != "owner.created" || !strings.Contains(after, `"sealed"`) {
		t.Fatalf("audit %s %s", action, after)
	}
	in.Version, in.Email = 1, "z.wroblewska@example.com"
	up := pmstest.Must(s.UpdateOwner(f.Ctx, o.ID, in))(t)
	if up.Version != 2 || up.Email != in.Email {
		t.Fatalf("updated %+v", up)
	}
	if _, err := s.UpdateOwner(f.Ctx, o.ID, in); pmstest.Code(err) != "precondition" {
		t.Fatalf("stale version: %v", err)
	}
	raw := pmstest.ReadTenantFiles(t, f.DB)
	for _, plain := range []string{"Wróblewska", "zuzanna@example.com", "wroblewska@example.com", "Kastanienallee", "Quedlinburgstadt", "DE89370400440532013000", "DE123456789"} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("%q is in the tenant file in plain text", plain)
		}
	}
	list := pmstest.Must(s.ListOwners(f.Ctx))(t)
	if len(list) != 1 || list[0].Name != in.Name {
		t.Fatalf("list %+v", list)
	}
	f.VerifyAudit(t)
}

// TestOwnerInvalid: bad owners are refused naming the field, before
// anything is written.
func TestOwnerInvalid(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2027-01-10")
	s := owners.New(f.DB)
	ok := owners.OwnerInput{Name: "Ana", Email: "ana@example.com"}
	rows := f.AuditRows(t)
	for _, tc := range []struct {
		name  string
		edit  func(*owners.OwnerInput)
		field string
	}{
		{"no name", func(in *owners.OwnerInput) { in.Name = " " }, "name"},
		{"no email", func(in *owners.OwnerInput) { in.Email = "" }, "email"},
		{"bad email", func(in *owners.OwnerInput) { in.Email = "ana@" }, "email"},
		{"IBAN one digit off", func(in *owners.OwnerInput) { in.Payout = "DE89370400440532013001" }, "payout"},
		{"bad VAT id", func(in *owners.OwnerInput) { in.VATID = "12345" }, "vat_id"},
		{"bad country", func(in *owners.OwnerInput) { in.Address.Country = "Germany" }, "address.country"},
		{"two-line name", func(in *owners.OwnerInput) { in.Name = "Ana\nB" }, "name"},
	} {
		in := ok
		tc.edit(&in)
		_, err := s.CreateOwner(f.Ctx, in)
		pmstest.WantCode(t, err, "invalid")
		if !pmstest.HasField(err, tc.field) {
			t.Errorf("%s: %v does not name %s", tc.name, err, tc.field)
		}
	}
	// A payout reference that is not an IBAN is kept as written.
	o := pmstest.Must(s.CreateOwner(f.Ctx, owners.OwnerInput{Name: "Ben", Email: "ben@example.com", Payout: "Account 4711 at Sparkasse"}))(t)
	if o.Payout != "Account 4711 at Sparkasse" {
		t.Fatalf("payout %q", o.Payout)
	}
	if _, err := s.GetOwner(f.Ctx, "own_nope"); pmstest.Code(err) != "not_found" {
		t.Fatalf("unknown owner: %v", err)
	}
	if f.AuditRows(t) != rows+1 {
		t.Fatalf("audit rows %d → %d, want one (the valid owner)", rows, f.AuditRows(t))
	}
}

// TestContracts: contracts put units under owners for ranges of nights;
// two contracts of one unit never overlap; a contract can end; bad terms
// are refused naming the field.
func TestContracts(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2027-01-10")
	s := owners.New(f.DB)
	a := pmstest.Must(s.CreateOwner(f.Ctx, owners.OwnerInput{Name: "Ana", Email: "ana@example.com"}))(t)
	b := pmstest.Must(s.CreateOwner(f.Ctx, owners.OwnerInput{Name: "Ben", Email: "ben@example.com"}))(t)
	room := f.Rooms[0]
	d := date.MustParse
	ca := pmstest.Must(s.CreateContract(f.Ctx, a.ID, owners.ContractInput{RoomID: room.ID, Start: d("2027-01-01"), CommissionBP: 1500, MonthlyFee: 5000, StayFee: 2500}))(t)
	if ca.PropertyID != f.Prop.ID || ca.RoomNumber != room.Number || !ca.End.IsZero() || !ca.Covers(d("2030-01-01")) || ca.Covers(d("2026-12-31")) {
		t.Fatalf("contract %+v", ca)
	}
	// Open-ended: B cannot take the unit from 15 January until A's ends.
	_, err := s.CreateContract(f.Ctx, b.ID, owners.ContractInput{RoomID: room.ID, Start: d("2027-01-15"), CommissionBP: 2000})
	pmstest.WantCode(t, err, "conflict")
	if !strings.Contains(err.Error(), "2027-01-01") {
		t.Fatalf("the conflict does not say which contract: %v", err)
	}
	end := owners.ContractInput{RoomID: room.ID, Start: ca.Start, End: d("2027-01-15"), CommissionBP: 1500, MonthlyFee: 5000, StayFee: 2500, Version: 1}
	ended := pmstest.Must(s.UpdateContract(f.Ctx, ca.ID, end))(t)
	if ended.Version != 2 || ended.End != d("2027-01-15") || ended.Covers(d("2027-01-15")) || !ended.Covers(d("2027-01-14")) {
		t.Fatalf("ended %+v", ended)
	}
	cb := pmstest.Must(s.CreateContract(f.Ctx, b.ID, owners.ContractInput{RoomID: room.ID, Start: d("2027-01-15"), CommissionBP: 2000}))(t)
	// A's contract cannot grow back into B's nights, nor a new one start
	// before A's ends.
	end.End, end.Version = d("2027-01-16"), 2
	_, err = s.UpdateContract(f.Ctx, ca.ID, end)
	pmstest.WantCode(t, err, "conflict")
	_, err = s.CreateContract(f.Ctx, b.ID, owners.ContractInput{RoomID: room.ID, Start: d("2026-12-01"), End: d("2027-01-02")})
	pmstest.WantCode(t, err, "conflict")
	// Before A's start there is room.
	pmstest.Must(s.CreateContract(f.Ctx, b.ID, owners.ContractInput{RoomID: room.ID, Start: d("2026-12-01"), End: d("2027-01-01")}))(t)
	if list := pmstest.Must(s.ListContracts(f.Ctx, b.ID))(t); len(list) != 2 || list[1].ID != cb.ID {
		t.Fatalf("B's contracts %+v", list)
	}

	rows := f.AuditRows(t)
	for _, tc := range []struct {
		in    owners.ContractInput
		field string
	}{
		{owners.ContractInput{Start: d("2028-01-01")}, "room_id"},
		{owners.ContractInput{RoomID: "rom_nope", Start: d("2028-01-01")}, "room_id"},
		{owners.ContractInput{RoomID: f.Rooms[1].ID}, "start"},
		{owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2028-01-01"), End: d("2028-01-01")}, "end"},
		{owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2028-01-01"), CommissionBP: 10001}, "commission_bp"},
		{owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2028-01-01"), CommissionBP: -1}, "commission_bp"},
		{owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2028-01-01"), MonthlyFee: -100}, "monthly_fee"},
		{owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2028-01-01"), StayFee: owners.MaxFee + 1}, "stay_fee"},
	} {
		_, err := s.CreateContract(f.Ctx, a.ID, tc.in)
		pmstest.WantCode(t, err, "invalid")
		if !pmstest.HasField(err, tc.field) {
			t.Errorf("%+v: %v does not name %s", tc.in, err, tc.field)
		}
	}
	if _, err := s.CreateContract(f.Ctx, "own_nope", owners.ContractInput{RoomID: f.Rooms[1].ID, Start: d("2028-01-01")}); pmstest.Code(err) != "not_found" {
		t.Fatalf("unknown owner: %v", err)
	}
	if f.AuditRows(t) != rows {
		t.Fatal("a refused contract wrote an audit row")
	}
	f.VerifyAudit(t)
}
