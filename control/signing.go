package control

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/audit"
	"github.com/aurapms/aura/platform"
	"github.com/aurapms/aura/tenant"
	"github.com/aurapms/aura/tenant/ledger"
)

// This file signs and verifies audit chains. The rules (docs/ARCHITECTURE.md,
// "Tamper evidence"):
//   - a head is signed only when the rows since the chain's newest
//     checkpoint verify onto it (same epoch, contiguous, linked, hashed);
//   - every checkpoint links to the one before it, in one log per chain;
//   - only a restore starts an epoch, by a restore checkpoint that names the
//     head it discards, signed inside the restore;
//   - the newest checkpoint of every chain is also kept by the witnesses,
//     and signing stops when a witness holds one the log does not;
//   - a chain that fails is marked broken (platform.MarkAuditBroken) and
//     never signed again until a restore or a full verification passes;
//     the tenant keeps serving.

// chainRef is one audit chain: its id, its name for people, its rows.
type chainRef struct {
	id   string
	name string
	rows audit.Querier
}

func tenantChain(db *tenant.DB) chainRef {
	return chainRef{id: db.ID, name: "tenant " + db.Slug, rows: db.AuditRows()}
}

func (s *Service) platformChain() chainRef {
	return chainRef{id: platform.ChainID, name: "the platform", rows: s.Platform.AuditRows()}
}

// BrokenError is returned when a chain is not signed because it does not
// verify; the chain has been marked broken.
type BrokenError struct {
	Chain string // the chain's name, e.g. "tenant hotel"
	Break *audit.Break
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("%s: not signed: %v", e.Chain, e.Break)
}

// Unwrap returns the break.
func (e *BrokenError) Unwrap() error { return e.Break }

// IsBroken reports whether err says a chain was found broken.
func IsBroken(err error) bool {
	var b *BrokenError
	return errors.As(err, &b)
}

// signing holds what the signer remembers between signings: the newest
// checkpoint each witness holds, by witness and chain (a copy kept in
// memory, outside the data directory, for as long as the process runs).
type signing struct {
	mu   sync.Mutex
	seen map[int]map[string]*audit.Checkpoint
}

// SignTenant signs the head of an acquired tenant's chain if, and only if,
// it verifies onto the chain's newest checkpoint; otherwise it marks the
// chain broken and returns a *BrokenError. Signing an unchanged head is a
// no-op (but brings a lagging witness up to date).
func (s *Service) SignTenant(ctx context.Context, db *tenant.DB) error {
	return s.sign(ctx, tenantChain(db))
}

// Checkpoint signs the head of a tenant's chain (see SignTenant).
func (s *Service) Checkpoint(ctx context.Context, slug string) error {
	db, err := s.Router.Acquire(ctx, slug)
	if err != nil {
		return err
	}
	defer db.Release()
	return s.SignTenant(ctx, db)
}

// SignPlatform signs the head of the platform's own chain under the same
// rules as SignTenant.
func (s *Service) SignPlatform(ctx context.Context) error {
	return s.sign(ctx, s.platformChain())
}

func (s *Service) sign(ctx context.Context, ch chainRef) error {
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	last, err := s.Platform.LastCheckpoint(ctx, ch.id)
	if err != nil {
		return err
	}
	if last == nil {
		return s.bootstrap(ctx, ch)
	}
	if !last.Verified(s.Signer) {
		return s.broken(ctx, ch, &audit.Break{Seq: last.Seq, Reason: fmt.Sprintf("the newest checkpoint %s carries an invalid signature: the platform DB was tampered with", last.String())})
	}
	if b, err := s.checkWitnesses(ctx, ch.id, last, true); err != nil {
		return err
	} else if b != nil {
		return s.broken(ctx, ch, b)
	}
	head, b, err := audit.VerifySince(ctx, ch.rows, ch.id, last)
	if err != nil {
		return err
	}
	if b != nil {
		return s.broken(ctx, ch, b)
	}
	if head.Seq == last.Seq {
		s.putWitnesses(ctx, *last)
		return nil
	}
	return s.appendSigned(ctx, audit.Next(ch.id, last, audit.KindHead, head))
}

// appendSigned signs cps in order, stores them at the end of their log and
// gives the last to the witnesses. The caller holds signing.mu.
func (s *Service) appendSigned(ctx context.Context, cps ...audit.Checkpoint) error {
	now := nowUTC()
	for i := range cps {
		if i > 0 && cps[i].N == cps[i-1].N+1 {
			cps[i].Prev = cps[i-1].Digest()
		}
		if cps[i].Signature == nil {
			cps[i].Sign(s.Signer, now)
		}
	}
	if err := s.Platform.AppendCheckpoints(ctx, cps...); err != nil {
		return err
	}
	s.putWitnesses(ctx, cps[len(cps)-1])
	if err := s.Platform.NoteAuditSigned(ctx, cps[0].Chain); err != nil {
		s.logger().Warn("could not record the audit check", "chain", cps[0].Chain, "err", err)
	}
	return nil
}

