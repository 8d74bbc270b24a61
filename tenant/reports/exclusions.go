package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/inventory"
)

// Exclusions are how a property's reports treat complimentary and
// house-use rooms, as its operator configures them: the rate plans
// (by code) whose reservations are complimentary (a guest staying free)
// or house use (a room the hotel uses itself), and whether each kind is
// excluded.
//
//   - Excluded complimentary nights are not sold: they leave Sold (so
//     they neither raise occupancy nor dilute ADR) and stay available.
//   - Excluded house-use nights are neither sold nor available: they
//     leave Sold and are withheld from Available, like out-of-order rooms.
//
// Whatever the choice, Figures counts both kinds (Complimentary,
// HouseUse), and any revenue posted for them stays in the revenue.
type Exclusions struct {
	PropertyID           string   `json:"property_id"`
	ComplimentaryPlans   []string `json:"complimentary_plans"`
	HouseUsePlans        []string `json:"house_use_plans"`
	ExcludeComplimentary bool     `json:"exclude_complimentary"`
	ExcludeHouseUse      bool     `json:"exclude_house_use"`
}

func exclusionsKey(propertyID string) string { return "reports.exclusions." + propertyID }

// GetExclusions returns a property's exclusions (none when it set none).
func (s Store) GetExclusions(ctx context.Context, propertyID string) (Exclusions, error) {
	ex := Exclusions{PropertyID: propertyID, ComplimentaryPlans: []string{}, HouseUsePlans: []string{}}
	st, err := s.GetSetting(ctx, exclusionsKey(propertyID))
	if aura.ErrorCode(err) == aura.ENOTFOUND {
		return ex, nil
	}
	if err != nil {
		return ex, err
	}
	if err := json.Unmarshal(st.Value, &ex); err != nil {
		return ex, fmt.Errorf("reports: exclusions: %w", err)
	}
	ex.PropertyID = propertyID
	return ex, nil
}

// SetExclusions stores a property's exclusions (audited as a setting
// change). It returns EINVALID naming a rate plan code the property does
// not have, or one listed as both complimentary and house use, and
// ENOTFOUND for an unknown property.
func (s Store) SetExclusions(ctx context.Context, ex Exclusions) (Exclusions, error) {
	inv := inventory.New(s.DB)
	if _, err := inv.GetProperty(ctx, ex.PropertyID); err != nil {
		return ex, err
	}
	plans, err := inv.ListRatePlans(ctx, ex.PropertyID)
	if err != nil {
		return ex, err
	}
	known := map[string]bool{}
	for _, p := range plans {
		known[p.Code] = true
	}
	var fields []aura.FieldError
	clean := func(field string, codes []string) []string {
		out := []string{}
		seen := map[string]bool{}
		for _, c := range codes {
			c = strings.TrimSpace(c)
			if c == "" || seen[c] {
				continue
			}
			seen[c] = true
			if !known[c] {
				fields = append(fields, aura.FieldError{Field: field, Message: fmt.Sprintf("The property has no rate plan %q.", c)})
			}
			out = append(out, c)
		}
		sort.Strings(out)
		return out
	}
	ex.ComplimentaryPlans = clean("complimentary_plans", ex.ComplimentaryPlans)
	ex.HouseUsePlans = clean("house_use_plans", ex.HouseUsePlans)
	for _, c := range ex.HouseUsePlans {
		for _, d := range ex.ComplimentaryPlans {
			if c == d {
				fields = append(fields, aura.FieldError{Field: "house_use_plans", Message: fmt.Sprintf("The rate plan %s is already complimentary.", c)})
			}
		}
	}
	if len(fields) > 0 {
		return ex, aura.Invalid("The report settings are not valid.", fields...)
	}
	b, err := json.Marshal(ex)
	if err != nil {
		return ex, err
	}
	return ex, s.SetSetting(ctx, tenant.Setting{Key: exclusionsKey(ex.PropertyID), Value: b})
}

// Rate-plan classes of the exclusions.
const (
	classComplimentary = "complimentary"
	classHouseUse      = "house_use"
)

// planClasses maps the rate-plan ids of a property's complimentary and
// house-use plans to their class.
func (s Store) planClasses(ctx context.Context, ex Exclusions) (map[string]string, error) {
	out := map[string]string{}
	if len(ex.ComplimentaryPlans)+len(ex.HouseUsePlans) == 0 {
		return out, nil
	}
	plans, err := inventory.New(s.DB).ListRatePlans(ctx, ex.PropertyID)
	if err != nil {
		return nil, err
	}
	class := map[string]string{}
	for _, c := range ex.ComplimentaryPlans {
		class[c] = classComplimentary
	}
	for _, c := range ex.HouseUsePlans {
		class[c] = classHouseUse
	}
	for _, p := range plans {
		if k, ok := class[p.Code]; ok {
			out[p.ID] = k
		}
	}
	return out, nil
}
