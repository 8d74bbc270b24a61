package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// The rooms settings page: the current property's room types, rooms and
// out-of-order / out-of-service periods, with forms to add each and pages
// to edit a room type or a room.

type roomsData struct {
	Types   []roomTypeRow
	Rooms   []roomRow
	Blocks  []blockRow
	Options []inventory.RoomType
	All     []inventory.Room
	Today   date.Date
}

type roomTypeRow struct {
	inventory.RoomType
	Rooms int
}

type roomRow struct {
	inventory.Room
	TypeName string
	Block    *inventory.RoomBlock // the block covering today, if any
}

type blockRow struct {
	inventory.RoomBlock
	RoomNumber string
}

func (s *Server) roomsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p, prop, err := s.pmsPage(w, r, c, "Rooms", "rooms")
	if err != nil {
		return s.noProperty(w, r, c)
	}
	d, err := s.roomsData(r, c, prop)
	if err != nil {
		return err
	}
	p.Form = url.Values{"rt_capacity": {"2"}, "rt_base_occupancy": {"2"}, "blk_kind": {inventory.OutOfOrder},
		"blk_start": {d.Today.String()}, "blk_end": {d.Today.AddDays(1).String()}}
	p.Data = d
	s.renderPage(w, r, http.StatusOK, "rooms", p)
	return nil
}

