package pms

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/locale"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/owners"
	"github.com/aurapms/aura/tenant/reports"
)

// Owners of managed units (issue 14): the owners list with its add form,
// an owner's page (details, contracts, statements) and their API. Reading
// needs reports.read, changing owners.write; owner statements are
// generated through the statements routes (kind "owner").

// OwnerRoutes are the rows of the owner pages and API in the route table.
func (s Handlers) OwnerRoutes() []web.Route {
	none, own := web.Iso(), web.Iso("id", "own_aaaaaaaaaaaaaaaa")
	occ := web.Iso("id", "own_aaaaaaaaaaaaaaaa", "cid", "occ_aaaaaaaaaaaaaaaa")
	return []web.Route{
		{Method: "GET", Path: "/:tenant/owners", Access: web.Session, Perm: identity.PermOwnersRead, Isolation: none, Page: "owners", Handle: s.ownersPage},
		{Method: "POST", Path: "/:tenant/owners", Access: web.Session, Perm: identity.PermOwnersWrite, Isolation: none, Page: "owners", Handle: s.ownerCreate},
		{Method: "GET", Path: "/:tenant/owners/:id", Access: web.Session, Perm: identity.PermOwnersRead, Isolation: own, Page: "owner", Handle: s.ownerPage},
		{Method: "POST", Path: "/:tenant/owners/:id", Access: web.Session, Perm: identity.PermOwnersWrite, Isolation: own, Page: "owner", Handle: s.ownerSave},
		{Method: "GET", Path: "/:tenant/owners/:id/erase", Access: web.Session, Perm: identity.PermOwnersWrite, Isolation: own, Page: "owner_erase", Handle: s.ownerErasePage},
		{Method: "POST", Path: "/:tenant/owners/:id/erase", Access: web.Session, Perm: identity.PermOwnersWrite, Isolation: own, Page: "owner_erase", Handle: s.ownerErase},
		{Method: "POST", Path: "/:tenant/owners/:id/contracts", Access: web.Session, Perm: identity.PermOwnersWrite, Isolation: own, Page: "owner", Handle: s.contractCreate},
		{Method: "POST", Path: "/:tenant/owners/:id/contracts/:cid", Access: web.Session, Perm: identity.PermOwnersWrite, Isolation: occ, Page: "owner", Handle: s.contractSave},
		{Method: "GET", Path: "/:tenant/api/v1/owners", Access: web.Token, Perm: identity.PermOwnersRead, Isolation: none, Handle: s.apiOwners},
		{Method: "POST", Path: "/:tenant/api/v1/owners", Access: web.Token, Perm: identity.PermOwnersWrite, Isolation: none, Handle: ApiCreate(owners.Store.CreateOwner, ownerVersion)},
		{Method: "GET", Path: "/:tenant/api/v1/owners/:id", Access: web.Token, Perm: identity.PermOwnersRead, Isolation: own, Handle: ApiGet(owners.Store.GetOwner, ownerVersion)},
		{Method: "PUT", Path: "/:tenant/api/v1/owners/:id", Access: web.Token, Perm: identity.PermOwnersWrite, Isolation: own, Handle: s.apiOwnerUpdate},
		{Method: "POST", Path: "/:tenant/api/v1/owners/:id/erasure", Access: web.Token, Perm: identity.PermOwnersWrite, Isolation: own, Handle: s.apiOwnerErase},
		{Method: "GET", Path: "/:tenant/api/v1/owners/:id/contracts", Access: web.Token, Perm: identity.PermOwnersRead, Isolation: own, Handle: s.apiContracts},
		{Method: "POST", Path: "/:tenant/api/v1/owners/:id/contracts", Access: web.Token, Perm: identity.PermOwnersWrite, Isolation: own, Handle: s.apiContractCreate},
		{Method: "PUT", Path: "/:tenant/api/v1/owners/:id/contracts/:cid", Access: web.Token, Perm: identity.PermOwnersWrite, Isolation: occ, Handle: s.apiContractUpdate},
	}
}

