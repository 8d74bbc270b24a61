package payments

import "github.com/aurapms/aura/tenant"

// scanID scans a row of one id.
func scanID(r tenant.Scanner) (string, error) {
	var id string
	err := r.Scan(&id)
	return id, err
}
