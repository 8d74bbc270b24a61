package tenant

import (
	"github.com/aurapms/aura"
	"github.com/aurapms/aura/keys"
)

// sealAD is the associated data binding a sealed value to its place: the
// tenant, table, column and row. A value copied to another row, column or
// tenant does not open.
func sealAD(tenantID, table, column, rowID string) []byte {
	return []byte("aura/seal/v1\x00" + tenantID + "\x00" + table + "\x00" + column + "\x00" + rowID)
}

// Seal encrypts plaintext for one cell (table, column, row id) with the
// tenant's sealing key (AES-256-GCM). Every column that holds secrets or
// personal data stores Seal's output, never the plaintext.
func (db *DB) Seal(table, column, rowID string, plaintext []byte) []byte {
	return db.seal.Seal(plaintext, sealAD(db.ID, table, column, rowID))
}

// Unseal decrypts a value sealed for the same cell. It returns EINTERNAL when
// the value was moved, tampered with, or sealed under another key.
func (db *DB) Unseal(table, column, rowID string, sealed []byte) ([]byte, error) {
	pt, err := db.seal.Open(sealed, sealAD(db.ID, table, column, rowID))
	if err != nil {
		return nil, aura.Errorf(aura.EINTERNAL, "A sealed value in %s.%s of %s cannot be opened.", table, column, rowID)
	}
	return pt, nil
}

// SubjectKey is the key of one data subject (a guest): personal fields are
// sealed under it, and destroying its wrapped form erases them everywhere,
// including in audit rows and, once they age out, in backups.
type SubjectKey struct {
	db   *DB
	id   string
	aead *keys.AEAD
}

// NewSubjectKey creates a key for the subject id and returns it with its
// wrapped form, which the caller stores beside the subject's row.
func (db *DB) NewSubjectKey(id string) (*SubjectKey, []byte) {
	raw := keys.NewKey()
	wrapped := db.seal.Seal(raw, sealAD(db.ID, "subject_keys", "key", id))
	return &SubjectKey{db: db, id: id, aead: keys.NewAEAD(raw)}, wrapped
}

// OpenSubjectKey unwraps a subject's key stored by NewSubjectKey.
func (db *DB) OpenSubjectKey(id string, wrapped []byte) (*SubjectKey, error) {
	raw, err := db.seal.Open(wrapped, sealAD(db.ID, "subject_keys", "key", id))
	if err != nil {
		return nil, aura.Errorf(aura.EINTERNAL, "The key of %s cannot be opened.", id)
	}
	return &SubjectKey{db: db, id: id, aead: keys.NewAEAD(raw)}, nil
}

// Seal encrypts one personal field of the subject (table, column, row id).
func (k *SubjectKey) Seal(table, column, rowID string, plaintext []byte) []byte {
	return k.aead.Seal(plaintext, sealAD(k.db.ID, table, column, rowID))
}

// Unseal decrypts one personal field of the subject.
func (k *SubjectKey) Unseal(table, column, rowID string, sealed []byte) ([]byte, error) {
	pt, err := k.aead.Open(sealed, sealAD(k.db.ID, table, column, rowID))
	if err != nil {
		return nil, aura.Errorf(aura.EINTERNAL, "A sealed value in %s.%s of %s cannot be opened.", table, column, rowID)
	}
	return pt, nil
}
