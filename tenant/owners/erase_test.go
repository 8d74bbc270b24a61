package owners_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/owners"
	"github.com/aurapms/aura/tenant/reports"
)

// TestOwnerErased: an owner with a running contract cannot be erased (409
// naming the room, nothing written); once the contract has ended,
// EraseOwner shreds the owner's key and scrubs the row: the owner reads
// back as "Erased owner" with no personal field, the wrapped key has left
// the tenant file and WAL (so the sealed copies in the audit rows never
// open again), the statement generated before keeps its figures, the
// erasure is audited without personal data, and an erased owner can be
// neither changed, nor given a contract, nor erased again.
func TestOwnerErased(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2027-01-10")
	s := owners.New(f.DB)
	const iban = "DE89370400440532013000"
	o := pmstest.Must(s.CreateOwner(f.Ctx, owners.OwnerInput{Name: "Zuzanna Wróblewska", Email: "zuzanna@example.com", Payout: iban}))(t)
	dec1, jan1 := date.MustParse("2026-12-01"), date.MustParse("2027-01-01")
	k := pmstest.Must(s.CreateContract(f.Ctx, o.ID, owners.ContractInput{RoomID: f.Rooms[0].ID, Start: dec1, CommissionBP: 2000, MonthlyFee: 3100}))(t)

	rows := f.AuditRows(t)
	_, err := s.EraseOwner(f.Ctx, o.ID, 0)
	pmstest.WantCode(t, err, "conflict")
	if !strings.Contains(err.Error(), "Room 101") || f.AuditRows(t) != rows {
		t.Fatalf("erasure under a running contract: %v, audit rows %d, were %d", err, f.AuditRows(t), rows)
	}

	pmstest.Must(s.UpdateContract(f.Ctx, k.ID, owners.ContractInput{RoomID: f.Rooms[0].ID, Start: dec1, End: jan1, CommissionBP: 2000, MonthlyFee: 3100, Version: 1}))(t)
	st := pmstest.Must(reports.New(f.DB).GenerateStatement(f.Ctx, reports.StatementInput{PropertyID: f.Prop.ID, Kind: reports.StatementKindOwner,
		OwnerID: o.ID, From: dec1, To: jan1}))(t)
	if st.Owner == nil || st.Owner.Totals.Payout != -3100 {
		t.Fatalf("statement %+v", st.Owner)
	}
	var wrapped []byte
	if err := f.DB.SQL().Read.QueryRow(`SELECT key_wrapped FROM owners WHERE id = ?`, o.ID).Scan(&wrapped); err != nil || len(wrapped) < 16 {
		t.Fatalf("wrapped key %x %v", wrapped, err)
	}
	checkpoint(t, f)
	if !bytes.Contains(pmstest.ReadTenantFiles(t, f.DB), wrapped) {
		t.Fatal("the wrapped key is not found in the file before the erasure: the search proves nothing")
	}

	_, err = s.EraseOwner(f.Ctx, o.ID, 7)
	pmstest.WantCode(t, err, "precondition")
	e := pmstest.Must(s.EraseOwner(f.Ctx, o.ID, 1))(t)
	if e.Contracts != 1 || e.Statements != 1 {
		t.Fatalf("erasure %+v", e)
	}
	got := pmstest.Must(s.GetOwner(f.Ctx, o.ID))(t)
	if got.Name != owners.ErasedName || got.Email != "" || got.Payout != "" || got.VATID != "" || got.Address.City != "" || got.ErasedAt == nil {
		t.Fatalf("erased owner reads %+v", got)
	}
	if list := pmstest.Must(s.ListOwners(f.Ctx))(t); len(list) != 1 || list[0].Name != owners.ErasedName {
		t.Fatalf("list %+v", list)
	}
	action, after := pmstest.LastAction(t, f)
	if action != "owner.erased" || strings.Contains(after, "Wróblewska") || strings.Contains(after, iban) || !strings.Contains(after, `"statements":1`) {
		t.Fatalf("audit %s %s", action, after)
	}
	again := pmstest.Must(reports.New(f.DB).GetStatement(f.Ctx, st.ID))(t)
	if again.Hash != st.Hash || again.Owner == nil || again.Owner.Totals != st.Owner.Totals || again.OwnerID != o.ID {
		t.Fatalf("the statement changed: %+v", again)
	}
	checkpoint(t, f)
	raw := pmstest.ReadTenantFiles(t, f.DB)
	if bytes.Contains(raw, wrapped) {
		t.Error("the owner's wrapped key is still in the tenant file or WAL")
	}
	for _, plain := range []string{"Wróblewska", "zuzanna@example.com", iban} {
		if bytes.Contains(raw, []byte(plain)) {
			t.Errorf("%q is in the tenant file in plain text", plain)
		}
	}

	rows = f.AuditRows(t)
	_, err = s.EraseOwner(f.Ctx, o.ID, 0)
	pmstest.WantCode(t, err, "conflict")
	_, err = s.UpdateOwner(f.Ctx, o.ID, owners.OwnerInput{Name: "Z", Email: "z@example.com"})
	pmstest.WantCode(t, err, "conflict")
	_, err = s.CreateContract(f.Ctx, o.ID, owners.ContractInput{RoomID: f.Rooms[1].ID, Start: jan1})
	pmstest.WantCode(t, err, "conflict")
	if f.AuditRows(t) != rows {
		t.Fatal("a refused change of an erased owner wrote an audit row")
	}
	_, err = s.EraseOwner(f.Ctx, "own_nope", 0)
	pmstest.WantCode(t, err, "not_found")
	f.VerifyAudit(t)
}

func checkpoint(t testing.TB, f *pmstest.Fixture) {
	t.Helper()
	if err := f.DB.SQL().Checkpoint(f.Ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOwnerErasureUsesPropertyDate: whether a contract still runs is
// judged on its property's date, not the server's UTC date. Late evening
// in Honolulu (already tomorrow in UTC) a contract ending tomorrow still
// holds tonight, so the erasure is refused; in the morning in Auckland
// (still yesterday in UTC) a contract ending today has ended, so the
// erasure is allowed.
func TestOwnerErasureUsesPropertyDate(t *testing.T) {
	for _, tc := range []struct {
		zone   string
		hh     int
		endIn  int // the contract's end, in days from the property's today
		refuse bool
	}{
		{"Pacific/Honolulu", 20, 1, true}, // UTC is a day ahead
		{"Pacific/Auckland", 9, 0, false}, // UTC is a day behind
	} {
		t.Run(tc.zone, func(t *testing.T) {
			f := pmstest.NewFixture(t, tc.zone, 1, "2027-01-10")
			f.At(f.Day(0), tc.hh, 0)
			s := owners.New(f.DB)
			o := pmstest.Must(s.CreateOwner(f.Ctx, owners.OwnerInput{Name: "Kai Kahale", Email: "kai@example.com"}))(t)
			pmstest.Must(s.CreateContract(f.Ctx, o.ID, owners.ContractInput{RoomID: f.Rooms[0].ID, Start: f.Day(-30), End: f.Day(tc.endIn), CommissionBP: 2000}))(t)
			refusal := s.ErasureRefusal(f.Ctx, o.ID)
			_, err := s.EraseOwner(f.Ctx, o.ID, 0)
			if tc.refuse {
				pmstest.WantCode(t, refusal, "conflict")
				pmstest.WantCode(t, err, "conflict")
			} else if refusal != nil || err != nil {
				t.Fatalf("the contract ended today in %s: refusal %v, erase %v", tc.zone, refusal, err)
			}
		})
	}
}
