package guestmail_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/stays"
)

// book books a stay for a new guest with the given email and language.
func book(t *testing.T, f *pmstest.Fixture, given, email, lang string, arrival int) stays.Reservation {
	t.Helper()
	in := f.Booking(f.Day(arrival), f.Day(arrival+2))
	in.Booker.New = &stays.GuestInput{GivenName: given, FamilyName: "Gast", Email: email, Language: lang}
	return pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t).Reservations[0]
}

// byKind finds a guest's message of a kind.
func byKind(t *testing.T, f *pmstest.Fixture, guestID, kind string) guestmail.Message {
	t.Helper()
	for _, m := range pmstest.Must(guestmail.New(f.DB).GuestMessages(f.Ctx, guestID))(t) {
		if m.Kind == kind {
			return m
		}
	}
	t.Fatalf("guest %s has no %s message", guestID, kind)
	return guestmail.Message{}
}

// TestGuestMail runs guest communication end to end through a real SMTP
// exchange: nothing for the backlog before sending is turned on; a
// confirmation in the guest's language from the property's own template,
// first against an address that refuses connections (retried after the
// backoff, then delivered once a server listens there), then a 451
// refusal retried; withheld records for a guest without an email address
// and a restricted one; the pre-arrival message in its window; the
// cancellation; every message recorded on the guest and the stay.
func TestGuestMail(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 5, "2026-03-02")
	gm := guestmail.New(f.DB)

	// An address nothing listens on (yet): connections are refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	smtpc := mailer.SMTP{Addr: addr, From: "Hotel Test <hotel@example.com>"}

	backlog := book(t, f, "Berta", "berta@example.com", "en", 5)
	f.At(f.Day(0), 12, 10)
	pmstest.Must(gm.SetSettings(f.Ctx, guestmail.Settings{PropertyID: f.Prop.ID, Enabled: true, PreArrivalDays: 3}))(t)
	pmstest.Must(gm.SaveTemplate(f.Ctx, guestmail.Template{PropertyID: f.Prop.ID, Kind: guestmail.KindConfirmation, Language: "de",
		Subject: "Buchung bestätigt: {{.Property.Name}}, {{.Stay.Dates}}",
		Text:    "Hallo {{.Guest.GivenName}},\nwir erwarten Sie am {{.Stay.Arrival}} ({{.Stay.Nights}} Nächte, {{.Stay.Total}}).\n{{.Property.Name}}\n",
		HTML:    "<p>Hallo {{.Guest.GivenName}}</p><p>{{.Stay.Total}}</p>"}))(t)

	f.At(f.Day(0), 12, 30)
	ana := book(t, f, "Änne", "aenne@example.com", "de-AT", 10)
	noMail := book(t, f, "Nomail", "", "en", 10)
	restricted := book(t, f, "Rita", "rita@example.com", "en", 11)
	pmstest.Must(struct{}{}, guestdata.New(f.DB).Restrict(f.Ctx, restricted.GuestID, true, "the guest disputes the data"))(t)

	if n := pmstest.Must(gm.Plan(f.Ctx))(t); n != 3 {
		t.Fatalf("planned %d messages, want 3 (confirmation, two withheld)", n)
	}
	if n := pmstest.Must(gm.Plan(f.Ctx))(t); n != 0 {
		t.Fatalf("planning again recorded %d more", n)
	}
	if ms := pmstest.Must(gm.GuestMessages(f.Ctx, backlog.GuestID))(t); len(ms) != 0 {
		t.Fatalf("a stay booked before sending was turned on got %d messages", len(ms))
	}
	if m := byKind(t, f, noMail.GuestID, guestmail.KindConfirmation); m.Status != guestmail.StatusWithheld || m.Reason != guestmail.ReasonNoEmail {
		t.Fatalf("no-email guest's message: %+v", m)
	}
	if m := byKind(t, f, restricted.GuestID, guestmail.KindConfirmation); m.Status != guestmail.StatusWithheld || m.Reason != guestmail.ReasonRestricted || m.Subject != "" {
		t.Fatalf("restricted guest's message: %+v", m)
	}

	t.Run("RetryAfterRefusedConnection", func(t *testing.T) {
		d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t)
		if d.Retrying != 1 || d.Sent != 0 {
			t.Fatalf("delivery to a refusing address: %+v", d)
		}
		m := byKind(t, f, ana.GuestID, guestmail.KindConfirmation)
		if m.Status != guestmail.StatusQueued || m.Attempts != 1 || m.LastError == "" || m.NextAttemptAt == nil ||
			!m.NextAttemptAt.Equal(f.Clock.Now().Add(guestmail.Backoff[0]).Truncate(time.Second)) {
			t.Fatalf("after a refused connection: %+v (now %v)", m, f.Clock.Now())
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv := auratest.StartSMTPServer(t, ln)
		if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Sent != 0 {
			t.Fatalf("delivered before the backoff was over: %+v", d)
		}
		f.Clock.Advance(guestmail.Backoff[0] + time.Second)
		if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Sent != 1 {
			t.Fatalf("after the backoff: %+v", d)
		}
		mails := srv.Mails()
		if len(mails) != 1 {
			t.Fatalf("the server got %d mails, want 1", len(mails))
		}
		got := mails[0]
		if len(got.To) != 1 || got.To[0] != "aenne@example.com" || got.From != "hotel@example.com" {
			t.Fatalf("envelope from %q to %q", got.From, got.To)
		}
		wantSubject := "Buchung bestätigt: Hotel Test, " + f.Prop.Stay(ana.Arrival, ana.Departure)
		if got.Subject != wantSubject {
			t.Fatalf("subject %q, want %q (the property's German template for a de-AT guest)", got.Subject, wantSubject)
		}
		if !strings.Contains(got.Text, "Hallo Änne,") || !strings.Contains(got.Text, "2 Nächte, "+f.Prop.Amount(ana.Total.Amount)) {
			t.Fatalf("text part:\n%s", got.Text)
		}
		if got.HTML != "<p>Hallo Änne</p><p>"+f.Prop.Amount(ana.Total.Amount)+"</p>" {
			t.Fatalf("HTML part: %q", got.HTML)
		}
		auratest.NoCardNumbers(t, "the confirmation email", got.Raw)
		m = byKind(t, f, ana.GuestID, guestmail.KindConfirmation)
		if m.Status != guestmail.StatusSent || m.Attempts != 2 || m.SentAt == nil || m.Recipient != "aenne@example.com" || m.Subject != wantSubject {
			t.Fatalf("recorded message: %+v", m)
		}
		// The stay's page lists it too.
		rm := pmstest.Must(gm.ReservationMessages(f.Ctx, ana.ID))(t)
		if len(rm) != 1 || rm[0].ID != m.ID || rm[0].Subject != wantSubject {
			t.Fatalf("reservation messages: %+v", rm)
		}

		t.Run("RetryAfter451", func(t *testing.T) {
			other := book(t, f, "Otto", "otto@example.com", "", 12)
			pmstest.Must(gm.Plan(f.Ctx))(t)
			srv.RefuseNext(1)
			if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Retrying != 1 {
				t.Fatalf("a 451 answer: %+v", d)
			}
			if m := byKind(t, f, other.GuestID, guestmail.KindConfirmation); !strings.Contains(m.LastError, "451") {
				t.Fatalf("last error %q does not say what the server answered", m.LastError)
			}
			f.Clock.Advance(guestmail.Backoff[0] + time.Second)
			if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Sent != 1 {
				t.Fatalf("after the 451's backoff: %+v", d)
			}
			mails := srv.Mails()
			last := mails[len(mails)-1]
			if last.To[0] != "otto@example.com" || !strings.HasPrefix(last.Subject, "Your booking at Hotel Test") || !strings.Contains(last.HTML, "<td>") {
				t.Fatalf("English built-in confirmation: %q\n%s", last.Subject, last.HTML)
			}
		})

		t.Run("PreArrivalAndCancellation", func(t *testing.T) {
			f.At(f.Day(6), 9, 0) // arrival on day 10 is 4 days away: not yet
			pmstest.Must(gm.Plan(f.Ctx))(t)
			for _, m := range pmstest.Must(gm.GuestMessages(f.Ctx, ana.GuestID))(t) {
				if m.Kind == guestmail.KindPreArrival {
					t.Fatal("pre-arrival message 4 days before arrival with a 3-day lead")
				}
			}
			f.At(f.Day(7), 9, 0)
			pmstest.Must(gm.Plan(f.Ctx))(t)
			pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t)
			if m := byKind(t, f, ana.GuestID, guestmail.KindPreArrival); m.Status != guestmail.StatusSent || !strings.HasPrefix(m.Subject, "Bis bald im Hotel Test") {
				t.Fatalf("pre-arrival: %+v", m)
			}
			pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, ana.ID, stays.CancelInput{}))(t)
			pmstest.Must(gm.Plan(f.Ctx))(t)
			pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t)
			if m := byKind(t, f, ana.GuestID, guestmail.KindCancellation); m.Status != guestmail.StatusSent || !strings.Contains(m.Subject, "storniert") {
				t.Fatalf("cancellation: %+v", m)
			}
			mails := srv.Mails()
			if last := mails[len(mails)-1]; !strings.Contains(last.Subject, "storniert") || last.To[0] != "aenne@example.com" {
				t.Fatalf("the cancellation did not arrive: %q to %v", last.Subject, last.To)
			}
			// The restricted guest never got anything.
			for _, m := range mails {
				if m.To[0] == "rita@example.com" {
					t.Fatal("a restricted guest was emailed")
				}
			}
		})
	})
	f.VerifyAudit(t)
}

