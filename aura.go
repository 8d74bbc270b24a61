// Package aura holds the small vocabulary every other package shares: the one
// error type with its codes, and the identity of whoever causes a change (the
// actor and the request it came with). It imports only the standard library.
package aura

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Error codes. Each maps to exactly one HTTP status in server's status table
// and to a clear exit in cmd/aura.
const (
	ECONFLICT       = "conflict"        // the write would break a rule about existing data (double booking, duplicate slug)
	EINTERNAL       = "internal"        // a bug or an unexpected failure; the message is never shown to users
	EINVALID        = "invalid"         // the input is malformed or breaks a validation rule
	ENOTFOUND       = "not_found"       // the thing does not exist, or the caller may not know it exists
	EGONE           = "gone"            // the thing existed and was deleted for good (a purged ID photo); the message says when
	EUNAUTHORIZED   = "unauthorized"    // no valid credentials were presented
	EFORBIDDEN      = "forbidden"       // valid credentials without the needed permission
	ETOOMANY        = "too_many"        // a throttle engaged; try again later
	EUNAVAILABLE    = "unavailable"     // the tenant is suspended, restoring or otherwise briefly unavailable
	EPRECONDITION   = "precondition"    // an If-Match version did not match
	ETOOLARGE       = "too_large"       // a request body exceeded its limit
	ENOTIMPLEMENTED = "not_implemented" // the feature is not available in this build or configuration
)

// Error is the one error type of Aura. Code is one of the E* constants; Message
// is safe to show to the user who caused it. Fields, when set, names the form
// or JSON fields that failed validation, each with its own message.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// FieldError is one field's validation failure.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("aura error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error listing each failing field.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: fields}
}

// ErrorCode returns the code of err when it is (or wraps) an *Error, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err when it is an *Error, and a
// generic message otherwise, so internal details never reach a user.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}

// ErrorFields returns the field errors of err when it is an *Error.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Actor kinds.
const (
	ActorSystem = "system" // background jobs and the command line
	ActorUser   = "user"   // a tenant user signed in with a session
	ActorToken  = "token"  // a tenant API token
	ActorStaff  = "staff"  // a platform staff member (on tenant data only while impersonating)
)

// Actor identifies who causes a change. For a staff member impersonating a
// tenant, Kind is ActorStaff, ID and Name are the staff member's, and
// Impersonation names the recorded impersonation.
type Actor struct {
	Kind          string `json:"kind"`
	ID            string `json:"id"`
	Name          string `json:"name,omitempty"`
	Impersonation string `json:"impersonation,omitempty"`
}

// String renders the actor for logs and audit pages, e.g. "user:usr_1 (ana@example.com)".
func (a Actor) String() string {
	s := a.Kind + ":" + a.ID
	if a.Name != "" {
		s += " (" + a.Name + ")"
	}
	if a.Impersonation != "" {
		s += " impersonating via " + a.Impersonation
	}
	return s
}

// SystemActor is the actor of work that no person started directly.
func SystemActor(name string) Actor { return Actor{Kind: ActorSystem, ID: name} }

// RequestInfo is the context of the request behind a change, recorded in audit rows.
type RequestInfo struct {
	RequestID string
	IP        string
	UserAgent string
}

type actorKey struct{}
type requestKey struct{}

// WithActor returns a copy of ctx carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx, or a system actor named
// "unknown" when none is set.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return SystemActor("unknown")
}

// WithRequest returns a copy of ctx carrying the request information.
func WithRequest(ctx context.Context, r RequestInfo) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request information carried by ctx (zero when none).
func RequestFrom(ctx context.Context) RequestInfo {
	r, _ := ctx.Value(requestKey{}).(RequestInfo)
	return r
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns an opaque identifier such as "tnt_k5q3ce2ldy4mfrqq": the
// prefix names the kind of thing, then 80 random bits in lowercase base32.
// They are never sequential, so they reveal neither counts nor order (see
// NewOrderedID for the ids of rows a table gains per request).
func NewID(prefix string) string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("aura: the system random source failed: " + err.Error())
	}
	return prefix + "_" + strings.ToLower(idEncoding.EncodeToString(b))
}

// orderedEncoding is base32 whose digits sort as their values do
// (0-9 then a-v), so an ordered id's text sorts by its time.
var orderedEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// ordered is the state of NewOrderedID: the millisecond and random part of
// the latest id it returned.
var ordered struct {
	sync.Mutex
	ms, rnd uint64
}

// NewOrderedID returns an identifier of NewID's shape (the prefix, then 16
// lowercase base32 characters, 80 bits) whose text sorts by creation
// time: 48 bits of Unix milliseconds, then 32 bits that start at a random
// value each millisecond and grow by a random step within it. The rows a
// table gains per request (bookings, reservations, guests, folio lines)
// then land at the right edge of its id index, where the rows written by
// the same group commit share their pages, instead of one random page of
// the index each. Such an id reveals when the thing was created (its
// created_at says as much) but, like NewID's, no count. Ids within one
// process never repeat, even while the clock steps back. Secrets and ids
// that must not reveal their time use NewID.
func NewOrderedID(prefix string) string {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic("aura: the system random source failed: " + err.Error())
	}
	x := binary.BigEndian.Uint64(r[:])
	ms := uint64(time.Now().UnixMilli()) & (1<<48 - 1)
	ordered.Lock()
	if ms > ordered.ms {
		ordered.ms, ordered.rnd = ms, x>>33 // room below 2^32 for the steps of this millisecond
	} else if next := ordered.rnd + 1 + x&(1<<16-1); next < 1<<32 {
		ordered.rnd = next
	} else { // the millisecond ran out of steps: borrow the next one
		ordered.ms, ordered.rnd = ordered.ms+1, x>>33
	}
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], ordered.ms<<16) // the 48 bits of the millisecond in b[0:6]
	binary.BigEndian.PutUint32(b[6:], uint32(ordered.rnd))
	ordered.Unlock()
	return prefix + "_" + orderedEncoding.EncodeToString(b[:])
}
