package pms

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// The guest pages: the guest list with search (a GET form; with
// JavaScript the results refresh as one types, fetching this same page),
// a form to add a guest, and the guest page with the profile, its edit
// form and every reservation of the guest.

type guestsData struct {
	Guests   []stays.Guest
	Query    string
	Searched bool
	Next     string
	CanWrite bool
}

func (s Handlers) GuestsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p := s.TenantPage(w, r, c, "Guests", "guests")
	ctx := restrictedContext(r, c)
	q := r.URL.Query()
	d := &guestsData{Query: strings.TrimSpace(q.Get("q")), CanWrite: c.Can(identity.PermGuestsWrite)}
	p.Form = url.Values{"q": {d.Query}}
	status := http.StatusOK
	if d.Query != "" {
		d.Searched = true
		gs, err := stays.New(c.DB).SearchGuests(ctx, d.Query, 50)
		if aura.ErrorCode(err) == aura.EINVALID {
			p.Errors["q"] = aura.ErrorMessage(err)
		} else if err != nil {
			return err
		}
		d.Guests = gs
	} else {
		page, err := stays.New(c.DB).ListGuests(ctx, 50, q.Get("cursor"))
		if aura.ErrorCode(err) == aura.EINVALID {
			p.WithFormError(err)
			status = http.StatusBadRequest
		} else if err != nil {
			return err
		}
		d.Guests = page.Guests
		if page.NextCursor != "" {
			d.Next = p.Link("guests", "cursor", page.NextCursor)
		}
	}
	p.Data = d
	s.RenderPage(w, r, status, "guests", p)
	return nil
}

// guestInput reads the guest form.
func guestInput(v url.Values) stays.GuestInput {
	t := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	return stays.GuestInput{GivenName: t("given_name"), FamilyName: t("family_name"), Email: t("email"), Phone: t("phone"),
		Nationality: strings.ToUpper(t("nationality")), Language: t("language"), Notes: strings.TrimSpace(v.Get("notes")),
		Address: inventory.Address{Line1: t("address_line1"), Line2: t("address_line2"), PostalCode: t("address_postal_code"),
			City: t("address_city"), Region: t("address_region"), Country: strings.ToUpper(t("address_country"))}}
}

func guestForm(g stays.Guest) url.Values {
	return url.Values{"given_name": {g.GivenName}, "family_name": {g.FamilyName}, "email": {g.Email}, "phone": {g.Phone},
		"nationality": {g.Nationality}, "language": {g.Language}, "notes": {g.Notes}, "address_line1": {g.Address.Line1},
		"address_line2": {g.Address.Line2}, "address_postal_code": {g.Address.PostalCode}, "address_city": {g.Address.City},
		"address_region": {g.Address.Region}, "address_country": {g.Address.Country}}
}

func guestField(f string) string {
	if strings.HasPrefix(f, "address.") {
		return "address_" + strings.TrimPrefix(f, "address.")
	}
	return f
}

func (s Handlers) GuestCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	g, err := stays.New(c.DB).CreateGuest(r.Context(), guestInput(r.PostForm))
	if err != nil {
		if aura.ErrorCode(err) != aura.EINVALID {
			return err
		}
		p := s.TenantPage(w, r, c, "Guests", "guests")
		p.Form = r.PostForm
		p.FormFieldErrors(err, guestField)
		p.Data = &guestsData{CanWrite: true}
		s.RenderPage(w, r, http.StatusBadRequest, "guests", p)
		return nil
	}
	s.SetFlash(w, "ok", g.Name()+" is added.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"guests/"+g.ID, http.StatusSeeOther)
	return nil
}

type guestData struct {
	G            stays.Guest
	Reservations []web.ResRow
	CanWrite     bool
	CanBook      bool
	CanSeeRes    bool
	// CheckIns are the guest's check-in records with their ID documents
	// and photos (only for those who may see ID documents), newest first.
	CheckIns     []stays.CheckInRecord
	CanDocuments bool
	CanPhotos    bool // may add and delete ID photos
	// History is the guest's profile history, told for people (audit.read).
	History     []HistoryItem
	CanExport   bool // guests.export
	CanErase    bool // guests.erase
	CanRestrict bool // guests.restrict
	// Folios and Invoices are the folios (with payments) and the invoices
	// of the guest's stays and bookings (folios.read); PhotoPurges says
	// when each ID photo was or will be purged.
	Folios      []ledger.FolioView
	Invoices    []ledger.Document
	CanFolios   bool
	PhotoPurges map[string]guestdata.PhotoPurge
	// RecordPurges says, per check-in record, when its registration data
	// (the registration form's document, number, date of birth and
	// photos) was or will be purged, in the records' order.
	RecordPurges []RecordRetention
	// Messages are the emails to the guest, newest first.
	Messages []guestmail.Message
	// Consent is the guest's marketing opt-in (nil: never asked).
	Consent *guestdata.Consent
	Sources []string
}

