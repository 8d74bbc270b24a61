// Package demo seeds a tenant with a believable small hotel so a newcomer
// opening Aura sees a living PMS: three room types and twelve rooms, two
// months of rates with a few restrictions, a room out of order, a few dozen
// guests, and reservations in every status around today, including one
// channel booking that overbooked the house; the guests in house have
// check-in records with ID documents and a (synthetic) ID photo, and the
// housekeeping board has work to do. It writes only through the tenant
// store, so every row is validated and audited like an operator's.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	_ "github.com/aurapms/aura/tenant/pmsledger" // posts the nights (stays.RegisterPoster)
	"github.com/aurapms/aura/tenant/stays"
)

// TimeZone is the demo property's zone.
const TimeZone = "Europe/Berlin"

// Location returns the demo property's zone, for computing its today.
func Location() *time.Location {
	loc, err := time.LoadLocation(TimeZone)
	if err != nil {
		panic("demo: " + err.Error())
	}
	return loc
}

// Seed fills db with the demo property, its stays laid out around the
// property's business date (tenant.DB.PropertyToday: after midnight and
// before the night audit, still yesterday). It does nothing when the
// tenant already has a property, so it is safe to run on every start.
// Errors are those of the tenant store.
func Seed(ctx context.Context, db *tenant.DB) error {
	if aura.ActorFrom(ctx).ID == "unknown" {
		ctx = aura.WithActor(ctx, aura.SystemActor("demo"))
	}
	props, err := inventory.New(db).ListProperties(ctx)
	if err != nil {
		return err
	}
	if len(props) > 0 {
		return nil
	}
	s := &seeder{ctx: ctx, db: db, rng: rand.New(rand.NewPCG(2025, 4))}
	steps := []func() error{s.property, s.businessDate, s.inventory, s.rates, s.guestProfiles, s.reservations, s.frontDesk, s.books}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

type seeder struct {
	ctx   context.Context
	db    *tenant.DB
	today date.Date
	rng   *rand.Rand

	prop   inventory.Property
	types  map[string]inventory.RoomType // by code
	rooms  map[string][]inventory.Room   // by room type code
	plans  map[string]inventory.RatePlan // by plan code
	people []stays.Guest
	taken  map[string]map[date.Date]bool // room id → nights assigned by the seeder
	next   int                           // next guest to use
	booked []stays.Reservation           // every reservation booked, in order
}

func (s *seeder) day(n int) date.Date { return s.today.AddDays(n) }

func (s *seeder) property() error {
	var err error
	s.prop, err = inventory.New(s.db).CreateProperty(s.ctx, inventory.PropertyInput{
		Name:     "Hotel Lindenhof",
		Address:  inventory.Address{Line1: "Lindenstraße 12", PostalCode: "10969", City: "Berlin", Country: "DE"},
		TimeZone: TimeZone, Currency: "EUR", CheckInTime: "15:00", CheckOutTime: "11:00",
		Tax: inventory.TaxSettings{
			PricesIncludeVAT: true,
			VATRates:         []inventory.VATRate{{Code: "accommodation", Name: "Accommodation 7%", BasisPoints: 700}, {Code: "standard", Name: "Standard 19%", BasisPoints: 1900}},
			AccommodationVAT: "accommodation",
			CityTax:          inventory.CityTax{PerPersonPerNight: tenant.Money{Amount: 300, Currency: "EUR"}, ChildrenExempt: true, MaxNights: 21},
		},
	})
	return err
}

func (s *seeder) businessDate() error {
	var err error
	s.today, err = inventory.New(s.db).PropertyToday(s.ctx, s.prop.ID)
	return err
}

func (s *seeder) inventory() error {
	s.types, s.rooms, s.taken = map[string]inventory.RoomType{}, map[string][]inventory.Room{}, map[string]map[date.Date]bool{}
	for i, t := range []struct {
		code, name, desc string
		capacity, base   int
		rooms            []string
		features         []string
	}{
		{"DBL", "Standard Double", "A quiet double room facing the courtyard, queen-size bed.", 2, 2,
			[]string{"101", "102", "103", "201", "202", "203"}, []string{"courtyard", "shower"}},
		{"TWN", "Superior Twin", "Two single beds and a sofa bed under the linden trees.", 3, 2,
			[]string{"104", "204", "205", "301"}, []string{"street view", "bathtub", "sofa bed"}},
		{"STE", "Family Suite", "Two rooms, a kitchenette and space for four.", 4, 2,
			[]string{"302", "303"}, []string{"kitchenette", "balcony", "bathtub"}},
	} {
		rt, err := inventory.New(s.db).CreateRoomType(s.ctx, inventory.RoomTypeInput{PropertyID: s.prop.ID, Code: t.code, Name: t.name, Description: t.desc,
			Capacity: t.capacity, BaseOccupancy: t.base, SortOrder: i})
		if err != nil {
			return err
		}
		s.types[t.code] = rt
		for j, n := range t.rooms {
			r, err := inventory.New(s.db).CreateRoom(s.ctx, inventory.RoomInput{PropertyID: s.prop.ID, RoomTypeID: rt.ID, Number: n, Floor: n[:1],
				Features: t.features, SortOrder: j})
			if err != nil {
				return err
			}
			s.rooms[t.code] = append(s.rooms[t.code], r)
			s.taken[r.ID] = map[date.Date]bool{}
		}
	}
	// Room 303 is out of order for a bathroom renovation next week.
	_, err := inventory.New(s.db).CreateRoomBlock(s.ctx, inventory.RoomBlockInput{RoomID: s.rooms["STE"][1].ID, Kind: inventory.OutOfOrder,
		Start: s.day(6), End: s.day(9), Reason: "Bathroom renovation"})
	if err != nil {
		return err
	}
	s.blockTaken(s.rooms["STE"][1].ID, s.day(6), s.day(9))
	_, err = inventory.New(s.db).CreateRoomBlock(s.ctx, inventory.RoomBlockInput{RoomID: s.rooms["TWN"][3].ID, Kind: inventory.OutOfService,
		Start: s.day(2), End: s.day(3), Reason: "Window fitter"})
	s.blockTaken(s.rooms["TWN"][3].ID, s.day(2), s.day(3))
	return err
}

func (s *seeder) blockTaken(roomID string, from, to date.Date) {
	for _, d := range date.Range(from, to) {
		s.taken[roomID][d] = true
	}
}

func (s *seeder) rates() error {
	s.plans = map[string]inventory.RatePlan{}
	two, zero := 2, 0
	flex := inventory.CancellationPolicy{FreeUntilDaysBefore: &two, Fee: inventory.Fee{Type: inventory.FeeFirstNight}}
	late := inventory.CancellationPolicy{FreeUntilDaysBefore: &zero, Fee: inventory.Fee{Type: inventory.FeePercent, Percent: 50}}
	nonref := inventory.CancellationPolicy{Fee: inventory.Fee{Type: inventory.FeePercent, Percent: 100}}
	firstNight := inventory.NoShowPolicy{Fee: inventory.Fee{Type: inventory.FeeFirstNight}}
	full := inventory.NoShowPolicy{Fee: inventory.Fee{Type: inventory.FeePercent, Percent: 100}}
	for _, p := range []struct {
		code, typ, name  string
		extra            int64
		cancel           inventory.CancellationPolicy
		noShow           inventory.NoShowPolicy
		weekday, weekend int64
	}{
		{"DBL-FLEX", "DBL", "Double, flexible", 0, flex, firstNight, 11900, 13900},
		{"DBL-NREF", "DBL", "Double, non-refundable", 0, nonref, full, 10400, 12200},
		{"TWN-FLEX", "TWN", "Twin, flexible", 2500, flex, firstNight, 13900, 15900},
		{"STE-FLEX", "STE", "Family suite, flexible", 2000, late, firstNight, 18900, 21900},
	} {
		rp, err := inventory.New(s.db).CreateRatePlan(s.ctx, inventory.RatePlanInput{PropertyID: s.prop.ID, RoomTypeID: s.types[p.typ].ID, Code: p.code, Name: p.name,
			ExtraPerson: tenant.Money{Amount: p.extra, Currency: "EUR"}, Cancellation: p.cancel, NoShow: p.noShow, Active: true})
		if err != nil {
			return err
		}
		s.plans[p.code] = rp
		// A month back (for the stays already under way) and 60 days ahead.
		from, to := s.day(-30), s.day(60)
		if _, err := inventory.New(s.db).UpdateRates(s.ctx, inventory.RateUpdate{RatePlanID: rp.ID, From: from, To: to,
			Weekdays: []string{"sun", "mon", "tue", "wed", "thu"}, Price: &tenant.Money{Amount: p.weekday, Currency: "EUR"}}); err != nil {
			return err
		}
		if _, err := inventory.New(s.db).UpdateRates(s.ctx, inventory.RateUpdate{RatePlanID: rp.ID, From: from, To: to,
			Weekdays: []string{"fri", "sat"}, Price: &tenant.Money{Amount: p.weekend, Currency: "EUR"}}); err != nil {
			return err
		}
	}
	// Weekends a month out need two nights; Sundays then are closed to
	// arrival; the non-refundable double is off sale on one busy day.
	yes := true
	for _, code := range []string{"DBL-FLEX", "DBL-NREF", "TWN-FLEX", "STE-FLEX"} {
		if _, err := inventory.New(s.db).UpdateRates(s.ctx, inventory.RateUpdate{RatePlanID: s.plans[code].ID, From: s.day(30), To: s.day(60),
			Weekdays: []string{"sat"}, MinStay: &two}); err != nil {
			return err
		}
		if _, err := inventory.New(s.db).UpdateRates(s.ctx, inventory.RateUpdate{RatePlanID: s.plans[code].ID, From: s.day(40), To: s.day(60),
			Weekdays: []string{"sun"}, ClosedToArrival: &yes}); err != nil {
			return err
		}
	}
	_, err := inventory.New(s.db).UpdateRates(s.ctx, inventory.RateUpdate{RatePlanID: s.plans["DBL-NREF"].ID, From: s.day(45), To: s.day(46), StopSell: &yes})
	return err
}

var names = []struct{ given, family, country, lang, city string }{
	{"Anna", "Schneider", "DE", "de", "Hamburg"}, {"Jonas", "Becker", "DE", "de", "Köln"}, {"Marie", "Dubois", "FR", "fr", "Lyon"},
	{"Luca", "Rossi", "IT", "it", "Milano"}, {"Sofía", "García", "ES", "es", "Sevilla"}, {"Emma", "Johansson", "SE", "sv", "Göteborg"},
	{"Oliver", "Smith", "GB", "en-GB", "Leeds"}, {"Olivia", "Brown", "US", "en-US", "Portland"}, {"Jan", "Kowalski", "PL", "pl", "Kraków"},
	{"Eva", "Novák", "CZ", "cs", "Brno"}, {"Lukas", "Gruber", "AT", "de-AT", "Graz"}, {"Nora", "Meier", "CH", "de-CH", "Bern"},
	{"Daan", "de Vries", "NL", "nl", "Utrecht"}, {"Freya", "Nielsen", "DK", "da", "Aarhus"}, {"Mikko", "Virtanen", "FI", "fi", "Tampere"},
	{"Aiko", "Tanaka", "JP", "ja", "Osaka"}, {"Priya", "Sharma", "IN", "en-IN", "Pune"}, {"Mateo", "Fernández", "AR", "es", "Rosario"},
	{"Chloé", "Martin", "FR", "fr", "Nantes"}, {"Jürgen", "Müller", "DE", "de", "München"}, {"Leonie", "Wagner", "DE", "de", "Leipzig"},
	{"Tomás", "Silva", "PT", "pt", "Porto"}, {"Ingrid", "Hansen", "NO", "nb", "Bergen"}, {"Kenji", "Sato", "JP", "ja", "Kyoto"},
	{"Fatima", "El Amrani", "MA", "fr", "Rabat"}, {"Ravi", "Patel", "GB", "en-GB", "Leicester"}, {"Zoe", "Papadopoulou", "GR", "el", "Patras"},
	{"Felix", "Hoffmann", "DE", "de", "Dresden"}, {"Clara", "Lehmann", "DE", "de", "Potsdam"}, {"Hugo", "Lefèvre", "BE", "fr", "Liège"},
	{"Maja", "Horvat", "HR", "hr", "Split"}, {"Noah", "Fischer", "DE", "de", "Bremen"}, {"Yara", "Haddad", "LB", "ar", "Beirut"},
	{"Emil", "Koch", "DE", "de", "Kiel"}, {"Giulia", "Bianchi", "IT", "it", "Torino"}, {"Lars", "Andersson", "SE", "sv", "Malmö"},
}

var countryCode = map[string]string{"DE": "49", "FR": "33", "IT": "39", "ES": "34", "SE": "46", "GB": "44", "US": "1", "PL": "48", "CZ": "420",
	"AT": "43", "CH": "41", "NL": "31", "DK": "45", "FI": "358", "JP": "81", "IN": "91", "AR": "54", "PT": "351", "NO": "47", "MA": "212",
	"GR": "30", "BE": "32", "HR": "385", "LB": "961"}

func (s *seeder) guestProfiles() error {
	var ins []stays.GuestInput
	for i, p := range names {
		local := strings.ToLower(asciiFold(p.given) + "." + strings.ReplaceAll(asciiFold(p.family), " ", ""))
		in := stays.GuestInput{GivenName: p.given, FamilyName: p.family, Email: local + "@example.com",
			Phone:       fmt.Sprintf("+%s %d %07d", countryCode[p.country], 150+s.rng.IntN(40), s.rng.IntN(10_000_000)),
			Address:     inventory.Address{Line1: fmt.Sprintf("Example Street %d", 1+s.rng.IntN(120)), PostalCode: fmt.Sprintf("%05d", s.rng.IntN(99999)), City: p.city, Country: p.country},
			Nationality: p.country, Language: p.lang}
		switch i % 9 {
		case 2:
			in.Notes = "Prefers a quiet room away from the lift."
		case 5:
			in.Notes = "Vegetarian breakfast."
		}
		ins = append(ins, in)
	}
	var err error
	s.people, err = stays.New(s.db).CreateGuests(s.ctx, ins)
	return err
}

func asciiFold(s string) string {
	r := strings.NewReplacer("ü", "ue", "ö", "oe", "ä", "ae", "é", "e", "è", "e", "í", "i", "á", "a", "ó", "o", "ñ", "n", "ç", "c")
	return r.Replace(s)
}

func (s *seeder) guest() string {
	g := s.people[s.next%len(s.people)]
	s.next++
	return g.ID
}

// freeRoom returns a room of the type with none of the nights taken, and
// takes them.
func (s *seeder) freeRoom(code string, from, to date.Date) string {
	for _, r := range s.rooms[code] {
		free := true
		for _, d := range date.Range(from, to) {
			if s.taken[r.ID][d] {
				free = false
				break
			}
		}
		if free {
			s.blockTaken(r.ID, from, to)
			return r.ID
		}
	}
	return ""
}

type stay struct {
	typ, plan          string
	arrival, departure int
	adults, children   int
	status             string
	source, ota        string
	commission         int64
	assign             bool
	notes              string
}

func (s *seeder) book(st stay) (stays.Reservation, error) {
	a, d := s.day(st.arrival), s.day(st.departure)
	in := stays.BookingInput{PropertyID: s.prop.ID, Source: st.source, OTACode: st.ota, Notes: st.notes,
		Booker: stays.GuestRef{ID: s.guest()}, Status: st.status,
		Reservations: []stays.ReservationInput{{RoomTypeID: s.types[st.typ].ID, RatePlanID: s.plans[st.plan].ID, Arrival: a, Departure: d,
			Adults: st.adults, Children: st.children}}}
	if st.source == "" {
		in.Source = stays.SourceDirect
	}
	if st.commission > 0 {
		in.Commission = &tenant.Money{Amount: st.commission, Currency: "EUR"}
	}
	// Stays already begun or over are recorded as imported history, and so
	// are arrivals of today and tomorrow (the caller's today may be a day off
	// the property's clock); the rest are booked as the front desk or a
	// channel would, through the same availability and restriction checks.
	switch st.status {
	case stays.ReservationInHouse, stays.ReservationCheckedOut, stays.ReservationNoShow:
		in.Import = true
	}
	if st.arrival < 2 && st.status != stays.ReservationNoShow {
		in.Import = true
		if in.Status == "" {
			in.Status = stays.ReservationConfirmed
		}
	}
	if st.assign {
		if room := s.freeRoom(st.typ, a, d); room != "" {
			in.Reservations[0].RoomID = room
		}
	}
	b, err := stays.New(s.db).CreateBooking(s.ctx, in)
	if err != nil {
		return stays.Reservation{}, fmt.Errorf("book %s %s–%s: %w", st.typ, a, d, err)
	}
	s.booked = append(s.booked, b.Reservations[0])
	return b.Reservations[0], nil
}

// frontDesk gives the guests in house check-in records (a document for
// each, a photo of it for the first guest of each stay, a companion where
// two travel together) and the housekeeping board some rooms to clean.
func (s *seeder) frontDesk() error {
	docs := []string{stays.DocumentPassport, stays.DocumentIDCard, stays.DocumentPassport, stays.DocumentDrivingLicence}
	companions := []stays.GuestInput{{GivenName: "Paul", FamilyName: "Schneider", Nationality: "DE"},
		{GivenName: "Giada", FamilyName: "Rossi", Nationality: "IT"}, {GivenName: "Tom", FamilyName: "Brown", Nationality: "US"}}
	n := 0
	for _, r := range s.booked {
		if r.Status != stays.ReservationInHouse {
			continue
		}
		g, err := stays.New(s.db).GetGuest(s.ctx, r.GuestID)
		if err != nil {
			return err
		}
		in := stays.GuestCheckIn{Document: s.document(docs[n%len(docs)], g.Nationality), BirthDate: s.today.AddDays(-9000 - s.rng.IntN(12000)),
			Photos: [][]byte{idPhoto(n)}}
		if _, err := stays.New(s.db).RecordCheckIn(s.ctx, r.ID, in); err != nil {
			return fmt.Errorf("check-in record of %s: %w", r.ID, err)
		}
		if r.Adults >= 2 && n < len(companions) {
			c := companions[n]
			if _, err := stays.New(s.db).RecordCheckIn(s.ctx, r.ID, stays.GuestCheckIn{New: &c, Document: s.document(stays.DocumentIDCard, c.Nationality),
				BirthDate: s.today.AddDays(-9000 - s.rng.IntN(12000))}); err != nil {
				return fmt.Errorf("companion of %s: %w", r.ID, err)
			}
		}
		n++
	}
	// Yesterday's departure left the first suite dirty; a double was
	// cleaned and inspected this morning.
	if _, err := inventory.New(s.db).SetHousekeeping(s.ctx, s.rooms["STE"][0].ID, inventory.HousekeepingDirty, 0); err != nil {
		return err
	}
	_, err := inventory.New(s.db).SetHousekeeping(s.ctx, s.rooms["DBL"][5].ID, inventory.HousekeepingInspected, 0)
	return err
}

// HistoryDays is how far back the demo's stays begin: books posts every
// night from then to yesterday.
const HistoryDays = 21

// books posts the nights the demo's guests have already spent, each
// business date from HistoryDays ago to yesterday, through the night
// audit's own posting (stays.Store.PostNights, which the night audit
// calls when it closes a date): the room at its frozen price, the city
// tax and VAT as the property's ledger (derived from its tax settings)
// computes them. The night audit itself starts at the property's first
// business date (today), so it never posts these dates again. Checked-out
// guests have paid their folios on departure, by card at the desk or by
// bank transfer from the channel, but one channel's stay is left open as a
// receivable.
func (s *seeder) books() error {
	st := stays.New(s.db)
	for d := s.day(-HistoryDays); d.Before(s.today); d = d.AddDays(1) {
		if err := s.db.Update(s.ctx, func(tx *tenant.Tx) error {
			_, err := st.PostNights(tx, s.prop, d)
			return err
		}); err != nil {
			return fmt.Errorf("post the nights of %s: %w", d, err)
		}
	}
	led := ledger.New(s.db)
	open := false
	for _, r := range s.booked {
		if r.Status != stays.ReservationCheckedOut {
			continue
		}
		method := ledger.MethodCardTerminal
		if r.Source != stays.SourceDirect {
			if !open && r.Source == "expedia" {
				open = true // left on the books: the receivables report shows it
				continue
			}
			method = ledger.MethodBankTransfer
		}
		fo, err := led.GuestFolio(s.ctx, s.prop.ID, r.ID)
		if err != nil {
			return err
		}
		bal, err := led.FolioBalance(s.ctx, fo.ID)
		if err != nil {
			return err
		}
		if bal.Balance <= 0 {
			continue
		}
		if _, err := led.RecordPayment(s.ctx, ledger.PaymentInput{FolioID: fo.ID, Method: method, Amount: bal.Balance, BusinessDate: r.Departure}); err != nil {
			return fmt.Errorf("pay the folio of %s: %w", r.ID, err)
		}
	}
	return nil
}

func (s *seeder) document(kind, country string) stays.IDDocument {
	if country == "" {
		country = "DE"
	}
	letters := "CFGHJKLMNPRTVWXYZ"
	num := []byte{letters[s.rng.IntN(len(letters))]}
	for range 8 {
		num = append(num, "0123456789"[s.rng.IntN(10)])
	}
	return stays.IDDocument{Type: kind, Number: string(num), IssuingCountry: country, Expiry: s.today.AddDays(300 + s.rng.IntN(3000))}
}

// idPhoto draws a small synthetic picture of an ID card (no real person's
// document) as a JPEG, as a phone camera would upload one.
func idPhoto(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 240, 152))
	bg := color.RGBA{226, 232, 240, 255}
	band := []color.RGBA{{37, 99, 235, 255}, {22, 163, 74, 255}, {190, 18, 60, 255}}[seed%3]
	for y := 0; y < 152; y++ {
		for x := 0; x < 240; x++ {
			c := bg
			switch {
			case y < 28:
				c = band
			case x >= 16 && x < 80 && y >= 44 && y < 124: // the portrait
				c = color.RGBA{148, 163, 184, 255}
			case x >= 96 && x < 220 && (y-48)%18 < 6 && y >= 48 && y < 120: // lines of text
				c = color.RGBA{71, 85, 105, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		panic("demo: encode the ID photo: " + err.Error())
	}
	return buf.Bytes()
}

func (s *seeder) reservations() error {
	co, ih, cf, te, ns := stays.ReservationCheckedOut, stays.ReservationInHouse, stays.ReservationConfirmed, stays.ReservationTentative, stays.ReservationNoShow
	planned := []stay{
		// Recent history.
		{typ: "DBL", plan: "DBL-FLEX", arrival: -21, departure: -18, adults: 2, status: co, assign: true},
		{typ: "TWN", plan: "TWN-FLEX", arrival: -20, departure: -16, adults: 3, status: co, assign: true, source: "booking.com", ota: "4519203847", commission: 8340},
		{typ: "STE", plan: "STE-FLEX", arrival: -17, departure: -10, adults: 2, children: 2, status: co, assign: true},
		{typ: "DBL", plan: "DBL-NREF", arrival: -14, departure: -12, adults: 2, status: co, assign: true, source: "expedia", ota: "72810045", commission: 3650},
		{typ: "DBL", plan: "DBL-FLEX", arrival: -9, departure: -6, adults: 1, status: co, assign: true},
		{typ: "TWN", plan: "TWN-FLEX", arrival: -8, departure: -4, adults: 2, status: co, assign: true},
		{typ: "DBL", plan: "DBL-FLEX", arrival: -5, departure: -2, adults: 2, status: co, assign: true, source: "booking.com", ota: "4519877310", commission: 5400},
		{typ: "STE", plan: "STE-FLEX", arrival: -4, departure: -1, adults: 4, status: co, assign: true},
		{typ: "DBL", plan: "DBL-FLEX", arrival: -3, departure: -2, adults: 2, status: ns},
		// In house now; two leave today.
		{typ: "DBL", plan: "DBL-FLEX", arrival: -3, departure: 0, adults: 2, status: ih, assign: true},
		{typ: "TWN", plan: "TWN-FLEX", arrival: -2, departure: 0, adults: 2, status: ih, assign: true, source: "booking.com", ota: "4520113982", commission: 4710},
		{typ: "DBL", plan: "DBL-NREF", arrival: -2, departure: 2, adults: 2, status: ih, assign: true},
		{typ: "STE", plan: "STE-FLEX", arrival: -1, departure: 4, adults: 2, children: 1, status: ih, assign: true, notes: "Cot in the room."},
		{typ: "DBL", plan: "DBL-FLEX", arrival: -1, departure: 1, adults: 1, status: ih, assign: true},
		// Arriving today, one with a room already, one without.
		{typ: "DBL", plan: "DBL-FLEX", arrival: 0, departure: 3, adults: 2, status: cf, assign: true},
		{typ: "TWN", plan: "TWN-FLEX", arrival: 0, departure: 2, adults: 3, status: cf, source: "expedia", ota: "72811932", commission: 6120},
		// The weeks ahead.
		{typ: "DBL", plan: "DBL-FLEX", arrival: 2, departure: 5, adults: 2, status: cf, assign: true},
		{typ: "TWN", plan: "TWN-FLEX", arrival: 3, departure: 7, adults: 2, status: cf, source: "booking.com", ota: "4520459921", commission: 9180},
		{typ: "STE", plan: "STE-FLEX", arrival: 4, departure: 6, adults: 3, status: cf},
		{typ: "DBL", plan: "DBL-NREF", arrival: 5, departure: 7, adults: 2, status: cf, source: "airbnb", ota: "HMX4Q2ZP8T", commission: 3180},
		{typ: "DBL", plan: "DBL-FLEX", arrival: 7, departure: 9, adults: 2, status: te, notes: "Holding for a wedding party; confirm by Friday."},
		{typ: "TWN", plan: "TWN-FLEX", arrival: 8, departure: 12, adults: 2, children: 1, status: cf},
		{typ: "STE", plan: "STE-FLEX", arrival: 12, departure: 16, adults: 2, children: 2, status: cf, source: "booking.com", ota: "4521004417", commission: 13140},
		{typ: "DBL", plan: "DBL-FLEX", arrival: 14, departure: 16, adults: 2, status: te},
		{typ: "TWN", plan: "TWN-FLEX", arrival: 18, departure: 21, adults: 3, status: cf},
		{typ: "DBL", plan: "DBL-FLEX", arrival: 21, departure: 24, adults: 2, status: cf, source: "expedia", ota: "72820017", commission: 5100},
		{typ: "STE", plan: "STE-FLEX", arrival: 25, departure: 28, adults: 4, status: cf},
	}
	for _, st := range planned {
		if _, err := s.book(st); err != nil {
			return err
		}
	}
	// Two guests called to cancel.
	for _, st := range []stay{
		{typ: "DBL", plan: "DBL-FLEX", arrival: 9, departure: 11, adults: 2, status: cf},
		{typ: "TWN", plan: "TWN-FLEX", arrival: 16, departure: 18, adults: 2, status: cf},
	} {
		r, err := s.book(st)
		if err != nil {
			return err
		}
		if _, err := stays.New(s.db).Cancel(s.ctx, r.ID, stays.CancelInput{}); err != nil {
			return err
		}
	}
	// A busy night in ten days fills every double; then a channel sends one
	// more, which is stored flagged as overbooked for the front desk.
	full := s.day(10)
	a, err := inventory.New(s.db).Availability(s.ctx, s.prop.ID, full, full.AddDays(1))
	if err != nil {
		return err
	}
	for _, rt := range a.RoomTypes {
		if rt.RoomType.Code != "DBL" {
			continue
		}
		for i := 0; i < rt.Nights[0].Available; i++ {
			src, ota := "", ""
			if i%2 == 1 {
				src, ota = "booking.com", fmt.Sprint("45216", 10000+i)
			}
			if _, err := s.book(stay{typ: "DBL", plan: "DBL-FLEX", arrival: 10, departure: 11 + i%2, adults: 2, status: cf, source: src, ota: ota}); err != nil {
				return err
			}
		}
	}
	r, err := s.book(stay{typ: "DBL", plan: "DBL-FLEX", arrival: 10, departure: 12, adults: 2, status: cf, source: "booking.com", ota: "4521799030", commission: 4170})
	if err != nil {
		return err
	}
	if !r.Overbooked {
		return fmt.Errorf("the overbooking channel reservation %s was not flagged", r.ID)
	}
	return nil
}
