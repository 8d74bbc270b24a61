// Package ledger is a tenant's books: folios and their immutable lines
// (charge, allowance, payment, refund, transfer), the tax codes with dated
// rates, accounting categories, city-tax rules and products of each
// property, payments and refunds recorded by hand or by a payment provider,
// and the invoices and credit notes issued from folios, with their gapless
// numbers, their EN 16931 XML and their PDF.
//
// It is a lower layer than the PMS: it knows folios and lines, not
// reservations. A folio names what it belongs to by an opaque reference (a
// kind and an id, such as "reservation" and "res_…"); the PMS and the night
// audit post to it through Store.PostNight, PostCharge, PostProduct and
// RecordPayment, and read balances back through FolioBalance.
//
// It may import only the file layer (package tenant: *tenant.DB, tenant.Tx,
// DerivedKey), aura, audit, date, keys, the standard library and the pinned
// PDF module; never the PMS domains, which import it.
//
// Rules every function here keeps:
//   - Amounts are integer minor units of the property's one currency.
//   - One rounding rule, Round: per line, half away from zero. Document
//     totals are sums of line amounts, so every document reconciles to the
//     minor unit.
//   - Posted lines and issued documents are never updated or deleted
//     (triggers abort it); corrections are new lines or credit notes that
//     reference the original.
//   - Every change writes its audit row, with before and after, in the same
//     transaction; an issued document's audit row carries its hash.
package ledger
