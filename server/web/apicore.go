package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/stays"
)

// DecodeJSON reads exactly one JSON object from the body into v. Unknown
// fields, malformed JSON, a wrong content type or trailing data are
// EINVALID with a message saying what and where; a body over the limit is
// ETOOLARGE.
func DecodeJSON(r *http.Request, v any) error {
	_, err := DecodeJSONBody(r, v)
	return err
}

// DecodeJSONBody is decodeJSON returning the body's bytes too (for the
// request hash of an Idempotency-Key).
func DecodeJSONBody(r *http.Request, v any) ([]byte, error) {
	return DecodeJSONLimit(r, v, maxJSONBytes)
}

// DecodeJSONLimit is decodeJSONBody with a body limit of its own (a JSON
// body carrying ID photos as base64 is larger than maxJSONBytes allows).
func DecodeJSONLimit(r *http.Request, v any, limit int64) ([]byte, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, aura.Errorf(aura.EINVALID, "Send the body as JSON with the header Content-Type: application/json.")
	}
	tooLarge := aura.Errorf(aura.ETOOLARGE, "The body is larger than the %d KiB limit.", limit>>10)
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge
		}
		return nil, aura.Errorf(aura.EINVALID, "The body could not be read.")
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, JsonError(err, body)
	}
	if dec.More() {
		return nil, aura.Errorf(aura.EINVALID, "The body must hold one JSON object and nothing after it.")
	}
	return body, nil
}

// JsonError turns a decoding error into a message a developer can act on.
func JsonError(err error, body []byte) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if field, pe, ok := date.FromJSONError(err); ok {
		if field == "" {
			return aura.Errorf(aura.EINVALID, "The body must be a JSON object.")
		}
		// A date that is not a day of the calendar (2027-02-30) or out of
		// range is a bad value, not bad JSON: name the field and the value.
		in := pe.Input
		if len(in) > 40 {
			in = in[:40] + "…"
		}
		return aura.Invalid(fmt.Sprintf("The field %q %s: %q.", field, pe.Message, in), aura.FieldError{Field: field, Message: pe.Message})
	}
	switch {
	case errors.As(err, &syn):
		return aura.Errorf(aura.EINVALID, "The body is not valid JSON: %s (at byte %d).", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return aura.Errorf(aura.EINVALID, "The body must be a JSON object.")
		}
		return aura.Invalid(fmt.Sprintf("The field %q must be a %s, not a %s.", field, jsonKind(typ.Type.Kind().String()), typ.Value),
			aura.FieldError{Field: field, Message: "must be a " + jsonKind(typ.Type.Kind().String())})
	case errors.Is(err, io.EOF):
		return aura.Errorf(aura.EINVALID, "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return aura.Errorf(aura.EINVALID, "The body is not valid JSON: it ends too early.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return aura.Invalid(fmt.Sprintf("Unknown field %q.", name), aura.FieldError{Field: name, Message: "unknown field"})
	}
	return aura.Errorf(aura.EINVALID, "The body is not valid JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "slice", "array":
		return "list"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

// WriteJSON writes v as the JSON body of a response with the status. The
// body is compact (no indentation: it is for programs, and indenting cost a
// fifth of a list's CPU) and encoded in full before anything is sent, so a
// value that cannot be encoded is a clean 500 rather than half a body, and
// the response carries its Content-Length.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	return WriteJSONBytes(w, status, buf.Bytes())
}

// WriteJSONBytes writes b, a JSON body already encoded (ending in a
// newline, as WriteJSON's), with the headers WriteJSON sets.
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// jsonBuffers holds the buffers WriteJSON encodes into.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putJSONBuffer returns a buffer to the pool unless it grew past 1 MiB
// (a rare export should not pin its memory).
func putJSONBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	jsonBuffers.Put(b)
}

