package web

import (
	"context"
	"sync"
	"time"

	"github.com/aurapms/aura/credential"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/identity"
)

// tokenCacheTTL is how long a verified API token is taken on trust without
// a look-up in the tenant's file, provided nothing was written to that
// file in the meantime. tokenCacheMax bounds the entries (the cache is
// emptied when it is full).
const (
	tokenCacheTTL = 5 * time.Second
	tokenCacheMax = 4096
)

// tokenCache remembers the API tokens verified in the last few seconds, so
// a busy integration does not pay a read transaction (the token and its
// user) on every request. An entry is keyed by the token's hash (the form
// the tenant's file stores; the token's text is never kept) and is used
// only while
//   - it was verified on the same open handle of the tenant's file,
//   - no write transaction has ended on that handle since the verification
//     began (tenant.DB.Writes): revoking a token, disabling, removing or
//     re-roling a user, or any other write, makes every entry of that
//     tenant stale at once, so a revocation applies to the next request,
//   - it is younger than tokenCacheTTL and the token has not expired since.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]tokenEntry
}

type tokenEntry struct {
	db     *tenant.DB
	writes uint64
	at     time.Time
	token  identity.APIToken
	user   identity.User
}

// verifyToken authenticates a presented API token on the tenant's handle:
// from the cache when an entry is still valid, else by identity's look-up
// (whose result is then cached).
func (s *Server) verifyToken(ctx context.Context, db *tenant.DB, tok *credential.Token) (identity.APIToken, identity.User, error) {
	key := string(tok.Hash)
	now := s.Cfg.Now()
	c := &s.tokens
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && e.db == db && e.writes == db.Writes() && !now.Before(e.at) && now.Sub(e.at) < tokenCacheTTL && e.token.Active(now) {
		return e.token, e.user, nil
	}
	writes := db.Writes() // read before the look-up: a write during it makes the entry stale
	t, u, err := identity.New(db).TokenByText(ctx, tok.Text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.m, key)
		return t, u, err
	}
	if c.m == nil || len(c.m) >= tokenCacheMax {
		c.m = make(map[string]tokenEntry)
	}
	c.m[key] = tokenEntry{db: db, writes: writes, at: now, token: t, user: u}
	return t, u, nil
}
