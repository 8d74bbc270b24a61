package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/aurapms/aura"
)

// statusByCode is the one table mapping Aura error codes to HTTP statuses.
var statusByCode = map[string]int{
	aura.EINVALID:        http.StatusBadRequest,
	aura.EUNAUTHORIZED:   http.StatusUnauthorized,
	aura.EFORBIDDEN:      http.StatusForbidden,
	aura.ENOTFOUND:       http.StatusNotFound,
	aura.EGONE:           http.StatusGone,
	aura.ECONFLICT:       http.StatusConflict,
	aura.EPRECONDITION:   http.StatusPreconditionFailed,
	aura.ETOOLARGE:       http.StatusRequestEntityTooLarge,
	aura.ETOOMANY:        http.StatusTooManyRequests,
	aura.EINTERNAL:       http.StatusInternalServerError,
	aura.ENOTIMPLEMENTED: http.StatusNotImplemented,
	aura.EUNAVAILABLE:    http.StatusServiceUnavailable,
}

// titleByCode is the short, fixed title of each code (problem details'
// "title" and the heading of the HTML error page).
var titleByCode = map[string]string{
	aura.EINVALID:        "The request is not valid",
	aura.EUNAUTHORIZED:   "Sign-in required",
	aura.EFORBIDDEN:      "Not allowed",
	aura.ENOTFOUND:       "Not found",
	aura.EGONE:           "Gone",
	aura.ECONFLICT:       "Conflict",
	aura.EPRECONDITION:   "Changed meanwhile",
	aura.ETOOLARGE:       "Too large",
	aura.ETOOMANY:        "Too many attempts",
	aura.EINTERNAL:       "Something went wrong",
	aura.ENOTIMPLEMENTED: "Not available",
	aura.EUNAVAILABLE:    "Temporarily unavailable",
}

// StatusOf returns the HTTP status of err by the status table (or the
// status an API handler chose with withStatus).
func StatusOf(err error) int {
	var ws statusError
	if errors.As(err, &ws) {
		return ws.status
	}
	if s, ok := statusByCode[aura.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// statusError gives an error another status than its code's, where the
// API conventions ask for one (422 for an Idempotency-Key reused with
// another body); the code, message and fields stay the error's own.
type statusError struct {
	err    error
	status int
}

func (e statusError) Error() string { return e.err.Error() }
func (e statusError) Unwrap() error { return e.err }

// WithStatus returns err answered with status.
func WithStatus(err error, status int) error { return statusError{err: err, status: status} }

// RetryAfter is carried by throttle errors so the response can say when to retry.
type RetryAfter struct {
	err     *aura.Error
	Seconds int
}

func (e RetryAfter) Error() string { return e.err.Error() }
func (e RetryAfter) Unwrap() error { return e.err }

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Errors []aura.FieldError `json:"errors,omitempty"`
}

// RenderError writes err as problem+json (api) or as the HTML error page.
// Internal errors are logged with the request id and shown only as a
// generic message.
func (s *Server) RenderError(w http.ResponseWriter, r *http.Request, api bool, err error) {
	s.renderErrorIn(w, r, api, nil, err)
}

// renderErrorIn is renderError on page p, when the caller is known: the
// error page then keeps the tenant's top bar and menu, so a 404 or 403
// still shows the way on. A nil p gives the bare error card.
func (s *Server) renderErrorIn(w http.ResponseWriter, r *http.Request, api bool, p *Page, err error) {
	code := aura.ErrorCode(err)
	status := StatusOf(err)
	msg := aura.ErrorMessage(err)
	if code == aura.EINTERNAL {
		s.Logger(r).Error("internal error", "err", err)
		msg = "An internal error occurred. Quote reference " + state(r).id + " when you report it."
	}
	var ra RetryAfter
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", strconv.Itoa(ra.Seconds))
	} else if code == aura.EUNAVAILABLE {
		// A suspended tenant, or one being restored: try again shortly.
		w.Header().Set("Retry-After", "30")
	}
	if status == http.StatusUnauthorized && api {
		w.Header().Set("WWW-Authenticate", `Bearer realm="aura"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	if api {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(Problem{Type: "https://aurapms.io/problems/" + code, Title: titleByCode[code],
			Status: status, Detail: msg, Errors: aura.ErrorFields(err)})
		return
	}
	if p == nil {
		p = &Page{}
	}
	p.Title, p.Error, p.Data = titleByCode[code], "", errorPage{Status: status, Title: titleByCode[code], Message: msg, Home: "/"}
	if p.Chrome {
		p.Data = errorPage{Status: status, Title: titleByCode[code], Message: msg, Home: TenantPath(p.Slug)}
	}
	s.RenderPage(w, r, status, "error", p)
}

type errorPage struct {
	Status  int
	Title   string
	Message string
	Home    string // where "back" leads: the tenant's dashboard inside it
}
