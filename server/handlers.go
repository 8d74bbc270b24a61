package server

import "github.com/aurapms/aura/server/web"

// handlers are the handlers this package keeps (sign-in, account, users,
// tokens, audit, platform and backup pages, the identity API, OpenAPI) over
// the HTTP core; it embeds the *web.Server they run in.
type handlers struct{ *web.Server }

// handlersOf returns the handlers of a server.
func handlersOf(s *web.Server) handlers { return handlers{s} }
