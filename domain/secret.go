package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
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
