package payments

import "github.com/aurapms/aura/tenant"

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner = interface{ Scan(...any) error }

// queryAll runs a query in tx and scans each of its rows with scan, in
// order; the rows are closed when it returns, so the caller may query
// again in the same transaction.
func queryAll[T any](tx *tenant.Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanID scans a row of one id.
func scanID(r scanner) (string, error) {
	var id string
	err := r.Scan(&id)
	return id, err
}