// OwnerAPIDocs documents the owner API in the OpenAPI document.
var OwnerAPIDocs = map[string]web.ApiDoc{
	"GET /:tenant/api/v1/owners": {Summary: "The owners of managed units, by name (their personal fields are stored sealed)", Tag: "Owners",
		Response: ApiData[owners.Owner]{}},
	"POST /:tenant/api/v1/owners": {Summary: "Add an owner: name, email, address, optional VAT id, payout IBAN (mod-97 checked) or reference", Tag: "Owners",
		Body: owners.OwnerInput{}, Response: owners.Owner{}, Status: 201},
	"GET /:tenant/api/v1/owners/:id": {Summary: "An owner", Tag: "Owners", Response: owners.Owner{}},
	"PUT /:tenant/api/v1/owners/:id": {Summary: "Replace an owner's details (If-Match or version)", Tag: "Owners", Body: owners.OwnerInput{}, Response: owners.Owner{}, IfMatch: true},
	"POST /:tenant/api/v1/owners/:id/erasure": {Summary: "Erase an owner's personal data for good (the owner's key is destroyed; contracts and statements keep their figures); 409 while a contract runs past today", Tag: "Owners",
		Body: struct {
			Version int `json:"version"`
		}{}, BodyOptional: true, Response: owners.Erasure{}, IfMatch: true},
	"GET /:tenant/api/v1/owners/:id/contracts": {Summary: "An owner's management contracts, by start", Tag: "Owners",
		Response: ApiData[owners.Contract]{}},
	"POST /:tenant/api/v1/owners/:id/contracts": {Summary: "Put a room (unit) under the owner for the nights [start, end) (end null: open-ended), with a commission in basis points and fees in minor units; 409 when another contract holds the unit on one of the nights", Tag: "Owners",
		Body: owners.ContractInput{}, Response: owners.Contract{}, Status: 201},
	"PUT /:tenant/api/v1/owners/:id/contracts/:cid": {Summary: "Replace a contract's unit, nights and terms (set end to end it); statements already generated keep their figures", Tag: "Owners",
		Body: owners.ContractInput{}, Response: owners.Contract{}, IfMatch: true},
}

func ownerVersion(o owners.Owner) int { return o.Version }

// ownersData is the owners page: the list and the add form.
type ownersData struct {
	Owners   []owners.Owner
	Units    map[string]int // owner id → contracts in this property covering today
	CanWrite bool
}