func (s *Server) roomsData(r *http.Request, c *call, prop inventory.Property) (*roomsData, error) {
	ctx := r.Context()
	d := &roomsData{Today: s.today(r, c, prop)}
	types, err := inventory.New(c.db).ListRoomTypes(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	rooms, err := inventory.New(c.db).ListRooms(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	blocks, err := inventory.New(c.db).ListRoomBlocks(ctx, prop.ID, d.Today, d.Today.AddDays(tenant.MaxRange))
	if err != nil {
		return nil, err
	}
	d.Options, d.All = types, rooms
	names, count, numbers := map[string]string{}, map[string]int{}, map[string]string{}
	for _, t := range types {
		names[t.ID] = t.Name
	}
	for _, rm := range rooms {
		count[rm.RoomTypeID]++
		numbers[rm.ID] = rm.Number
	}
	for _, t := range types {
		d.Types = append(d.Types, roomTypeRow{RoomType: t, Rooms: count[t.ID]})
	}
	current := map[string]*inventory.RoomBlock{}
	for i, b := range blocks {
		if !b.Start.After(d.Today) && b.End.After(d.Today) {
			current[b.RoomID] = &blocks[i]
		}
		d.Blocks = append(d.Blocks, blockRow{RoomBlock: b, RoomNumber: numbers[b.RoomID]})
	}
	for _, rm := range rooms {
		d.Rooms = append(d.Rooms, roomRow{Room: rm, TypeName: names[rm.RoomTypeID], Block: current[rm.ID]})
	}
	return d, nil
}

// roomsFormError shows the rooms page again with a form's errors; the
// form's fields carry prefix, store fields are renamed with it.
func (s *Server) roomsFormError(w http.ResponseWriter, r *http.Request, c *call, err error, prefix string) error {
	code := aura.ErrorCode(err)
	if code != aura.EINVALID && code != aura.ECONFLICT {
		return err
	}
	p, prop, perr := s.pmsPage(w, r, c, "Rooms", "rooms")
	if perr != nil {
		return perr
	}
	d, derr := s.roomsData(r, c, prop)
	if derr != nil {
		return derr
	}
	p.Form = r.PostForm
	p.formFieldErrors(err, func(f string) string {
		if strings.HasPrefix(f, prefix) {
			return f
		}
		if i := strings.IndexAny(f, "[."); i > 0 {
			f = f[:i]
		}
		return prefix + f
	})
	p.Data = d
	s.renderPage(w, r, StatusOf(err), "rooms", p)
	return nil
}

func roomTypeInput(v url.Values, prefix string) (inventory.RoomTypeInput, error) {
	var fe formErrors
	in := inventory.RoomTypeInput{Code: strings.TrimSpace(v.Get(prefix + "code")), Name: strings.TrimSpace(v.Get(prefix + "name")),
		Description: strings.TrimSpace(v.Get(prefix + "description"))}
	in.Capacity = fe.int(v, prefix+"capacity", 0)
	in.BaseOccupancy = fe.int(v, prefix+"base_occupancy", 0)
	in.SortOrder = fe.int(v, prefix+"sort_order", 0)
	return in, fe.err("The room type is not valid.")
}

func roomInput(v url.Values, prefix string) inventory.RoomInput {
	in := inventory.RoomInput{RoomTypeID: v.Get(prefix + "room_type_id"), Number: strings.TrimSpace(v.Get(prefix + "number")),
		Floor: strings.TrimSpace(v.Get(prefix + "floor")), Features: []string{}}
	for _, f := range strings.Split(v.Get(prefix+"features"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			in.Features = append(in.Features, f)
		}
	}
	in.SortOrder, _ = strconv.Atoi(strings.TrimSpace(v.Get(prefix + "sort_order")))
	return in
}

func (s *Server) roomTypeCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	p := s.tenantPage(w, r, c, "Rooms", "rooms")
	if p.Property == nil {
		return errNoProperty
	}
	in, err := roomTypeInput(r.PostForm, "rt_")
	in.PropertyID = p.Property.ID
	var rt inventory.RoomType
	if err == nil {
		rt, err = inventory.New(c.db).CreateRoomType(r.Context(), in)
	}
	if err != nil {
		return s.roomsFormError(w, r, c, err, "rt_")
	}
	s.setFlash(w, "ok", "Room type "+rt.Name+" is added. Add its rooms and a rate plan next.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"settings/rooms#rooms", http.StatusSeeOther)
	return nil
}

func (s *Server) roomCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	p := s.tenantPage(w, r, c, "Rooms", "rooms")
	if p.Property == nil {
		return errNoProperty
	}
	in := roomInput(r.PostForm, "room_")
	in.PropertyID = p.Property.ID
	rm, err := inventory.New(c.db).CreateRoom(r.Context(), in)
	if err != nil {
		return s.roomsFormError(w, r, c, err, "room_")
	}
	s.setFlash(w, "ok", "Room "+rm.Number+" is added.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"settings/rooms#rooms", http.StatusSeeOther)
	return nil
}

func (s *Server) roomBlockCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	var fe formErrors
	v := r.PostForm
	in := inventory.RoomBlockInput{RoomID: v.Get("blk_room_id"), Kind: v.Get("blk_kind"), Reason: strings.TrimSpace(v.Get("blk_reason"))}
	in.Start = fe.date(v, "blk_start")
	last := fe.date(v, "blk_last")
	if !last.IsZero() {
		in.End = last.AddDays(1) // the form names the last night; the store takes the end exclusive
	}
	err := fe.err("The period is not valid.")
	if err == nil {
		if rm, rerr := inventory.New(c.db).GetRoom(r.Context(), in.RoomID); rerr != nil || (s.currentPropertyID(w, r, c) != rm.PropertyID) {
			err = aura.Invalid("The period is not valid.", aura.FieldError{Field: "room_id", Message: "choose a room of this property"})
		}
	}
	if err == nil {
		_, err = inventory.New(c.db).CreateRoomBlock(r.Context(), in)
	}
	if err != nil {
		return s.roomsFormError(w, r, c, renameField(err, "end", "last"), "blk_")
	}
	s.setFlash(w, "ok", "The room is "+strings.ReplaceAll(in.Kind, "_", " ")+" for the nights "+in.Start.String()+" to "+last.String()+".")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"settings/rooms#blocks", http.StatusSeeOther)
	return nil
}

// renameField renames one field of an EINVALID error.
func renameField(err error, from, to string) error {
	e, ok := err.(*aura.Error)
	if !ok {
		return err
	}
	cp := *e
	cp.Fields = append([]aura.FieldError(nil), e.Fields...)
	for i := range cp.Fields {
		if cp.Fields[i].Field == from {
			cp.Fields[i].Field = to
		}
	}
	return &cp
}

func (s *Server) currentPropertyID(w http.ResponseWriter, r *http.Request, c *call) string {
	p, _ := s.propertyContext(w, r, c)
	if p == nil {
		return ""
	}
	return p.ID
}

func (s *Server) roomBlockDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := inventory.New(c.db).DeleteRoomBlock(r.Context(), c.params.ByName("id")); err != nil {
		return err
	}
	s.setFlash(w, "ok", "The period is removed; the room is back in service.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"settings/rooms#blocks", http.StatusSeeOther)
	return nil
}

// The edit page of a room type or a room.

