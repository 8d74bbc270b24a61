// Package payments owns the Stripe payments of a tenant: its Stripe keys,
// payments taken with PaymentIntents (automatic capture, or manual capture:
// a hold with its expiry), deposits, cards saved on file with a SetupIntent
// for off-session use, off-session charges of a stored card (no-show and
// cancellation fees), OTA virtual cards (a PaymentMethod token chargeable
// from its activation date up to its amount), captures and releases of
// holds, full and partial refunds, and the webhook that tells Aura what
// Stripe did meanwhile.
//
// It may import the tenant file layer (package tenant: *tenant.DB,
// tenant.Tx, Seal, DerivedKey), tenant/ledger, aura, audit, date, keys and
// stripe-go; never the PMS domains, and never net/http beyond what
// stripe-go uses.
//
// Rules every function here keeps:
//   - Only Stripe object ids are stored (cus_, pm_, seti_, pi_, re_, ch_):
//     card data never reaches Aura (Stripe Elements in the browser, OTA
//     virtual cards tokenised by the channel manager's vault), and free text
//     holding a card number is refused before anything is stored or sent.
//   - Every action writes its attempt row before Stripe is called, and
//     every Stripe call carries the idempotency key "aura-<attempt>-<step>"
//     derived from it: a double click or a retry reaches Stripe with the
//     same key and charges once; an unknown outcome is reconciled by
//     sending the same request with the same key again.
//   - Money that moved is recorded in the ledger (ledger.RecordPayment,
//     RecordRefund, SetPaymentStatus), idempotently, so a webhook and the
//     call that caused it record it once whichever comes first.
//   - Every change writes its audit row, with before and after and no
//     secret or card data, in the same transaction.
package payments
