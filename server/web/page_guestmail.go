package web

import (
	"strconv"

	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/guestmail"
)

// ConsentName names a consent kind for people.
func (p *Page) ConsentName(kind string) string { return guestdata.ConsentName(kind) }

// ConsentSource says how a consent was given, for people ("at the front desk").
func (p *Page) ConsentSource(source string) string { return guestdata.SourceName(source) }

// guestMessages is what the "guestmessages" partial renders: the emails
// to a guest (on the guest page) or about a stay (on the reservation
// page).
type guestMessages struct {
	P        *Page
	Messages []guestmail.Message
	ID       string // the list's element id
}

// GuestMessages prepares the emails list for the "guestmessages" partial.
func (p *Page) GuestMessages(ms []guestmail.Message, id string) guestMessages {
	return guestMessages{P: p, Messages: ms, ID: id}
}

// MessageKind names a kind of guest email for people.
func (p *Page) MessageKind(kind string) string { return guestmail.KindName(kind) }

// MessageStatus says where a guest email stands, for people.
func (p *Page) MessageStatus(m guestmail.Message) string {
	switch m.Status {
	case guestmail.StatusSent:
		if m.SentAt != nil {
			return "Sent " + p.When(*m.SentAt)
		}
		return "Sent"
	case guestmail.StatusQueued:
		if m.Attempts == 0 {
			return "Queued"
		}
		s := "Not delivered yet (attempt " + strconv.Itoa(m.Attempts) + ")"
		if m.NextAttemptAt != nil {
			s += "; next try " + p.When(*m.NextAttemptAt)
		}
		return s
	case guestmail.StatusFailed:
		return "Failed after " + strconv.Itoa(m.Attempts) + " attempts"
	case guestmail.StatusWithheld:
		return "Not sent: " + m.Reason
	}
	return m.Status
}
