package stays

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aurapms/aura"
	"github.com/aurapms/aura/tenant"
)

// Guest search uses a blind index. For every guest, the normalised tokens
// of its name, email and phone, and their prefixes, are turned into 64-bit
// keyed hashes (HMAC-SHA256 under a key derived from the tenant data key for
// "guest-search", truncated) and stored in guest_search (term, guest). A
// query is normalised the same way, each of its words becomes one term, the
// terms are intersected in SQL, and only the guests found are unsealed and
// checked against the query in plaintext (which also removes the rare false
// positive of a truncated hash or a prefix longer than the indexed maximum).
// No guest outside the result is ever decrypted, so a keystroke costs a few
// index lookups whatever the number of guests.
//
// Tokens, per guest (each word also in a German-transliterated variant when
// it holds ä, ö or ü, so "Müller" is found by "muller" and "mueller"):
//   n: every word of the given and family name and of the email's local
//      part, lower-cased with diacritics folded, prefixes of 2 to 12 runes;
//   e: the whole lower-cased email address (one term; a partial address in a
//      query is found through its local-part words and checked in plaintext);
//   p: the phone's digits, prefixes of 5 to 12 digits: the international
//      number without its leading + or 00 and, when the number was written
//      internationally, the national number after its country code (from the
//      ITU prefix table), so "+49 171 23" is found by "0171 23" as well.
// About 25 to 30 terms per guest: every term is a random leaf of the index,
// so the count is what a guest costs to write.

const (
	minNamePrefix  = 2
	minEmailPrefix = 3
	minPhonePrefix = 5
	maxPrefix      = 12
)

// guestIndexer computes search terms with the tenant's search key.
type guestIndexer struct {
	mac hash.Hash
}

func (db Store) newGuestIndexer() *guestIndexer {
	return &guestIndexer{mac: hmac.New(sha256.New, db.DerivedKey("guest-search"))}
}

// term returns the blind-index term of a kind ('n', 'e' or 'p') and a token.
func (ix *guestIndexer) term(kind byte, token string) int64 {
	ix.mac.Reset()
	ix.mac.Write([]byte{kind, ':'})
	ix.mac.Write([]byte(token))
	sum := ix.mac.Sum(nil)
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// guestTokens are the normalised, untruncated tokens of a guest.
type guestTokens struct {
	words  []string // name words and email local-part words, in every variant
	email  string   // the lower-cased address
	phones []string // digit strings
}

func tokensOf(in GuestInput) guestTokens {
	var t guestTokens
	for _, s := range []string{in.GivenName, in.FamilyName} {
		t.words = append(t.words, wordVariants(s)...)
	}
	if in.Email != "" {
		t.email = strings.ToLower(in.Email)
		local, _, _ := strings.Cut(t.email, "@")
		t.words = append(t.words, wordVariants(local)...)
	}
	t.phones = phoneVariants(in.Phone)
	return t
}

func (ix *guestIndexer) terms(in GuestInput) []int64 {
	t := tokensOf(in)
	seen := map[int64]bool{}
	var out []int64
	add := func(kind byte, s string, minLen int) {
		rs := []rune(s)
		for n := minLen; n <= len(rs) && n <= maxPrefix; n++ {
			h := ix.term(kind, string(rs[:n]))
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	for _, w := range t.words {
		add('n', w, minNamePrefix)
	}
	if t.email != "" {
		seen[ix.term('e', t.email)] = true
		out = append(out, ix.term('e', t.email))
	}
	for _, p := range t.phones {
		add('p', p, minPhonePrefix)
	}
	return out
}

// insert stores a guest's terms.
func (ix *guestIndexer) insert(tx *tenant.Tx, seq int64, in GuestInput) error {
	terms := ix.terms(in)
	if len(terms) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(terms))
	for _, t := range terms {
		args = append(args, t, seq)
	}
	_, err := tx.Exec(`INSERT OR IGNORE INTO guest_search (term, guest) VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?), ", len(terms)), ", "), args...)
	return err
}

// replace swaps a guest's terms for those of in, touching only the terms
// that changed: every term is a random leaf of the index, so deleting and
// inserting all of them again wrote some 50 pages for an edit of the
// notes, which changes none.
func (ix *guestIndexer) replace(tx *tenant.Tx, seq int64, in GuestInput) error {
	rows, err := tx.Query(`SELECT term FROM guest_search WHERE guest = ?`, seq)
	if err != nil {
		return err
	}
	old := map[int64]bool{}
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		old[t] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var add []any
	for _, t := range ix.terms(in) {
		if old[t] {
			delete(old, t)
		} else {
			add = append(add, t, seq)
		}
	}
	for t := range old {
		if _, err := tx.Exec(`DELETE FROM guest_search WHERE term = ? AND guest = ?`, t, seq); err != nil {
			return err
		}
	}
	if len(add) == 0 {
		return nil
	}
	_, err = tx.Exec(`INSERT INTO guest_search (term, guest) VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?), ", len(add)/2), ", "), add...)
	return err
}

// fold maps letters with diacritics to their base letters.
var fold = func() map[rune]string {
	m := map[rune]string{}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăąǎ", "ae": "æ", "c": "çćĉċč", "d": "ďđð", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭįı", "ij": "ĳ", "j": "ĵ", "k": "ķ", "l": "ĺļľŀł", "n": "ñńņňŉ", "o": "òóôõöøōŏőǒ", "oe": "œ",
		"r": "ŕŗř", "s": "śŝşšș", "ss": "ß", "t": "ţťŧț", "th": "þ", "u": "ùúûüũūŭůűųǔ", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range letters {
			m[r] = base
		}
	}
	return m
}()

// foldWord lower-cases w and folds its diacritics; with german set, ä, ö
// and ü become ae, oe and ue instead.
func foldWord(w string, german bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(w) {
		if german {
			switch r {
			case 'ä':
				b.WriteString("ae")
				continue
			case 'ö':
				b.WriteString("oe")
				continue
			case 'ü':
				b.WriteString("ue")
				continue
			}
		}
		if f, ok := fold[r]; ok {
			b.WriteString(f)
		} else if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) })
}

