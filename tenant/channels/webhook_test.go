package channels_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/channels"
)

// TestWebhookSecret: a webhook secret is made only for a connected
// property, shown once and stored as a hash; the right secret lets in, a
// wrong one, a replaced one or another property's is the same refusal.
func TestWebhookSecret(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-10")
	st := channels.New(f.DB)
	if _, err := st.NewWebhookSecret(f.Ctx, f.Prop.ID); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Fatalf("a secret without a connection: %v", err)
	}
	if _, err := st.SetConnection(f.Ctx, channels.ConnectionInput{PropertyID: f.Prop.ID, Provider: "channex", BaseURL: "https://cm.example",
		ExternalPropertyID: "cx-prop", APIKey: "api-key-123"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.WebhookManager(f.Ctx, f.Prop.ID, "anything-at-all"); aura.ErrorCode(err) != aura.EUNAUTHORIZED {
		t.Fatalf("before a secret: %v", err)
	}
	first := pmstest.Must(st.NewWebhookSecret(f.Ctx, f.Prop.ID))(t)
	conn, cm, err := st.WebhookManager(f.Ctx, f.Prop.ID, first)
	if err != nil || cm == nil || conn.ExternalPropertyID != "cx-prop" {
		t.Fatalf("the right secret: %+v %v", conn, err)
	}
	second := pmstest.Must(st.NewWebhookSecret(f.Ctx, f.Prop.ID))(t)
	for name, c := range map[string][2]string{
		"Replaced": {f.Prop.ID, first}, "Wrong": {f.Prop.ID, second[:42] + "x"}, "Empty": {f.Prop.ID, ""},
		"OtherProperty": {"prp_aaaaaaaaaaaaaaaa", second},
	} {
		if _, _, err := st.WebhookManager(f.Ctx, c[0], c[1]); aura.ErrorCode(err) != aura.EUNAUTHORIZED || aura.ErrorMessage(err) != "The webhook secret is missing or wrong." {
			t.Errorf("%s: %v", name, err)
		}
	}
	if files := pmstest.ReadTenantFiles(t, f.DB); strings.Contains(string(files), first) || strings.Contains(string(files), second) {
		t.Error("a webhook secret is stored in the clear")
	}
}

// TestParseChannexWebhook: Channex's delivery shape is read; a body that
// is not one is EINVALID.
func TestParseChannexWebhook(t *testing.T) {
	ev, err := channels.ParseChannexWebhook([]byte(`{"event": "booking_modification", "property_id": "p1", "payload": {"revision_id": "r1", "booking_id": "b1", "property_id": "p1"}, "timestamp": "2026-01-01T00:00:00Z"}`))
	if err != nil || !ev.IsBooking() || ev.RevisionID != "r1" || ev.PropertyID != "p1" {
		t.Fatalf("%+v %v", ev, err)
	}
	if ev, err := channels.ParseChannexWebhook([]byte(`{"event": "ari", "payload": {}}`)); err != nil || ev.IsBooking() {
		t.Errorf("ari: %+v %v", ev, err)
	}
	for _, bad := range []string{``, `[]`, `{"payload": {"revision_id": "r"}}`, `{"event": "booking", "payload": {"revision_id": "../x"}}`} {
		if _, err := channels.ParseChannexWebhook([]byte(bad)); aura.ErrorCode(err) != aura.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestRevisionVirtualCard: an applied revision's virtual card is recorded
// once per booking and token; a token that is not a pm_ is not stored and
// the card is failed; a cancelled revision records none.
func TestRevisionVirtualCard(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-10")
	st := channels.New(f.DB)
	for kind, ids := range map[string][2]string{"room_type": {"cx-rt", f.RT.ID}, "rate_plan": {"cx-rp", f.Plan.ID}} {
		if err := st.MapExternal(f.Ctx, f.Prop.ID, kind, ids[0], ids[1]); err != nil {
			t.Fatal(err)
		}
	}
	rev := func(id, booking string, at time.Duration, card *channels.RevisionCard) channels.Revision {
		return channels.Revision{ID: id, BookingKey: booking, Status: channels.RevisionNew, RevisedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(at),
			OTAName: "Expedia", OTACode: "EX-" + booking, Customer: channels.RevisionGuest{Name: "Kai", Surname: "Lund"}, VirtualCard: card,
			Rooms: []channels.RevisionRoom{{RoomTypeID: "cx-rt", RatePlanID: "cx-rp", Arrival: f.Day(5), Departure: f.Day(7), Adults: 1}}}
	}
	card := &channels.RevisionCard{Token: "pm_1Virtual", Amount: 20000, Currency: "EUR"}
	r1 := pmstest.Must(st.ApplyRevision(f.Ctx, f.Prop.ID, rev("r1", "b1", 0, card)))(t)
	r2 := rev("r2", "b1", time.Minute, card) // modified, same card
	r2.Status = channels.RevisionModified
	pmstest.Must(st.ApplyRevision(f.Ctx, f.Prop.ID, r2))(t)
	cards := pmstest.Must(st.VirtualCards(f.Ctx, "", r1.BookingID))(t)
	if len(cards) != 1 || cards[0].Status != channels.CardPending || cards[0].PaymentMethodID != "pm_1Virtual" || cards[0].ActivationDate != f.Day(5) ||
		cards[0].MaxAmount != 20000 || cards[0].Source != "expedia" {
		t.Fatalf("cards: %+v", cards)
	}
	const pan = "5555555555554444"
	r3 := pmstest.Must(st.ApplyRevision(f.Ctx, f.Prop.ID, rev("r3", "b3", 0, &channels.RevisionCard{Token: pan, Amount: 100})))(t)
	cards = pmstest.Must(st.VirtualCards(f.Ctx, "", r3.BookingID))(t)
	if r3.Outcome != channels.OutcomeApplied || len(cards) != 1 || cards[0].Status != channels.CardFailed || cards[0].PaymentMethodID != "" {
		t.Fatalf("a card number as token: %+v %+v", r3, cards)
	}
	cancelled := rev("r4", "b4", 0, card)
	cancelled.Status = channels.RevisionCancelled
	r4 := pmstest.Must(st.ApplyRevision(f.Ctx, f.Prop.ID, cancelled))(t)
	if cards := pmstest.Must(st.VirtualCards(f.Ctx, "", r4.BookingID))(t); len(cards) != 0 {
		t.Errorf("a booking first seen cancelled has a card: %+v", cards)
	}
	if files := pmstest.ReadTenantFiles(t, f.DB); strings.Contains(string(files), pan) {
		t.Error("the card number is in the tenant's files")
	}
	att := pmstest.Must(st.AttentionOf(f.Ctx, f.Prop.ID, f.Clock.Now()))(t)
	if len(att.Cards) != 1 || att.Cards[0].BookingID != r3.BookingID {
		t.Errorf("attention cards: %+v", att.Cards)
	}
	if err := st.SetVirtualCardState(f.Ctx, cards[0].ID, channels.CardAttached, "crd_x", ""); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteFeed: deleting a feed cancels its blocks from today on (each
// audited), keeps a begun one, wipes the sealed URL, and the feed is no
// longer listed, polled or deletable again.
func TestDeleteFeed(t *testing.T) {
	sample, err := os.ReadFile("testdata/airbnb.ics")
	if err != nil {
		t.Fatal(err)
	}
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-10")
	st := channels.New(f.DB)
	srv := newFeedServer(t, sample)
	const secretPath = "/calendar/ical/98765.ics?s=feed-secret-abc"
	feed := pmstest.Must(st.CreateFeed(f.Ctx, channels.FeedInput{PropertyID: f.Prop.ID, RoomID: f.Rooms[0].ID, Channel: "airbnb", URL: srv.URL + secretPath}))(t)
	if res, err := st.PollFeed(f.Ctx, feed.ID, &channels.Fetcher{AllowPrivate: true}); err != nil || res.Created != 4 {
		t.Fatalf("poll: %+v %v", res, err)
	}
	rows := f.AuditRows(t)
	n, err := st.DeleteFeed(f.Ctx, feed.ID)
	if err != nil || n != 3 {
		t.Fatalf("delete: %d %v", n, err)
	}
	want := []string{
		"2026-03-08/2026-03-12 active overbooked=false", // begun: the guest is in the house
		"2026-03-15/2026-03-18 cancelled overbooked=false",
		"2026-03-22/2026-03-25 cancelled overbooked=false",
		"2026-04-05/2026-04-08 cancelled overbooked=false",
	}
	if got := blockSet(t, st, feed.ID); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("blocks:\n%s", strings.Join(got, "\n"))
	}
	if got := f.AuditRows(t) - rows; got != 4 {
		t.Errorf("%d audit rows, want 4 (3 blocks and the feed)", got)
	}
	if list := pmstest.Must(st.ListFeeds(f.Ctx, f.Prop.ID))(t); len(list) != 0 {
		t.Errorf("listed after deletion: %+v", list)
	}
	if _, err := st.PollFeed(f.Ctx, feed.ID, &channels.Fetcher{AllowPrivate: true}); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Errorf("poll after deletion: %v", err)
	}
	if _, err := st.DeleteFeed(f.Ctx, feed.ID); aura.ErrorCode(err) != aura.ENOTFOUND {
		t.Errorf("deleted twice: %v", err)
	}
	var url []byte
	if err := f.DB.SQL().Read.QueryRow(`SELECT url FROM ical_feeds WHERE id = ?`, feed.ID).Scan(&url); err != nil || len(url) != 0 {
		t.Errorf("the sealed URL is kept: %d bytes %v", len(url), err)
	}
}