// TestGuestMailGivesUp: a message refused on every attempt is given up
// after MaxAttempts, with the backoff growing in between.
func TestGuestMailGivesUp(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 2, "2026-03-02")
	gm := guestmail.New(f.DB)
	srv := auratest.NewSMTPServer(t)
	pmstest.Must(gm.SetSettings(f.Ctx, guestmail.Settings{PropertyID: f.Prop.ID, Enabled: true}))(t)
	r := book(t, f, "Greta", "greta@example.com", "en", 20)
	pmstest.Must(gm.Plan(f.Ctx))(t)
	srv.RefuseNext(guestmail.MaxAttempts)
	for i := 0; i < guestmail.MaxAttempts; i++ {
		d := pmstest.Must(gm.Deliver(f.Ctx, mailer.SMTP{Addr: srv.Addr, From: "hotel@example.com"}))(t)
		if d.Retrying+d.Failed != 1 {
			t.Fatalf("attempt %d: %+v", i+1, d)
		}
		if i < len(guestmail.Backoff) {
			f.Clock.Advance(guestmail.Backoff[i] + time.Second)
		}
	}
	m := byKind(t, f, r.GuestID, guestmail.KindConfirmation)
	if m.Status != guestmail.StatusFailed || m.Attempts != guestmail.MaxAttempts || len(srv.Mails()) != 0 {
		t.Fatalf("after %d refusals: %+v", guestmail.MaxAttempts, m)
	}
}

