package server_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/owners"
	"github.com/aurapms/aura/tenant/reports"
)

// TestOwnersHTTP: owners and their contracts over the API and the pages
// (inline form errors, 400/409/412 for bad input, 404 for another owner's
// contract), an owner statement generated over the API and from the owner's
// page through the statements routes (numbered OS-…, audited, CSV parsed
// back, printable page naming the owner), and the permissions: reading
// owners needs owners.read (owner and manager roles: they hold payout
// IBANs), changing them owners.write; the accountant reads statements
// without the owner's IBAN.
func TestOwnersHTTP(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "own", 2).signIn()

	// API: an owner, a bad one, a stale update.
	ana := decode[owners.Owner](t, mustCreated(t, f, "/owners", `{"name": "Ana Eigner", "email": "ana@eigner.example", "payout": "DE89 3704 0044 0532 0130 00", "address": {"line1": "Seestraße 4", "postal_code": "10115", "city": "Berlin", "country": "DE"}}`))
	if ana.Payout != "DE89370400440532013000" || ana.Version != 1 {
		t.Fatalf("owner %+v", ana)
	}
	if resp, out := f.api("POST", "/owners", `{"name": "Bad", "email": "bad@example.com", "payout": "DE89370400440532013001"}`); resp.StatusCode != 400 || !strings.Contains(out, `"payout"`) {
		t.Fatalf("bad IBAN: %d %s", resp.StatusCode, out)
	}
	if resp, out := f.api("PUT", "/owners/"+ana.ID, `{"name": "Ana Eigner", "email": "ana@eigner.example", "version": 7}`); resp.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("stale update: %d %s", resp.StatusCode, out)
	}
	resp, out := f.api("PUT", "/owners/"+ana.ID, `{"name": "Ana Eigner", "email": "ana@eigner.example", "payout": "DE89370400440532013000", "address": {"city": "Berlin", "country": "DE"}}`, "If-Match", `"1"`)
	if resp.StatusCode != 200 || decode[owners.Owner](t, out).Version != 2 {
		t.Fatalf("update: %d %s", resp.StatusCode, out)
	}
	if list := decode[struct{ Data []owners.Owner }](t, mustOK(t, f, "GET", "/owners")); len(list.Data) != 1 || list.Data[0].Name != "Ana Eigner" {
		t.Fatalf("list %+v", list)
	}

	// Contracts: one from the first of last month at 20% and 31.00 a
	// month; an overlapping one is 409, bad terms 400.
	this := f.today.AddDays(1 - dayOfMonth(f.today))
	first := this.AddDays(-1)
	first = first.AddDays(1 - dayOfMonth(first))
	k := decode[owners.Contract](t, mustCreated(t, f, "/owners/"+ana.ID+"/contracts", fmt.Sprintf(`{"room_id": %q, "start": %q, "commission_bp": 2000, "monthly_fee": 3100}`, f.rooms[0].ID, first)))
	if k.RoomNumber != f.rooms[0].Number || k.PropertyID != f.prop.ID {
		t.Fatalf("contract %+v", k)
	}
	if resp, out := f.api("POST", "/owners/"+ana.ID+"/contracts", fmt.Sprintf(`{"room_id": %q, "start": %q}`, f.rooms[0].ID, f.today)); resp.StatusCode != 409 {
		t.Fatalf("overlap: %d %s", resp.StatusCode, out)
	}
	if resp, out := f.api("POST", "/owners/"+ana.ID+"/contracts", fmt.Sprintf(`{"room_id": %q, "start": %q, "commission_bp": 12000}`, f.rooms[1].ID, f.today)); resp.StatusCode != 400 || !strings.Contains(out, "commission_bp") {
		t.Fatalf("bad commission: %d %s", resp.StatusCode, out)
	}
	if list := decode[struct{ Data []owners.Contract }](t, mustOK(t, f, "GET", "/owners/"+ana.ID+"/contracts")); len(list.Data) != 1 || list.Data[0].ID != k.ID {
		t.Fatalf("contracts %+v", list)
	}

	// Pages: the list, a bad owner form (inline error, 400), a good one.
	if resp, page := f.page("GET", "/owners", nil); resp.StatusCode != 200 || !strings.Contains(page, "Ana Eigner") || !strings.Contains(page, `href="/own/owners/`+ana.ID+`"`) {
		t.Fatalf("owners page: %d", resp.StatusCode)
	}
	form := url.Values{"name": {"Ben Besitzer"}, "email": {"ben@"}, "address.country": {"DE"}}
	if resp, page := f.page("POST", "/owners", form); resp.StatusCode != 400 || !strings.Contains(page, `id="f-email-error"`) || !strings.Contains(page, `value="Ben Besitzer"`) {
		t.Fatalf("bad owner form: %d", resp.StatusCode)
	}
	form.Set("email", "ben@besitzer.example")
	resp, _ = f.page("POST", "/owners", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/own/owners/own_") {
		t.Fatalf("owner form: %d %s", resp.StatusCode, loc)
	}
	benID := strings.TrimPrefix(loc, "/own/owners/")
	// Ben's contract: a commission that is no percentage is the form
	// again with the error at the field; then room 2 from today.
	cform := url.Values{"c_room_id": {f.rooms[1].ID}, "c_start": {f.today.String()}, "c_commission": {"twelve"}, "c_stay_fee": {"25,00"}}
	if resp, page := f.page("POST", "/owners/"+benID+"/contracts", cform); resp.StatusCode != 400 || !strings.Contains(page, `id="f-c_commission-error"`) {
		t.Fatalf("bad contract form: %d", resp.StatusCode)
	}
	cform.Set("c_commission", "12,5")
	if resp, _ := f.page("POST", "/owners/"+benID+"/contracts", cform); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("contract form: %d", resp.StatusCode)
	}
	bk := decode[struct{ Data []owners.Contract }](t, mustOK(t, f, "GET", "/owners/"+benID+"/contracts")).Data
	if len(bk) != 1 || bk[0].CommissionBP != 1250 || bk[0].StayFee != 2500 || !bk[0].End.IsZero() {
		t.Fatalf("Ben's contracts %+v", bk)
	}
	// Ending it: an end before its start is the form again; then the day
	// after tomorrow.
	end := url.Values{"k_room_id": {f.rooms[1].ID}, "k_start": {f.today.String()}, "k_end": {f.today.AddDays(-3).String()}, "k_commission": {"12.5"}, "k_stay_fee": {"25.00"}, "k_version": {"1"}}
	if resp, page := f.page("POST", "/owners/"+benID+"/contracts/"+bk[0].ID, end); resp.StatusCode != 400 || !strings.Contains(page, "field-error") || !strings.Contains(page, "<details open>") {
		t.Fatalf("bad end: %d", resp.StatusCode)
	}
	end.Set("k_end", f.today.AddDays(2).String())
	if resp, _ := f.page("POST", "/owners/"+benID+"/contracts/"+bk[0].ID, end); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end contract: %d", resp.StatusCode)
	}
	// Ana's contract through Ben's path: not found.
	if resp, _ := f.page("POST", "/owners/"+benID+"/contracts/"+k.ID, end); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another owner's contract: %d", resp.StatusCode)
	}
	if resp, _ := f.api("PUT", "/owners/"+benID+"/contracts/"+k.ID, fmt.Sprintf(`{"room_id": %q, "start": %q}`, f.rooms[0].ID, first)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another owner's contract over the API: %d", resp.StatusCode)
	}
	if resp, page := f.page("GET", "/owners/"+benID, nil); resp.StatusCode != 200 || !strings.Contains(page, "12,5 %") && !strings.Contains(page, "12.5 %") || !strings.Contains(page, "Ben Besitzer") {
		t.Fatalf("owner page: %d", resp.StatusCode)
	}

	// Ana's statement of last month: no posted night, her whole monthly
	// fee.
	period := fmt.Sprintf(`"from": %q, "to": %q`, first, this)
	st := decode[reports.Statement](t, mustCreated(t, f, "/statements", `{"kind": "owner", "owner_id": "`+ana.ID+`", `+period+`}`))
	const fee = 3100
	if !strings.HasPrefix(st.Number, "OS-") || st.Owner == nil || st.Owner.Totals.MonthlyFees != fee || st.Owner.Totals.Payout != -fee || st.OwnerID != ana.ID {
		t.Fatalf("owner statement %+v (want the fee %d)", st, fee)
	}
	if resp, out := f.api("POST", "/statements", `{"kind": "owner", "owner_id": "`+ana.ID+`", `+period+`}`); resp.StatusCode != 200 || decode[reports.Statement](t, out).ID != st.ID {
		t.Fatalf("the same statement again: %d %s", resp.StatusCode, out)
	}
	if resp, out := f.api("POST", "/statements", `{"kind": "owner", "owner_id": "own_nope", `+period+`}`); resp.StatusCode != 400 || !strings.Contains(out, "owner_id") {
		t.Fatalf("unknown owner: %d %s", resp.StatusCode, out)
	}
	db := h.acquire("own")
	var action, after string
	err := db.SQL().Read.QueryRow(`SELECT action, after_json FROM audit_log WHERE entity_id = ? ORDER BY seq DESC LIMIT 1`, st.ID).Scan(&action, &after)
	db.Release()
	if err != nil || action != "statement.generated" || !strings.Contains(after, st.Number) || !strings.Contains(after, ana.ID) {
		t.Fatalf("audit row: %v %s %s", err, action, after)
	}
	resp, csvBody := f.api("GET", "/statements/"+st.ID+"/statement.csv", "")
	recs, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(reports.OwnerStatementColumns, ",") ||
		recs[1][2] != "monthly_fee" || recs[2][2] != "total" || recs[1][13] != "31.00" || recs[2][14] != "-31.00" {
		t.Fatalf("owner statement CSV: %d %v %q", resp.StatusCode, err, recs)
	}
	if resp, page := f.page("GET", "/reports/statements/"+st.ID, nil); resp.StatusCode != 200 || !strings.Contains(page, "Owner statement "+st.Number) || !strings.Contains(page, "Ana Eigner") || !strings.Contains(page, "DE89370400440532013000") {
		t.Fatalf("owner statement page: %d", resp.StatusCode)
	}
	if resp, page := f.page("GET", "/reports/statements", nil); resp.StatusCode != 200 || !strings.Contains(page, st.Number) || !strings.Contains(page, "Ana Eigner") {
		t.Fatalf("statements page: %d", resp.StatusCode)
	}
	// From Ana's page: the same figures, so the same statement; a bad
	// period is the statements page with the error at the owner form's field.
	sform := url.Values{"kind": {"owner"}, "owner_id": {ana.ID}, "o_from": {first.String()}, "o_to": {this.String()}}
	if resp, _ := f.page("POST", "/reports/statements", sform); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/own/reports/statements/"+st.ID {
		t.Fatalf("owner statement from the page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	sform.Set("o_to", first.AddDays(-1).String())
	if resp, page := f.page("POST", "/reports/statements", sform); resp.StatusCode != 400 || !strings.Contains(page, `id="f-o_to"`) || !strings.Contains(page, "field-error") {
		t.Fatalf("bad owner period from the page: %d", resp.StatusCode)
	}
	if resp, page := f.page("GET", "/owners/"+ana.ID, nil); resp.StatusCode != 200 || !strings.Contains(page, st.Number) {
		t.Fatalf("Ana's page lacks her statement: %d", resp.StatusCode)
	}

	// Permissions: the front desk neither reads nor changes owners.
	tok := f.roleToken(t, identity.RoleFrontDesk, "desk@own.example")
	for _, tc := range []struct{ method, path, body, perm string }{
		{"GET", "/own/api/v1/owners", "", "owners.read"},
		{"POST", "/own/api/v1/owners", `{"name": "X", "email": "x@example.com"}`, "owners.write"},
	} {
		resp, out := h.do(req{method: tc.method, path: tc.path, json: tc.body, header: map[string]string{"Authorization": "Bearer " + tok}})
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(out, tc.perm) {
			t.Fatalf("front desk %s %s: %d %s", tc.method, tc.path, resp.StatusCode, out)
		}
	}

	// The payout IBAN by role: the manager reads the owners with it; the
	// accountant reads no owner (403 naming owners.read, on the API and the
	// pages, no Owners menu entry) and keeps the statements, with the
	// owner's name but without the IBAN.
	const iban = "DE89370400440532013000"
	manager := map[string]string{"Authorization": "Bearer " + f.roleToken(t, identity.RoleManager, "manager@own.example")}
	for _, path := range []string{"/own/api/v1/owners", "/own/api/v1/owners/" + ana.ID} {
		if resp, out := h.do(req{path: path, header: manager}); resp.StatusCode != 200 || !strings.Contains(out, iban) {
			t.Errorf("manager %s: %d %s", path, resp.StatusCode, out)
		}
	}
	msession := []*http.Cookie{h.login("own", "manager@own.example", ownerPassword)}
	if resp, page := h.do(req{path: "/own/reports/statements/" + st.ID, cookies: msession}); resp.StatusCode != 200 || !strings.Contains(page, iban) {
		t.Errorf("the manager's statement page lacks the IBAN: %d", resp.StatusCode)
	}
	accountant := map[string]string{"Authorization": "Bearer " + f.roleToken(t, identity.RoleAccountant, "accountant@own.example")}
	for _, path := range []string{"/own/api/v1/owners", "/own/api/v1/owners/" + ana.ID, "/own/api/v1/owners/" + ana.ID + "/contracts"} {
		if resp, out := h.do(req{path: path, header: accountant}); resp.StatusCode != http.StatusForbidden || !strings.Contains(out, "owners.read") || strings.Contains(out, iban) {
			t.Errorf("accountant %s: %d %s", path, resp.StatusCode, out)
		}
	}
	for _, path := range []string{"/own/api/v1/statements/" + st.ID, "/own/api/v1/statements/" + st.ID + "/statement.csv", "/own/api/v1/statements"} {
		if resp, out := h.do(req{path: path, header: accountant}); resp.StatusCode != 200 || !strings.Contains(out, ana.ID) || strings.Contains(out, iban) {
			t.Errorf("accountant %s: %d %s", path, resp.StatusCode, out)
		}
	}
	asession := []*http.Cookie{h.login("own", "accountant@own.example", ownerPassword)}
	for _, path := range []string{"/own/owners", "/own/owners/" + ana.ID} {
		if resp, page := h.do(req{path: path, cookies: asession}); resp.StatusCode != http.StatusForbidden || strings.Contains(page, iban) {
			t.Errorf("accountant's page %s: %d", path, resp.StatusCode)
		}
	}
	if resp, page := h.do(req{path: "/own/reports/statements/" + st.ID, cookies: asession}); resp.StatusCode != 200 || !strings.Contains(page, "Ana Eigner") ||
		!strings.Contains(page, st.Number) || strings.Contains(page, iban) || strings.Contains(page, `href="/own/owners/`) {
		t.Errorf("the accountant's statement page: %d, or it shows the IBAN or links the owner", resp.StatusCode)
	}
	if resp, page := h.do(req{path: "/own/reports/statements", cookies: asession}); resp.StatusCode != 200 || !strings.Contains(page, "Ana Eigner") ||
		strings.Contains(page, iban) || strings.Contains(page, `href="/own/owners`) {
		t.Errorf("the accountant's statements page: %d, or it shows the IBAN or links the owners", resp.StatusCode)
	}

	// Erasure: refused (409 naming the room) while Ana's contract runs and
	// for the accountant (403); an owner without a running contract is
	// erased, audited, and reads back without personal data.
	if resp, out := f.api("POST", "/owners/"+ana.ID+"/erasure", ""); resp.StatusCode != http.StatusConflict || !strings.Contains(out, "Room "+f.rooms[0].Number) {
		t.Errorf("erasing Ana under her contract: %d %s", resp.StatusCode, out)
	}
	cleo := decode[owners.Owner](t, mustCreated(t, f, "/owners", `{"name": "Cleo Cordes", "email": "cleo@cordes.example", "payout": "`+iban+`"}`))
	if resp, out := h.do(req{method: "POST", path: "/own/api/v1/owners/" + cleo.ID + "/erasure", header: accountant}); resp.StatusCode != http.StatusForbidden || !strings.Contains(out, "owners.write") {
		t.Errorf("the accountant erasing: %d %s", resp.StatusCode, out)
	}
	if resp, out := f.api("POST", "/owners/"+cleo.ID+"/erasure", `{"version": 9}`); resp.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("a stale erasure: %d %s", resp.StatusCode, out)
	}
	if resp, out := h.do(req{method: "POST", path: "/own/api/v1/owners/" + cleo.ID + "/erasure", json: `{"version": 1}`, header: manager}); resp.StatusCode != 200 || !strings.Contains(out, `"owner_id":"`+cleo.ID+`"`) {
		t.Fatalf("the manager erasing Cleo: %d %s", resp.StatusCode, out)
	}
	if _, out := f.api("GET", "/owners/"+cleo.ID, ""); !strings.Contains(out, owners.ErasedName) || strings.Contains(out, "Cordes") || strings.Contains(out, iban) || !strings.Contains(out, `"erased_at"`) {
		t.Errorf("Cleo after the erasure: %s", out)
	}
	db = h.acquire("own")
	err = db.SQL().Read.QueryRow(`SELECT action, after_json FROM audit_log WHERE entity_id = ? ORDER BY seq DESC LIMIT 1`, cleo.ID).Scan(&action, &after)
	db.Release()
	if err != nil || action != "owner.erased" || strings.Contains(after, "Cordes") {
		t.Errorf("erasure audit row: %v %s %s", err, action, after)
	}
	if resp, out := f.api("POST", "/owners/"+cleo.ID+"/erasure", ""); resp.StatusCode != http.StatusConflict {
		t.Errorf("erasing Cleo again: %d %s", resp.StatusCode, out)
	}
}

