package tenant

// Scanner is a row to scan: *sql.Row or *sql.Rows.
type Scanner = interface{ Scan(...any) error }

// QueryAll runs a query in tx and scans each of its rows with scan, in
// order: the loop every list of a store would otherwise write out. The
// rows are closed when it returns, so the caller may query again in the
// same transaction.
func QueryAll[T any](tx *Tx, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
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
