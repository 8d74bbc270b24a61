package stays_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/internal/pmstest"
	"github.com/aurapms/aura/tenant/stays"
)

// photoHEIC returns the first bytes of an HEIC file as an iPhone writes it
// (an ftyp box with the heic brand) followed by filler.
func photoHEIC() []byte {
	return append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), bytes.Repeat([]byte{7}, 500)...)
}

func TestCheckInRecords(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 3, "2025-06-10")
	r := f.Book(t, f.Day(0), f.Day(3))
	front := pmstest.PhotoJPEG(t, "MARKER-front-9d2e", 64, 48)
	back := pmstest.PhotoPNG(t)
	heic := photoHEIC()
	f.At(f.Day(0), 15, 0)
	in := stays.CheckInInput{RoomID: f.Rooms[0].ID, Guests: []stays.GuestCheckIn{
		{Document: stays.IDDocument{Type: stays.DocumentPassport, Number: " C01X00T47 ", IssuingCountry: "de", Expiry: date.MustParse("2031-04-30")},
			BirthDate: date.MustParse("1985-12-10"), Photos: [][]byte{front, back}},
		{New: &stays.GuestInput{GivenName: "Charles", FamilyName: "Babbage"},
			Document: stays.IDDocument{Type: stays.DocumentIDCard, Number: "L01X00T47", IssuingCountry: "GB"}, Photos: [][]byte{heic}},
	}}

	t.Run("ErrInvalid", func(t *testing.T) {
		before := f.AuditRows(t)
		for _, tc := range []struct {
			name  string
			edit  func(g *stays.GuestCheckIn)
			field string
		}{
			{"WrongMagicBytes", func(g *stays.GuestCheckIn) { g.Photos = [][]byte{[]byte("GIF89a not an ID photo")} }, "guests[0].photos[0]"},
			{"Empty", func(g *stays.GuestCheckIn) { g.Photos = [][]byte{front, {}} }, "guests[0].photos[1]"},
			{"TooLarge", func(g *stays.GuestCheckIn) {
				g.Photos = [][]byte{append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, stays.MaxIDPhotoSize)...)}
			}, "guests[0].photos[0]"},
			{"TooMany", func(g *stays.GuestCheckIn) { g.Photos = [][]byte{front, front, front, front, front} }, "guests[0].photos"},
			{"NoNumber", func(g *stays.GuestCheckIn) { g.Document.Number = "" }, "guests[0].document.number"},
			{"BadType", func(g *stays.GuestCheckIn) { g.Document.Type = "library_card" }, "guests[0].document.type"},
			{"BadCountry", func(g *stays.GuestCheckIn) { g.Document.IssuingCountry = "Germany" }, "guests[0].document.issuing_country"},
			{"BirthInFuture", func(g *stays.GuestCheckIn) { g.BirthDate = f.Day(1) }, "guests[0].birth_date"},
			{"UnknownGuest", func(g *stays.GuestCheckIn) { g.GuestID = "gst_nope" }, "guests[0].guest_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				bad := in
				bad.Guests = append([]stays.GuestCheckIn(nil), in.Guests...)
				tc.edit(&bad.Guests[0])
				_, err := stays.New(f.DB).CheckIn(f.Ctx, r.ID, bad)
				pmstest.WantCode(t, err, aura.EINVALID)
				if !pmstest.HasField(err, tc.field) {
					t.Fatalf("error fields %v, want %s", aura.ErrorFields(err), tc.field)
				}
			})
		}
		// Nothing was half-written: the reservation is still to arrive.
		if got := pmstest.Must(stays.New(f.DB).GetReservation(f.Ctx, r.ID))(t).Status; got != stays.ReservationConfirmed {
			t.Fatalf("status %s after refused check-ins, want confirmed", got)
		}
		if after := f.AuditRows(t); after != before {
			t.Fatalf("refused check-ins wrote %d audit rows", after-before)
		}
	})

	checkedIn := pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, in))(t)
	if got, want := checkedIn.Status, stays.ReservationInHouse; got != want {
		t.Fatalf("status %s, want %s", got, want)
	}
	recs := pmstest.Must(stays.New(f.DB).ReservationCheckIns(f.Ctx, r.ID))(t)
	if got, want := len(recs), 2; got != want {
		t.Fatalf("%d check-in records, want %d", got, want)
	}
	primary, companion := recs[0], recs[1]
	if !primary.Primary || primary.GuestID != r.GuestID || companion.Primary {
		t.Fatalf("primary first: got %+v, %+v", primary.Primary, companion.Primary)
	}
	if got, want := primary.Document, (stays.IDDocument{Type: "passport", Number: "C01X00T47", IssuingCountry: "DE", Expiry: date.MustParse("2031-04-30")}); got != want {
		t.Fatalf("document %+v, want %+v", got, want)
	}
	if got, want := primary.BirthDate, date.MustParse("1985-12-10"); got != want {
		t.Fatalf("birth date %s, want %s", got, want)
	}
	if got, want := companion.GuestName, "Charles Babbage"; got != want {
		t.Fatalf("companion %q, want %q", got, want)
	}
	var types []string
	for _, p := range append(primary.Photos, companion.Photos...) {
		types = append(types, p.ContentType)
	}
	if got, want := strings.Join(types, " "), "image/jpeg image/png image/heic"; got != want {
		t.Fatalf("photo types %s, want %s", got, want)
	}
	p, data := pmstest.Must2(stays.New(f.DB).IDPhotoData(f.Ctx, primary.Photos[0].ID))(t)
	if !bytes.Equal(data, front) || p.Size != len(front) {
		t.Fatal("the photo read back differs from the one uploaded")
	}

	t.Run("GuestPage", func(t *testing.T) {
		got := pmstest.Must(stays.New(f.DB).GuestCheckIns(f.Ctx, companion.GuestID))(t)
		if len(got) != 1 || got[0].ID != companion.ID || got[0].Document.Number != "L01X00T47" || got[0].ReservationID != r.ID {
			t.Fatalf("guest page records %+v", got)
		}
		res := pmstest.Must(stays.New(f.DB).GuestReservations(f.Ctx, companion.GuestID))(t)
		if len(res) != 1 || res[0].ID != r.ID {
			t.Fatalf("the companion's reservations %v, want [%s]", res, r.ID)
		}
		_, err := stays.New(f.DB).GuestCheckIns(f.Ctx, "gst_nope")
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
	t.Run("ErrPartyFull", func(t *testing.T) {
		_, err := stays.New(f.DB).RecordCheckIn(f.Ctx, r.ID, stays.GuestCheckIn{New: &stays.GuestInput{FamilyName: "Third"}})
		pmstest.WantCode(t, err, aura.EINVALID)
	})
	t.Run("ErrAlreadyRecorded", func(t *testing.T) {
		three := 3
		pmstest.Must(stays.New(f.DB).ChangeStay(f.Ctx, r.ID, stays.StayChange{Adults: &three}))(t)
		_, err := stays.New(f.DB).RecordCheckIn(f.Ctx, r.ID, stays.GuestCheckIn{GuestID: r.GuestID})
		pmstest.WantCode(t, err, aura.ECONFLICT)
		child := pmstest.Must(stays.New(f.DB).RecordCheckIn(f.Ctx, r.ID, stays.GuestCheckIn{New: &stays.GuestInput{GivenName: "Ada", FamilyName: "King"},
			BirthDate: f.Day(-3000)}))(t)
		if child.Document.Type != "" || len(child.Photos) != 0 {
			t.Fatalf("a record without a document: %+v", child)
		}
	})
	t.Run("AddPhotosAllOrNothing", func(t *testing.T) {
		count := func() int { return len(pmstest.Must(stays.New(f.DB).ReservationCheckIns(f.Ctx, r.ID))(t)[0].Photos) }
		before := count()
		_, err := stays.New(f.DB).AddIDPhotos(f.Ctx, primary.ID, [][]byte{front, []byte("%PDF-1.7")})
		pmstest.WantCode(t, err, aura.EINVALID)
		if fs := aura.ErrorFields(err); len(fs) != 1 || fs[0].Field != "photos[1]" {
			t.Fatalf("fields %+v", fs)
		}
		full := make([][]byte, stays.MaxIDPhotos)
		for i := range full {
			full[i] = front
		}
		_, err = stays.New(f.DB).AddIDPhotos(f.Ctx, primary.ID, full)
		pmstest.WantCode(t, err, aura.EINVALID)
		if got := count(); got != before {
			t.Fatalf("refused uploads added photos: %d, then %d", before, got)
		}
		added := pmstest.Must(stays.New(f.DB).AddIDPhotos(f.Ctx, primary.ID, [][]byte{front, front}))(t)
		if got := count(); len(added) != 2 || got != before+2 {
			t.Fatalf("two photos added: %d returned, %d on the record (was %d)", len(added), got, before)
		}
	})
	t.Run("AddAndDeletePhotos", func(t *testing.T) {
		_, err := stays.New(f.DB).AddIDPhoto(f.Ctx, companion.ID, []byte("%PDF-1.7"))
		pmstest.WantCode(t, err, aura.EINVALID)
		for i := 0; i < stays.MaxIDPhotos-1; i++ {
			pmstest.Must(stays.New(f.DB).AddIDPhoto(f.Ctx, companion.ID, front))(t)
		}
		_, err = stays.New(f.DB).AddIDPhoto(f.Ctx, companion.ID, front)
		pmstest.WantCode(t, err, aura.EINVALID)
		_, err = stays.New(f.DB).AddIDPhoto(f.Ctx, "cki_nope", front)
		pmstest.WantCode(t, err, aura.ENOTFOUND)
		if err := stays.New(f.DB).DeleteIDPhoto(f.Ctx, companion.Photos[0].ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = stays.New(f.DB).IDPhotoData(f.Ctx, companion.Photos[0].ID)
		pmstest.WantCode(t, err, aura.EGONE)
		got := pmstest.Must(stays.New(f.DB).GuestCheckIns(f.Ctx, companion.GuestID))(t)[0].Photos[0]
		if got.PurgedAt == nil || got.PurgeReason != stays.PurgeDeleted {
			t.Fatalf("deleted photo's tombstone %+v", got)
		}
		pmstest.WantCode(t, stays.New(f.DB).DeleteIDPhoto(f.Ctx, "idp_nope"), aura.ENOTFOUND)
	})
	t.Run("Rectify", func(t *testing.T) {
		upd := stays.CheckInRecordUpdate{Document: stays.IDDocument{Type: stays.DocumentPassport, Number: "C01X00T48", IssuingCountry: "DE"},
			BirthDate: primary.BirthDate, Version: primary.Version}
		got := pmstest.Must(stays.New(f.DB).UpdateCheckInRecord(f.Ctx, primary.ID, upd))(t)
		if got.Document.Number != "C01X00T48" || got.Version != primary.Version+1 {
			t.Fatalf("rectified record %+v", got)
		}
		_, err := stays.New(f.DB).UpdateCheckInRecord(f.Ctx, primary.ID, upd)
		pmstest.WantCode(t, err, aura.EPRECONDITION)
		_, err = stays.New(f.DB).UpdateCheckInRecord(f.Ctx, "cki_nope", upd)
		pmstest.WantCode(t, err, aura.ENOTFOUND)
	})
	t.Run("ErrStatus", func(t *testing.T) {
		later := f.Book(t, f.Day(5), f.Day(6))
		// Not before the arrival day: its window would run from now.
		_, err := stays.New(f.DB).RecordCheckIn(f.Ctx, later.ID, stays.GuestCheckIn{})
		pmstest.WantCode(t, err, aura.ECONFLICT)
		pmstest.Must(stays.New(f.DB).Cancel(f.Ctx, later.ID, stays.CancelInput{}))(t)
		f.At(f.Day(5), 12, 0)
		_, err = stays.New(f.DB).RecordCheckIn(f.Ctx, later.ID, stays.GuestCheckIn{})
		pmstest.WantCode(t, err, aura.ECONFLICT)
		f.At(f.Day(0), 15, 0)
		// A confirmed stay due today registers at the desk before its room is ready.
		due := f.Book(t, f.Day(0), f.Day(1))
		if rec := pmstest.Must(stays.New(f.DB).RecordCheckIn(f.Ctx, due.ID, stays.GuestCheckIn{}))(t); !rec.Primary || rec.ReservationStatus != stays.ReservationConfirmed {
			t.Fatalf("registration before check-in %+v", rec)
		}
	})
	// Audit rows name the fields given, never their values, sealed or not.
	var n int
	if err := f.DB.SQL().Read.QueryRow(`SELECT count(*) FROM audit_log WHERE entity_type = 'checkin_record'`).Scan(&n); err != nil || n < 5 {
		t.Fatalf("%d check-in audit rows (%v)", n, err)
	}
	rows, err := f.DB.SQL().Read.Query(`SELECT entity_type, coalesce(before_json, '') || coalesce(after_json, '') FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var kind, js string
		if err := rows.Scan(&kind, &js); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"C01X00T4", "L01X00T47", "1985-12-10", "2031-04-30"} {
			if strings.Contains(js, s) {
				t.Fatalf("a %s audit row holds %q: %s", kind, s, js)
			}
		}
		if kind == "checkin_record" && strings.Contains(js, "sealed") {
			t.Fatalf("a check-in audit row holds sealed values: %s", js)
		}
	}
	rows.Close()
	f.VerifyAudit(t)
}

func TestIDPhotoContentType(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"JPEG", pmstest.PhotoJPEG(t, "x", 4, 4), "image/jpeg"},
		{"PNG", pmstest.PhotoPNG(t), "image/png"},
		{"HEIC", photoHEIC(), "image/heic"},
		{"HEIF", []byte("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00"), "image/heif"},
		{"MP4", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x00\x00"), ""},
		{"GIF", []byte("GIF89a......"), ""},
		{"Short", []byte{0xFF, 0xD8}, ""},
		{"Empty", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stays.IDPhotoContentType(tc.b); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCheckInDataNeverPlain reads the raw tenant file and WAL after a
// check-in with a document and a photo: no document number, date of birth
// or byte of the image's text appears, before or after a checkpoint.
func TestCheckInDataNeverPlain(t *testing.T) {
	f := pmstest.NewFixture(t, "Europe/Berlin", 1, "2025-06-10")
	r := f.Book(t, f.Day(0), f.Day(2))
	marker := "MARKER-id-photo-4b1f77"
	photo := pmstest.PhotoJPEG(t, marker, 32, 32)
	pmstest.Must(stays.New(f.DB).CheckIn(f.Ctx, r.ID, stays.CheckInInput{RoomID: f.Rooms[0].ID, Guests: []stays.GuestCheckIn{{
		Document:  stays.IDDocument{Type: stays.DocumentPassport, Number: "ZX9Q81K3P", IssuingCountry: "AT", Expiry: date.MustParse("2033-01-17")},
		BirthDate: date.MustParse("1971-02-13"), Photos: [][]byte{photo}}}}))(t)
	for _, phase := range []string{"WAL", "checkpointed"} {
		if phase == "checkpointed" {
			if err := f.DB.SQL().Checkpoint(f.Ctx); err != nil {
				t.Fatal(err)
			}
		}
		raw := pmstest.ReadTenantFiles(t, f.DB)
		if !bytes.Contains(raw, []byte("Hotel Test")) {
			t.Fatalf("%s: the raw read misses the property name: it proves nothing", phase)
		}
		for _, s := range []string{"ZX9Q81K3P", "1971-02-13", "2033-01-17", marker, "passport"} {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("%s: %q appears in the tenant file", phase, s)
			}
		}
		// A long run of the image itself (past the marker) is not there either.
		if chunk := photo[len(photo)/2 : len(photo)/2+32]; bytes.Contains(raw, chunk) {
			t.Errorf("%s: bytes of the photo appear in the tenant file", phase)
		}
	}
}