// bootstrap starts a chain's checkpoint log: at its creation, or at the first
// signing of a chain signed before logs existed. The whole chain must verify
// from the genesis (epochs changing only at recorded restores), and every
// legacy checkpoint of it must still match. A witness that already holds a
// checkpoint of the chain means the log was deleted.
func (s *Service) bootstrap(ctx context.Context, ch chainRef) error {
	if b, err := s.checkWitnesses(ctx, ch.id, nil, true); err != nil {
		return err
	} else if b != nil {
		return s.broken(ctx, ch, b)
	}
	head, b, err := audit.VerifyBootstrap(ctx, ch.rows, ch.id, "tenant.restored", "platform.restored")
	if err != nil {
		return err
	}
	if b == nil && ch.id != platform.ChainID {
		if b, err = s.checkLegacy(ctx, ch); err != nil {
			return err
		}
	}
	if b != nil {
		return s.broken(ctx, ch, b)
	}
	if head.Seq == 0 {
		return nil
	}
	return s.appendSigned(ctx, audit.Next(ch.id, nil, audit.KindHead, head))
}

// checkLegacy checks a tenant chain against the independent checkpoints
// signed before checkpoint logs existed: each that a later epoch did not
// supersede must still match its row.
func (s *Service) checkLegacy(ctx context.Context, ch chainRef) (*audit.Break, error) {
	legacy, err := s.Platform.LegacyCheckpoints(ctx, ch.id, s.Signer)
	if aura.ErrorCode(err) == aura.EINVALID {
		return &audit.Break{Seq: 1, Reason: aura.ErrorMessage(err)}, nil
	} else if err != nil {
		return nil, err
	}
	start := map[int64]int64{} // epoch -> lowest signed seq
	for _, c := range legacy {
		if v, ok := start[c.Epoch]; !ok || c.Seq < v {
			start[c.Epoch] = c.Seq
		}
	}
	for _, c := range legacy {
		superseded := false
		for e, s := range start {
			if e > c.Epoch && s <= c.Seq {
				superseded = true
			}
		}
		if superseded {
			continue
		}
		r, err := audit.Scan(ch.rows.QueryRowContext(ctx, `SELECT `+audit.Columns+` FROM audit_log WHERE seq = ?`, c.Seq))
		if err != nil || !bytes.Equal(r.Hash, c.Hash) {
			return &audit.Break{Seq: c.Seq, Reason: fmt.Sprintf("the chain no longer matches the checkpoint signed at seq %d on %s", c.Seq, c.SignedAt)}, nil
		}
	}
	return nil, nil
}

// checkWitnesses compares the newest checkpoint each witness holds with the
// log, whose newest entry is last (nil: the log is empty). With cached, a
// witness is read once per process and then remembered. A witness that
// cannot be read is logged and skipped: signing must not stop because a
// bucket is unreachable, and the next signing asks again.
func (s *Service) checkWitnesses(ctx context.Context, chain string, last *audit.Checkpoint, cached bool) (*audit.Break, error) {
	for i, w := range s.witnesses() {
		wc, err := s.witnessNewest(ctx, i, w, chain, cached)
		if err != nil {
			s.logger().Warn("audit witness unreadable", "witness", w.Name(), "chain", chain, "err", err)
			continue
		}
		if wc == nil || (last != nil && wc.N == last.N && wc.Same(last)) {
			continue
		}
		log, err := s.Platform.CheckpointLog(ctx, chain)
		if err != nil {
			return nil, err
		}
		if b := audit.CheckWitness(log, wc, w.Name(), s.Signer); b != nil {
			return b, nil
		}
	}
	return nil, nil
}

func (s *Service) witnessNewest(ctx context.Context, i int, w audit.Witness, chain string, cached bool) (*audit.Checkpoint, error) {
	if cached {
		if cp, ok := s.signing.seen[i][chain]; ok {
			return cp, nil
		}
	}
	cp, err := w.Newest(ctx, chain)
	if err != nil {
		return nil, err
	}
	s.remember(i, chain, cp)
	return cp, nil
}

