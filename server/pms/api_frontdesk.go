package pms

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/frontdesk"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/stays"
)

// The front desk API (issue 6), the twin of the front desk pages: the
// day's arrivals, guests in house and departures; check-in records with
// their ID documents and photos; extension and early departure of a stay;
// the housekeeping board and a room's condition; the night audit. Bodies
// are the tenant store's own types, as in api_pms.go; an ID photo travels
// as raw image bytes in both directions.

// MaxCheckInJSONBytes bounds a JSON body that carries ID photos as base64:
// the same limit as a check-in upload from the pages (Route.MaxBody of
// these routes). A photo too large for it is sent afterwards, on its own,
// to POST /check-ins/{id}/photos.
const MaxCheckInJSONBytes = web.MaxCheckInBytes

// IdPhotoTypes are the media types an uploaded ID photo may claim. What is
// stored is what its first bytes are (tenant.IDPhotoContentType).
var IdPhotoTypes = []string{"image/jpeg", "image/png", "image/heic", "image/heif"}

// ApiFrontDesk returns the front desk's day at a property (?property_id=):
// arrivals, guests in house and departures on ?date= (default: the
// property's today). Without guests.read the guests' names are replaced by
// "Guest", as on the page.
func (s Handlers) ApiFrontDesk(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	day, err := queryDay(r)
	if err != nil {
		return err
	}
	fd, err := frontdesk.New(c.DB).FrontDesk(r.Context(), pid, day)
	if err != nil {
		return err
	}
	if !c.Can(identity.PermGuestsRead) {
		hideGuestNames(&fd)
	}
	return writeAPI(w, http.StatusOK, fd)
}

// Check-in records and ID photos.

// errNewGuest refuses a booking or a check-in that creates a guest profile
// (a new booker, guest or companion) to a caller without guests.write.
var errNewGuest = aura.Errorf(aura.EFORBIDDEN, "This API token cannot create guest profiles (it needs the scope guests.write); name existing guests by id.")

// ApiRecordCheckIn adds the check-in record of one guest (the
// reservation's own, an existing companion by guest_id, or a new one) to
// a reservation in house or due today; photos travel as base64 strings.
// It answers 201 with the record.
//
// A new companion is a new guest profile: it needs guests.write too.
func (s Handlers) ApiRecordCheckIn(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in stays.GuestCheckIn
	if _, err := web.DecodeJSONLimit(r, &in, MaxCheckInJSONBytes); err != nil {
		return err
	}
	if in.New != nil && !c.Can(identity.PermGuestsWrite) {
		return errNewGuest
	}
	rec, err := stays.New(c.DB).RecordCheckIn(r.Context(), c.Params.ByName("id"), in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusCreated, rec, rec.Version)
}

// ApiCheckInUpdate rectifies a check-in record: the fields sent of the
// document and the date of birth replace the stored ones (If-Match, or
// the body's version). As the answer shows the whole record, the caller
// needs iddocuments.read too.
func (s Handlers) ApiCheckInUpdate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := c.NeedPermission(identity.PermIDDocumentsRead); err != nil {
		return err
	}
	cur, err := stays.New(c.DB).GetCheckInRecord(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	in := stays.CheckInRecordUpdate{Document: cur.Document, BirthDate: cur.BirthDate}
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	rec, err := stays.New(c.DB).UpdateCheckInRecord(r.Context(), cur.ID, in)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, rec, rec.Version)
}

// ApiIDPhotoAdd adds one ID photo to a check-in record. The body is the
// image itself (Content-Type image/jpeg, image/png, image/heic or
// image/heif), at most tenant.MaxIDPhotoSize bytes (413 beyond); it is
// recognised by its first bytes, and anything but a JPEG, PNG or HEIC
// image is a 400. It answers 201 with the photo's description.
func (s Handlers) ApiIDPhotoAdd(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	notImage := func(msg string) error {
		return aura.Invalid(msg, aura.FieldError{Field: "photo", Message: "must be a JPEG, PNG or HEIC image"})
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(IdPhotoTypes, mt) {
		return notImage("Send the photo's bytes as the body with the header Content-Type: " + strings.Join(IdPhotoTypes, ", ") + ".")
	}
	tooLarge := aura.Errorf(aura.ETOOLARGE, "The photo is larger than %d MiB; take it at a lower resolution.", stays.MaxIDPhotoSize>>20)
	if r.ContentLength > stays.MaxIDPhotoSize {
		return tooLarge
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge
		}
		return aura.Errorf(aura.EINVALID, "The photo could not be read.")
	}
	if len(data) > 0 && stays.IDPhotoContentType(data) == "" {
		return notImage("The body is not a JPEG, PNG or HEIC image (whatever its Content-Type says).")
	}
	p, err := stays.New(c.DB).AddIDPhoto(r.Context(), c.Params.ByName("id"), data)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusCreated, p)
}

// Housekeeping.

// ApiHousekeepingBoard returns the housekeeping board of a property
// (?property_id=) on ?date= (default: the property's today): every room
// with its condition and who leaves or arrives. It names no guest.
func (s Handlers) ApiHousekeepingBoard(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	day, err := queryDay(r)
	if err != nil {
		return err
	}
	b, err := frontdesk.New(c.DB).HousekeepingBoard(r.Context(), pid, day)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, b)
}

// ApiHousekeepingBody is the body of a room's condition change.
type ApiHousekeepingBody struct {
	Housekeeping string `json:"housekeeping"` // clean, dirty or inspected
	Version      int    `json:"version,omitempty"`
}

// ApiHousekeepingSet sets a room's housekeeping condition (If-Match, or
// the body's version) and answers the room.
func (s Handlers) ApiHousekeepingSet(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	var in ApiHousekeepingBody
	if err := decodeVersioned(r, web.DecodeJSON, &in, &in.Version); err != nil {
		return err
	}
	rm, err := inventory.New(c.DB).SetHousekeeping(r.Context(), c.Params.ByName("id"), strings.TrimSpace(in.Housekeeping), in.Version)
	if err != nil {
		return err
	}
	return writeVersioned(w, http.StatusOK, rm, rm.Version)
}

// The night audit.

// ApiNightAudit is the night audit of a property: its business day and
// the dates closed, newest first.
type ApiNightAudit struct {
	BusinessDay frontdesk.BusinessDay          `json:"business_day"`
	History     []frontdesk.ClosedBusinessDate `json:"history"`
}

// ApiNightAuditState returns a property's business day (the date open,
// when it rolls, whether the audit is behind) and the last business dates
// closed (?limit=, 1 to 366, default 30).
func (s Handlers) ApiNightAuditState(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	limit, err := web.LimitParam(r, 30, tenant.MaxRange)
	if err != nil {
		return err
	}
	var out ApiNightAudit
	if out.BusinessDay, err = frontdesk.New(c.DB).BusinessDate(r.Context(), pid); err != nil {
		return err
	}
	if out.History, err = frontdesk.New(c.DB).NightAuditHistory(r.Context(), pid, limit); err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, out)
}

// ApiNightAuditRun runs the night audit of a property now: it closes every
// business date whose roll time has passed (no-shows, tentative holds
// released) and none twice, so a second run closes nothing new.
func (s Handlers) ApiNightAuditRun(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	pid, err := apiPropertyID(r, c)
	if err != nil {
		return err
	}
	res, err := frontdesk.New(c.DB).RunNightAudit(r.Context(), pid)
	if err != nil {
		return err
	}
	return writeAPI(w, http.StatusOK, res)
}
