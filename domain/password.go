package domain

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// PasswordPolicy is the rule set for account passwords. The defaults are
// Stormpath's: 8 to 100 characters with a lower-case letter, an upper-case
// letter and a digit.
type PasswordPolicy struct {
	MinLength       int
	MaxLength       int
	RequireLower    bool
	RequireUpper    bool
	RequireDigit    bool
	RequireNonAlnum bool
}

// DefaultPasswordPolicy is the policy applications start with.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 8, MaxLength: 100, RequireLower: true, RequireUpper: true, RequireDigit: true}

// Check returns a KindInvalid error naming every rule the password breaks.
func (p PasswordPolicy) Check(pw string) error {
	n := utf8.RuneCountInString(pw)
	var broken []string
	if n < p.MinLength {
		broken = append(broken, fmt.Sprintf("at least %d characters", p.MinLength))
	}
	if p.MaxLength > 0 && n > p.MaxLength {
		broken = append(broken, fmt.Sprintf("at most %d characters", p.MaxLength))
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	if p.RequireLower && !lower {
		broken = append(broken, "a lower-case letter")
	}
	if p.RequireUpper && !upper {
		broken = append(broken, "an upper-case letter")
	}
	if p.RequireDigit && !digit {
		broken = append(broken, "a digit")
	}
	if p.RequireNonAlnum && !other {
		broken = append(broken, "a symbol")
	}
	if len(broken) > 0 {
		return invalid(CodeWeakPassword, "password", "Password must have %s.", strings.Join(broken, ", "))
	}
	return nil
}

// PasswordHasher turns passwords into stored hashes and checks them.
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(password, hash string) bool
}

// Argon2id hashes with argon2id in the PHC string format. The defaults
// (19 MiB, 2 passes, 1 lane) are OWASP's recommended minimum.
type Argon2id struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
	Rand      io.Reader
}

// DefaultArgon2id is the production setting.
var DefaultArgon2id = Argon2id{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const argonKeyLen = 32

// Hash implements PasswordHasher.
func (a Argon2id) Hash(password string) (string, error) {
	r := a.Rand
	if r == nil {
		r = rand.Reader
	}
	salt := make([]byte, 16)
	if _, err := io.ReadFull(r, salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, a.Time, a.MemoryKiB, a.Threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.MemoryKiB, a.Time, a.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify implements PasswordHasher. It reads the parameters from the hash,
// so hashes made with older settings keep verifying.
func (a Argon2id) Verify(password, hash string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 64 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
