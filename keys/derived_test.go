package keys_test

import (
	"bytes"
	"testing"

	"github.com/aurapms/aura/keys"
)

func TestMasterKeyDerivedKey(t *testing.T) {
	raw := keys.NewKey()
	m, err := keys.NewMasterKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := keys.NewMasterKey(bytes.Clone(raw))
	other, _ := keys.NewMasterKey(keys.NewKey())
	k := m.DerivedKey("platform-replica")
	if got, want := len(k), keys.KeySize; got != want {
		t.Fatalf("len = %d, want %d", got, want)
	}
	if !bytes.Equal(k, same.DerivedKey("platform-replica")) {
		t.Fatal("the same master key derived a different key")
	}
	for name, o := range map[string][]byte{
		"other purpose":    m.DerivedKey("something-else"),
		"other master key": other.DerivedKey("platform-replica"),
		"raw key":          raw,
		"plain Derive":     keys.Derive(raw, "platform-replica"), // a tenant data key equal to raw would not collide
	} {
		if bytes.Equal(k, o) {
			t.Fatalf("derived key equals the %s", name)
		}
	}
}
