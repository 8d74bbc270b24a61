package pms

import (
	"strconv"
	"strings"

	"github.com/aurapms/aura/server/web"
	"github.com/aurapms/aura/tenant/guestdata"
	"github.com/aurapms/aura/tenant/owners"
)

// eraseView is what the shared "erase" partial shows on the confirmation
// step of an erasure: a guest's anonymisation or an owner's erasure. Both
// pages are this one view filled by their handlers, so they read alike.
type eraseView struct {
	ListPath, ListLabel string // the crumb back to the list ("Guests")
	SubjectPath         string // the person's page; the form posts to SubjectPath/erase
	Name                string // the person's name today
	Title, Lead         string // the heading and the line under it
	// Refusal is why the erasure is not possible now ("" when it is);
	// the form is not shown while there is one.
	Refusal       string
	Removed, Kept []guestdata.Item
	KeptNote      string // an extra line under what is kept, or ""
	Done          bool   // erased already: no form, a link back instead
	Warning       string // the line above the confirmation box
	ConfirmLabel  string // the confirmation box's label
	Button        string // the submit button's text
	BackLabel     string // the link back when there is no form
}

// guestEraseView is the anonymisation step of the guest in plan.
func guestEraseView(slug string, plan guestdata.ErasurePlan) *eraseView {
	v := &eraseView{
		ListPath: web.TenantPath(slug) + "guests", ListLabel: "Guests",
		SubjectPath: web.TenantPath(slug) + "guests/" + plan.GuestID,
		Name:        plan.Name, Title: "Anonymise " + plan.Name,
		Lead:    "The personal data goes for good; the books stay exactly as they are.",
		Refusal: plan.Refusal, Done: plan.Erased,
		Removed: plan.Removed, Kept: plan.Kept,
		Warning:      "From now on the guest is shown as " + plan.Pseudonym + ". This cannot be undone, and restoring a backup does not bring the data back once the guest's key is gone from every backup kept.",
		ConfirmLabel: "Remove the personal data of " + plan.Name + " for good",
		Button:       "Anonymise", BackLabel: "Back to the guest",
	}
	if len(plan.Invoices) > 0 {
		v.KeptNote = "Invoices kept: " + strings.Join(plan.Invoices, ", ") + "."
	}
	return v
}

// ownerEraseView is the erasure step of owner o, refused for refusal
// ("" when possible), with the counts of what is kept.
func ownerEraseView(slug string, o owners.Owner, refusal string, contracts, statements int) *eraseView {
	return &eraseView{
		ListPath: web.TenantPath(slug) + "owners", ListLabel: "Owners",
		SubjectPath: web.TenantPath(slug) + "owners/" + o.ID,
		Name:        o.Name, Title: "Erase " + o.Name,
		Lead:    "The owner's personal data goes for good; contracts and statements keep their figures.",
		Refusal: refusal, Done: o.ErasedAt != nil,
		Removed: []guestdata.Item{
			{What: "Name, email and postal address", Why: "The owner is shown as “Erased owner” from now on."},
			{What: "VAT id and payout account (IBAN or reference)", Why: "Payouts to this owner can no longer be made from Aura."},
			{What: "The owner's key", Why: "Everything sealed under it becomes unreadable, in this file and, once the key is gone from every backup kept, in the backups too."},
		},
		Kept: []guestdata.Item{
			{What: strconv.Itoa(contracts) + " contract(s)", Why: "Units, nights, commission and fees: the terms statements were made from."},
			{What: strconv.Itoa(statements) + " statement(s) in this property", Why: "Their figures stay exactly as generated; they are part of the books."},
			{What: "The audit trail", Why: "The erasure itself is recorded (owner.erased), with counts only."},
		},
		Warning:      "This cannot be undone.",
		ConfirmLabel: "Erase the personal data of " + o.Name + " for good",
		Button:       "Erase owner", BackLabel: "Back to the owner",
	}
}