// TestTemplates: a template that does not parse, or names a field a
// message does not have (card data included), is refused naming the part;
// a good one previews with the property's details and replaces the
// built-in wording until it is reset.
func TestTemplates(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-02")
	gm := guestmail.New(f.DB)
	base := guestmail.Template{PropertyID: f.Prop.ID, Kind: guestmail.KindPreArrival, Language: "en", Subject: "Hi {{.Guest.Name}}", Text: "See you", HTML: ""}

	bad := base
	bad.Text = "Dear {{.Guest.Name}"
	_, err := gm.SaveTemplate(f.Ctx, bad)
	pmstest.WantCode(t, err, aura.EINVALID)
	if !pmstest.HasField(err, "body_text") {
		t.Fatalf("a template that does not parse: %v", err)
	}
	card := base
	card.HTML = "<p>{{.Stay.CardNumber}}</p>"
	_, err = gm.SaveTemplate(f.Ctx, card)
	pmstest.WantCode(t, err, aura.EINVALID)
	if !pmstest.HasField(err, "body_html") {
		t.Fatalf("a template naming card data: %v", err)
	}
	empty := base
	empty.Subject, empty.Language = "", "x"
	_, err = gm.SaveTemplate(f.Ctx, empty)
	if !pmstest.HasField(err, "subject") || !pmstest.HasField(err, "language") {
		t.Fatalf("empty subject and bad language: %v", err)
	}

	good := base
	good.HTML = "<p>{{.Property.Name}} &amp; {{.Guest.Name}}</p>"
	out := pmstest.Must(gm.Preview(f.Ctx, good))(t)
	if out.Subject != "Hi Ana Example" || out.HTML != "<p>Hotel Test &amp; Ana Example</p>" {
		t.Fatalf("preview: %+v", out)
	}
	saved := pmstest.Must(gm.SaveTemplate(f.Ctx, good))(t)
	if !saved.Custom || saved.Version != 1 {
		t.Fatalf("saved: %+v", saved)
	}
	got := pmstest.Must(gm.GetTemplate(f.Ctx, f.Prop.ID, guestmail.KindPreArrival, "EN"))(t)
	if got.Subject != good.Subject || !got.Custom {
		t.Fatalf("stored template: %+v", got)
	}
	stale := good
	stale.Version = 7
	_, err = gm.SaveTemplate(f.Ctx, stale)
	pmstest.WantCode(t, err, aura.EPRECONDITION)
	pmstest.Must(struct{}{}, gm.ResetTemplate(f.Ctx, f.Prop.ID, guestmail.KindPreArrival, "en"))(t)
	if got := pmstest.Must(gm.GetTemplate(f.Ctx, f.Prop.ID, guestmail.KindPreArrival, "en"))(t); got.Custom || got.Subject == good.Subject {
		t.Fatalf("after reset: %+v", got)
	}
	f.VerifyAudit(t)
}