func (s *Service) remember(i int, chain string, cp *audit.Checkpoint) {
	if s.signing.seen == nil {
		s.signing.seen = map[int]map[string]*audit.Checkpoint{}
	}
	if s.signing.seen[i] == nil {
		s.signing.seen[i] = map[string]*audit.Checkpoint{}
	}
	s.signing.seen[i][chain] = cp
}

// putWitnesses gives cp to every witness that does not hold it yet. A
// failure is logged: the log in the platform DB is the record, the witness
// a copy that catches up at the next signing.
func (s *Service) putWitnesses(ctx context.Context, cp audit.Checkpoint) {
	for i, w := range s.witnesses() {
		if old, ok := s.signing.seen[i][cp.Chain]; ok && old != nil && old.N >= cp.N {
			continue
		}
		if err := w.Put(ctx, cp); err != nil {
			s.logger().Warn("audit witness not written", "witness", w.Name(), "chain", cp.Chain, "err", err)
			continue
		}
		c := cp
		s.remember(i, cp.Chain, &c)
	}
}

// witnesses returns the current witnesses.
func (s *Service) witnesses() []audit.Witness {
	s.witnessMu.RLock()
	defer s.witnessMu.RUnlock()
	return s.Witnesses
}

// SetWitnesses replaces the witnesses while the service runs (a reloaded
// replication config moves the replica's witness with the replica): a
// signing under way finishes with the previous ones, and the next reads
// every new witness afresh.
func (s *Service) SetWitnesses(ws []audit.Witness) {
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	s.witnessMu.Lock()
	s.Witnesses = ws
	s.witnessMu.Unlock()
	s.signing.seen = nil
}

// broken marks a chain broken, logs it, and returns the BrokenError.
func (s *Service) broken(ctx context.Context, ch chainRef, b *audit.Break) error {
	s.logger().Error("audit chain broken: not signed", "chain", ch.name, "first_bad_seq", b.Seq, "reason", b.Reason)
	if err := s.Platform.MarkAuditBroken(aura.WithActor(context.WithoutCancel(ctx), aura.SystemActor("audit-signer")), ch.id, b); err != nil {
		s.logger().Error("could not record the broken audit chain", "chain", ch.name, "err", err)
	}
	return &BrokenError{Chain: ch.name, Break: b}
}

// nextEpoch returns the epoch a restore of a chain starts: after the
// restored head's, the newest checkpoint's and every witness's, so that
// epoch numbers never repeat even when a restore goes back to before an
// earlier one.
func (s *Service) nextEpoch(ctx context.Context, chain string, restored audit.Head) (int64, error) {
	e := restored.Epoch
	last, err := s.Platform.LastCheckpoint(ctx, chain)
	if err != nil {
		return 0, err
	}
	if last != nil {
		e = max(e, last.Epoch)
	}
	for _, w := range s.witnesses() {
		if wc, err := w.Newest(ctx, chain); err == nil && wc != nil && wc.Verified(s.Signer) {
			e = max(e, wc.Epoch)
		}
	}
	return e + 1, nil
}

// signRestore signs, inside a restore, the first row of the epoch it started
// as a restore checkpoint naming the restored head's epoch and the head it
// discarded, then signs the head after it, and marks the chain ok.
func (s *Service) signRestore(ctx context.Context, ch chainRef, first audit.Row, base audit.Head, discarded audit.Head) error {
	s.signing.mu.Lock()
	last, err := s.Platform.LastCheckpoint(ctx, ch.id)
	if err == nil {
		cp := audit.Next(ch.id, last, audit.KindRestore, audit.Head{Seq: first.Seq, Epoch: first.Epoch, Hash: first.Hash})
		cp.BaseEpoch, cp.DiscardedSeq, cp.DiscardedHash = base.Epoch, discarded.Seq, discarded.Hash
		err = s.appendSigned(ctx, cp)
	}
	s.signing.mu.Unlock()
	if err != nil {
		return err
	}
	// The restore checkpoint is stored: from here on the restore stands,
	// and what follows catches up at the next signing if it fails now.
	if err := s.Platform.MarkAuditOK(ctx, ch.id, "restored"); err != nil {
		s.logger().Warn("could not record the restored chain as ok", "chain", ch.name, "err", err)
	}
	if err := s.sign(ctx, ch); err != nil {
		s.logger().Warn("signing the head after a restore failed", "chain", ch.name, "err", err)
	}
	return nil
}

// newestWitnessed returns the newest validly signed checkpoint of a chain
// that any witness holds (nil for none). A witness that cannot be read is
// an error: a restore of the platform DB must know where the logs ended.
func (s *Service) newestWitnessed(ctx context.Context, chain string) (*audit.Checkpoint, error) {
	var best *audit.Checkpoint
	for _, w := range s.witnesses() {
		wc, err := w.Newest(ctx, chain)
		if err != nil {
			return nil, fmt.Errorf("%s cannot be read: %w", w.Name(), err)
		}
		if wc != nil && wc.Verified(s.Signer) && (best == nil || wc.N > best.N) {
			best = wc
		}
	}
	return best, nil
}

