package payments_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/tenant/payments"
)

func TestSettings(t *testing.T) {
	f := newFixture(t, mock)
	t.Run("OK", func(t *testing.T) {
		st := must(f.s.Settings(f.ctx))(t)
		if st.AccountID != account || st.PublishableKey != pkTest || st.Livemode || !st.HasSecretKey || !st.HasWebhookSecret || st.Version != 1 {
			t.Fatalf("settings = %+v", st)
		}
	})
	t.Run("SecretsSealed", func(t *testing.T) {
		// Scan, so the write connection is given back (Row.Err keeps it).
		var busy, logged, moved int
		if err := f.db.SQL().Write.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &moved); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{f.db.Path, f.db.Path + "-wal"} {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			for _, secret := range []string{skTest, whsec, strings.TrimPrefix(whsec, "whsec_")} {
				if bytes.Contains(b, []byte(secret)) {
					t.Fatalf("%s holds a Stripe secret in plaintext", p)
				}
			}
		}
		var audit string
		if err := f.db.SQL().Read.QueryRow(`SELECT coalesce(before_json, '') || after_json FROM audit_log WHERE action = 'stripe.settings_changed'`).Scan(&audit); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(audit, skTest) || strings.Contains(audit, "whsec_") || !strings.Contains(audit, `"secret_key_changed":true`) ||
			!strings.Contains(audit, pkTest) {
			t.Fatalf("the audit row of the settings: %s", audit)
		}
	})
	t.Run("KeepsSecrets", func(t *testing.T) {
		st := must(f.s.Configure(f.ctx, payments.SettingsInput{AccountID: account, PublishableKey: "pk_test_51AuraOtherKey000", Version: 1}))(t)
		if !st.HasSecretKey || !st.HasWebhookSecret || st.Version != 2 {
			t.Fatalf("settings = %+v", st)
		}
		var after string
		f.db.SQL().Read.QueryRow(`SELECT after_json FROM audit_log WHERE action = 'stripe.settings_changed' ORDER BY seq DESC LIMIT 1`).Scan(&after)
		if !strings.Contains(after, `"secret_key_changed":false`) || !strings.Contains(after, `"webhook_secret_changed":false`) {
			t.Fatalf("the audit row of a change that kept the secrets: %s", after)
		}
		// The kept secret key is the one Stripe receives.
		mark := f.srv.Mark()
		must(f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, BusinessDate: f.today, IdempotencyKey: key()}))(t)
		reqs := f.srv.Since(mark, "POST", "/v1/payment_intents")
		if len(reqs) != 1 || reqs[0].Authorization != "Bearer "+skTest {
			t.Fatalf("requests after the change: %+v", reqs)
		}
	})
	t.Run("ErrStale", func(t *testing.T) {
		_, err := f.s.Configure(f.ctx, payments.SettingsInput{AccountID: account, PublishableKey: pkTest, Version: 1})
		wantCode(t, err, aura.EPRECONDITION)
	})
	bad := []struct {
		name, field string
		in          payments.SettingsInput
	}{
		{"ErrAccount", "account_id", payments.SettingsInput{AccountID: "acct 1", PublishableKey: pkTest}},
		{"ErrPublishable", "publishable_key", payments.SettingsInput{AccountID: account, PublishableKey: skTest}},
		{"ErrSecretIsPublishable", "secret_key", payments.SettingsInput{AccountID: account, PublishableKey: pkTest, SecretKey: pkTest}},
		{"ErrWebhookSecret", "webhook_secret", payments.SettingsInput{AccountID: account, PublishableKey: pkTest, WebhookSecret: "secret"}},
		{"ErrModesMixed", "secret_key", payments.SettingsInput{AccountID: account, PublishableKey: "pk_live_51AuraLiveKey000", SecretKey: skTest}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.s.Configure(f.ctx, c.in)
			wantField(t, err, c.field)
		})
	}
	t.Run("ErrFirstWithoutSecret", func(t *testing.T) {
		env := auratest.New(t, auratest.Options{})
		env.CreateTenant(t, "other")
		s := payments.New(env.Acquire(t, "other"), payments.Options{Backend: mock.Backend(nil)})
		_, err := s.Configure(f.ctx, payments.SettingsInput{AccountID: account, PublishableKey: pkTest})
		wantField(t, err, "secret_key")
		_, err = s.Settings(f.ctx)
		wantCode(t, err, aura.ENOTIMPLEMENTED)
		_, err = s.TakePayment(f.ctx, payments.PaymentInput{FolioID: "fol_x", Amount: 100, BusinessDate: f.today, IdempotencyKey: key()})
		wantCode(t, err, aura.ENOTIMPLEMENTED)
	})
}
