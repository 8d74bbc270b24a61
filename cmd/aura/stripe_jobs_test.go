package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/stripemock"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
	"github.com/aurapms/aura/tenant/payments"
	"github.com/aurapms/aura/tenant/pmsledger"
	"github.com/aurapms/aura/tenant/stays"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
)

// TestNoShowFeeJob: the jobs aura serve schedules charge a no-show fee to
// the card on file on their own. A guest books for tonight with a card
// saved; nobody arrives; once the business date closes, the scheduler's
// night-audit job marks the no-show, posts the fee and charges it to the
// card off-session (stripe-mock answering as Stripe does for a charge
// that succeeds), so the folio is settled; the next runs charge nothing
// more, and stripe-reconcile has nothing to do.
func TestNoShowFeeJob(t *testing.T) {
	paid := stripemock.Start(t, stripemock.Options{Fixtures: map[string]map[string]any{
		"payment_intent": {"status": "succeeded", "amount": 4500, "amount_received": 4500, "currency": "eur", "last_payment_error": nil},
	}})
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	clock := auratest.NewClock(time.Date(2026, 3, 2, 14, 0, 0, 0, loc))
	te := auratest.New(t, auratest.Options{Now: clock.Now})
	te.CreateTenant(t, "lakeside")
	db := te.Acquire(t, "lakeside")
	ctx := auratest.Ctx()
	today := date.Of(clock.Now(), loc)

	prop, err := inventory.New(db).CreateProperty(ctx, inventory.PropertyInput{Name: "Lakeside", TimeZone: "Europe/Berlin", Currency: "EUR",
		Tax: inventory.TaxSettings{PricesIncludeVAT: true, VATRates: []inventory.VATRate{{Code: "red", Name: "Reduced", BasisPoints: 700}}, AccommodationVAT: "red"}})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := inventory.New(db).CreateRoomType(ctx, inventory.RoomTypeInput{PropertyID: prop.ID, Code: "DBL", Name: "Double", Capacity: 2, BaseOccupancy: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.New(db).CreateRoom(ctx, inventory.RoomInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Number: "101"}); err != nil {
		t.Fatal(err)
	}
	plan, err := inventory.New(db).CreateRatePlan(ctx, inventory.RatePlanInput{PropertyID: prop.ID, RoomTypeID: rt.ID, Code: "FLEX", Name: "Flexible", Active: true,
		NoShow: inventory.NoShowPolicy{Fee: inventory.Fee{Type: inventory.FeeFirstNight}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.New(db).UpdateRates(ctx, inventory.RateUpdate{RatePlanID: plan.ID, From: today, To: today.AddDays(5), Price: &tenant.Money{Amount: 4500, Currency: "EUR"}}); err != nil {
		t.Fatal(err)
	}
	b, err := stays.New(db).CreateBooking(ctx, stays.BookingInput{PropertyID: prop.ID, Source: stays.SourceDirect,
		Booker:       stays.GuestRef{New: &stays.GuestInput{GivenName: "Nils", FamilyName: "Noshow"}},
		Reservations: []stays.ReservationInput{{RoomTypeID: rt.ID, RatePlanID: plan.ID, Arrival: today, Departure: today.AddDays(1), Adults: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	res := b.Reservations[0]

	// The guest's card, saved at booking through Stripe Elements.
	if err := db.Update(ctx, func(tx *tenant.Tx) error { _, err := pmsledger.Ensure(tx, db, prop); return err }); err != nil {
		t.Fatal(err)
	}
	folio, err := ledger.New(db).GuestFolio(ctx, prop.ID, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	const whsec = "whsec_am9icy10ZXN0LXNlY3JldA"
	st := payments.New(db, payments.Options{Backend: paid.Backend(nil)})
	if _, err := st.Configure(ctx, payments.SettingsInput{AccountID: "acct_1AuraLakeside", PublishableKey: "pk_test_51AuraLakesideKey",
		SecretKey: "sk_test_51AuraLakesideKey", WebhookSecret: whsec}); err != nil {
		t.Fatal(err)
	}
	card, err := st.SaveCard(ctx, payments.SaveCardInput{FolioID: folio.ID, IdempotencyKey: "save-card-at-booking"})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := json.Marshal(map[string]any{"id": "evt_1AuraNoShowCardSaved", "object": "event", "api_version": stripe.APIVersion, "created": clock.Now().Unix(),
		"livemode": false, "type": "setup_intent.succeeded", "data": map[string]any{"object": map[string]any{"id": card.SetupIntentID, "object": "setup_intent",
			"status": "succeeded", "usage": "off_session", "customer": card.CustomerID, "payment_method": "pm_1AuraLakesideCard", "livemode": false}}})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: ev, Secret: whsec, Timestamp: clock.Now()})
	if err := payments.HandleWebhook(ctx, db, sp.Payload, sp.Header, clock.Now()); err != nil {
		t.Fatal(err)
	}

	serve := &env{control: te.Control, router: te.Router, platform: te.Platform, stripe: paid.Backend(nil)}
	s := &control.Scheduler{Service: te.Control, Jobs: serve.tenantJobs(), Now: clock.Now, MaxWait: time.Hour}
	run := func() { s.RunDue(context.Background()) }
	run()
	if ps, _ := st.FolioPayments(ctx, folio.ID); len(ps) != 0 {
		t.Fatalf("charged before the no-show: %+v", ps)
	}
	mark := paid.Mark()
	clock.Advance(24 * time.Hour) // past the night audit of the arrival day
	run()
	r, err := stays.New(db).GetReservation(ctx, res.ID)
	if err != nil || r.Status != stays.ReservationNoShow {
		t.Fatalf("reservation after the night audit: %+v %v", r.Status, err)
	}
	ps, err := st.FolioPayments(ctx, folio.ID)
	if err != nil || len(ps) != 1 || ps[0].Purpose != payments.PurposeNoShowFee || ps[0].Status != payments.StatusSucceeded || ps[0].Amount != 4500 || ps[0].CardID != card.ID {
		t.Fatalf("payments after the night audit: %+v %v", ps, err)
	}
	if reqs := paid.Since(mark, "POST", "/v1/payment_intents"); len(reqs) != 1 || reqs[0].Form.Get("off_session") != "true" {
		t.Fatalf("%d charges sent: %+v", len(reqs), reqs)
	}
	if v, err := ledger.New(db).Folio(ctx, folio.ID); err != nil || v.Balance.Balance != 0 {
		t.Fatalf("folio balance after the fee was charged: %+v %v", v.Balance, err)
	}
	// The next nights: nothing more.
	clock.Advance(24 * time.Hour)
	run()
	if reqs := paid.Since(mark, "POST", "/v1/payment_intents"); len(reqs) != 1 {
		t.Fatalf("%d charges after another night", len(reqs))
	}
}