func dayOfMonth(d interface{ YMD() (int, time.Month, int) }) int {
	_, _, day := d.YMD()
	return day
}

// TestOwnerErasePage: the owner's erasure from the web UI. The owner's
// page has a danger section linking the confirmation step; while a
// contract runs the step shows why not and a POST is 409 with the reason
// on the page; without the box ticked it is 400 at the field; a
// cross-site POST is refused; once the contract has ended and the box is
// ticked the owner is erased (audited owner.erased, a flash), and the
// owner's page says so and when, without the name or the IBAN and
// without the forms. The accountant (no owners.write) reaches neither.
func TestOwnerErasePage(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "own", 1).signIn()
	const iban = "DE89370400440532013000"
	dora := decode[owners.Owner](t, mustCreated(t, f, "/owners", `{"name": "Dora Dachs", "email": "dora@dachs.example", "payout": "`+iban+`"}`))
	k := decode[owners.Contract](t, mustCreated(t, f, "/owners/"+dora.ID+"/contracts", fmt.Sprintf(`{"room_id": %q, "start": %q, "commission_bp": 2000}`, f.rooms[0].ID, f.today.AddDays(-10))))

	if resp, page := f.page("GET", "/owners/"+dora.ID, nil); resp.StatusCode != 200 || !strings.Contains(page, `id="erase"`) || !strings.Contains(page, `href="/own/owners/`+dora.ID+`/erase"`) {
		t.Fatalf("owner page without the danger section: %d", resp.StatusCode)
	}
	refusal := "Room " + f.rooms[0].Number + " is still under a contract"
	if resp, page := f.page("GET", "/owners/"+dora.ID+"/erase", nil); resp.StatusCode != 200 || !strings.Contains(page, refusal) || strings.Contains(page, `name="confirm"`) {
		t.Fatalf("erase page under a contract: %d, want the refusal and no form", resp.StatusCode)
	}
	if resp, page := f.page("POST", "/owners/"+dora.ID+"/erase", url.Values{"confirm": {"yes"}, "version": {strconv.Itoa(dora.Version)}, "idempotency_key": {"e1"}}); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(page, refusal) || !strings.Contains(page, `id="erase-refusal"`) || !strings.Contains(page, "Dora Dachs") {
		t.Fatalf("erasing under a contract: %d, want 409 with the reason on the page", resp.StatusCode)
	}

	// End the contract today; then the form shows.
	if resp, out := f.api("PUT", "/owners/"+dora.ID+"/contracts/"+k.ID, fmt.Sprintf(`{"room_id": %q, "start": %q, "end": %q, "commission_bp": 2000, "version": %d}`, f.rooms[0].ID, k.Start, f.today, k.Version)); resp.StatusCode != 200 {
		t.Fatalf("ending the contract: %d %s", resp.StatusCode, out)
	}
	resp, page := f.page("GET", "/owners/"+dora.ID+"/erase", nil)
	if resp.StatusCode != 200 || strings.Contains(page, refusal) || !strings.Contains(page, `name="confirm"`) || !strings.Contains(page, "1 statement") && !strings.Contains(page, "0 statement") {
		t.Fatalf("erase page after the contract: %d", resp.StatusCode)
	}
	version := decode[owners.Owner](t, mustOK(t, f, "GET", "/owners/"+dora.ID)).Version
	form := url.Values{"version": {strconv.Itoa(version)}, "idempotency_key": {"e2"}}
	if resp, page := f.page("POST", "/owners/"+dora.ID+"/erase", form); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be ticked") {
		t.Fatalf("erasing without the box: %d", resp.StatusCode)
	}
	form.Set("confirm", "yes")
	form.Set("idempotency_key", "e3")
	if resp, _ := h.do(req{method: "POST", path: "/own/owners/" + dora.ID + "/erase", form: form, cookies: []*http.Cookie{f.session}, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site erasure: %d, want 403", resp.StatusCode)
	}
	if o := decode[owners.Owner](t, mustOK(t, f, "GET", "/owners/"+dora.ID)); o.ErasedAt != nil {
		t.Fatal("erased by a refused request")
	}

	// The accountant reaches neither the step nor the erasure.
	f.roleToken(t, identity.RoleAccountant, "accountant@own.example")
	asession := []*http.Cookie{h.login("own", "accountant@own.example", ownerPassword)}
	for _, m := range []string{"GET", "POST"} {
		if resp, _ := h.do(req{method: m, path: "/own/owners/" + dora.ID + "/erase", form: form, cookies: asession}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("the accountant's %s of the erase page: %d", m, resp.StatusCode)
		}
	}

	resp, _ = f.page("POST", "/owners/"+dora.ID+"/erase", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/own/owners/"+dora.ID {
		t.Fatalf("erasing: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page = h.do(req{path: "/own/owners/" + dora.ID, cookies: []*http.Cookie{f.session, cookieNamed(resp, "aura_flash")}})
	if resp.StatusCode != 200 || !strings.Contains(page, "personal data is erased") || !strings.Contains(page, `id="erased"`) || !strings.Contains(page, owners.ErasedName) ||
		strings.Contains(page, "Dora") || strings.Contains(page, iban) || strings.Contains(page, `id="erase"`) || strings.Contains(page, `id="details"`) || strings.Contains(page, "Change or end") || strings.Contains(page, `id="add-contract"`) {
		t.Fatalf("the erased owner's page: %d\n%s", resp.StatusCode, page)
	}
	db := h.acquire("own")
	var action string
	err := db.SQL().Read.QueryRow(`SELECT action FROM audit_log WHERE entity_id = ? ORDER BY seq DESC LIMIT 1`, dora.ID).Scan(&action)
	db.Release()
	if err != nil || action != "owner.erased" {
		t.Fatalf("audit: %v %q", err, action)
	}
	if resp, page := f.page("GET", "/owners/"+dora.ID+"/erase", nil); resp.StatusCode != 200 || !strings.Contains(page, "already erased") || strings.Contains(page, `name="confirm"`) {
		t.Fatalf("erase page of an erased owner: %d", resp.StatusCode)
	}
}
