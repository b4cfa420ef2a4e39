package domain

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Imported password hashes (README "Importing password hashes"): an
// admin moving users from another system creates or updates an account
// with passwordFormat=mcf and, in password, the user's hash in Modular
// Crypt Format, as Stormpath took them. Two formats are accepted, the two
// Stormpath documented:
//
//   - bcrypt, $2a$, $2b$ or $2y$ with a cost of MinBcryptCost to
//     MaxBcryptCost. ($2x$, which Stormpath listed too, is crypt_blowfish's
//     hash with its sign-extension bug for 8-bit characters: x/crypto
//     cannot reproduce the bug, so such a hash would refuse a right
//     non-ASCII password. It is refused at import instead.)
//   - $stormpath2$ALG$ITERATIONS$BASE64_SALT$BASE64_HASH, Stormpath's
//     own envelope for a salted, iterated digest.
//
// Such a hash is stored as given and verified as its format says; the
// first login with the right password replaces it with an argon2id hash
// (AccountPasswordRehashed). Nothing but argon2id is ever hashed here.

// PasswordFormatMCF is the passwordFormat that makes password an
// imported hash. It compares case-insensitively, since Stormpath's
// Node SDK sent "MCF".
const PasswordFormatMCF = "mcf"

// Bounds on imported hashes. An imported hash is checked at every login
// until the first one re-hashes it, and the admin who imports it is not
// the user who logs in: the bounds keep any hash from making a login
// cost more than about a second (bcrypt cost 14 is about a second; a
// million SHA-512 rounds a quarter of one, measured on one core).
const (
	MinBcryptCost = bcrypt.MinCost // 4
	MaxBcryptCost = 14
	// MaxStormpath2Iterations bounds ITERATIONS (from 1).
	MaxStormpath2Iterations = 1_000_000
	// MaxImportedHash bounds the whole hash: a SHA-512 one with a 64-byte
	// salt is under 250 characters.
	MaxImportedHash = 512
)

// stormpath2Algs are stormpath2's ALG names (Stormpath's documented
// spellings, as Java's MessageDigest names them) with their digests.
var stormpath2Algs = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

// importedHash is a parsed imported hash.
type importedHash struct {
	bcrypt []byte // the whole bcrypt hash, or nil for stormpath2

	newHash    func() hash.Hash
	iterations int
	salt, sum  []byte
}

// errBadHash is the refusal of an imported hash: why names the fault
// and never repeats the hash.
func errBadHash(why string) *Error {
	return invalid(CodeBadPasswordHash, "password",
		"With passwordFormat=mcf, password must be a bcrypt hash ($2a$, $2b$ or $2y$, cost %d to %d) or a $stormpath2$ hash (MD5, SHA-1, SHA-256, SHA-384 or SHA-512, 1 to %d iterations): %s.",
		MinBcryptCost, MaxBcryptCost, MaxStormpath2Iterations, why)
}

// looksImported reports a password that begins as an imported hash, or
// as Stormpath's internal $stormpath1$ one, does.
func looksImported(password string) bool {
	for _, p := range []string{"$2a$", "$2b$", "$2x$", "$2y$", "$stormpath"} {
		if strings.HasPrefix(password, p) {
			return true
		}
	}
	return false
}

// parseImportedHash checks an imported hash in Modular Crypt Format. Its
// error is a KindInvalid *Error on "password" (CodeBadPasswordHash).
func parseImportedHash(s string) (*importedHash, error) {
	if len(s) > MaxImportedHash {
		return nil, errBadHash("it is too long")
	}
	switch {
	case strings.HasPrefix(s, "$stormpath2$"):
		return parseStormpath2(s)
	case strings.HasPrefix(s, "$stormpath1$"):
		return nil, errBadHash("$stormpath1$ is Stormpath's internal format, which it never published")
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	case strings.HasPrefix(s, "$2x$"):
		return nil, errBadHash("$2x$ hashes carry crypt_blowfish's bug for 8-bit characters, which cannot be checked faithfully")
	}
	return nil, errBadHash("it is not one")
}

// bcryptAlphabet is bcrypt's own base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// parseBcrypt checks "$2?$CC$" and 53 characters of bcrypt's base64
// (22 of salt, 31 of hash): exactly what x/crypto writes, since it reads
// looser input (any minor version, trailing text) that no real hash has.
func parseBcrypt(s string) (*importedHash, error) {
	if len(s) != 60 || s[6] != '$' {
		return nil, errBadHash("a bcrypt hash is 60 characters, $2b$NN$ and 53 more")
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return nil, errBadHash("the bcrypt cost is not two digits")
	}
	if cost := int(s[4]-'0')*10 + int(s[5]-'0'); cost < MinBcryptCost || cost > MaxBcryptCost {
		return nil, errBadHash("the bcrypt cost is out of bounds")
	}
	for i := 7; i < len(s); i++ {
		if !strings.ContainsRune(bcryptAlphabet, rune(s[i])) {
			return nil, errBadHash("the bcrypt salt and hash are not bcrypt's base64")
		}
	}
	return &importedHash{bcrypt: []byte(s)}, nil
}