// resumed returns the entries that continue a chain's log after the
// platform DB was restored: when a witness holds a newer checkpoint w than
// the restored log's newest (kept), w itself and next after it, bridging
// the gap; otherwise next after kept. next carries kind, epoch, seq and hash.
func resumed(kept, w *audit.Checkpoint, next audit.Checkpoint) []audit.Checkpoint {
	if w == nil || (kept != nil && w.N <= kept.N) {
		n := audit.Next(next.Chain, kept, next.Kind, next.Head())
		n.BaseEpoch, n.DiscardedSeq, n.DiscardedHash = next.BaseEpoch, next.DiscardedSeq, next.DiscardedHash
		return []audit.Checkpoint{n}
	}
	n := audit.Next(next.Chain, w, next.Kind, next.Head())
	n.BaseEpoch, n.DiscardedSeq, n.DiscardedHash = next.BaseEpoch, next.DiscardedSeq, next.DiscardedHash
	if kept != nil {
		n.GapAfter, n.GapDigest = kept.N, kept.Digest()
	}
	return []audit.Checkpoint{*w, n}
}

// ResumeAfterPlatformRestore is run once the platform DB was replaced by a
// restore (no server running). The restored DB's checkpoint logs end where
// the replica point was; the witnesses hold where they really ended. It
// starts a new epoch of the platform chain (recording detail and the head
// discarded) signed by a restore checkpoint that follows the newest
// witnessed one, and continues each tenant's log after its newest witnessed
// checkpoint once the tenant's chain verifies from there (a tenant whose
// chain does not is marked broken). It returns the new epoch.
func (s *Service) ResumeAfterPlatformRestore(ctx context.Context, discarded audit.Head, detail map[string]any) (int64, error) {
	restoredHead, err := audit.ReadHead(ctx, s.Platform.AuditRows(), platform.ChainID)
	if err != nil {
		return 0, err
	}
	epoch, err := s.nextEpoch(ctx, platform.ChainID, restoredHead)
	if err != nil {
		return 0, err
	}
	detail["discarded_seq"], detail["discarded_head_hash"] = discarded.Seq, hex.EncodeToString(discarded.Hash)
	row, err := s.Platform.RecordRestore(ctx, epoch, detail)
	if err != nil {
		return 0, err
	}
	s.signing.mu.Lock()
	err = s.resumePlatform(ctx, row, restoredHead, discarded)
	s.signing.mu.Unlock()
	if err != nil {
		return 0, err
	}
	ts, err := s.Platform.Tenants(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		if t.Status == platform.StatusDeleted || !t.HasKey() {
			continue
		}
		if err := s.resumeTenant(ctx, t); err != nil && !IsBroken(err) {
			return 0, fmt.Errorf("tenant %s: %w", t.Slug, err)
		}
	}
	if err := s.Platform.MarkAuditOK(ctx, platform.ChainID, "restored"); err != nil {
		return 0, err
	}
	return epoch, s.SignPlatform(ctx)
}

func (s *Service) resumePlatform(ctx context.Context, first audit.Row, base, discarded audit.Head) error {
	kept, err := s.Platform.LastCheckpoint(ctx, platform.ChainID)
	if err != nil {
		return err
	}
	w, err := s.newestWitnessed(ctx, platform.ChainID)
	if err != nil {
		return err
	}
	next := audit.Checkpoint{Chain: platform.ChainID, Kind: audit.KindRestore, Epoch: first.Epoch, Seq: first.Seq, Hash: first.Hash,
		BaseEpoch: base.Epoch, DiscardedSeq: discarded.Seq, DiscardedHash: discarded.Hash}
	return s.appendSigned(ctx, resumed(kept, w, next)...)
}

