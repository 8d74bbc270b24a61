package stays

import (
	"context"

	"github.com/aurapms/aura/tenant"
)

// GetCheckInRecord returns one check-in record with its photos, unsealed
// (the document of an erased guest is empty and Erased is set). It
// returns ENOTFOUND for an unknown record.
func (db Store) GetCheckInRecord(ctx context.Context, recordID string) (CheckInRecord, error) {
	var rec CheckInRecord
	err := db.View(ctx, func(tx *tenant.Tx) error {
		recs, err := db.queryCheckIns(tx, `WHERE c.id = ?`, recordID)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return tenant.NotFound("check-in record", recordID)
		}
		rec = recs[0]
		return nil
	})
	return rec, err
}
