package keys_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/keys"
)

func TestLoadMasterKey(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(dir, "keys", "master.key")
		if err := keys.GenerateMasterKeyFile(path); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Fatalf("mode = %v, want %v", got, want)
		}
		k, err := keys.LoadMasterKey(path, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.ID()) != 16 {
			t.Fatalf("id = %q", k.ID())
		}
	})
	t.Run("ErrNoOverwrite", func(t *testing.T) {
		path := filepath.Join(dir, "keys", "master.key")
		before, _ := os.ReadFile(path)
		if err := keys.GenerateMasterKeyFile(path); aura.ErrorCode(err) != aura.ECONFLICT {
			t.Fatalf("err = %v, want ECONFLICT", err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Fatal("an existing key was overwritten")
		}
	})
	t.Run("ErrGroupReadable", func(t *testing.T) {
		path := filepath.Join(dir, "loose.key")
		if err := keys.GenerateMasterKeyFile(path); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
			os.Chmod(path, mode)
			_, err := keys.LoadMasterKey(path, data)
			if err == nil || !strings.Contains(aura.ErrorMessage(err), "readable by group or others") {
				t.Fatalf("mode %o: err = %v", mode, err)
			}
		}
	})
	t.Run("ErrInsideDataDir", func(t *testing.T) {
		path := filepath.Join(data, "sub", "master.key")
		if err := keys.GenerateMasterKeyFile(path); err != nil {
			t.Fatal(err)
		}
		_, err := keys.LoadMasterKey(path, data)
		if err == nil || !strings.Contains(aura.ErrorMessage(err), "inside the data directory") {
			t.Fatalf("err = %v", err)
		}
		// A symbolic link from outside into the data dir is still inside.
		link := filepath.Join(dir, "link.key")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		if _, err := keys.LoadMasterKey(link, data); err == nil {
			t.Fatal("a link into the data directory was accepted")
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		path := filepath.Join(dir, "short.key")
		os.WriteFile(path, []byte("abcd\n"), 0o600)
		if _, err := keys.LoadMasterKey(path, data); aura.ErrorCode(err) != aura.EINVALID {
			t.Fatalf("err = %v, want EINVALID", err)
		}
	})
	t.Run("ErrMissing", func(t *testing.T) {
		if _, err := keys.LoadMasterKey(filepath.Join(dir, "nope.key"), data); aura.ErrorCode(err) != aura.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})
}

func TestWrap(t *testing.T) {
	a, _ := keys.NewMasterKey(keys.NewKey())
	b, _ := keys.NewMasterKey(keys.NewKey())
	data := keys.NewKey()
	w := a.Wrap(data, "tnt_a")
	if bytes.Contains(w, data) {
		t.Fatal("wrapped key contains the key")
	}
	t.Run("OK", func(t *testing.T) {
		got, err := a.Unwrap(w, "tnt_a")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("unwrap = %x, %v", got, err)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		if _, err := b.Unwrap(w, "tnt_a"); err != keys.ErrOpen {
			t.Fatalf("err = %v, want ErrOpen", err)
		}
	})
	t.Run("ErrOtherTenant", func(t *testing.T) {
		if _, err := a.Unwrap(w, "tnt_b"); err != keys.ErrOpen {
			t.Fatalf("err = %v, want ErrOpen", err)
		}
	})
}

func TestAEAD(t *testing.T) {
	k := keys.NewKey()
	a := keys.NewAEAD(k)
	pt := []byte("Ada Lovelace")
	s1, s2 := a.Seal(pt, []byte("ad")), a.Seal(pt, []byte("ad"))
	if bytes.Equal(s1, s2) {
		t.Fatal("two seals of one value are equal: nonces repeat")
	}
	if got, err := a.Open(s1, []byte("ad")); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := a.Open(s1, []byte("other")); err != keys.ErrOpen {
		t.Fatal("opened with other associated data")
	}
	for i := range s1 {
		bad := bytes.Clone(s1)
		bad[i] ^= 1
		if _, err := a.Open(bad, []byte("ad")); err != keys.ErrOpen {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	if _, err := a.Open(s1[:10], []byte("ad")); err != keys.ErrOpen {
		t.Fatal("a truncated value opened")
	}
	if bytes.Equal(keys.Derive(k, "a"), keys.Derive(k, "b")) || !bytes.Equal(keys.Derive(k, "a"), keys.Derive(k, "a")) {
		t.Fatal("Derive is not a per-purpose function")
	}
}

func TestSigningKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, keys.SigningKeyName)
	if err := keys.GenerateSigningKeyFile(path); err != nil {
		t.Fatal(err)
	}
	k, err := keys.LoadSigningKey(path, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	sig := k.Sign([]byte("head"))
	if !k.Verify([]byte("head"), sig) || k.Verify([]byte("heaD"), sig) {
		t.Fatal("signature check is wrong")
	}
	if got, want := keys.DefaultSigningKeyPath(filepath.Join(dir, "master.key")), path; got != want {
		t.Fatalf("default path = %s, want %s", got, want)
	}
}
