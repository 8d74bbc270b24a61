package web

import (
	"net/http"

	"github.com/aurapms/aura/tenant/inventory"
)

// cookieProperty remembers which of a tenant's properties the user works
// on, scoped to the tenant's path like every tenant cookie.
const cookieProperty = "aura_property"

// PropertyContext returns the tenant's properties and the one the page is
// about: the ?property= query parameter (which is then remembered), else
// the remembered one, else the first. It returns nil when the tenant has
// no property yet.
func (s *Server) PropertyContext(w http.ResponseWriter, r *http.Request, c *Call) (*inventory.Property, []inventory.Property) {
	if c.DB == nil {
		return nil, nil
	}
	all, err := inventory.New(c.DB).ListProperties(r.Context())
	if err != nil || len(all) == 0 {
		return nil, all
	}
	find := func(id string) *inventory.Property {
		for i := range all {
			if all[i].ID == id {
				return &all[i]
			}
		}
		return nil
	}
	if id := r.URL.Query().Get("property"); id != "" {
		if p := find(id); p != nil {
			s.SetCookie(w, cookieProperty, TenantPath(c.Tenant.Slug), id, 365*24*3600)
			return p, all
		}
	}
	var id string
	if s.ReadCookie(r, cookieProperty, &id) {
		if p := find(id); p != nil {
			return p, all
		}
	}
	return &all[0], all
}
