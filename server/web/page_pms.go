package web

import (
	"strconv"
	"strings"

	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/stays"
)

// MethodLabel names a payment method for people.
func (p *Page) MethodLabel(m string) string {
	switch m {
	case ledger.MethodCash:
		return "Cash"
	case ledger.MethodCardTerminal:
		return "Card terminal"
	case ledger.MethodBankTransfer:
		return "Bank transfer"
	case ledger.MethodCityLedger:
		return "City ledger"
	case ledger.MethodStripe:
		return "Card (Stripe)"
	}
	return m
}

// Rate writes basis points as a percentage ("7 %", "7.5 %").
func (p *Page) Rate(bp int) string {
	s := strconv.FormatFloat(float64(bp)/100, 'f', -1, 64)
	if st := p.Style(); st.Decimal != "." {
		s = strings.Replace(s, ".", st.Decimal, 1)
	}
	return s + " %"
}

// Signed writes a line's amount with the sign it has in the balance.
func (p *Page) Signed(l ledger.Line, minor int64) string { return p.Amount(l.Sign() * minor) }

// DocumentLabel names an ID document type in the operator's words.
func (p *Page) DocumentLabel(t string) string {
	for _, o := range DocumentTypeOptions {
		if o.Value == t && t != "" {
			return o.Label
		}
	}
	return t
}

// checkInRecords is the partial "checkinrecords" of the guest and
// reservation pages: the records, and what the viewer may do with them.
type checkInRecords struct {
	P        *Page
	Records  []stays.CheckInRecord
	CanWrite bool   // may add and delete photos
	Back     string // the page to return to after a change
	ByGuest  bool   // listed on the guest page (show the stay, not the name)
}

// CheckInRecords builds the "checkinrecords" partial's data.
func (p *Page) CheckInRecords(recs []stays.CheckInRecord, canWrite bool, back string, byGuest bool) checkInRecords {
	return checkInRecords{P: p, Records: recs, CanWrite: canWrite, Back: back, ByGuest: byGuest}
}

// MaxIDPhotos is how many photos a check-in record keeps.
func (p *Page) MaxIDPhotos() int { return stays.MaxIDPhotos }