func (s *Service) resumeTenant(ctx context.Context, t platform.Tenant) error {
	s.signing.mu.Lock()
	defer s.signing.mu.Unlock()
	kept, err := s.Platform.LastCheckpoint(ctx, t.ID)
	if err != nil {
		return err
	}
	w, err := s.newestWitnessed(ctx, t.ID)
	if err != nil || w == nil || (kept != nil && w.N <= kept.N) {
		return err
	}
	key, err := s.Platform.DataKey(t)
	if err != nil {
		return err
	}
	db, err := tenant.OpenFile(ctx, s.TenantPath(t.ID), tenant.Info{ID: t.ID, Slug: t.Slug, Status: tenant.StatusActive, DataKey: key}, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	ch := tenantChain(db)
	head, b, err := audit.VerifySince(ctx, ch.rows, t.ID, w)
	if err != nil {
		return err
	}
	if b != nil {
		return s.broken(ctx, ch, b)
	}
	next := audit.Checkpoint{Chain: t.ID, Kind: audit.KindResume, Epoch: head.Epoch, Seq: head.Seq, Hash: head.Hash}
	return s.appendSigned(ctx, resumed(kept, w, next)...)
}

// VerifyAudit verifies a tenant's whole audit chain against its checkpoint
// log and the witnesses (see verify), and records the outcome as the
// tenant's audit status.
func (s *Service) VerifyAudit(ctx context.Context, slug string) (audit.Result, error) {
	db, err := s.Router.Acquire(ctx, slug)
	if err != nil {
		return audit.Result{}, err
	}
	defer db.Release()
	return s.VerifyTenant(ctx, db)
}

// VerifyTenant verifies an acquired tenant's chain (see VerifyAudit) and,
// once it verifies, every issued invoice and credit note against the hash
// its audit row recorded (ledger.VerifyDocuments): a tampered document is
// the Break, at the seq of the row that recorded its issue, named by its
// number. The outcome is recorded as the tenant's audit status.
func (s *Service) VerifyTenant(ctx context.Context, db *tenant.DB) (audit.Result, error) {
	res, err := s.verify(ctx, tenantChain(db))
	if err != nil || !res.OK() {
		return res, err
	}
	docs, err := ledger.New(db).VerifyDocuments(ctx)
	if err != nil {
		return res, err
	}
	if !docs.OK() {
		p := docs.Problems[0]
		res.Break = &audit.Break{Seq: p.AuditSeq, Reason: fmt.Sprintf("issued document %s (%d of %d documents fail)", p, len(docs.Problems), docs.Documents)}
		err = s.Platform.MarkAuditBroken(aura.WithActor(context.WithoutCancel(ctx), aura.SystemActor("audit-verify")), db.ID, res.Break)
	}
	return res, err
}

// VerifyPlatformAudit verifies the platform's own chain (see verify).
func (s *Service) VerifyPlatformAudit(ctx context.Context) (audit.Result, error) {
	return s.verify(ctx, s.platformChain())
}

// verify checks a chain completely, in this order: the checkpoint log on its
// own (signatures, links, nothing missing: audit.CheckLog), the log against
// every witness (read afresh; one that cannot be read is an error, since
// verify cannot vouch without it), then every row against the log
// (audit.Verify). A chain with no log yet is checked as bootstrap would. The
// first problem is the Result's Break; the outcome is recorded as the
// chain's audit status.
func (s *Service) verify(ctx context.Context, ch chainRef) (audit.Result, error) {
	log, err := s.Platform.CheckpointLog(ctx, ch.id)
	if err != nil {
		return audit.Result{}, err
	}
	var res audit.Result
	brk := audit.CheckLog(ch.id, log, s.Signer)
	if brk == nil {
		for _, w := range s.witnesses() {
			wc, err := w.Newest(ctx, ch.id)
			if err != nil {
				return audit.Result{}, fmt.Errorf("%s cannot be read, so the chain cannot be checked against it: %w", w.Name(), err)
			}
			if wc == nil {
				continue
			}
			if brk = audit.CheckWitness(log, wc, w.Name(), s.Signer); brk != nil {
				break
			}
			res.Witnessed = append(res.Witnessed, w.Name())
		}
	}
	if brk == nil {
		witnessed := res.Witnessed
		if len(log) == 0 {
			head, b, err := audit.VerifyBootstrap(ctx, ch.rows, ch.id, "tenant.restored", "platform.restored")
			if err != nil {
				return res, err
			}
			if b == nil && ch.id != platform.ChainID {
				if b, err = s.checkLegacy(ctx, ch); err != nil {
					return res, err
				}
			}
			res = audit.Result{Rows: head.Seq, Head: head, Break: b}
		} else if res, err = audit.Verify(ctx, ch.rows, ch.id, log); err != nil {
			return res, err
		}
		res.Witnessed = witnessed
		brk = res.Break
	}
	res.Break = brk
	actx := aura.WithActor(context.WithoutCancel(ctx), aura.SystemActor("audit-verify"))
	if brk != nil {
		err = s.Platform.MarkAuditBroken(actx, ch.id, brk)
	} else {
		err = s.Platform.MarkAuditOK(actx, ch.id, "verified")
	}
	return res, err
}
