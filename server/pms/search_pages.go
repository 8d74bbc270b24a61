package pms

import (
	"net/http"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/identity"
	"github.com/aurapms/aura/tenant/stays"
)

// The global search of the top bar: a guest by name, email or phone, a
// stay by its booking code, a room by number (tenant.DB.Search), on one
// page. Guests and names only for those who may read guests.

type searchData struct {
	Results stays.SearchResults
	Done    bool // a query was run
	Guests  bool // the caller may read guests
}

func (s Handlers) SearchPage(w http.ResponseWriter, r *http.Request, c *web.Call) error {
	p := s.TenantPage(w, r, c, "Search", "")
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := &searchData{Guests: c.Can(identity.PermGuestsRead)}
	p.Form.Set("q", q)
	p.Data = d
	if q == "" {
		s.RenderPage(w, r, http.StatusOK, "search", p)
		return nil
	}
	res, err := stays.New(c.DB).Search(r.Context(), stays.SearchInput{Query: q, Guests: d.Guests, Limit: 20})
	if aura.ErrorCode(err) == aura.EINVALID {
		p.FormFieldErrors(err, nil)
		s.RenderPage(w, r, http.StatusBadRequest, "search", p)
		return nil
	} else if err != nil {
		return err
	}
	d.Results, d.Done = res, true
	p.Title = "Search · " + q
	s.RenderPage(w, r, http.StatusOK, "search", p)
	return nil
}