// parseStormpath2 checks $stormpath2$ALG$ITERATIONS$BASE64_SALT$BASE64_HASH.
// The salt may be empty (Stormpath: "if your password hashes have no
// salt, leave it out"); the hash must be a digest of ALG's size.
func parseStormpath2(s string) (*importedHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return nil, errBadHash("a $stormpath2$ hash has the form $stormpath2$ALG$ITERATIONS$BASE64_SALT$BASE64_HASH")
	}
	newHash, ok := stormpath2Algs[parts[2]]
	if !ok {
		return nil, errBadHash("its algorithm is not one of these")
	}
	n, err := strconv.Atoi(parts[3])
	if err != nil || n < 1 || n > MaxStormpath2Iterations || parts[3] != strconv.Itoa(n) {
		return nil, errBadHash("its iteration count is not a whole number in bounds")
	}
	salt, ok := decodeBase64(parts[4])
	if !ok {
		return nil, errBadHash("its salt is not base64")
	}
	sum, ok := decodeBase64(parts[5])
	if !ok || len(sum) != newHash().Size() {
		return nil, errBadHash("its hash is not the base64 of a digest of its algorithm's size")
	}
	return &importedHash{newHash: newHash, iterations: n, salt: salt, sum: sum}, nil
}

// decodeBase64 reads standard base64, padded (as Stormpath's examples
// are) or not.
func decodeBase64(s string) ([]byte, bool) {
	if b, err := base64.StdEncoding.Strict().DecodeString(s); err == nil {
		return b, true
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	return b, err == nil
}

// verify checks a password against the imported hash.
//
// stormpath2 is Apache Shiro's SimpleHash, which Stormpath ran: the
// digest of salt ‖ password, then ITERATIONS−1 more digests, each of the
// one before. The salt hashed is the base64-decoded bytes, not the base64
// text: Stormpath's published vector ("123456" ↔
// $stormpath2$MD5$1$OWI3OTQw…$ULWTW74N…) holds only that way
// (TestStormpath2Vector).
func (h *importedHash) verify(password string) bool {
	if h.bcrypt != nil {
		// bcrypt reads at most 72 bytes of a password, as every bcrypt
		// did when the hash was made.
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(password)) == nil
	}
	d := h.newHash()
	d.Write(h.salt)
	d.Write([]byte(password))
	sum := d.Sum(nil)
	for i := 1; i < h.iterations; i++ {
		d.Reset()
		d.Write(sum)
		sum = d.Sum(sum[:0])
	}
	return subtle.ConstantTimeCompare(sum, h.sum) == 1
}

// isImportedHash reports a stored hash that was imported, not made here:
// the hashes Hasher verifies (argon2id) never begin this way.
func isImportedHash(stored string) bool {
	return strings.HasPrefix(stored, "$2") || strings.HasPrefix(stored, "$stormpath2$")
}

// verifyPassword checks a password against an account's stored hash: an
// imported one by its format, any other through s.Hasher. imported
// reports the former, which the caller replaces with s.Hasher's hash once
// the password is known right.
func (s *Service) verifyPassword(password, stored string) (ok, imported bool) {
	if !isImportedHash(stored) {
		return s.Hasher.Verify(password, stored), false
	}
	h, err := parseImportedHash(stored)
	if err != nil {
		return false, true
	}
	return h.verify(password), true
}

// normalPasswordFormat checks and normalizes AccountInput.PasswordFormat:
// "" (plaintext) or PasswordFormatMCF, any case.
func normalPasswordFormat(format string) (string, error) {
	switch strings.ToLower(format) {
	case "":
		return "", nil
	case PasswordFormatMCF:
		return PasswordFormatMCF, nil
	}
	return "", invalid(CodeInvalidQuery, "passwordFormat", "passwordFormat must be mcf (password is then a bcrypt or $stormpath2$ hash), or absent for a plaintext password.")
}

// adminPassword is the hash an admin's create or update stores for
// in.Password, or "" when the password is plaintext and still to be
// checked against the policy and hashed. With passwordFormat=mcf the
// password is an imported hash, checked and stored as given: the policy
// cannot apply to it. Without, a password that looks like such a hash is
// refused (CodeHashAsPassword): it is far likelier an import that forgot
// passwordFormat, which would store the hash as the user's password and
// lock them out, than anyone's chosen password.
func adminPassword(in AccountInput) (string, error) {
	format, err := normalPasswordFormat(in.PasswordFormat)
	if err != nil || in.Password == nil {
		return "", err
	}
	if format == "" {
		if looksImported(*in.Password) {
			return "", invalid(CodeHashAsPassword, "password", "password looks like a password hash: to import one, send passwordFormat=mcf; a plaintext password may not begin with $2a$, $2b$, $2x$, $2y$ or $stormpath.")
		}
		return "", nil
	}
	if _, err := parseImportedHash(*in.Password); err != nil {
		return "", err
	}
	return *in.Password, nil
}