type roomEditData struct {
	Kind    string // "room_type" or "room"
	ID      string
	Version int
	Name    string
	Options []inventory.RoomType
}

func (s *Server) roomTypeEditPage(w http.ResponseWriter, r *http.Request, c *call) error {
	rt, err := inventory.New(c.db).GetRoomType(r.Context(), c.params.ByName("id"))
	if err != nil {
		return err
	}
	p := s.tenantPage(w, r, c, "Room type "+rt.Name, "rooms")
	p.Form = url.Values{"code": {rt.Code}, "name": {rt.Name}, "description": {rt.Description}, "capacity": {strconv.Itoa(rt.Capacity)},
		"base_occupancy": {strconv.Itoa(rt.BaseOccupancy)}, "sort_order": {strconv.Itoa(rt.SortOrder)}}
	p.Data = &roomEditData{Kind: "room_type", ID: rt.ID, Version: rt.Version, Name: rt.Name}
	s.renderPage(w, r, http.StatusOK, "room_edit", p)
	return nil
}

func (s *Server) roomTypeSave(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := c.params.ByName("id")
	before, err := inventory.New(c.db).GetRoomType(r.Context(), id)
	if err != nil {
		return err
	}
	in, err := roomTypeInput(r.PostForm, "")
	in.Version = formVersion(r.PostForm)
	var rt inventory.RoomType
	if err == nil {
		rt, err = inventory.New(c.db).UpdateRoomType(r.Context(), id, in)
	}
	if err != nil {
		return s.roomEditError(w, r, c, err, &roomEditData{Kind: "room_type", ID: id, Version: in.Version, Name: before.Name})
	}
	s.setFlash(w, "ok", "Room type "+rt.Name+" is saved.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"settings/rooms", http.StatusSeeOther)
	return nil
}

func (s *Server) roomEditPage(w http.ResponseWriter, r *http.Request, c *call) error {
	rm, err := inventory.New(c.db).GetRoom(r.Context(), c.params.ByName("id"))
	if err != nil {
		return err
	}
	types, err := inventory.New(c.db).ListRoomTypes(r.Context(), rm.PropertyID)
	if err != nil {
		return err
	}
	p := s.tenantPage(w, r, c, "Room "+rm.Number, "rooms")
	p.Form = url.Values{"room_type_id": {rm.RoomTypeID}, "number": {rm.Number}, "floor": {rm.Floor},
		"features": {strings.Join(rm.Features, ", ")}, "sort_order": {strconv.Itoa(rm.SortOrder)}}
	p.Data = &roomEditData{Kind: "room", ID: rm.ID, Version: rm.Version, Name: rm.Number, Options: types}
	s.renderPage(w, r, http.StatusOK, "room_edit", p)
	return nil
}

func (s *Server) roomSave(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := c.params.ByName("id")
	before, err := inventory.New(c.db).GetRoom(r.Context(), id)
	if err != nil {
		return err
	}
	in := roomInput(r.PostForm, "")
	in.Version = formVersion(r.PostForm)
	rm, err := inventory.New(c.db).UpdateRoom(r.Context(), id, in)
	if err != nil {
		types, terr := inventory.New(c.db).ListRoomTypes(r.Context(), before.PropertyID)
		if terr != nil {
			return terr
		}
		return s.roomEditError(w, r, c, err, &roomEditData{Kind: "room", ID: id, Version: in.Version, Name: before.Number, Options: types})
	}
	s.setFlash(w, "ok", "Room "+rm.Number+" is saved.")
	http.Redirect(w, r, tenantPath(c.tenant.Slug)+"settings/rooms#rooms", http.StatusSeeOther)
	return nil
}

func (s *Server) roomEditError(w http.ResponseWriter, r *http.Request, c *call, err error, d *roomEditData) error {
	code := aura.ErrorCode(err)
	if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
		return err
	}
	title := "Room " + d.Name
	if d.Kind == "room_type" {
		title = "Room type " + d.Name
	}
	p := s.tenantPage(w, r, c, title, "rooms")
	p.Form = r.PostForm
	p.formFieldErrors(err, func(f string) string {
		if i := strings.IndexAny(f, "[."); i > 0 {
			return f[:i]
		}
		return f
	})
	p.Data = d
	s.renderPage(w, r, StatusOf(err), "room_edit", p)
	return nil
}
