package guestdata

import (
	"context"
	"fmt"
	"time"

	"github.com/aurapms/aura/tenant/guestmail"
	"github.com/aurapms/aura/tenant/inventory"
	"github.com/aurapms/aura/tenant/ledger"
)

// Processing is one line of the records of processing (GDPR art. 30):
// what Aura stores about guests, why, for how long and where.
type Processing struct {
	What    string `json:"what"`
	Why     string `json:"why"`
	HowLong string `json:"how_long"`
	Where   string `json:"where"`
}

// PropertyProcessing is the records of processing of one property.
type PropertyProcessing struct {
	Property inventory.Property `json:"property"`
	Records  []Processing       `json:"records"`
}

// Storage says where the tenant's data lives: the server's data directory
// and the replica target (name and destination, no secrets) with how long
// the replica keeps old copies (zero when replication is off).
type Storage struct {
	Replica          string
	ReplicaRetention time.Duration
}

// RecordsOfProcessing describes, per property, what Aura stores about a
// guest, why, for how long and where, built from the settings the code
// enforces (each property's ID-photo retention and document-number purge,
// the invoice retention of the books, the replica's retention and
// target), so it changes when they do. Errors are internal.
func (s Store) RecordsOfProcessing(ctx context.Context, st Storage) ([]PropertyProcessing, error) {
	props, err := inventory.New(s.DB).ListProperties(ctx)
	if err != nil {
		return nil, err
	}
	here := "this server's tenant file (personal fields encrypted under the guest's own key)"
	backup := "no replica is configured: only the tenant file"
	if st.Replica != "" {
		backup = fmt.Sprintf("encrypted replica %s; old copies kept %d days", st.Replica, int(st.ReplicaRetention.Hours()/24))
	}
	regMonths, err := s.RegistrationRetention(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PropertyProcessing, 0, len(props))
	for _, p := range props {
		fd := p.FrontDesk
		mail, err := guestmail.New(s.DB).GetSettings(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		mailWhy := "guest emails are off at this property: nothing is sent"
		if mail.Enabled {
			mailWhy = "to confirm the booking, prepare the arrival and confirm a cancellation (the booking contract)"
			if mail.PreArrivalDays > 0 {
				mailWhy += fmt.Sprintf("; the pre-arrival email goes %d days before arrival", mail.PreArrivalDays)
			}
		}
		registration := "until the guest is anonymised"
		if m := regMonths[p.ID]; m > 0 {
			registration = fmt.Sprintf("%d months after check-out, then purged (the record's tombstone stays), or earlier if the guest is anonymised", m)
		}
		number := registration
		if fd.PurgeDocumentNumbers {
			number = fmt.Sprintf("%d days after check-out, then deleted", fd.IDPhotoRetentionDays)
		}
		out = append(out, PropertyProcessing{Property: p, Records: []Processing{
			{What: "Guest profile: name, email, phone, address, nationality, language, notes",
				Why: "to perform the booking contract and communicate about the stay", HowLong: "until the guest is anonymised (guests.erase); then a pseudonym remains", Where: here},
			{What: "Reservations and their nights, rooms and prices",
				Why: "the booking contract; occupancy and revenue reports", HowLong: "kept; after anonymisation linked only to the pseudonym", Where: here},
			{What: "Check-in record: document type, issuing country, expiry, date of birth",
				Why: "the legal duty to register guests", HowLong: registration, Where: here},
			{What: "ID document number", Why: "the legal duty to register guests", HowLong: number, Where: here},
			{What: "ID photos", Why: "to check identity at check-in",
				HowLong: fmt.Sprintf("%d days after check-out (or after the record was taken for a stay never checked out), then deleted", fd.IDPhotoRetentionDays), Where: here},
			{What: "Emails to the guest: recipient, subject, text, delivery status and time", Why: mailWhy,
				HowLong: "until the guest is anonymised; then only the kind of message, its status and times remain", Where: here + "; sent through the server's SMTP relay"},
			{What: "Folios, charges and payments", Why: "bookkeeping duties", HowLong: "kept with the books; not personal once the guest is anonymised", Where: here},
			{What: "Invoices and credit notes with the recipient as issued", Why: "tax law (issued invoices must be kept)",
				HowLong: fmt.Sprintf("%d years from the end of the year of issue; then the recipient's key is deleted", ledger.RetentionYears), Where: here + "; the recipient under the financial-records key"},
			{What: "Audit trail of every change", Why: "security and accountability (tamper-evident log)",
				HowLong: "kept for the life of the account; the guest's fields in it cannot be opened once the guest is anonymised", Where: here},
			{What: "Backups of all of the above", Why: "to restore after a failure", HowLong: "until they age out of the replica", Where: backup},
		}})
	}
	return out, nil
}
