package server_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/mailer"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/stays"
)

// TestGuestEmails runs guest communication over HTTP: the settings page
// (inline error for a bad lead, then turned on), the template editor
// (a template that does not parse shows its error beside the field; a
// preview; a save), a booking whose confirmation goes out through a real
// SMTP exchange in the property's own wording, and the message on the
// guest page and the stay's page.
func TestGuestEmails(t *testing.T) {
	srv := auratest.NewSMTPServer(t)
	mail := web.MailConfig{Addr: srv.Addr, From: "Hotel Am See <hotel@example.com>"}
	h := newHarness(t, harnessOpts{mail: mail})
	f := newPMS(t, h, "alpha", 2).signIn()

	resp, page := f.page("GET", "/settings/guest-emails", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "guest-email-templates") || strings.Contains(page, `id="no-smtp"`) {
		t.Fatalf("settings page: %d", resp.StatusCode)
	}
	resp, page = f.page("POST", "/settings/guest-emails", url.Values{"property_id": {f.prop.ID}, "enabled": {"on"}, "pre_arrival_days": {"99"}, "idempotency_key": {"g1"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `class="field-error"`) || !strings.Contains(page, "0 to 60") {
		t.Fatalf("a bad lead: %d, want 400 with the error beside the field", resp.StatusCode)
	}
	if resp, _ := f.page("POST", "/settings/guest-emails", url.Values{"property_id": {f.prop.ID}, "enabled": {"on"}, "pre_arrival_days": {"2"},
		"idempotency_key": {"g2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turning emails on: %d", resp.StatusCode)
	}

	resp, page = f.page("GET", "/settings/guest-emails/template?kind=confirmation&language=en", nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `id="preview-subject"`) || !strings.Contains(page, "Your booking at Hotel Am See") {
		t.Fatalf("template editor: %d", resp.StatusCode)
	}
	form := func(action, text string) url.Values {
		return url.Values{"property_id": {f.prop.ID}, "kind": {"confirmation"}, "language": {"en"}, "action": {action},
			"subject": {"Booked: {{.Property.Name}} for {{.Guest.Name}}"}, "body_text": {text}, "body_html": {"<p>{{.Stay.Dates}}</p>"}, "idempotency_key": {"t-" + action}}
	}
	resp, page = f.page("POST", "/settings/guest-emails/template", form("preview", "Hello {{.Guest.Name"))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="f-body_text-error"`) || !strings.Contains(page, "Hello {{.Guest.Name") {
		t.Fatalf("a broken template: %d, want 400 with the error beside the text and the text kept", resp.StatusCode)
	}
	resp, page = f.page("POST", "/settings/guest-emails/template", form("preview", "Hello {{.Guest.Name}}, see you at {{.Property.Name}}."))
	if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(page), "Hello Ana Example, see you at Hotel Am See.") {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	if resp, _ := f.page("POST", "/settings/guest-emails/template", form("save", "Hello {{.Guest.Name}}, see you at {{.Property.Name}}.")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}

	h.clock.Advance(61e9)
	body := strings.Replace(f.bookingJSON("Ernestine", f.today.AddDays(10), f.today.AddDays(12)), `"family_name": "Tester"`,
		`"family_name": "Tester", "email": "ernestine@example.com"`, 1)
	resp, out := f.api("POST", "/bookings", body)
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %s", resp.StatusCode, out)
	}
	res := decode[stays.Booking](t, out).Reservations[0]
	// One run of what the guest-mail job of aura serve does.
	db := h.acquire("alpha")
	ctx := aura.WithActor(context.Background(), aura.SystemActor("guest-mail"))
	var d guestmail.Delivery
	func(db *tenant.DB) {
		defer db.Release()
		if _, err := guestmail.New(db).Plan(ctx); err != nil {
			t.Fatal(err)
		}
		var err error
		if d, err = guestmail.New(db).Deliver(ctx, mailer.SMTP{Addr: mail.Addr, From: mail.From}); err != nil {
			t.Fatal(err)
		}
	}(db)
	mails := srv.Mails()
	if d.Sent != 1 || len(mails) != 1 || mails[0].To[0] != "ernestine@example.com" || mails[0].Subject != "Booked: Hotel Am See for Ernestine Tester" ||
		!strings.Contains(mails[0].Text, "Hello Ernestine Tester, see you at Hotel Am See.") {
		t.Fatalf("delivery %+v, mails %+v", d, mails)
	}
	for _, path := range []string{"/guests/" + res.GuestID, "/reservations/" + res.ID} {
		resp, page := f.page("GET", path, nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "Booked: Hotel Am See for Ernestine Tester") || !strings.Contains(page, "Sent ") ||
			!strings.Contains(page, "ernestine@example.com") {
			t.Fatalf("%s does not show the email (%d)", path, resp.StatusCode)
		}
	}
}

// TestGuestConsent records a marketing opt-in from the guest page: a form
// without an answer is 400 with the error beside the field; the answer
// shows on the page with how it was given and is in the export.
func TestGuestConsent(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	f := newPMS(t, h, "alpha", 1).signIn()
	resp, out := f.api("POST", "/guests", `{"given_name": "Cora", "family_name": "Consenta"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("guest: %d %s", resp.StatusCode, out)
	}
	g := decode[stays.Guest](t, out)
	resp, page := f.page("POST", "/guests/"+g.ID+"/consent", url.Values{"source": {"phone"}, "idempotency_key": {"c1"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="consent-form"`) || !strings.Contains(page, "must be yes or no") {
		t.Fatalf("no answer: %d", resp.StatusCode)
	}
	if resp, _ := f.page("POST", "/guests/"+g.ID+"/consent", url.Values{"granted": {"yes"}, "source": {"phone"}, "version": {"0"}, "idempotency_key": {"c2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	resp, page = f.page("GET", "/guests/"+g.ID, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "<strong>agreed</strong> by phone on") {
		t.Fatalf("the guest page does not show the consent (%d)", resp.StatusCode)
	}
	resp, out = f.api("GET", "/guests/"+g.ID+"/export?format=json", "")
	if resp.StatusCode != 200 || !strings.Contains(out, `"consents":[{"kind":"marketing_email","granted":true,"source":"phone"`) {
		t.Fatalf("export: %d %s", resp.StatusCode, out)
	}
}