// TestGuestMailBookerAndGuest: when someone books a stay for another
// person, the confirmation goes to both (each in their own language,
// greeting them and naming the guest who stays, recorded on and sealed
// under each one's key), the pre-arrival message only to the guest who
// stays, and the cancellation to both, since both were told about the
// stay. A booker who also stays gets one message of each kind.
func TestGuestMailBookerAndGuest(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2026-03-02")
	gm := guestmail.New(f.DB)
	srv := auratest.NewSMTPServer(t)
	smtpc := mailer.SMTP{Addr: srv.Addr, From: "hotel@example.com"}
	pmstest.Must(gm.SetSettings(f.Ctx, guestmail.Settings{PropertyID: f.Prop.ID, Enabled: true, PreArrivalDays: 3}))(t)

	in := f.Booking(f.Day(10), f.Day(12))
	in.Booker.New = &stays.GuestInput{GivenName: "Sabine", FamilyName: "Sekretariat", Email: "sabine@example.com", Language: "de"}
	in.Reservations[0].Guest = &stays.GuestRef{New: &stays.GuestInput{GivenName: "Tom", FamilyName: "Traveller", Email: "tom@example.com", Language: "en"}}
	b := pmstest.Must(stays.New(f.DB).CreateBooking(f.Ctx, in))(t)
	r := b.Reservations[0]
	if r.GuestID == b.BookerID {
		t.Fatal("the fixture booked the booker as the guest")
	}
	self := book(t, f, "Selma", "selma@example.com", "en", 10)

	pmstest.Must(gm.Plan(f.Ctx))(t)
	if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Sent != 3 {
		t.Fatalf("confirmations: %+v, want 3 sent (booker, guest, a booker who stays)", d)
	}
	to := map[string]auratest.ReceivedMail{}
	for _, m := range srv.Mails() {
		if len(m.To) != 1 {
			t.Fatalf("a message to %v", m.To)
		}
		if _, dup := to[m.To[0]]; dup {
			t.Fatalf("%s got two confirmations", m.To[0])
		}
		to[m.To[0]] = m
	}
	booker, guest := to["sabine@example.com"], to["tom@example.com"]
	if !strings.HasPrefix(booker.Subject, "Ihre Buchung im Hotel Test") || !strings.Contains(booker.Text, "Guten Tag Sabine Sekretariat") ||
		!strings.Contains(booker.Text, "Gast: Tom Traveller") || !strings.Contains(booker.HTML, "<td>Tom Traveller</td>") {
		t.Fatalf("the booker's confirmation (German, greeting her, naming the guest):\n%s\n%s", booker.Subject, booker.Text)
	}
	if !strings.HasPrefix(guest.Subject, "Your booking at Hotel Test") || !strings.Contains(guest.Text, "Dear Tom Traveller") {
		t.Fatalf("the guest's confirmation (English, greeting him):\n%s\n%s", guest.Subject, guest.Text)
	}
	if _, ok := to["selma@example.com"]; !ok {
		t.Fatal("a booker who stays got no confirmation")
	}
	// Each message is recorded on its recipient, and the stay lists both.
	if m := byKind(t, f, b.BookerID, guestmail.KindConfirmation); m.Recipient != "sabine@example.com" || m.ReservationID != r.ID {
		t.Fatalf("the booker's record: %+v", m)
	}
	if m := byKind(t, f, r.GuestID, guestmail.KindConfirmation); m.Recipient != "tom@example.com" {
		t.Fatalf("the guest's record: %+v", m)
	}
	if rm := pmstest.Must(gm.ReservationMessages(f.Ctx, r.ID))(t); len(rm) != 2 {
		t.Fatalf("the stay lists %d messages, want 2", len(rm))
	}
	if ms := pmstest.Must(gm.GuestMessages(f.Ctx, self.GuestID))(t); len(ms) != 1 {
		t.Fatalf("a booker who stays has %d messages, want 1", len(ms))
	}

	f.At(f.Day(8), 9, 0)
	pmstest.Must(gm.Plan(f.Ctx))(t)
	if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Sent != 2 {
		t.Fatalf("pre-arrival: %+v, want 2 sent (the two guests who stay)", d)
	}
	for _, m := range pmstest.Must(gm.GuestMessages(f.Ctx, b.BookerID))(t) {
		if m.Kind == guestmail.KindPreArrival {
			t.Fatal("the booker, who does not stay, got the pre-arrival message")
		}
	}
	byKind(t, f, r.GuestID, guestmail.KindPreArrival)

	pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, r.ID, stays.CancelInput{}))(t)
	pmstest.Must(gm.Plan(f.Ctx))(t)
	if d := pmstest.Must(gm.Deliver(f.Ctx, smtpc))(t); d.Sent != 2 {
		t.Fatalf("cancellation: %+v, want 2 sent (booker and guest)", d)
	}
	mails := srv.Mails()
	got := map[string]bool{}
	for _, m := range mails[len(mails)-2:] {
		got[m.To[0]] = true
		if !strings.Contains(m.Text, "Tom Traveller") {
			t.Fatalf("a cancellation that does not name the guest:\n%s", m.Text)
		}
	}
	if !got["sabine@example.com"] || !got["tom@example.com"] {
		t.Fatalf("cancellations went to %v", got)
	}
	if n := pmstest.Must(gm.Plan(f.Ctx))(t); n != 0 {
		t.Fatalf("planning again recorded %d more", n)
	}
	f.VerifyAudit(t)
}
