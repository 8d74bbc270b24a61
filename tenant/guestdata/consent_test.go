package guestdata_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/stays"
)

// TestConsent records a marketing opt-in and its withdrawal with time
// and source (audited old and new), refuses a bad source, a repeated
// answer and a stale version, puts the consent in the export (JSON and
// consents.csv) and deletes it with the anonymisation.
func TestConsent(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2026-03-02")
	gd := guestdata.New(f.DB)
	g := pmstest.Must(stays.New(f.DB).CreateGuest(f.Ctx, stays.GuestInput{GivenName: "Cora", FamilyName: "Consenta"}))(t)

	if cs := pmstest.Must(gd.Consents(f.Ctx, g.ID))(t); len(cs) != 0 {
		t.Fatalf("a new guest has consents: %+v", cs)
	}
	_, err := gd.SetConsent(f.Ctx, g.ID, guestdata.Consent{Kind: guestdata.ConsentMarketingEmail, Granted: true, Source: "carrier pigeon"})
	pmstest.WantCode(t, err, aura.EINVALID)
	if !pmstest.HasField(err, "source") {
		t.Fatalf("bad source: %v", err)
	}
	c := pmstest.Must(gd.SetConsent(f.Ctx, g.ID, guestdata.Consent{Kind: guestdata.ConsentMarketingEmail, Granted: true, Source: "front_desk"}))(t)
	if !c.Granted || c.Version != 1 || !c.At.Equal(f.Clock.Now().UTC().Truncate(time.Second)) {
		t.Fatalf("consent %+v", c)
	}
	if action, after := pmstest.LastAction(t, f); action != "guest.consent_changed" || !strings.Contains(after, `"source":"front_desk"`) {
		t.Fatalf("audit %s %s", action, after)
	}
	_, err = gd.SetConsent(f.Ctx, g.ID, guestdata.Consent{Kind: guestdata.ConsentMarketingEmail, Granted: true, Source: "email"})
	pmstest.WantCode(t, err, aura.ECONFLICT)
	_, err = gd.SetConsent(f.Ctx, g.ID, guestdata.Consent{Kind: guestdata.ConsentMarketingEmail, Granted: false, Source: "email", Version: 7})
	pmstest.WantCode(t, err, aura.EPRECONDITION)
	f.Clock.Advance(time.Hour)
	c = pmstest.Must(gd.SetConsent(f.Ctx, g.ID, guestdata.Consent{Kind: guestdata.ConsentMarketingEmail, Granted: false, Source: "email", Version: 1}))(t)
	if c.Granted || c.Version != 2 || c.Source != "email" {
		t.Fatalf("withdrawn %+v", c)
	}
	if _, after := pmstest.LastAction(t, f); !strings.Contains(after, `"granted":false`) {
		t.Fatalf("audit after %s", after)
	}

	js := pmstest.Must(gd.Export(f.Ctx, g.ID, guestdata.FormatJSON))(t)
	if !strings.Contains(string(js.Body), `"consents":[{"kind":"marketing_email","granted":false,"source":"email"`) {
		t.Fatalf("the export has no consent: %s", js.Body)
	}
	if csv := zipFile(t, pmstest.Must(gd.Export(f.Ctx, g.ID, guestdata.FormatZIP))(t).Body, "consents.csv"); !strings.Contains(csv, "marketing_email,false,email,") {
		t.Fatalf("consents.csv:\n%s", csv)
	}
	res := pmstest.Must(gd.Erase(f.Ctx, g.ID, 0))(t)
	if res.Consents != 1 {
		t.Fatalf("erasure deleted %d consents", res.Consents)
	}
	if cs := pmstest.Must(gd.Consents(f.Ctx, g.ID))(t); len(cs) != 0 {
		t.Fatalf("consents after the erasure: %+v", cs)
	}
	_, err = gd.SetConsent(f.Ctx, g.ID, guestdata.Consent{Kind: guestdata.ConsentMarketingEmail, Granted: true, Source: "web"})
	pmstest.WantCode(t, err, aura.ECONFLICT)
	f.VerifyAudit(t)
}
