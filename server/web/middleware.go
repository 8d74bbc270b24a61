package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/credential"
)

// reqState is what the top of the request knows and the bottom fills in:
// the request id, the tenant slug once resolved, and the status written.
type reqState struct {
	id     string
	tenant string
	status int
	start  time.Time
	// route is the pattern that served the request ("/:tenant/users"),
	// the metrics label; empty when none matched.
	route string
}

type stateKey struct{}

func state(r *http.Request) *reqState {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// Logger returns the logger of the request: every line carries the request
// id and, once known, the tenant slug.
func (s *Server) Logger(r *http.Request) *slog.Logger {
	st := state(r)
	l := s.Cfg.Logger.With("request_id", st.id)
	if st.tenant != "" {
		l = l.With("tenant", st.tenant)
	}
	return l
}

type statusWriter struct {
	http.ResponseWriter
	st    *reqState
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.st.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.st.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives the request an id, carries it (with the client's address
// and user agent) in the context for audit rows, recovers a panic into a
// 500 page, and writes one access-log line per request.
func (s *Server) observe(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	st := &reqState{id: "req_" + credential.RandomString(16), start: time.Now()}
	ctx := context.WithValue(r.Context(), stateKey{}, st)
	ctx = aura.WithRequest(ctx, aura.RequestInfo{RequestID: st.id, IP: clientIP(r), UserAgent: r.UserAgent()})
	r = r.WithContext(ctx)
	sw := &statusWriter{ResponseWriter: w, st: st}
	w.Header().Set("X-Request-Id", st.id)
	// Every body is bounded: here by the largest limit of any route, then
	// by its own route's limit (Route.MaxBody), and the JSON API applies a
	// tighter limit itself.
	r.Body = http.MaxBytesReader(sw, r.Body, maxUploadBytes)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Logger(r).Error("panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !sw.wrote {
				s.RenderError(sw, r, IsAPIPath(r.URL.Path), aura.Errorf(aura.EINTERNAL, "panic"))
			}
		}
		// One line per request at debug level: a busy desk would otherwise
		// flood the console. Server errors stand out at error level.
		level := slog.LevelDebug
		if st.status >= 500 {
			level = slog.LevelError
		}
		took := time.Since(st.start)
		// The line is built only when the logger writes it: at the usual
		// info level a successful request costs no allocation here.
		if s.Cfg.Logger.Enabled(r.Context(), level) {
			s.Logger(r).Log(r.Context(), level, "request", "method", r.Method, "path", redactPath(r.URL.Path), "status", st.status,
				"duration_ms", took.Milliseconds(), "ip", clientIP(r))
		}
		if s.Cfg.Observer != nil {
			route := st.route
			if route == "" {
				route = "unmatched"
			}
			s.Cfg.Observer.Request(route, r.Method, st.status, took)
		}
	}()
	next(sw, r)
}

// redactPath hides the secrets that travel in paths (invitation tokens,
// calendar tokens) from logs.
func redactPath(p string) string {
	if i := strings.Index(p, "/invite/"); i >= 0 {
		return p[:i] + "/invite/(redacted)"
	}
	if strings.HasPrefix(p, "/ical/") {
		return "/ical/(redacted)"
	}
	return p
}

// clientIP is the address of the connection's peer. Aura terminates TLS
// itself; it does not trust forwarding headers.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// contentSecurityPolicy allows scripts, styles and images from this origin
// only: no inline script, no framing, forms post only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every response carries; HSTS on HTTPS.
func (s *Server) securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

func IsAPIPath(p string) bool {
	// /{tenant}/api/…
	rest := strings.TrimPrefix(p, "/")
	i := strings.IndexByte(rest, '/')
	return i > 0 && strings.HasPrefix(rest[i:], "/api/")
}