// RecordRetention is a check-in record beside when its registration data
// was or will be purged.
type RecordRetention struct {
	Record stays.CheckInRecord
	Purge  guestdata.RecordPurge
}

func (s Handlers) GuestPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, d, err := s.guestData(w, r, c)
	if err != nil {
		return err
	}
	p.Form = guestForm(d.G)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "guest", p)
	return nil
}

func (s Handlers) guestData(w http.ResponseWriter, r *http.Request, c *web.Call) (*web.Page, *guestData, error) {
	ctx := r.Context()
	g, err := stays.New(c.DB).GetGuest(ctx, c.Params.ByName("id"))
	if err != nil {
		return nil, nil, err
	}
	if err := restrictedGate(r, c, g, "guest page"); err != nil {
		return nil, nil, err
	}
	p := s.TenantPage(w, r, c, g.Name(), "guests")
	d := &guestData{G: g, CanWrite: c.Can(identity.PermGuestsWrite) && !g.Erased, CanBook: c.Can(identity.PermReservationsWrite) && !g.Erased,
		CanSeeRes: c.Can(identity.PermReservationsRead), CanExport: c.Can(identity.PermGuestsExport), CanErase: c.Can(identity.PermGuestsErase),
		CanRestrict: c.Can(identity.PermGuestsRestrict) && !g.Erased}
	if d.CanDocuments = c.Can(identity.PermIDDocumentsRead); d.CanDocuments {
		if d.CheckIns, err = stays.New(c.DB).GuestCheckIns(ctx, g.ID); err != nil {
			return nil, nil, err
		}
		d.CanPhotos = c.Can(identity.PermFrontDeskWrite) && !g.Erased
	}
	if d.CanSeeRes {
		rs, err := stays.New(c.DB).GuestReservations(ctx, g.ID)
		if err != nil {
			return nil, nil, err
		}
		// Reservations may be at several properties: group the rows' names per property.
		byProp := map[string][]stays.Reservation{}
		var order []string
		for _, x := range rs {
			if _, ok := byProp[x.PropertyID]; !ok {
				order = append(order, x.PropertyID)
			}
			byProp[x.PropertyID] = append(byProp[x.PropertyID], x)
		}
		rows := map[string]web.ResRow{}
		for _, pid := range order {
			prop, err := inventory.New(c.DB).GetProperty(ctx, pid)
			if err != nil {
				return nil, nil, err
			}
			rr, err := s.ReservationRows(r, c, prop, byProp[pid])
			if err != nil {
				return nil, nil, err
			}
			for _, x := range rr {
				rows[x.ID] = x
			}
		}
		for _, x := range rs {
			d.Reservations = append(d.Reservations, rows[x.ID])
		}
	}
	d.CanFolios = c.Can(identity.PermFoliosRead)
	auditLimit := 0
	if c.Can(identity.PermAuditRead) {
		auditLimit = 50
	}
	o, err := guestdata.New(c.DB).Overview(ctx, g.ID, d.CanFolios, auditLimit)
	if err != nil {
		return nil, nil, err
	}
	d.Folios, d.Invoices, d.Messages = o.Folios, o.Invoices, o.Messages
	d.Sources = guestdata.ConsentSources
	for i, c := range o.Consents {
		if c.Kind == guestdata.ConsentMarketingEmail {
			d.Consent = &o.Consents[i]
		}
	}
	d.PhotoPurges = map[string]guestdata.PhotoPurge{}
	for _, pp := range o.PhotoPurges {
		d.PhotoPurges[pp.PhotoID] = pp
	}
	recPurge := map[string]guestdata.RecordPurge{}
	for _, rp := range o.RecordPurges {
		recPurge[rp.RecordID] = rp
	}
	for _, rec := range d.CheckIns {
		d.RecordPurges = append(d.RecordPurges, RecordRetention{Record: rec, Purge: recPurge[rec.ID]})
	}
	if auditLimit > 0 {
		if d.History, err = s.History(r, c, p, o.Audit); err != nil {
			return nil, nil, err
		}
	}
	return p, d, nil
}

func (s Handlers) GuestSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	in := guestInput(r.PostForm)
	in.Version = web.FormVersion(r.PostForm)
	cur, err := stays.New(c.DB).GetGuest(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if err := restrictedGate(r, c, cur, "guest profile saved"); err != nil {
		return err
	}
	g, err := stays.New(c.DB).UpdateGuest(r.Context(), c.Params.ByName("id"), in)
	if err != nil {
		code := aura.ErrorCode(err)
		if code != aura.EINVALID && code != aura.EPRECONDITION && code != aura.ECONFLICT {
			return err
		}
		p, d, derr := s.guestData(w, r, c)
		if derr != nil {
			return derr
		}
		p.Form = r.PostForm
		p.FormFieldErrors(err, guestField)
		p.Data = d
		s.RenderPage(w, r, web.StatusOf(err), "guest", p)
		return nil
	}
	s.SetFlash(w, "ok", "The profile of "+g.Name()+" is saved.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"guests/"+g.ID, http.StatusSeeOther)
	return nil
}
