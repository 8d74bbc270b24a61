package pms

import (
	"net/http"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// Printed documents: the registration card of a stay (the form each guest
// signs at check-in, laid out as the law of the property's country asks)
// and the day's lists for the desk (arrivals, departures, and the police
// list of the guests staying the night with their ID documents). They are
// pages like the others, without the menu, with a print stylesheet (the
// same @media print rules lay out every list and detail page on paper);
// the browser prints them or saves them as PDF.

// regLayout is one layout of the registration card: its title and legal
// basis in the country's language, the labels of its fields (local /
// English), and whether the ID document is asked of foreign guests only.
type regLayout struct {
	Code, Title, Basis string
	Labels             map[string]string
	IDForeignersOnly   bool
}

var englishLabels = map[string]string{
	"arrival": "Arrival", "departure": "Departure (expected)", "room": "Room", "family_name": "Family name", "given_name": "Given names",
	"birth_date": "Date of birth", "nationality": "Nationality", "address": "Home address", "document_type": "ID document",
	"document_number": "Document number", "document_country": "Issued by", "document_expiry": "Valid until",
	"companions": "Travelling with", "signature": "Signature of the guest", "date_place": "Date and place",
}

// regLayouts are the cards' layouts by code (tenant.RegistrationCardLayouts).
var regLayouts = map[string]regLayout{
	"generic": {Code: "generic", Title: "Registration card", Basis: "Guest registration", Labels: map[string]string{}},
	"de": {Code: "de", Title: "Meldeschein / Registration form", Basis: "§ 30 Bundesmeldegesetz", IDForeignersOnly: true, Labels: map[string]string{
		"arrival": "Tag der Ankunft", "departure": "Voraussichtliche Abreise", "room": "Zimmer", "family_name": "Familienname",
		"given_name": "Vornamen", "birth_date": "Geburtsdatum", "nationality": "Staatsangehörigkeit", "address": "Anschrift",
		"document_type": "Ausweisdokument", "document_number": "Seriennummer", "document_country": "Ausstellungsstaat",
		"document_expiry": "Gültig bis", "companions": "Mitreisende", "signature": "Unterschrift des Gastes", "date_place": "Ort, Datum"}},
	"at": {Code: "at", Title: "Gästeblatt / Registration form", Basis: "Meldegesetz 1991 § 5, Anlage D", IDForeignersOnly: true, Labels: map[string]string{
		"arrival": "Ankunft", "departure": "Abreise", "room": "Zimmer", "family_name": "Familienname", "given_name": "Vorname",
		"birth_date": "Geburtsdatum", "nationality": "Staatsangehörigkeit", "address": "Wohnsitz", "document_type": "Reisedokument",
		"document_number": "Nummer", "document_country": "Ausstellender Staat", "document_expiry": "Gültig bis",
		"companions": "Mitreisende", "signature": "Unterschrift", "date_place": "Ort, Datum"}},
	"ch": {Code: "ch", Title: "Meldeschein / Registration form", Basis: "Kantonale Gästemeldepflicht", IDForeignersOnly: true, Labels: map[string]string{
		"arrival": "Ankunft", "departure": "Abreise", "room": "Zimmer", "family_name": "Name", "given_name": "Vorname",
		"birth_date": "Geburtsdatum", "nationality": "Nationalität", "address": "Wohnadresse", "document_type": "Ausweis",
		"document_number": "Ausweisnummer", "document_country": "Ausstellungsland", "document_expiry": "Gültig bis",
		"companions": "Begleitpersonen", "signature": "Unterschrift", "date_place": "Ort, Datum"}},
	"it": {Code: "it", Title: "Scheda di notifica / Registration form", Basis: "Art. 109 TULPS (Alloggiati Web)", Labels: map[string]string{
		"arrival": "Data di arrivo", "departure": "Data di partenza", "room": "Camera", "family_name": "Cognome", "given_name": "Nome",
		"birth_date": "Data di nascita", "nationality": "Cittadinanza", "address": "Residenza", "document_type": "Tipo di documento",
		"document_number": "Numero documento", "document_country": "Luogo di rilascio", "document_expiry": "Scadenza",
		"companions": "Accompagnatori", "signature": "Firma dell'ospite", "date_place": "Luogo e data"}},
	"es": {Code: "es", Title: "Parte de entrada de viajeros / Registration form", Basis: "Real Decreto 933/2021", Labels: map[string]string{
		"arrival": "Fecha de entrada", "departure": "Fecha de salida", "room": "Habitación", "family_name": "Apellidos", "given_name": "Nombre",
		"birth_date": "Fecha de nacimiento", "nationality": "Nacionalidad", "address": "Domicilio", "document_type": "Tipo de documento",
		"document_number": "Número de documento", "document_country": "País de expedición", "document_expiry": "Fecha de caducidad",
		"companions": "Acompañantes", "signature": "Firma del viajero", "date_place": "Lugar y fecha"}},
	"fr": {Code: "fr", Title: "Fiche individuelle de police / Registration form", Basis: "Article R. 814-1 du CESEDA", IDForeignersOnly: true, Labels: map[string]string{
		"arrival": "Date d'arrivée", "departure": "Date de départ prévue", "room": "Chambre", "family_name": "Nom", "given_name": "Prénoms",
		"birth_date": "Date de naissance", "nationality": "Nationalité", "address": "Domicile habituel", "document_type": "Pièce d'identité",
		"document_number": "Numéro", "document_country": "Pays de délivrance", "document_expiry": "Valable jusqu'au",
		"companions": "Enfants et accompagnants", "signature": "Signature du client", "date_place": "Lieu et date"}},
}

// layoutFor picks the property's layout: its setting, else its country's,
// else the generic one.
func layoutFor(p inventory.Property) regLayout {
	code := p.FrontDesk.RegistrationCard
	if code == "" {
		code = strings.ToLower(p.Address.Country)
	}
	if l, ok := regLayouts[code]; ok {
		return l
	}
	return regLayouts["generic"]
}

// Label names a field of the card: the layout's own word and the English
// one ("Tag der Ankunft / Arrival").
func (l regLayout) Label(field string) string {
	en := englishLabels[field]
	if local := l.Labels[field]; local != "" && local != en {
		return local + " / " + en
	}
	return en
}

// regGuest is one guest on a card: what the desk knows, blank where it
// does not (the guest fills it in by hand).
type regGuest struct {
	FamilyName, GivenName string
	BirthDate             date.Date
	Nationality           string
	Address               string
	Document              stays.IDDocument
	HasDocument           bool
	Foreign               bool
	Primary               bool
}

type regCardData struct {
	Layout    regLayout
	R         stays.Reservation
	Room      string
	Guest     regGuest
	Others    []regGuest
	Party     int
	ShowIDs   bool  // the caller may read ID documents
	Blanks    []int // empty lines for companions not registered yet
	Back      string
	PrintedOn date.Date
}

// RegistrationCard shows the registration card of a stay, for print.
func (s Handlers) RegistrationCard(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	ctx := r.Context()
	res, err := stays.New(c.DB).GetReservation(ctx, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	prop, err := inventory.New(c.DB).GetProperty(ctx, res.PropertyID)
	if err != nil {
		return err
	}
	g, err := stays.New(c.DB).GetGuest(ctx, res.GuestID)
	if err != nil {
		return err
	}
	show, err := restrictedView(r, c, g, "registration card")
	if err != nil {
		return err
	}
	if !show {
		g = stays.Guest{ID: g.ID, GivenName: stays.RestrictedName}
	}
	p := s.printPage(w, r, c, prop, "Registration card · "+g.Name())
	d := &regCardData{Layout: layoutFor(prop), R: res, Party: res.Adults + res.Children, ShowIDs: c.Can(identity.PermIDDocumentsRead),
		Back: web.TenantPath(c.Tenant.Slug) + "reservations/" + res.ID, PrintedOn: s.Today(r, c, prop)}
	if res.RoomID != "" {
		if rm, err := inventory.New(c.DB).GetRoom(ctx, res.RoomID); err == nil {
			d.Room = rm.Number
		}
	}
	foreign := func(nat string) bool { return nat != "" && nat != prop.Address.Country }
	d.Guest = regGuest{FamilyName: g.FamilyName, GivenName: g.GivenName, Nationality: g.Nationality, Address: addressLine(g.Address),
		Foreign: foreign(g.Nationality), Primary: true}
	if d.ShowIDs {
		recs, err := stays.New(c.DB).ReservationCheckIns(ctx, res.ID)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if rec.Primary {
				d.Guest.BirthDate, d.Guest.Document, d.Guest.HasDocument = rec.BirthDate, rec.Document, rec.Document.Type != ""
				continue
			}
			o := regGuest{Document: rec.Document, HasDocument: rec.Document.Type != "", BirthDate: rec.BirthDate}
			if cg, err := stays.New(c.DB).GetGuest(ctx, rec.GuestID); err == nil {
				if show, err := restrictedView(r, c, cg, "registration card"); err != nil {
					return err
				} else if !show {
					cg = stays.Guest{ID: cg.ID, GivenName: stays.RestrictedName}
				}
				o.FamilyName, o.GivenName, o.Nationality = cg.FamilyName, cg.GivenName, cg.Nationality
				o.Foreign = foreign(cg.Nationality)
			}
			d.Others = append(d.Others, o)
		}
	}
	for range max(0, d.Party-1-len(d.Others)) {
		d.Blanks = append(d.Blanks, 0)
	}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "regcard", p)
	return nil
}

