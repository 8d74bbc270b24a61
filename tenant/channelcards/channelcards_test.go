package channelcards_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/internal/stripemock"
	"github.com/aurapms/aura/tenant/channelcards"
	"github.com/aurapms/aura/tenant/channels"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/payments"
	"github.com/aurapms/aura/tenant/stays"
)

// mock is the stripe-mock the tests share (it takes seconds to start).
var mock *stripemock.Server

func TestMain(m *testing.M) {
	s, err := stripemock.Run(stripemock.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	mock = s
	code := m.Run()
	s.Close()
	os.Exit(code)
}

// fixture is a real tenant file with a Berlin property whose room type
// and rate plan are mapped for the channel manager, and a payments store
// talking to stripe-mock. Neither the books nor Stripe are set up until a
// test says so.
type fixture struct {
	*pmstest.Fixture
	ch  channels.Store
	pay *payments.Store
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{Fixture: pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-10")}
	f.ch = channels.New(f.DB)
	for kind, ids := range map[string][2]string{"room_type": {"cx-rt", f.RT.ID}, "rate_plan": {"cx-rp", f.Plan.ID}} {
		if err := f.ch.MapExternal(f.Ctx, f.Prop.ID, kind, ids[0], ids[1]); err != nil {
			t.Fatal(err)
		}
	}
	f.pay = payments.New(f.DB, payments.Options{Backend: mock.Backend(nil)})
	return f
}

// books sets up the property's ledger (EUR).
func (f *fixture) books(t *testing.T) {
	t.Helper()
	pmstest.Must(ledger.New(f.DB).Configure(f.Ctx, ledger.Settings{PropertyID: f.Prop.ID, Currency: "EUR", PricesIncludeTax: true,
		AccommodationTaxCode: "DE-7", AccommodationCategory: "ACC",
		Legal: ledger.Legal{Company: "Hotel Test GmbH", Address: ledger.Address{Line1: "Uferweg 1", PostalCode: "10117", City: "Berlin", Country: "DE"},
			VATID: "DE123456789"}}))(t)
}

// stripe sets up the tenant's Stripe keys.
func (f *fixture) stripe(t *testing.T) {
	t.Helper()
	pmstest.Must(f.pay.Configure(f.Ctx, payments.SettingsInput{AccountID: "acct_1AuraHotelTest", PublishableKey: "pk_test_51AuraTestKey0123456789",
		SecretKey: "sk_test_51AuraTestKey0123456789", WebhookSecret: "whsec_c2VjcmV0LWZvci10ZXN0cw"}))(t)
}

// book applies a new channel booking of rooms stays (days 5 to 7) that
// came with a virtual card of token, and returns the booking's id.
func (f *fixture) book(t *testing.T, key, token, currency string, rooms int) string {
	t.Helper()
	rev := channels.Revision{ID: "rev-" + key, BookingKey: key, Status: channels.RevisionNew, RevisedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		OTAName: "Expedia", OTACode: "EX-" + key, Customer: channels.RevisionGuest{Name: "Kai", Surname: "Lund"},
		VirtualCard: &channels.RevisionCard{Token: token, Amount: 20000, Currency: currency}}
	for i := 0; i < rooms; i++ {
		rev.Rooms = append(rev.Rooms, channels.RevisionRoom{RoomTypeID: "cx-rt", RatePlanID: "cx-rp", Arrival: f.Day(5), Departure: f.Day(7), Adults: 1})
	}
	res := pmstest.Must(f.ch.ApplyRevision(f.Ctx, f.Prop.ID, rev))(t)
	if res.Outcome != channels.OutcomeApplied || res.BookingID == "" {
		t.Fatalf("revision %+v", res)
	}
	return res.BookingID
}

// card returns the one channel virtual card of a booking.
func (f *fixture) card(t *testing.T, bookingID string) channels.VirtualCard {
	t.Helper()
	cards := pmstest.Must(f.ch.VirtualCards(f.Ctx, "", bookingID))(t)
	if len(cards) != 1 {
		t.Fatalf("booking %s has %d virtual cards", bookingID, len(cards))
	}
	return cards[0]
}

func (f *fixture) attach(t *testing.T) channelcards.Result {
	t.Helper()
	return pmstest.Must(channelcards.Attach(f.Ctx, f.DB, f.pay))(t)
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.DB.SQL().Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAttachWaitsThenAttaches: a channel booking's virtual card waits,
// saying why, while the books and then Stripe are not set up (Stripe is
// not asked); then it is attached to the guest folio of the booking's
// stay with the card's terms, checked with Stripe once; a later pass has
// nothing to do.
func TestAttachWaitsThenAttaches(t *testing.T) {
	f := newFixture(t)
	booking := f.book(t, "b1", "pm_1VirtualOne", "EUR", 1)

	mark := mock.Mark()
	if res := f.attach(t); res != (channelcards.Result{Waiting: 1}) {
		t.Fatalf("without books: %+v", res)
	}
	if c := f.card(t, booking); c.Status != channels.CardPending || !strings.Contains(c.Error, "books are not set up") {
		t.Fatalf("without books: %+v", c)
	}
	f.books(t)
	if res := f.attach(t); res != (channelcards.Result{Waiting: 1}) {
		t.Fatalf("without Stripe: %+v", res)
	}
	if c := f.card(t, booking); c.Status != channels.CardPending || !strings.Contains(c.Error, "Stripe is not set up") {
		t.Fatalf("without Stripe: %+v", c)
	}
	if n := len(mock.Since(mark, "", "")); n != 0 {
		t.Fatalf("%d requests reached Stripe before it was set up", n)
	}

	f.stripe(t)
	mark = mock.Mark()
	if res := f.attach(t); res != (channelcards.Result{Attached: 1}) {
		t.Fatalf("attach: %+v", res)
	}
	if n := len(mock.Since(mark, "GET", "/v1/payment_methods/pm_1VirtualOne")); n != 1 {
		t.Fatalf("Stripe was asked about the token %d times, want 1", n)
	}
	vc := f.card(t, booking)
	if vc.Status != channels.CardAttached || vc.CardID == "" || vc.Error != "" {
		t.Fatalf("channel card after attach: %+v", vc)
	}
	b := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, booking))(t)
	folio := pmstest.Must(ledger.New(f.DB).GuestFolio(f.Ctx, f.Prop.ID, b.Reservations[0].ID))(t)
	card := pmstest.Must(f.pay.Card(f.Ctx, vc.CardID))(t)
	if card.Kind != payments.CardVirtual || card.Status != payments.CardActive || card.FolioID != folio.ID || card.PaymentMethodID != "pm_1VirtualOne" ||
		card.ActivationDate != vc.ActivationDate || card.MaxAmount != 20000 || card.Currency != "EUR" || card.Source != "expedia" {
		t.Fatalf("the payments card: %+v (channel card %+v, folio %s)", card, vc, folio.ID)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'stripe.card_added' AND entity_id = ?`, card.ID); n != 1 {
		t.Fatalf("%d stripe.card_added audit rows, want 1", n)
	}

	mark = mock.Mark()
	if res := f.attach(t); res != (channelcards.Result{}) {
		t.Fatalf("a second pass: %+v", res)
	}
	if n := len(mock.Since(mark, "", "")); n != 0 {
		t.Fatalf("a second pass sent %d requests to Stripe", n)
	}
}

// TestAttachSameCardOnce: a card that payments registered but whose
// channel record was not marked attached (the pass stopped in between) is
// registered once: the next pass marks it attached to the same card.
func TestAttachSameCardOnce(t *testing.T) {
	f := newFixture(t)
	f.books(t)
	f.stripe(t)
	booking := f.book(t, "b1", "pm_1VirtualTwice", "EUR", 1)
	if res := f.attach(t); res.Attached != 1 {
		t.Fatalf("attach: %+v", res)
	}
	first := f.card(t, booking)
	if err := f.ch.SetVirtualCardState(f.Ctx, first.ID, channels.CardPending, "", ""); err != nil {
		t.Fatal(err)
	}
	if res := f.attach(t); res != (channelcards.Result{Attached: 1}) {
		t.Fatalf("again: %+v", res)
	}
	if again := f.card(t, booking); again.Status != channels.CardAttached || again.CardID != first.CardID {
		t.Fatalf("attached again as %+v, first %+v", again, first)
	}
	if n := f.count(t, `SELECT count(*) FROM stripe_cards WHERE payment_method_id = 'pm_1VirtualTwice'`); n != 1 {
		t.Fatalf("%d stored cards for one token, want 1", n)
	}
}

// TestAttachFirstStayLeft: the card goes to the guest folio of the
// booking's first stay that is not cancelled; a booking with no stay left
// fails the card, saying why.
func TestAttachFirstStayLeft(t *testing.T) {
	f := newFixture(t)
	f.books(t)
	f.stripe(t)
	two := f.book(t, "b2", "pm_1VirtualTwo", "EUR", 2)
	one := f.book(t, "b1", "pm_1VirtualGone", "EUR", 1)
	rs := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, two))(t).Reservations
	if len(rs) != 2 {
		t.Fatalf("booking of two rooms has %d stays", len(rs))
	}
	first, second := rs[0], rs[1]
	if second.CreatedAt.Before(first.CreatedAt) || second.CreatedAt.Equal(first.CreatedAt) && second.ID < first.ID {
		first, second = second, first
	}
	pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, first.ID, stays.CancelInput{WaiveFee: true}))(t)
	gone := pmstest.Must(stays.New(f.DB).GetBooking(f.Ctx, one))(t).Reservations[0]
	pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, gone.ID, stays.CancelInput{WaiveFee: true}))(t)

	if res := f.attach(t); res != (channelcards.Result{Attached: 1, Failed: 1}) {
		t.Fatalf("attach: %+v", res)
	}
	vc := f.card(t, two)
	folio := pmstest.Must(ledger.New(f.DB).GuestFolio(f.Ctx, f.Prop.ID, second.ID))(t)
	if card := pmstest.Must(f.pay.Card(f.Ctx, vc.CardID))(t); card.FolioID != folio.ID {
		t.Fatalf("the card is on folio %s, want the second stay's %s", card.FolioID, folio.ID)
	}
	if vc := f.card(t, one); vc.Status != channels.CardFailed || vc.CardID != "" || !strings.Contains(vc.Error, "no stay left") {
		t.Fatalf("a booking with no stay left: %+v", vc)
	}
}

// TestAttachFailuresDoNotStopOthers: a token Stripe does not know and a
// card in another currency than the folio's fail, each with Stripe's or
// the field's reason, while the good card of the same pass is attached; a
// failed card is not tried again.
func TestAttachFailuresDoNotStopOthers(t *testing.T) {
	f := newFixture(t)
	f.books(t)
	f.stripe(t)
	unknown := f.book(t, "b1", "pm_1VirtualUnknown", "EUR", 1)
	dollars := f.book(t, "b2", "pm_1VirtualDollars", "USD", 1)
	good := f.book(t, "b3", "pm_1VirtualGood", "EUR", 1)
	mock.Answer(func(r stripemock.Request) (int, []byte, bool) {
		return http.StatusNotFound, []byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","param":"payment_method",
			"message":"No such PaymentMethod: 'pm_1VirtualUnknown'"}}`), r.Path == "/v1/payment_methods/pm_1VirtualUnknown"
	})
	defer mock.Answer(nil)

	if res := f.attach(t); res != (channelcards.Result{Attached: 1, Failed: 2}) {
		t.Fatalf("attach: %+v", res)
	}
	if vc := f.card(t, unknown); vc.Status != channels.CardFailed || !strings.Contains(vc.Error, "Stripe does not know") || !strings.Contains(vc.Error, "resource_missing") {
		t.Fatalf("unknown token: %+v", vc)
	}
	if vc := f.card(t, dollars); vc.Status != channels.CardFailed || !strings.Contains(vc.Error, "currency must be the folio's currency, EUR") {
		t.Fatalf("another currency: %+v", vc)
	}
	if vc := f.card(t, good); vc.Status != channels.CardAttached || vc.CardID == "" {
		t.Fatalf("the good card: %+v", vc)
	}
	if n := f.count(t, `SELECT count(*) FROM stripe_cards`); n != 1 {
		t.Fatalf("%d stored cards, want the good one only", n)
	}
	mark := mock.Mark()
	if res := f.attach(t); res != (channelcards.Result{}) {
		t.Fatalf("a second pass: %+v", res)
	}
	if n := len(mock.Since(mark, "", "")); n != 0 {
		t.Fatalf("failed cards were tried again: %d requests", n)
	}
}

// TestAttachStripeSilent: when Stripe's answer is lost the card waits
// (nothing stored) and is attached at the next pass.
func TestAttachStripeSilent(t *testing.T) {
	f := newFixture(t)
	f.books(t)
	f.stripe(t)
	booking := f.book(t, "b1", "pm_1VirtualLost", "EUR", 1)
	mock.LoseAnswers(1)
	if res := f.attach(t); res != (channelcards.Result{Waiting: 1}) {
		t.Fatalf("lost answer: %+v", res)
	}
	if vc := f.card(t, booking); vc.Status != channels.CardPending || !strings.Contains(vc.Error, "did not answer") {
		t.Fatalf("lost answer: %+v", vc)
	}
	if n := f.count(t, `SELECT count(*) FROM stripe_cards`); n != 0 {
		t.Fatalf("%d cards stored without Stripe's answer", n)
	}
	if res := f.attach(t); res != (channelcards.Result{Attached: 1}) {
		t.Fatalf("next pass: %+v", res)
	}
	if vc := f.card(t, booking); vc.Status != channels.CardAttached || vc.Error != "" {
		t.Fatalf("next pass: %+v", vc)
	}
}