// Size writes a byte count as "2.4 MB" or "310 KB".
func (p *Page) Size(n int) string {
	if n >= 1<<20 {
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
	return strconv.Itoa((n+1023)>>10) + " KB"
}

type FrontDeskData struct {
	frontdesk.FrontDesk
	IsToday      bool
	Prev, Next   string
	TodayHref    string
	CanFrontDesk bool
	CanGuests    bool
	CanDocuments bool // may print the police list (ID documents)
}

// fdList is what the "fdlist" partial needs: one list of the front desk.
type fdList struct {
	P    *Page
	D    *FrontDeskData
	Kind string // "arrivals", "in_house" or "departures"
	Rows []frontdesk.FrontDeskRow
}

// FDList builds the "fdlist" partial's data.
func (p *Page) FDList(d *FrontDeskData, kind string) fdList {
	l := fdList{P: p, D: d, Kind: kind}
	switch kind {
	case "arrivals":
		l.Rows = d.Arrivals
	case "in_house":
		l.Rows = d.InHouse
	case "departures":
		l.Rows = d.Departures
	}
	return l
}

// Pending counts the arrivals not yet checked in and the departures not
// yet checked out.
func (d *FrontDeskData) Pending(kind string) int {
	n := 0
	switch kind {
	case "arrivals":
		for _, r := range d.Arrivals {
			if r.Reservation.Status == stays.ReservationConfirmed || r.Reservation.Status == stays.ReservationTentative {
				n++
			}
		}
	case "departures":
		for _, r := range d.Departures {
			if r.Reservation.Status == stays.ReservationInHouse {
				n++
			}
		}
	}
	return n
}

// OccupancyLabel says in words who leaves or comes to a room on the board's date.
func (p *Page) OccupancyLabel(b frontdesk.BoardRoom) string {
	switch b.Occupancy {
	case frontdesk.OccupancyVacant:
		return "Vacant"
	case frontdesk.OccupancyArriving:
		if b.Arrived {
			return "Arrived"
		}
		return "Arrival today"
	case frontdesk.OccupancyDeparting:
		if b.Departed {
			return "Departed"
		}
		return "Departure today"
	case frontdesk.OccupancyTurnover:
		if b.Departed {
			return "Departed · arrival today"
		}
		return "Departure and arrival"
	case frontdesk.OccupancyOccupied:
		if b.Overdue {
			return "Overdue departure"
		}
		return "Stay-over"
	}
	return b.Occupancy
}

// registrationCardOptions are the layouts of the registration card, in words.
var registrationCardOptions = []Option{{Value: "", Label: "The property's country (default)"}, {Value: "generic", Label: "Generic"},
	{Value: "de", Label: "Germany (Meldeschein)"}, {Value: "at", Label: "Austria (Gästeblatt)"}, {Value: "ch", Label: "Switzerland (Meldeschein)"},
	{Value: "it", Label: "Italy (schedina alloggiati)"}, {Value: "es", Label: "Spain (parte de viajeros)"}, {Value: "fr", Label: "France (fiche individuelle)"}}

// RegistrationCardOptions are the choices of the registration card's layout.
func (p *Page) RegistrationCardOptions() []Option { return registrationCardOptions }

// FeeText says what a fee charges, in words.
func (p *Page) FeeText(f inventory.Fee) string {
	switch f.Type {
	case inventory.FeeFirstNight:
		return "the first night"
	case inventory.FeeNights:
		if f.Nights == 1 {
			return "the first night"
		}
		return "the first " + strconv.Itoa(f.Nights) + " nights"
	case inventory.FeePercent:
		return strconv.Itoa(f.Percent) + "% of the stay"
	case inventory.FeeFixed:
		if f.Amount != nil {
			return p.Money(*f.Amount)
		}
	}
	return "nothing"
}

// CancellationText says what cancelling costs under a policy, in words.
func (p *Page) CancellationText(cp inventory.CancellationPolicy) string {
	fee := p.FeeText(cp.Fee)
	switch {
	case cp.FreeUntilDaysBefore == nil:
		return "Non-refundable: cancelling costs " + fee + "."
	case cp.Fee.Type == inventory.FeeNone:
		return "Free cancellation."
	case *cp.FreeUntilDaysBefore == 0:
		return "Free cancellation until the day of arrival, then " + fee + "."
	case *cp.FreeUntilDaysBefore == 1:
		return "Free cancellation until 1 day before arrival, then " + fee + "."
	}
	return "Free cancellation until " + strconv.Itoa(*cp.FreeUntilDaysBefore) + " days before arrival, then " + fee + "."
}

// feeFields is what the "feefields" partial needs: the page, the prefix of
// the fee's form fields and the legend of its fieldset.
type feeFields struct {
	P              *Page
	Prefix, Legend string
	Types          []Option
}

// FeeFields returns the view of a fee's form fields.
func (p *Page) FeeFields(prefix, legend string) feeFields {
	return feeFields{P: p, Prefix: prefix, Legend: legend, Types: FeeTypes}
}

// DateVal reads a date field of the form (the zero date when it is not one).
func (p *Page) DateVal(name string) date.Date {
	d, _ := date.Parse(p.Form.Get(name))
	return d
}

// Chosen reports whether the form's field name holds value (checkboxes).
func (p *Page) Chosen(name, value string) bool {
	for _, v := range p.Form[name] {
		if v == value {
			return true
		}
	}
	return false
}

type triState struct{ Name, Label, On, Off string }

// TriStates are the restriction switches of the bulk edit form.
func (p *Page) TriStates() []triState {
	return []triState{
		{"closed_to_arrival", "Closed to arrival", "Close to arrival", "Open to arrival"},
		{"closed_to_departure", "Closed to departure", "Close to departure", "Open to departure"},
		{"stop_sell", "Stop-sell", "Stop selling", "Sell again"},
	}
}

var DocumentTypeOptions = []Option{{Value: "", Label: "No document"}, {Value: stays.DocumentPassport, Label: "Passport"},
	{Value: stays.DocumentIDCard, Label: "ID card"}, {Value: stays.DocumentDrivingLicence, Label: "Driving licence"},
	{Value: stays.DocumentResidencePermit, Label: "Residence permit"}, {Value: stays.DocumentOther, Label: "Other document"}}

var FeeTypes = []Option{{Value: inventory.FeeNone, Label: "Nothing"}, {Value: inventory.FeeFirstNight, Label: "The first night"},
	{Value: inventory.FeeNights, Label: "A number of nights"}, {Value: inventory.FeePercent, Label: "A percentage of the stay"},
	{Value: inventory.FeeFixed, Label: "A fixed amount"}}