// LimitParam reads ?limit=, a number from 1 to max; def when absent.
func LimitParam(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		m := strconv.Itoa(max)
		return 0, aura.Invalid("limit is a number from 1 to "+m+".", aura.FieldError{Field: "limit", Message: "1 to " + m})
	}
	return n, nil
}

// PageLimit reads the ?limit= of a page of a list (default 50, at most
// 200).
func PageLimit(r *http.Request) (int, error) { return LimitParam(r, 50, 200) }

// PageParams reads ?limit= (see pageLimit) and the opaque ?cursor=.
func PageParams(r *http.Request) (limit, offset int, err error) {
	if limit, err = PageLimit(r); err != nil {
		return 0, 0, err
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "o:") || n < 0 {
			return 0, 0, aura.Invalid("The cursor is not valid; start without one.", aura.FieldError{Field: "cursor", Message: "not valid"})
		}
		offset = n
	}
	return limit, offset, nil
}

func NextCursor(offset, limit, total int) *string {
	if offset+limit >= total {
		return nil
	}
	c := base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset+limit)))
	return &c
}

type ApiList[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// NeedPermission returns nil when the caller may do p, else EFORBIDDEN
// naming the permission and what lacks it (the user's role, or the API
// token). The route check (tenantHandle) uses it for the route's Perm, and
// a handler for a permission a request needs besides its route's.
func (c *Call) NeedPermission(p identity.Permission) error {
	if c.Can(p) {
		return nil
	}
	who := "Your role (" + identity.RoleLabel(c.User.Role) + ")"
	if c.Token != nil {
		who = "This API token (its scopes, or its user's role)"
	}
	return aura.Errorf(aura.EFORBIDDEN, "%s does not allow this: it needs the permission %s.", who, p)
}

// ApiDoc is the documentation of one API route.
type ApiDoc struct {
	Summary      string
	Tag          string
	Query        []QueryParam
	Body         any  // a value of the request body's type; nil for none
	BodyOptional bool // the body may be left out
	Response     any  // a value of the success response's type; nil for none
	Status       int  // the success status (200 when 0)
	IfMatch      bool // takes If-Match with the resource's version
	Idempotency  bool // takes Idempotency-Key
	// BodyMedia and ResponseMedia are the media types of a body that is
	// raw bytes (an ID photo) instead of JSON.
	BodyMedia     []string
	ResponseMedia []string
}

type QueryParam struct {
	Name, Type, Description string
	Required                bool
}

func Q(name, typ, desc string) QueryParam {
	return QueryParam{Name: name, Type: typ, Description: desc}
}

// maxJSONBytes bounds a JSON API request body.
const maxJSONBytes = 64 << 10

// maxFormBytes bounds every request body.
const maxFormBytes = 1 << 20

// ParseForm parses a form body, turning a body over the limit into ETOOLARGE.
func ParseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return aura.Errorf(aura.ETOOLARGE, "The form is too large (the limit is %d KiB).", maxFormBytes>>10)
		}
		return aura.Errorf(aura.EINVALID, "The form could not be read: %v", err)
	}
	return nil
}

// MaxCheckInBytes bounds an upload of ID photos: every photo one record
// keeps at their largest, and the form's fields. A check-in with
// companions whose photos are larger than that adds them afterwards, one
// record at a time, on the guest page.
const MaxCheckInBytes = stays.MaxIDPhotos*stays.MaxIDPhotoSize + 8<<20

// maxUploadBytes is the largest body any route accepts (see Route.MaxBody).
const maxUploadBytes = MaxCheckInBytes

var (
	QProperty = Q("property_id", "string", "The property (may be left out when the account has one).")
	QLimit    = Q("limit", "integer", "Page size, 1 to 200 (default 50).")
	QCursor   = Q("cursor", "string", "The next_cursor of the previous page.")
	QFrom     = Q("from", "date", "First date (default today at the property).")
	QTo       = Q("to", "date", "Date after the last one (exclusive).")
	QDay      = Q("date", "date", "The date (default today at the property).")
)
