package auratest_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aurapms/aura/internal/auratest"
	_ "modernc.org/sqlite"
)

func TestFindCardNumbers(t *testing.T) {
	found := []struct{ name, in, want string }{
		{"Plain", "4242424242424242", "4242424242424242"},
		{"Spaced", "card 4242 4242 4242 4242 exp", "4242424242424242"},
		{"Dashed", "4000-0566-5566-5556", "4000056655665556"},
		{"Amex15", "378282246310005", "378282246310005"},
		{"Visa13", "x 4222222222222 y", "4222222222222"},
		{"Nineteen", "6011 0009 9013 9424 009", "6011000990139424009"},
		{"InJSON", `{"note":"4111111111111111"}`, "4111111111111111"},
		{"AfterAnID", "fol_jnix7mysj2gdcfyy4242424242424242", "4242424242424242"},
		{"BeforeText", "5555555555554444was the card", "5555555555554444"},
		{"AfterADate", "2026-12-06x4242424242424242", "4242424242424242"},
	}
	for _, c := range found {
		t.Run("Finds"+c.name, func(t *testing.T) {
			if got := auratest.FindCardNumbers([]byte(c.in)); !slices.Equal(got, []string{c.want}) {
				t.Fatalf("FindCardNumbers(%q) = %v, want [%s]", c.in, got, c.want)
			}
		})
	}
	clean := []struct{ name, in string }{
		{"LuhnInvalid", "4242424242424241"},
		{"TooShort", "424242424242"},        // 12 digits
		{"TooLong", "42424242424242424242"}, // 20 digits
		{"IBANDigits", "DE89370400440532013000"},
		{"Timestamp", "2030-01-08T12:00:00.000000000Z"},
		{"DoubleSpace", "4242  4242  4242  4242"}, // separate 4-digit groups
		{"IDs", "pi_RpFcFkv6ChYQVv3 cus_QXg1o8vcGmoR32 re_1Pgc72B7WZ01zgkWqPvrRrPE"},
		{"Last4", `"last4":"4242","exp_year":2030`},
		{"LeadingZero", "0000000000000000-0000000000000005.ltx"},
		{"GluedDates", "res_x2026-12-062026-12-08confirmed"},  // arrival and departure columns: Luhn-valid digits
		{"DigitAndDates", "fol_x22026-12-062026-12-06charge"}, // a column ending in 2, then two dates: 17 Luhn-valid digits
	}
	for _, c := range clean {
		t.Run("Ignores"+c.name, func(t *testing.T) {
			if got := auratest.FindCardNumbers([]byte(c.in)); len(got) != 0 {
				t.Fatalf("FindCardNumbers(%q) = %v, want none", c.in, got)
			}
		})
	}
}

// TestFindCardNumbersInSQLite plants a card number in a row of a real
// SQLite file, between other columns, and finds it in the file (or its
// WAL): the scan of tenant files cannot pass for want of looking.
func TestFindCardNumbersInSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "planted.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		// The note follows the id: in the record their bytes touch
		// ("…gdcfyy4242…"), which the scan must see through.
		`CREATE TABLE notes (id TEXT PRIMARY KEY, note TEXT, amount INTEGER, ref TEXT) STRICT`,
		`INSERT INTO notes VALUES ('fol_jnix7mysj2gdcfyy', '4242424242424242 paid', 4500, 'pi_RpFcFkv6ChYQVv3')`,
		`INSERT INTO notes VALUES ('fol_other', 'cash', 100, 'receipt 17')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, auratest.FindCardNumbers(b)...)
	}
	if !slices.Contains(all, "4242424242424242") {
		t.Fatalf("the planted number was not found in the file or its WAL (found %v)", all)
	}

	t.Run("NoCardNumbersFails", func(t *testing.T) {
		rec := &recorder{TB: t}
		n := auratest.NoCardNumbersInFiles(rec, path, path+"-wal", path+"-missing")
		if !rec.failed || n != 2 {
			t.Fatalf("NoCardNumbersInFiles read %d files and failed=%v; want 2 and a failure (%s)", n, rec.failed, rec.msg)
		}
	})
	t.Run("NoCardNumbersPasses", func(t *testing.T) {
		rec := &recorder{TB: t}
		auratest.NoCardNumbers(rec, "clean", []byte("cus_QXg1o8vcGmoR32 pm_1AuraCardVisa 2030-01-08"))
		if rec.failed {
			t.Fatalf("a clean text failed: %s", rec.msg)
		}
	})
}

// recorder is a testing.TB that records a failure instead of failing.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
}
