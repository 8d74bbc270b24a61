package payments

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/tenant"
	"github.com/stripe/stripe-go/v85"
)

// Settings is the tenant's Stripe account as pages and the API show it:
// never the secret key or the webhook signing secret, only whether they
// are set. Livemode follows the keys (sk_live_/pk_live_ or _test_).
type Settings struct {
	AccountID        string    `json:"account_id"`
	PublishableKey   string    `json:"publishable_key"`
	Livemode         bool      `json:"livemode"`
	HasSecretKey     bool      `json:"has_secret_key"`
	HasWebhookSecret bool      `json:"has_webhook_secret"`
	Version          int       `json:"version"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// SettingsInput sets the tenant's Stripe account. SecretKey (sk_… or a
// restricted rk_…) and WebhookSecret (whsec_…) are stored sealed; an empty
// one keeps the stored value (a page never shows them, so it cannot send
// them back). Version is the If-Match version (0: do not check).
type SettingsInput struct {
	AccountID      string `json:"account_id"`
	PublishableKey string `json:"publishable_key"`
	SecretKey      string `json:"secret_key,omitempty"`
	WebhookSecret  string `json:"webhook_secret,omitempty"`
	Version        int    `json:"version,omitempty"`
}

var (
	reAccount     = regexp.MustCompile(`^acct_[A-Za-z0-9]{1,250}$`)
	rePublishable = regexp.MustCompile(`^pk_(test|live)_[A-Za-z0-9]{8,250}$`)
	reSecret      = regexp.MustCompile(`^(sk|rk)_(test|live)_[A-Za-z0-9]{8,250}$`)
	reWebhook     = regexp.MustCompile(`^whsec_[A-Za-z0-9+/=]{8,250}$`)
)

// settings is the stored row with its secrets unsealed.
type settings struct {
	Settings
	secretKey     string
	webhookSecret string
}

// Configure stores the tenant's Stripe account: account id and publishable
// key plain, secret key and webhook signing secret sealed. The audit row
// ("stripe.settings_changed") has the plain fields before and after and,
// for each secret, only whether it was set and whether it changed. Errors:
// EINVALID naming the fields (a key of the wrong kind, test and live keys
// mixed, a first configuration without a secret key), EPRECONDITION for a
// stale version.
func (s *Store) Configure(ctx context.Context, in SettingsInput) (Settings, error) {
	in.AccountID, in.PublishableKey = strings.TrimSpace(in.AccountID), strings.TrimSpace(in.PublishableKey)
	in.SecretKey, in.WebhookSecret = strings.TrimSpace(in.SecretKey), strings.TrimSpace(in.WebhookSecret)
	var fe fieldErrors
	if !isID(reAccount, in.AccountID) {
		fe.add("account_id", "must be a Stripe account id (acct_…)")
	}
	if !isID(rePublishable, in.PublishableKey) {
		fe.add("publishable_key", "must be a publishable key (pk_test_… or pk_live_…)")
	}
	if in.SecretKey != "" && !reSecret.MatchString(in.SecretKey) {
		fe.add("secret_key", "must be a secret key (sk_test_…, sk_live_…) or a restricted key (rk_…)")
	}
	if in.WebhookSecret != "" && !reWebhook.MatchString(in.WebhookSecret) {
		fe.add("webhook_secret", "must be a webhook signing secret (whsec_…)")
	}
	if err := fe.err("The Stripe settings are not valid."); err != nil {
		return Settings{}, err
	}
	live := strings.HasPrefix(in.PublishableKey, "pk_live_")
	var out Settings
	err := s.db.Update(ctx, func(tx *tenant.Tx) error {
		before, err := s.settings(tx)
		exists := err == nil
		if err != nil && aura.ErrorCode(err) != aura.ENOTIMPLEMENTED {
			return err
		}
		if exists && in.Version != 0 && in.Version != before.Version {
			return aura.Errorf(aura.EPRECONDITION, "The Stripe settings were changed by someone else (version %d, you sent %d); reload them and try again.", before.Version, in.Version)
		}
		secret, hook := in.SecretKey, in.WebhookSecret
		if secret == "" {
			secret = before.secretKey
		}
		if hook == "" {
			hook = before.webhookSecret
		}
		if secret == "" {
			return aura.Invalid("The Stripe settings are not valid.", aura.FieldError{Field: "secret_key", Message: "is required"})
		}
		if strings.Contains(secret, "_live_") != live {
			return aura.Invalid("The Stripe keys are of different modes.", aura.FieldError{Field: "secret_key",
				Message: "must be of the same mode (test or live) as the publishable key"})
		}
		out = Settings{AccountID: in.AccountID, PublishableKey: in.PublishableKey, Livemode: live, HasSecretKey: true,
			HasWebhookSecret: hook != "", Version: before.Version + 1, UpdatedAt: tx.Now}
		var sealedHook any
		if hook != "" {
			sealedHook = s.db.Seal("stripe_settings", "webhook_secret", "1", []byte(hook))
		}
		if _, err := tx.Exec(`INSERT INTO stripe_settings (id, account_id, publishable_key, livemode, secret_key, webhook_secret, version, created_at, updated_at)
			VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, publishable_key = excluded.publishable_key, livemode = excluded.livemode,
				secret_key = excluded.secret_key, webhook_secret = excluded.webhook_secret, version = excluded.version, updated_at = excluded.updated_at`,
			out.AccountID, out.PublishableKey, out.Livemode, s.db.Seal("stripe_settings", "secret_key", "1", []byte(secret)), sealedHook,
			out.Version, formatTime(tx.Now), formatTime(tx.Now)); err != nil {
			return err
		}
		var b any
		if exists {
			b = settingsAudit(before.Settings, nil)
		}
		return tx.Audit(audit.Entry{Action: "stripe.settings_changed", EntityType: "stripe_settings", EntityID: out.AccountID,
			Before: b, After: settingsAudit(out, map[string]bool{
				"secret_key_changed":     secret != before.secretKey,
				"webhook_secret_changed": hook != before.webhookSecret,
			})})
	})
	return out, err
}

// settingsAudit is what an audit row records of the settings: never a
// secret, only whether each is set (and, after a change, whether it changed).
func settingsAudit(st Settings, changed map[string]bool) map[string]any {
	m := map[string]any{"account_id": st.AccountID, "publishable_key": st.PublishableKey, "livemode": st.Livemode,
		"secret_key_set": st.HasSecretKey, "webhook_secret_set": st.HasWebhookSecret}
	for k, v := range changed {
		m[k] = v
	}
	return m
}

// Settings returns the tenant's Stripe account (no secrets), or
// ENOTIMPLEMENTED when Stripe is not set up for the tenant.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	var st settings
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		st, err = s.settings(tx)
		return err
	})
	return st.Settings, err
}

func (s *Store) settings(tx *tenant.Tx) (settings, error) {
	var st settings
	var secret, hook []byte
	var updated string
	err := tx.QueryRow(`SELECT account_id, publishable_key, livemode, secret_key, webhook_secret, version, updated_at FROM stripe_settings WHERE id = 1`).
		Scan(&st.AccountID, &st.PublishableKey, &st.Livemode, &secret, &hook, &st.Version, &updated)
	if err == sql.ErrNoRows {
		return st, aura.Errorf(aura.ENOTIMPLEMENTED, "Stripe is not set up for this tenant: add the account's keys in the Stripe settings first.")
	} else if err != nil {
		return st, err
	}
	st.UpdatedAt = parseTime(updated)
	pt, err := s.db.Unseal("stripe_settings", "secret_key", "1", secret)
	if err != nil {
		return st, err
	}
	st.secretKey, st.HasSecretKey = string(pt), true
	if hook != nil {
		pt, err := s.db.Unseal("stripe_settings", "webhook_secret", "1", hook)
		if err != nil {
			return st, err
		}
		st.webhookSecret, st.HasWebhookSecret = string(pt), true
	}
	return st, nil
}

// client returns a Stripe client with the tenant's secret key, or
// ENOTIMPLEMENTED when Stripe is not set up.
func (s *Store) client(ctx context.Context) (*stripe.Client, settings, error) {
	var st settings
	err := s.db.View(ctx, func(tx *tenant.Tx) error {
		var err error
		st, err = s.settings(tx)
		return err
	})
	if err != nil {
		return nil, st, err
	}
	if s.backend == nil {
		return stripe.NewClient(st.secretKey), st, nil
	}
	b := s.backend
	return stripe.NewClient(st.secretKey, stripe.WithBackends(&stripe.Backends{API: b, Connect: b, Uploads: b, MeterEvents: b})), st, nil
}
