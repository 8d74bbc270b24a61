package payments_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aurapms/aura/internal/auratest"
	"github.com/aurapms/aura/replica"
	"github.com/aurapms/aura/tenant/payments"
)

// TestNoCardNumbers runs the card flows — a card saved on file, a payment,
// an off-session fee, a partial and a full refund — while people and
// Stripe try to hand Aura card numbers (in notes, as a PaymentMethod, as a
// virtual card token, inside a webhook's payload), with the tenant file
// replicated by the embedded Litestream. Then it scans the tenant file, its
// WAL, the replica (restored, and as stored), the captured logs, the audit
// rows and every request Aura sent Stripe for a Luhn-valid 13–19 digit
// number, and finds none. A number planted in the file afterwards is found
// by the same scan, so it cannot pass for want of looking.
func TestNoCardNumbers(t *testing.T) {
	const pan, spaced = "4242424242424242", "4000 0566 5566 5556"
	f := newFixture(t, paid)
	var logs bytes.Buffer
	replicaDir := filepath.Join(t.TempDir(), "replica")
	r, err := replica.New(replica.Config{Destination: replica.Destination{Type: replica.TypeFile, Path: replicaDir},
		SyncInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	replicaKey, prefix := f.db.DerivedKey("replica"), "tenants/"+f.db.ID
	if err := r.Register(f.ctx, f.db.Path, prefix, replicaKey); err != nil {
		t.Fatal(err)
	}

	// The flows.
	card := must(f.s.SaveCard(f.ctx, payments.SaveCardInput{FolioID: f.folio.ID, IdempotencyKey: key()}))(t)
	must(0, f.deliver(t, event("setup_intent.succeeded", map[string]any{"id": card.SetupIntentID, "object": "setup_intent", "status": "succeeded",
		"customer": card.CustomerID, "payment_method": "pm_1AuraCardOnFile", "usage": "off_session"})))(t)
	p := must(f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: paidAmount, PaymentMethodID: "pm_1AuraCardVisa",
		Note: "front desk", BusinessDate: f.today, IdempotencyKey: key()}))(t)
	fee := must(f.s.ChargeCard(f.ctx, payments.ChargeInput{CardID: card.ID, Amount: paidAmount, Purpose: payments.PurposeNoShowFee,
		BusinessDate: f.today, IdempotencyKey: key()}))(t)
	must(f.s.Refund(f.ctx, payments.RefundInput{PaymentID: p.ID, Amount: 1000, Note: "minibar was wrong", BusinessDate: f.today, IdempotencyKey: key()}))(t)
	must(f.s.Refund(f.ctx, payments.RefundInput{PaymentID: fee.ID, BusinessDate: f.today, IdempotencyKey: key()}))(t)

	// Card numbers offered to Aura: each refused, or dropped.
	refusals := []error{
		func() error {
			_, err := f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, Note: "card " + spaced, BusinessDate: f.today, IdempotencyKey: key()})
			return err
		}(),
		func() error {
			_, err := f.s.TakePayment(f.ctx, payments.PaymentInput{FolioID: f.folio.ID, Amount: 100, PaymentMethodID: pan, BusinessDate: f.today, IdempotencyKey: key()})
			return err
		}(),
		func() error {
			_, err := f.s.SaveCard(f.ctx, payments.SaveCardInput{FolioID: f.folio.ID, PaymentMethodID: "pm_" + pan + "x", IdempotencyKey: key()})
			return err
		}(),
		func() error {
			_, err := f.s.AddVirtualCard(f.ctx, payments.VirtualCardInput{FolioID: f.folio.ID, PaymentMethodID: pan, ActivationDate: f.today,
				MaxAmount: 100, Source: "booking.com"})
			return err
		}(),
		func() error {
			_, err := f.s.Refund(f.ctx, payments.RefundInput{PaymentID: p.ID, Amount: 100, Note: "back to " + pan, BusinessDate: f.today, IdempotencyKey: key()})
			return err
		}(),
		func() error {
			body, sig := sign(t, event("payment_intent.succeeded", map[string]any{"id": "pi_1Forged", "object": "payment_intent", "description": pan}),
				"whsec_Zm9yZ2VkLXNlY3JldA", f.clock.Now())
			return payments.HandleWebhook(f.ctx, f.db, body, sig, f.clock.Now())
		}(),
	}
	for i, err := range refusals {
		if err == nil {
			t.Errorf("offer %d of a card number was accepted", i)
		}
	}
	// A genuine event whose free text holds a card number (a description
	// someone typed in Stripe's dashboard): processed, the text not kept.
	must(0, f.deliver(t, event("payment_intent.succeeded", intent(p, "succeeded", map[string]any{
		"description": "paid with " + spaced, "metadata": map[string]any{"aura_payment": p.ID, "note": pan}}))))(t)

	// Ship everything to the replica and restore it beside.
	if err := r.Sync(f.ctx, f.db.Path); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "restored.db")
	if _, err := r.Restore(f.ctx, prefix, replicaKey, restored, time.Time{}); err != nil {
		t.Fatal(err)
	}

	scanned := auratest.NoCardNumbersInFiles(t, f.db.Path, f.db.Path+"-wal", restored, restored+"-wal")
	if scanned < 3 {
		t.Fatalf("scanned only %d files", scanned)
	}
	var stored []string
	filepath.WalkDir(replicaDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			stored = append(stored, path)
		}
		return err
	})
	if len(stored) == 0 {
		t.Fatal("the replica holds no files")
	}
	auratest.NoCardNumbersInFiles(t, stored...)
	auratest.NoCardNumbers(t, "stripe-go's log (debug level)", f.log.Bytes())
	auratest.NoCardNumbers(t, "the replicator's log", logs.Bytes())
	var audit bytes.Buffer
	rows, err := f.db.SQL().Read.Query(`SELECT action, entity_id, coalesce(before_json, ''), coalesce(after_json, '') FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var a, id, before, after string
		if err := rows.Scan(&a, &id, &before, &after); err != nil {
			t.Fatal(err)
		}
		audit.WriteString(strings.Join([]string{a, id, before, after}, "\n") + "\n")
		n++
	}
	rows.Close()
	if n < 20 || !strings.Contains(audit.String(), "payment.recorded") || !strings.Contains(audit.String(), "refund.recorded") {
		t.Fatalf("only %d audit rows", n)
	}
	auratest.NoCardNumbers(t, "the audit rows", audit.Bytes())
	var sent bytes.Buffer
	for _, req := range paid.Requests() {
		sent.WriteString(req.Method + " " + req.Path + " " + req.IdempotencyKey + "\n" + string(req.Body) + "\n")
	}
	auratest.NoCardNumbers(t, "the requests Aura sent Stripe", sent.Bytes())

	// The control: a number planted in the tenant file is found by the
	// same scan of the same files.
	raw := f.raw(t)
	if _, err := raw.Exec(`CREATE TABLE planted (id TEXT, note TEXT) STRICT`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO planted VALUES ('fol_x', ?)`, spaced); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, path := range []string{f.db.Path, f.db.Path + "-wal"} {
		b, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		found = append(found, auratest.FindCardNumbers(b)...)
	}
	if !slices.Contains(found, strings.ReplaceAll(spaced, " ", "")) {
		t.Fatalf("the planted number was not found (found %v)", found)
	}
}