// fdPrintRow is one line of a printed front-desk list.
type fdPrintRow struct {
	Row     frontdesk.FrontDeskRow
	Records []stays.CheckInRecord // the guests' check-in records (police list)
}

type fdPrintData struct {
	List     string // arrivals, departures or police
	Title    string
	Day      date.Date
	Rows     []fdPrintRow
	Names    bool // names shown (guests.read)
	IDs      bool // ID documents shown (iddocuments.read)
	Back     string
	Property inventory.Property
}

// FrontDeskPrint shows one of the day's lists for print: ?list=arrivals,
// departures or police (the guests staying the night with their ID
// documents, for the authorities), ?date= (default the business date).
func (s Handlers) FrontDeskPrint(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	_, prop, err := s.PmsPage(w, r, c, "Front desk", "frontdesk")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	day, err := queryDay(r)
	if err != nil {
		return err
	}
	list := r.URL.Query().Get("list")
	titles := map[string]string{"arrivals": "Arrivals", "departures": "Departures", "police": "Guests staying the night (police list)"}
	if titles[list] == "" {
		return aura.Invalid("Choose a list to print: arrivals, departures or police.", aura.FieldError{Field: "list", Message: "must be arrivals, departures or police"})
	}
	if list == "police" && !c.Can(identity.PermIDDocumentsRead) {
		return aura.Errorf(aura.EFORBIDDEN, "Your role does not show ID documents, so it cannot print the police list.")
	}
	fd, err := frontdesk.New(c.DB).FrontDesk(r.Context(), prop.ID, day)
	if err != nil {
		return err
	}
	d := &fdPrintData{List: list, Title: titles[list], Day: fd.Date, Names: c.Can(identity.PermGuestsRead), IDs: c.Can(identity.PermIDDocumentsRead),
		Back: web.TenantPath(c.Tenant.Slug) + "frontdesk?date=" + fd.Date.String(), Property: prop}
	if !d.Names {
		hideGuestNames(&fd)
	}
	var rows []frontdesk.FrontDeskRow
	switch list {
	case "arrivals":
		rows = fd.Arrivals
	case "departures":
		rows = fd.Departures
	case "police":
		// Everyone who spends the night: in house, and arrivals already in.
		seen := map[string]bool{}
		for _, x := range append(append([]frontdesk.FrontDeskRow{}, fd.InHouse...), fd.Arrivals...) {
			st := x.Reservation.Status
			if seen[x.Reservation.ID] || st != stays.ReservationInHouse && st != stays.ReservationCheckedOut || !x.Reservation.Departure.After(fd.Date) {
				continue
			}
			seen[x.Reservation.ID] = true
			rows = append(rows, x)
		}
	}
	for _, x := range rows {
		pr := fdPrintRow{Row: x}
		if list == "police" {
			if pr.Records, err = stays.New(c.DB).ReservationCheckIns(r.Context(), x.Reservation.ID); err != nil {
				return err
			}
		}
		d.Rows = append(d.Rows, pr)
	}
	p := s.printPage(w, r, c, prop, d.Title)
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "fdprint", p)
	return nil
}

// printPage starts a page printed on paper: the property's, without the
// menu (the print stylesheet hides the rest of the chrome on any page).
func (s Handlers) printPage(w http.ResponseWriter, r *http.Request, c *web.Call, prop inventory.Property, title string) *web.Page {
	p := s.TenantPage(w, r, c, title, "")
	p.Property = &prop
	p.Chrome, p.Print = false, true
	return p
}