func (s Handlers) renderOwners(w http.ResponseWriter, r *http.Request, c *web.Call, status int, form url.Values, ferr error) error {
	p, prop, err := s.PmsPage(w, r, c, "Owners", "owners")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	list, err := owners.New(c.DB).ListOwners(r.Context())
	if err != nil {
		return err
	}
	d := &ownersData{Owners: list, Units: map[string]int{}, CanWrite: c.Can(identity.PermOwnersWrite)}
	today := s.Today(r, c, prop)
	err = c.DB.View(r.Context(), func(tx *tenant.Tx) error {
		for _, o := range list {
			cs, err := owners.ContractsTx(tx, o.ID, prop.ID)
			if err != nil {
				return err
			}
			for _, k := range cs {
				if k.Covers(today) {
					d.Units[o.ID]++
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if form != nil {
		p.Form = form
	}
	if ferr != nil {
		p.FormFieldErrors(ferr, nil)
	}
	p.Data = d
	s.RenderPage(w, r, status, "owners", p)
	return nil
}

func (s Handlers) ownersPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	return s.renderOwners(w, r, c, http.StatusOK, nil, nil)
}

// ownerInput reads the owner form.
func ownerInput(v url.Values) owners.OwnerInput {
	g := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	in := owners.OwnerInput{Name: g("name"), Email: g("email"), VATID: g("vat_id"), Payout: g("payout"),
		Address: inventory.Address{Line1: g("address.line1"), Line2: g("address.line2"), PostalCode: g("address.postal_code"), City: g("address.city"),
			Region: g("address.region"), Country: g("address.country")}}
	in.Version, _ = strconv.Atoi(g("version"))
	return in
}

func ownerForm(o owners.Owner) url.Values {
	return url.Values{"name": {o.Name}, "email": {o.Email}, "vat_id": {o.VATID}, "payout": {o.Payout}, "version": {strconv.Itoa(o.Version)},
		"address.line1": {o.Address.Line1}, "address.line2": {o.Address.Line2}, "address.postal_code": {o.Address.PostalCode},
		"address.city": {o.Address.City}, "address.region": {o.Address.Region}, "address.country": {o.Address.Country}}
}

func (s Handlers) ownerCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	o, err := owners.New(c.DB).CreateOwner(r.Context(), ownerInput(r.PostForm))
	if code := aura.ErrorCode(err); code == aura.EINVALID {
		return s.renderOwners(w, r, c, http.StatusBadRequest, r.PostForm, err)
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", o.Name+" is added. Put their units under a contract next.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/owners/"+o.ID, http.StatusSeeOther)
	return nil
}

// ownerData is one owner's page.
type ownerData struct {
	Owner      owners.Owner
	Contracts  []contractRow
	Rooms      []inventory.Room
	Statements []reports.Statement
	CanWrite   bool
	CanGen     bool
	// EditContract is the contract whose form failed, shown open.
	EditContract string
}

// contractRow is a contract with what its row and its form show: the
// commission as a percentage, the fees as amounts, and the form's values
// (those sent when its form failed).
type contractRow struct {
	owners.Contract
	Commission string
	Form       map[string]string
	Errors     map[string]string
}

// percent shows basis points as a percentage ("12.5") with the style's
// decimal separator.
func percent(st locale.Style, bp int64) string {
	s := locale.Decimal(bp, 2, st.Decimal, "")
	if strings.HasSuffix(s, st.Decimal+"00") {
		return strings.TrimSuffix(s, st.Decimal+"00")
	}
	return strings.TrimSuffix(s, "0")
}

// renderOwner shows an owner's page; form and ferr belong to the form
// that failed (the details when which is "", the new contract when
// "new", a contract's id otherwise).
func (s Handlers) renderOwner(w http.ResponseWriter, r *http.Request, c *web.Call, status int, which string, form url.Values, ferr error) error {
	o, err := owners.New(c.DB).GetOwner(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	p, prop, err := s.PmsPage(w, r, c, o.Name, "owners")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	// An erased owner can no longer be changed (owners.errErased): no forms.
	d := &ownerData{Owner: o, CanWrite: c.Can(identity.PermOwnersWrite) && o.ErasedAt == nil, CanGen: c.Can(identity.PermStatementsWrite)}
	contracts, err := owners.New(c.DB).ListContracts(r.Context(), o.ID)
	if err != nil {
		return err
	}
	st := p.Style()
	for _, k := range contracts {
		row := contractRow{Contract: k, Commission: percent(st, k.CommissionBP), Errors: map[string]string{}, Form: map[string]string{
			"room_id": k.RoomID, "start": k.Start.String(), "end": "", "commission": percent(st, k.CommissionBP), "version": strconv.Itoa(k.Version),
			"monthly_fee": p.AmountInput(tenant.Money{Amount: k.MonthlyFee, Currency: prop.Currency}),
			"stay_fee":    p.AmountInput(tenant.Money{Amount: k.StayFee, Currency: prop.Currency})}}
		if !k.End.IsZero() {
			row.Form["end"] = k.End.String()
		}
		if which == k.ID {
			for f := range row.Form {
				row.Form[f] = form.Get("k_" + f)
			}
		}
		d.Contracts = append(d.Contracts, row)
	}
	if d.Rooms, err = inventory.New(c.DB).ListRooms(r.Context(), prop.ID); err != nil {
		return err
	}
	all, err := reports.New(c.DB).ListStatements(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	for _, st := range all {
		if st.OwnerID == o.ID {
			d.Statements = append(d.Statements, st)
		}
	}
	today := s.Today(r, c, prop)
	y, m, _ := today.YMD()
	first := date.New(y, m, 1)
	p.Form = ownerForm(o)
	p.Form.Set("c_start", first.String())
	p.Form.Set("c_commission", "20")
	ly, lm, _ := first.AddDays(-1).YMD()
	p.Form.Set("o_from", date.New(ly, lm, 1).String())
	p.Form.Set("o_to", first.String())
	for k, vs := range form {
		p.Form[k] = vs
	}
	if ferr != nil {
		prefix := ""
		switch which {
		case "":
		case "new":
			prefix = "c_"
		default:
			prefix, d.EditContract = "k_", which
		}
		p.FormFieldErrors(ferr, func(f string) string { return prefix + f })
		for i := range d.Contracts {
			if d.Contracts[i].ID == which {
				for f, msg := range p.Errors {
					if strings.HasPrefix(f, "k_") {
						d.Contracts[i].Errors[strings.TrimPrefix(f, "k_")] = msg
					}
				}
			}
		}
	}
	p.Data = d
	s.RenderPage(w, r, status, "owner", p)
	return nil
}

func (s Handlers) ownerPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	return s.renderOwner(w, r, c, http.StatusOK, "", nil, nil)
}

func (s Handlers) ownerSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	o, err := owners.New(c.DB).UpdateOwner(r.Context(), c.Params.ByName("id"), ownerInput(r.PostForm))
	if code := aura.ErrorCode(err); code == aura.EINVALID || code == aura.EPRECONDITION {
		return s.renderOwner(w, r, c, web.StatusOf(err), "", r.PostForm, err)
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", o.Name+" is saved.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/owners/"+o.ID, http.StatusSeeOther)
	return nil
}

// contractInput reads a contract form whose fields carry prefix: the
// commission as a percentage (up to two decimals), the fees as amounts in
// the property's currency.
func contractInput(v url.Values, prefix, currency string) (owners.ContractInput, error) {
	var fe web.FormErrors
	in := owners.ContractInput{RoomID: v.Get(prefix + "room_id")}
	in.Start = fe.Date(v, prefix+"start")
	in.End = fe.OptDate(v, prefix+"end")
	if bp, ok := percentBP(v.Get(prefix + "commission")); ok {
		in.CommissionBP = bp
	} else {
		fe.Add(prefix+"commission", "must be a percentage such as 20 or 12.5")
	}
	in.MonthlyFee, _ = fe.Amount(v, prefix+"monthly_fee", currency)
	in.StayFee, _ = fe.Amount(v, prefix+"stay_fee", currency)
	in.Version, _ = strconv.Atoi(v.Get(prefix + "version"))
	return in, fe.Err("The contract is not valid.")
}

// percentBP reads a percentage with at most two decimals ("12.5", "12,50",
// "20 %") as basis points; "" is 0.
func percentBP(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(strings.ReplaceAll(s, ",", "."), ".")
	if whole == "" || len(whole) > 3 || len(frac) > 2 {
		return 0, false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, false
			}
		}
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

// contractRename maps the store's contract fields onto the form's: the
// commission field is a percentage on the form.
func contractRename(f string) string {
	if f == "commission_bp" {
		return "commission"
	}
	return f
}

func (s Handlers) contractCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, _ := s.PropertyContext(w, r, c)
	if p == nil {
		return web.ErrNoProperty
	}
	id := c.Params.ByName("id")
	in, err := contractInput(r.PostForm, "c_", p.Currency)
	if err == nil {
		_, err = owners.New(c.DB).CreateContract(r.Context(), id, in)
		err = renameFields(err, contractRename)
	} else {
		err = renameFields(err, func(f string) string { return strings.TrimPrefix(f, "c_") })
	}
	if code := aura.ErrorCode(err); code == aura.EINVALID || code == aura.ECONFLICT {
		return s.renderOwner(w, r, c, web.StatusOf(err), "new", r.PostForm, err)
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The contract is added.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/owners/"+id+"#contracts", http.StatusSeeOther)
	return nil
}

func (s Handlers) contractSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p, _ := s.PropertyContext(w, r, c)
	if p == nil {
		return web.ErrNoProperty
	}
	id, cid := c.Params.ByName("id"), c.Params.ByName("cid")
	if _, err := s.ownerContract(r, c, id, cid); err != nil {
		return err
	}
	in, err := contractInput(r.PostForm, "k_", p.Currency)
	if err == nil {
		_, err = owners.New(c.DB).UpdateContract(r.Context(), cid, in)
		err = renameFields(err, contractRename)
	} else {
		err = renameFields(err, func(f string) string { return strings.TrimPrefix(f, "k_") })
	}
	if code := aura.ErrorCode(err); code == aura.EINVALID || code == aura.ECONFLICT || code == aura.EPRECONDITION {
		return s.renderOwner(w, r, c, web.StatusOf(err), cid, r.PostForm, err)
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The contract is saved.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/owners/"+id+"#contracts", http.StatusSeeOther)
	return nil
}

// ownerContract returns the contract cid of owner id, or ENOTFOUND when
// either is unknown or the contract is another owner's.
func (s Handlers) ownerContract(r *http.Request, c *web.Call, id, cid string) (owners.Contract, error) {
	k, err := owners.New(c.DB).GetContract(r.Context(), cid)
	if err == nil && k.OwnerID != id {
		err = tenant.NotFound("contract", cid)
	}
	return k, err
}

// renameFields returns err with its field names mapped by rename.
func renameFields(err error, rename func(string) string) error {
	var e *aura.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]aura.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		out.Fields[i] = aura.FieldError{Field: rename(f.Field), Message: f.Message}
	}
	return &out
}

func (s Handlers) apiOwners(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	list, err := owners.New(c.DB).ListOwners(r.Context())
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, ApiData[owners.Owner]{Data: list})
}

func (s Handlers) apiOwnerUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in owners.OwnerInput
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	o, err := owners.New(c.DB).UpdateOwner(r.Context(), c.Params.ByName("id"), in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, o, o.Version)
}

// renderOwnerErase shows the confirmation step; ferr is the refusal or
// the form error of a failed erasure, shown inline.
func (s Handlers) renderOwnerErase(w http.ResponseWriter, r *http.Request, c *web.Call, status int, ferr error) error {
	st := owners.New(c.DB)
	o, err := st.GetOwner(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	p, prop, err := s.PmsPage(w, r, c, "Erase "+o.Name, "owners")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	var refusal string
	if rerr := st.ErasureRefusal(r.Context(), o.ID); aura.ErrorCode(rerr) == aura.ECONFLICT {
		refusal = aura.ErrorMessage(rerr)
	} else if rerr != nil {
		return rerr
	}
	cs, err := st.ListContracts(r.Context(), o.ID)
	if err != nil {
		return err
	}
	all, err := reports.New(c.DB).ListStatements(r.Context(), prop.ID)
	if err != nil {
		return err
	}
	statements := 0
	for _, x := range all {
		if x.OwnerID == o.ID {
			statements++
		}
	}
	p.Form.Set("version", strconv.Itoa(o.Version))
	if ferr != nil && aura.ErrorMessage(ferr) != refusal {
		p.WithFormError(ferr)
	}
	p.Data = ownerEraseView(c.Tenant.Slug, o, refusal, len(cs), statements)
	s.RenderPage(w, r, status, "owner_erase", p)
	return nil
}

func (s Handlers) ownerErasePage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	return s.renderOwnerErase(w, r, c, http.StatusOK, nil)
}

// ownerErase erases the owner's personal data once the box is ticked; a
// refusal (a running contract, a stale version, the box not ticked) is
// the confirmation step again with the reason.
func (s Handlers) ownerErase(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	var err error
	if r.PostForm.Get("confirm") != "yes" {
		err = aura.Invalid("Tick the box to confirm that the owner's personal data is to be erased for good.", aura.FieldError{Field: "confirm", Message: "must be ticked"})
	}
	if err == nil {
		_, err = owners.New(c.DB).EraseOwner(r.Context(), id, web.FormVersion(r.PostForm))
	}
	if code := aura.ErrorCode(err); code == aura.ECONFLICT || code == aura.EPRECONDITION || code == aura.EINVALID {
		return s.renderOwnerErase(w, r, c, web.StatusOf(err), err)
	} else if err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The owner's personal data is erased. Contracts and statements keep their figures.")
	http.Redirect(w, r, "/"+c.Tenant.Slug+"/owners/"+id, http.StatusSeeOther)
	return nil
}

// apiOwnerErase erases an owner's personal data (owners.EraseOwner),
// checking the version of the body or If-Match when one is sent.
func (s Handlers) apiOwnerErase(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	version, err := optionalVersion(r)
	if err != nil {
		return err
	}
	e, err := owners.New(c.DB).EraseOwner(r.Context(), c.Params.ByName("id"), version)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, e)
}

func (s Handlers) apiContracts(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	id := c.Params.ByName("id")
	if _, err := owners.New(c.DB).GetOwner(r.Context(), id); err != nil {
		return err
	}
	list, err := owners.New(c.DB).ListContracts(r.Context(), id)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, ApiData[owners.Contract]{Data: list})
}

func (s Handlers) apiContractCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in owners.ContractInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	k, err := owners.New(c.DB).CreateContract(r.Context(), c.Params.ByName("id"), in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusCreated, k, k.Version)
}

func (s Handlers) apiContractUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if _, err := s.ownerContract(r, c, c.Params.ByName("id"), c.Params.ByName("cid")); err != nil {
		return err
	}
	var in owners.ContractInput
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	k, err := owners.New(c.DB).UpdateContract(r.Context(), c.Params.ByName("cid"), in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, k, k.Version)
}
