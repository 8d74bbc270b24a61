package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/server/pms"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/gorilla/securecookie"
)

// New returns a Server for cfg: it loads the server secrets (password
// pepper, cookie keys) from the platform DB, parses every page template
// (failing on a missing or broken one) and builds both route trees from the
// route table.
func New(cfg web.Config) (*web.Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sessions.Idle == 0 {
		cfg.Sessions = identity.DefaultSessionPolicy
	}
	if cfg.StaffSessions.Idle == 0 {
		cfg.StaffSessions = platform.DefaultStaffSessionPolicy
	}
	for _, f := range []struct{ v, def *int }{{&cfg.Throttle.AccountFailures, &web.DefaultThrottle.AccountFailures}, {&cfg.Throttle.IPFailures, &web.DefaultThrottle.IPFailures}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	for _, f := range []struct{ v, def *time.Duration }{{&cfg.Throttle.Delay, &web.DefaultThrottle.Delay}, {&cfg.Throttle.MaxDelay, &web.DefaultThrottle.MaxDelay}, {&cfg.Throttle.Forget, &web.DefaultThrottle.Forget}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, aura.Errorf(aura.EINVALID, "The base URL %q must be an absolute http(s) address such as https://pms.example.com.", cfg.BaseURL)
		}
	}
	ctx := context.Background()
	secret := func(name string) []byte {
		if b, err := cfg.Platform.Secret(ctx, name); err == nil {
			return b
		}
		return nil
	}
	pepper, hashKey, blockKey := secret(platform.SecretPasswordPepper), secret(platform.SecretCookieHash), secret(platform.SecretCookieBlock)
	// The platform seal and the throttle's key are read once here, so a
	// broken key fails at start-up, not at the first sign-in.
	throttleKey := secret(platform.SecretLoginThrottle)
	if _, err := cfg.Platform.Secret(ctx, platform.SecretPlatformSeal); err != nil || pepper == nil || hashKey == nil || blockKey == nil || throttleKey == nil {
		return nil, aura.Errorf(aura.EINTERNAL, "The server secrets cannot be read from the platform DB: %v", err)
	}
	h, err := credential.NewHasher(pepper)
	if err != nil {
		return nil, err
	}
	sc := securecookie.New(hashKey, blockKey)
	sc.SetSerializer(securecookie.JSONEncoder{})
	sc.MaxAge(int(max(cfg.Sessions.Absolute, cfg.StaffSessions.Absolute, 24*time.Hour) / time.Second))
	s := &web.Server{Cfg: cfg, Hasher: h, Cookies: sc, Devices: web.NewDeviceCodec(hashKey, blockKey),
		Throttle: web.NewThrottle(cfg.Throttle, cfg.Now, cfg.Platform, cfg.Logger)}
	s.Throttle.Observer = cfg.Observer
	if s.Pages, err = web.LoadPages(); err != nil {
		return nil, err
	}
	s.RouteTable = handlersOf(s).routeTable()
	s.Calendars = pms.New(s).CalendarFeed()
	if err := s.BuildRouters(); err != nil {
		return nil, err
	}
	s.Cop = http.NewCrossOriginProtection()
	s.Cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.RenderError(w, r, web.IsAPIPath(r.URL.Path), aura.Errorf(aura.EFORBIDDEN, "This cross-origin request was refused: a form on another site cannot act on your Aura account."))
	}))
	return s, nil
}
