package httpapi

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/keystorm/keystorm/domain"
)

// Stormpath SDKs ask for API key secrets "encrypted" with
// encryptSecret=true: base64(IV ‖ AES-CBC(PKCS#7(secret))) under a key
// derived by PBKDF2-HMAC-SHA1 from the calling key's own secret, with the
// salt, iteration count and key size in the query. The calling secret
// arrived in this very request's Basic header, so the server can encrypt
// without storing anything recoverable. On reads there is no secret to
// reveal (only its hash is kept), yet the SDKs decrypt every item and crash
// on a missing value, so reads carry the encryption of "" — "not
// retrievable". Server-side verification (the authorizer) is the supported
// way to check keys.

const maxEncryptionIterations = 100000

type secretSealer struct {
	block cipher.Block
}

// encryptionParams are the query parameters sealerFor reads: allowed on
// API key reads and lists beside the collection query.
var encryptionParams = []string{"encryptSecret", "encryptionKeySize", "encryptionKeyIterations", "encryptionKeySalt"}

// sealerFor returns nil when the request does not ask for encryption.
func sealerFor(r *http.Request, callerKeyID string) (*secretSealer, error) {
	q := r.URL.Query()
	if !strings.EqualFold(q.Get("encryptSecret"), "true") {
		return nil, nil
	}
	bad := func(field, msg string) error {
		return domain.E(domain.KindInvalid, domain.CodeInvalidQuery, field, "%s", msg)
	}
	size := 256
	if v := q.Get("encryptionKeySize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || (n != 128 && n != 256) {
			return nil, bad("encryptionKeySize", "encryptionKeySize must be 128 or 256.")
		}
		size = n
	}
	iter := 1024
	if v := q.Get("encryptionKeyIterations"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxEncryptionIterations {
			return nil, bad("encryptionKeyIterations", "encryptionKeyIterations must be between 1 and 100000.")
		}
		iter = n
	}
	salt, err := decodeSalt(q.Get("encryptionKeySalt"))
	if err != nil || len(salt) == 0 {
		return nil, bad("encryptionKeySalt", "encryptionKeySalt must be base64.")
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != callerKeyID {
		return nil, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "encryptSecret", "encryptSecret=true needs HTTP Basic authentication with the calling API key.")
	}
	key, err := pbkdf2.Key(sha1.New, secret, salt, iter, size/8)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &secretSealer{block: block}, nil
}

// decodeSalt accepts base64 in either alphabet, padded or not.
func decodeSalt(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("+", "-", "/", "_").Replace(s)
	return base64.RawURLEncoding.DecodeString(s)
}

func (s *secretSealer) seal(plain string) (string, error) {
	bs := s.block.BlockSize()
	pad := bs - len(plain)%bs
	buf := make([]byte, bs+len(plain)+pad)
	iv := buf[:bs]
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	copy(buf[bs:], plain)
	for i := bs + len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(s.block, iv).CryptBlocks(buf[bs:], buf[bs:])
	return base64.StdEncoding.EncodeToString(buf), nil
}
