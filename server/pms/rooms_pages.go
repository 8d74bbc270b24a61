package pms

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/date"
	"github.com/aurapms/aura/server/web"
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

func (s Handlers) RoomsPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p, prop, err := s.PmsPage(w, r, c, "Rooms", "rooms")
	if err != nil {
		return s.NoProperty(w, r, c)
	}
	d, err := s.roomsData(r, c, prop)
	if err != nil {
		return err
	}
	p.Form = url.Values{"rt_capacity": {"2"}, "rt_base_occupancy": {"2"}, "blk_kind": {inventory.OutOfOrder},
		"blk_start": {d.Today.String()}, "blk_end": {d.Today.AddDays(1).String()}}
	p.Data = d
	s.RenderPage(w, r, http.StatusOK, "rooms", p)
	return nil
}

func (s Handlers) roomsData(r *http.Request, c *web.Call, prop inventory.Property) (*roomsData, error) {
	ctx := r.Context()
	d := &roomsData{Today: s.Today(r, c, prop)}
	types, err := inventory.New(c.DB).ListRoomTypes(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	rooms, err := inventory.New(c.DB).ListRooms(ctx, prop.ID)
	if err != nil {
		return nil, err
	}
	blocks, err := inventory.New(c.DB).ListRoomBlocks(ctx, prop.ID, d.Today, d.Today.AddDays(tenant.MaxRange))
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
func (s Handlers) roomsFormError(w http.ResponseWriter, r *http.Request, c *web.Call, err error, prefix string) error {
	code := aura.ErrorCode(err)
	if code != aura.EINVALID && code != aura.ECONFLICT {
		return err
	}
	p, prop, perr := s.PmsPage(w, r, c, "Rooms", "rooms")
	if perr != nil {
		return perr
	}
	d, derr := s.roomsData(r, c, prop)
	if derr != nil {
		return derr
	}
	p.Form = r.PostForm
	p.FormFieldErrors(err, func(f string) string {
		if strings.HasPrefix(f, prefix) {
			return f
		}
		if i := strings.IndexAny(f, "[."); i > 0 {
			f = f[:i]
		}
		return prefix + f
	})
	p.Data = d
	s.RenderPage(w, r, web.StatusOf(err), "rooms", p)
	return nil
}

func roomTypeInput(v url.Values, prefix string) (inventory.RoomTypeInput, error) {
	var fe web.FormErrors
	in := inventory.RoomTypeInput{Code: strings.TrimSpace(v.Get(prefix + "code")), Name: strings.TrimSpace(v.Get(prefix + "name")),
		Description: strings.TrimSpace(v.Get(prefix + "description"))}
	in.Capacity = fe.Int(v, prefix+"capacity", 0)
	in.BaseOccupancy = fe.Int(v, prefix+"base_occupancy", 0)
	in.SortOrder = fe.Int(v, prefix+"sort_order", 0)
	return in, fe.Err("The room type is not valid.")
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

func (s Handlers) RoomTypeCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Rooms", "rooms")
	if p.Property == nil {
		return web.ErrNoProperty
	}
	in, err := roomTypeInput(r.PostForm, "rt_")
	in.PropertyID = p.Property.ID
	var rt inventory.RoomType
	if err == nil {
		rt, err = inventory.New(c.DB).CreateRoomType(r.Context(), in)
	}
	if err != nil {
		return s.roomsFormError(w, r, c, err, "rt_")
	}
	s.SetFlash(w, "ok", "Room type "+rt.Name+" is added. Add its rooms and a rate plan next.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/rooms#rooms", http.StatusSeeOther)
	return nil
}

func (s Handlers) RoomCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Rooms", "rooms")
	if p.Property == nil {
		return web.ErrNoProperty
	}
	in := roomInput(r.PostForm, "room_")
	in.PropertyID = p.Property.ID
	rm, err := inventory.New(c.DB).CreateRoom(r.Context(), in)
	if err != nil {
		return s.roomsFormError(w, r, c, err, "room_")
	}
	s.SetFlash(w, "ok", "Room "+rm.Number+" is added.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/rooms#rooms", http.StatusSeeOther)
	return nil
}

func (s Handlers) RoomBlockCreate(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	var fe web.FormErrors
	v := r.PostForm
	in := inventory.RoomBlockInput{RoomID: v.Get("blk_room_id"), Kind: v.Get("blk_kind"), Reason: strings.TrimSpace(v.Get("blk_reason"))}
	in.Start = fe.Date(v, "blk_start")
	last := fe.Date(v, "blk_last")
	if !last.IsZero() {
		in.End = last.AddDays(1) // the form names the last night; the store takes the end exclusive
	}
	err := fe.Err("The period is not valid.")
	if err == nil {
		if rm, rerr := inventory.New(c.DB).GetRoom(r.Context(), in.RoomID); rerr != nil || (s.currentPropertyID(w, r, c) != rm.PropertyID) {
			err = aura.Invalid("The period is not valid.", aura.FieldError{Field: "room_id", Message: "choose a room of this property"})
		}
	}
	if err == nil {
		_, err = inventory.New(c.DB).CreateRoomBlock(r.Context(), in)
	}
	if err != nil {
		return s.roomsFormError(w, r, c, renameField(err, "end", "last"), "blk_")
	}
	s.SetFlash(w, "ok", "The room is "+strings.ReplaceAll(in.Kind, "_", " ")+" for the nights "+in.Start.String()+" to "+last.String()+".")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/rooms#blocks", http.StatusSeeOther)
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

func (s Handlers) currentPropertyID(w http.ResponseWriter, r *http.Request, c *web.Call) string {
	p, _ := s.PropertyContext(w, r, c)
	if p == nil {
		return ""
	}
	return p.ID
}

func (s Handlers) RoomBlockDelete(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := inventory.New(c.DB).DeleteRoomBlock(r.Context(), c.Params.ByName("id")); err != nil {
		return err
	}
	s.SetFlash(w, "ok", "The period is removed; the room is back in service.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/rooms#blocks", http.StatusSeeOther)
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

func (s Handlers) RoomTypeEditPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rt, err := inventory.New(c.DB).GetRoomType(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Room type "+rt.Name, "rooms")
	p.Form = url.Values{"code": {rt.Code}, "name": {rt.Name}, "description": {rt.Description}, "capacity": {strconv.Itoa(rt.Capacity)},
		"base_occupancy": {strconv.Itoa(rt.BaseOccupancy)}, "sort_order": {strconv.Itoa(rt.SortOrder)}}
	p.Data = &roomEditData{Kind: "room_type", ID: rt.ID, Version: rt.Version, Name: rt.Name}
	s.RenderPage(w, r, http.StatusOK, "room_edit", p)
	return nil
}

func (s Handlers) RoomTypeSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	before, err := inventory.New(c.DB).GetRoomType(r.Context(), id)
	if err != nil {
		return err
	}
	in, err := roomTypeInput(r.PostForm, "")
	in.Version = web.FormVersion(r.PostForm)
	var rt inventory.RoomType
	if err == nil {
		rt, err = inventory.New(c.DB).UpdateRoomType(r.Context(), id, in)
	}
	if err != nil {
		return s.roomEditError(w, r, c, err, &roomEditData{Kind: "room_type", ID: id, Version: in.Version, Name: before.Name})
	}
	s.SetFlash(w, "ok", "Room type "+rt.Name+" is saved.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/rooms", http.StatusSeeOther)
	return nil
}

func (s Handlers) RoomEditPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	rm, err := inventory.New(c.DB).GetRoom(r.Context(), c.Params.ByName("id"))
	if err != nil {
		return err
	}
	types, err := inventory.New(c.DB).ListRoomTypes(r.Context(), rm.PropertyID)
	if err != nil {
		return err
	}
	p := s.TenantPage(w, r, c, "Room "+rm.Number, "rooms")
	p.Form = url.Values{"room_type_id": {rm.RoomTypeID}, "number": {rm.Number}, "floor": {rm.Floor},
		"features": {strings.Join(rm.Features, ", ")}, "sort_order": {strconv.Itoa(rm.SortOrder)}}
	p.Data = &roomEditData{Kind: "room", ID: rm.ID, Version: rm.Version, Name: rm.Number, Options: types}
	s.RenderPage(w, r, http.StatusOK, "room_edit", p)
	return nil
}

func (s Handlers) RoomSave(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	if err := web.ParseForm(r); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	before, err := inventory.New(c.DB).GetRoom(r.Context(), id)
	if err != nil {
		return err
	}
	in := roomInput(r.PostForm, "")
	in.Version = web.FormVersion(r.PostForm)
	rm, err := inventory.New(c.DB).UpdateRoom(r.Context(), id, in)
	if err != nil {
		types, terr := inventory.New(c.DB).ListRoomTypes(r.Context(), before.PropertyID)
		if terr != nil {
			return terr
		}
		return s.roomEditError(w, r, c, err, &roomEditData{Kind: "room", ID: id, Version: in.Version, Name: before.Number, Options: types})
	}
	s.SetFlash(w, "ok", "Room "+rm.Number+" is saved.")
	http.Redirect(w, r, web.TenantPath(c.Tenant.Slug)+"settings/rooms#rooms", http.StatusSeeOther)
	return nil
}

func (s Handlers) roomEditError(w http.ResponseWriter, r *http.Request, c *web.Call, err error, d *roomEditData) error {
	code := aura.ErrorCode(err)
	if code != aura.EINVALID && code != aura.ECONFLICT && code != aura.EPRECONDITION {
		return err
	}
	title := "Room " + d.Name
	if d.Kind == "room_type" {
		title = "Room type " + d.Name
	}
	p := s.TenantPage(w, r, c, title, "rooms")
	p.Form = r.PostForm
	p.FormFieldErrors(err, func(f string) string {
		if i := strings.IndexAny(f, "[."); i > 0 {
			return f[:i]
		}
		return f
	})
	p.Data = d
	s.RenderPage(w, r, web.StatusOf(err), "room_edit", p)
	return nil
}