// wordVariants returns the folded words of s, each also in its German
// transliteration when that differs.
func wordVariants(s string) []string {
	var out []string
	for _, w := range splitWords(s) {
		f := foldWord(w, false)
		out = append(out, f)
		if g := foldWord(w, true); g != f {
			out = append(out, g)
		}
	}
	return out
}

// phoneDigits returns the digits of a phone number without leading zeros
// (so "+49 171", "0049 171" and "0171" all start with a significant digit).
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "0")
}

// international reports whether a phone number is written with its country
// code (+49 …, 0049 …).
func international(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00")
}

// countryCodeLen returns the length of the ITU-T E.164 country code that
// starts digits: 1 for zones 1 and 7, 2 for the two-digit codes, else 3.
func countryCodeLen(digits string) int {
	if digits == "" {
		return 0
	}
	switch digits[0] {
	case '1', '7':
		return 1
	}
	if len(digits) < 2 {
		return 0
	}
	switch digits[:2] {
	case "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
		"51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
		"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98":
		return 2
	}
	return 3
}

// phoneVariants returns the indexed forms of a phone number: its digits
// and, for an international number, its national number.
func phoneVariants(phone string) []string {
	d := phoneDigits(phone)
	if len(d) < minPhonePrefix {
		return nil
	}
	out := []string{d}
	if international(phone) {
		if n := countryCodeLen(d); len(d)-n >= minPhonePrefix {
			out = append(out, strings.TrimLeft(d[n:], "0"))
		}
	}
	return out
}

// queryUnit is one word of a search: a name word, an email prefix or phone digits.
type queryUnit struct {
	kind byte   // 'n', 'e' or 'p'
	text string // normalised, untruncated
}

func isPhoneQuery(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-()/. ", r):
		default:
			return false
		}
	}
	return len(phoneDigits(s)) >= minPhonePrefix && digits > 0
}

// parseGuestQuery splits a search into units. A query of phone characters
// only is one phone unit; otherwise each whitespace-separated word is an
// email prefix (when it holds @), phone digits (when it is a number), or one
// or more name words. Phone digits lose their leading zeros (the 0 of a
// national trunk prefix or the 00 of an international one).
func parseGuestQuery(q string) []queryUnit {
	q = strings.TrimSpace(q)
	if isPhoneQuery(q) {
		return []queryUnit{{kind: 'p', text: phoneDigits(q)}}
	}
	var out []queryUnit
	for _, f := range strings.Fields(q) {
		switch {
		case strings.Contains(f, "@"):
			e := strings.ToLower(f)
			if utf8.RuneCountInString(e) < minEmailPrefix {
				continue
			}
			// The index holds only whole addresses; the local part's words
			// find the candidates and the plaintext check does the rest.
			out = append(out, queryUnit{kind: 'e', text: e})
			local, _, _ := strings.Cut(e, "@")
			for _, w := range splitWords(local) {
				if w = foldWord(w, false); utf8.RuneCountInString(w) >= minNamePrefix {
					out = append(out, queryUnit{kind: 'n', text: w})
				}
			}
		case isPhoneQuery(f):
			out = append(out, queryUnit{kind: 'p', text: phoneDigits(f)})
		default:
			for _, w := range splitWords(f) {
				if w = foldWord(w, false); utf8.RuneCountInString(w) >= minNamePrefix {
					out = append(out, queryUnit{kind: 'n', text: w})
				}
			}
		}
	}
	return out
}

