package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

const (
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

	// SecretPrefix marks Keystorm API key secrets, so that secret scanners
	// recognise a leaked one.
	SecretPrefix = "kss_"
	secretBody   = 43 // 43 base62 characters carry 256 bits
	secretSum    = 6  // base62 CRC-32 of prefix and body
	// SecretLen is the length of every well-formed secret.
	SecretLen = len(SecretPrefix) + secretBody + secretSum
	idLen     = 22 // ~131 bits
	keyIDLen  = 25 // ~129 bits, upper case like Stormpath's key ids
)

// randomString draws n characters uniformly from alphabet (len <= 256)
// using rejection sampling, so no character is more likely than another.
func randomString(r io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("read random: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// RandomIDs generates ids from a random source (crypto/rand when nil).
type RandomIDs struct{ Rand io.Reader }

func (g RandomIDs) reader() io.Reader {
	if g.Rand == nil {
		return rand.Reader
	}
	return g.Rand
}

// NewID implements IDGenerator.
func (g RandomIDs) NewID() string { return must(randomString(g.reader(), base62, idLen)) }

// NewKeyID implements IDGenerator.
func (g RandomIDs) NewKeyID() string { return must(randomString(g.reader(), base36, keyIDLen)) }

func must(s string, err error) string {
	if err != nil {
		// crypto/rand does not fail on supported platforms; a broken
		// entropy source must never produce a guessable id.
		panic(err)
	}
	return s
}

func checksum(s string) string {
	sum := crc32.ChecksumIEEE([]byte(s))
	var out [secretSum]byte
	for i := secretSum - 1; i >= 0; i-- {
		out[i] = base62[sum%62]
		sum /= 62
	}
	return string(out[:])
}

// NewSecret returns a fresh API key secret: "kss_", 256 random bits in
// base62, and a 6-character checksum.
func NewSecret(r io.Reader) (string, error) {
	body, err := randomString(r, base62, secretBody)
	if err != nil {
		return "", err
	}
	s := SecretPrefix + body
	return s + checksum(s), nil
}

// WellFormedSecret reports whether s has the secret format and a valid
// checksum. It lets the authorizer reject mistyped or invented secrets
// without a database read. It runs in time independent of where s differs.
func WellFormedSecret(s string) bool {
	if len(s) != SecretLen || s[:len(SecretPrefix)] != SecretPrefix {
		return false
	}
	ok := 1
	for i := len(SecretPrefix); i < len(s); i++ {
		c := s[i]
		isAlnum := (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		if !isAlnum {
			ok = 0
		}
	}
	body := s[:len(s)-secretSum]
	return ok == 1 && subtle.ConstantTimeCompare([]byte(checksum(body)), []byte(s[len(body):])) == 1
}

// HashSecret returns the stored form of a secret: hex SHA-256. A secret
// carries 256 random bits, so a fast hash is right here (OWASP ASVS 6.5.2);
// slow password hashes would only slow the authorizer.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares a presented secret with a stored hash in constant
// time. It always hashes, so an unknown key id (compared against a dummy
// hash) costs the same as a wrong secret.
func SecretMatches(secret, storedHash string) bool {
	sum := sha256.Sum256([]byte(secret))
	want := make([]byte, sha256.Size)
	n, err := hex.Decode(want, []byte(storedHash))
	valid := 0
	if err == nil && n == sha256.Size {
		valid = 1
	}
	return subtle.ConstantTimeCompare(sum[:], want)&valid == 1
}

// dummyHash is compared against when a key id is unknown.
var dummyHash = HashSecret("kss_unknown-key-placeholder")

// Imported secrets. Stormpath exports hold each key's id and plaintext
// secret; importing them lets developers keep working without being
// re-keyed. Such a secret is not ours, so it is held to a stated rule
// (ImportedSecretRule, CheckImportedSecret) that guarantees at least 128
// bits by its length and alphabet, and is stored as ours are (HashSecret):
// 128 bits make a fast hash as safe as for our 256.
const (
	// MinImportedSecretLen is the shortest imported secret: 22 base64
	// characters carry 132 bits.
	MinImportedSecretLen = 22
	// MaxImportedSecretLen is the longest imported secret, padding
	// included. It also bounds what authentication hashes: a longer
	// secret is refused unread.
	MaxImportedSecretLen = 128
	// minSecretDistinct is the sanity rule against low-entropy strings
	// ("aaaa…", "abab…"): a random 22-character base64 string has about
	// 19 distinct characters, and fewer than 8 happens by chance with a
	// probability far below 10⁻¹⁰ (for 39 random decimal digits, about
	// 10⁻⁴; such exports are rare, and the error says what to do).
	minSecretDistinct = 8
)

// ImportedSecretRule is the rule CheckImportedSecret applies, in the words
// of its error message and the README.
const ImportedSecretRule = "secret must be 22 to 128 characters of the base64 or base64url alphabet (A-Z a-z 0-9 - _ + /, then at most two = of padding); " +
	"at least 128 bits by its alphabet: at least 39 characters when only digits, 32 when only hex digits of one case, 25 when only digits and letters of one case, 22 otherwise (padding not counted); " +
	"at least 8 distinct characters; and a secret beginning with kss_ must be a well-formed Keystorm secret (its checksum valid)."

// ValidKeyID reports whether id has the shape of a key id: 25 digits and
// upper-case letters, as NewKeyID makes them and as Stormpath's were, so
// an imported id cannot be told from ours.
func ValidKeyID(id string) bool {
	if len(id) != keyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// isBase64Char reports whether c is of the base64 or base64url alphabet.
func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '+' || c == '/'
}

// importedShape reports whether s has an imported secret's shape: at most
// MaxImportedSecretLen characters of the base64 alphabets, at most two =
// of padding at the end, and at least MinImportedSecretLen before them.
// It visits every character whatever it finds, so its time depends on
// len(s) alone.
func importedShape(s string) bool {
	if len(s) > MaxImportedSecretLen {
		return false
	}
	body := strings.TrimRight(s, "=")
	ok := len(s)-len(body) <= 2 && len(body) >= MinImportedSecretLen
	for i := 0; i < len(body); i++ {
		if !isBase64Char(body[i]) {
			ok = false
		}
	}
	return ok
}

// CandidateSecret reports whether s could be the secret of some key, so
// that authentication reads the key only for these (and the throttles
// count only these as guesses). A secret beginning with kss_ must be well
// formed: its checksum tells a typo or an invention without a read. Any
// other must meet ImportedSecretRule, which every imported secret met:
// its length is bounded, so nothing long is hashed, and made-up junk
// ("xxxx…") costs no read. So the rule may be loosened, but tightening it
// must keep the old rule here, or keys imported before stop working.
// Time depends on s alone, never on a stored secret.
func CandidateSecret(s string) bool {
	if strings.HasPrefix(s, SecretPrefix) {
		return WellFormedSecret(s)
	}
	return importable(s)
}

// CheckImportedSecret applies ImportedSecretRule to a secret an admin
// imports. The error names the field secret and states the rule; it never
// echoes the secret.
func CheckImportedSecret(s string) error {
	if !CandidateSecret(s) {
		return invalid(CodeWeakSecret, "secret", "%s", ImportedSecretRule)
	}
	return nil
}

// importable applies ImportedSecretRule to a secret without the kss_
// prefix.
func importable(s string) bool {
	if !importedShape(s) {
		return false
	}
	body := strings.TrimRight(s, "=")
	var lowerHex, upperHex, lower, upper, other bool
	var seen [256]bool
	distinct := 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !seen[c] {
			seen[c] = true
			distinct++
		}
		switch {
		case c >= '0' && c <= '9':
			// digits fit every alphabet
		case c >= 'a' && c <= 'f':
			lowerHex = true
		case c >= 'A' && c <= 'F':
			upperHex = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			other = true
		}
	}
	lowerAny, upperAny := lower || lowerHex, upper || upperHex
	// The smallest alphabet that holds every character bounds the bits
	// per character: log2(10) = 3.32, log2(16) = 4, log2(36) = 5.17,
	// and 6 for base64; 128 bits need 39, 32, 25 and 22 characters.
	minLen := MinImportedSecretLen
	switch {
	case other || (lowerAny && upperAny):
	case !lowerAny && !upperAny:
		minLen = 39
	case (lowerHex && !lower && !upperAny) || (upperHex && !upper && !lowerAny):
		minLen = 32
	default:
		minLen = 25
	}
	return len(body) >= minLen && distinct >= minSecretDistinct
}
