// Package server is Aura's HTTP layer: one small dispatcher over two route
// trees (tenant routes under /{tenant}/ and staff routes under /platform/),
// the middleware every response passes through, the html/template pages and
// the JSON API. It is the only package that knows HTTP, templates and cookies.
package server

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/aurapms/aura/control"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
)

// Config wires the server to the rest of Aura.
type Config struct {
	Platform *platform.DB
	Router   *tenant.Router
	Control  *control.Service
	Logger   *slog.Logger
	// Dev serves plain HTTP on loopback; cookies then omit Secure.
	Dev bool
}

// Server is the top-level HTTP handler.
type Server struct {
	cfg Config
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Server{cfg: cfg}
}

// ServeHTTP dispatches a request to the platform tree, the fixed top-level
// paths, or the tenant tree.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		s.healthz(w, r)
		return
	}
	http.NotFound(w, r)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	status, code := "ok", http.StatusOK
	if _, err := s.cfg.Platform.DataVersion(r.Context()); err != nil {
		status, code = "platform database unavailable", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"status": status, "open_tenants": s.cfg.Router.Open()})
}