// completeEmail reports whether a query word looks like a whole address
// (something@something.tld), which the index holds as one term.
func completeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" {
		return false
	}
	i := strings.LastIndex(domain, ".")
	return i > 0 && len(domain)-i-1 >= 2
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// matches reports whether a guest's plaintext satisfies every unit.
func (t guestTokens) matches(units []queryUnit) bool {
	for _, u := range units {
		ok := false
		switch u.kind {
		case 'n':
			for _, w := range t.words {
				if strings.HasPrefix(w, u.text) {
					ok = true
					break
				}
			}
		case 'e':
			ok = strings.HasPrefix(t.email, u.text)
		case 'p':
			for _, p := range t.phones {
				if strings.HasPrefix(p, u.text) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// MaxSearchResults is the most guests one search returns.
const MaxSearchResults = 200

// MaxSearchTerms is the most words (name words, email and phone parts) one
// search may have, and MaxSearchTermLen the most characters of one: every
// term is one SELECT of an INTERSECT, which SQLite limits (500 in a
// compound statement), and no indexed prefix is longer than 12 characters,
// so a longer query finds nothing more.
const (
	MaxSearchTerms   = 10
	MaxSearchTermLen = 64
)

// SearchGuests finds guests whose name words, email or phone start with the
// words of query (every word must match; "ann schm", "ana@ex", "0171 234").
// It uses the blind index and unseals only the guests it finds, newest
// first, at most limit (default 20, at most MaxSearchResults); restricted
// guests only for a caller marked by WithRestricted. It returns
// EINVALID when the query has no word of at least 2 letters, no whole
// email address nor local part of one, and fewer than 5 digits, and when
// it has more than MaxSearchTerms words or a word longer than
// MaxSearchTermLen characters.
func (db Store) SearchGuests(ctx context.Context, query string, limit int) ([]Guest, error) {
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, MaxSearchResults)
	tooMany := aura.Invalid(fmt.Sprintf("Search for at most %d words at a time.", MaxSearchTerms),
		aura.FieldError{Field: "q", Message: fmt.Sprintf("at most %d words", MaxSearchTerms)})
	if len(query) > MaxSearchTerms*(MaxSearchTermLen+1)*4 {
		return nil, tooMany // parsing it would cost more than it can find
	}
	units := parseGuestQuery(query)
	if len(units) == 0 {
		return nil, aura.Invalid("Type at least 2 letters of a name, an email address or 5 digits of a phone number.",
			aura.FieldError{Field: "q", Message: "too short"})
	}
	if len(units) > MaxSearchTerms {
		return nil, tooMany
	}
	for _, u := range units {
		if utf8.RuneCountInString(u.text) > MaxSearchTermLen {
			return nil, aura.Invalid(fmt.Sprintf("A search word may have at most %d characters.", MaxSearchTermLen),
				aura.FieldError{Field: "q", Message: fmt.Sprintf("words of at most %d characters", MaxSearchTermLen)})
		}
	}
	ix := db.newGuestIndexer()
	seen := map[int64]bool{}
	var sqlParts []string
	var args []any
	for _, u := range units {
		if u.kind == 'e' && !completeEmail(u.text) {
			continue // matched through its words, checked in plaintext
		}
		var t int64
		if u.kind == 'e' {
			t = ix.term('e', u.text)
		} else {
			t = ix.term(u.kind, truncateRunes(u.text, maxPrefix))
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		sqlParts = append(sqlParts, `SELECT guest FROM guest_search WHERE term = ?`)
		args = append(args, t)
	}
	if len(sqlParts) == 0 {
		return nil, aura.Invalid("Type more of the email address, or a name.", aura.FieldError{Field: "q", Message: "too short"})
	}
	// Slack for candidates the plaintext check drops (a 64-bit hash
	// collision, or a word longer than the indexed prefixes).
	candidates := limit*2 + 10
	var out []Guest
	err := db.View(ctx, func(tx *tenant.Tx) error {
		rows, err := tx.Query(strings.Join(sqlParts, " INTERSECT ")+` ORDER BY 1 DESC LIMIT ?`, append(args, candidates)...)
		if err != nil {
			return err
		}
		var seqs []any
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			seqs = append(seqs, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(seqs) == 0 {
			return err
		}
		rows, err = tx.Query(guestSelect+` WHERE seq IN (`+tenant.Placeholders(len(seqs))+`) AND `+restrictedFilter(ctx)+` ORDER BY seq DESC`, seqs...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() && len(out) < limit {
			st, err := db.scanGuest(rows)
			if err != nil {
				return err
			}
			if st.guest.Erased || !tokensOf(st.guest.input()).matches(units) {
				continue
			}
			if st.guest.RestrictedAt != nil {
				noteRestrictedRead(ctx, st.guest.ID)
			}
			out = append(out, st.guest)
		}
		return rows.Err()
	})
	return out, err
}
