package domain

import (
	"strings"
	"testing"
)

// A stored hash that is not a hex SHA-256 (a corrupt item) matches no
// secret, and decoding it never panics, whatever its length.
func TestDecodeHashRefusesCorruptHashes(t *testing.T) {
	secret := "kss_" + strings.Repeat("a", SecretLen-4)
	good := HashSecret(secret)
	if sum, ok := decodeHash(good); !ok || sum != sum256(secret) {
		t.Fatal("a real hash does not decode to the secret's SHA-256")
	}
	for _, h := range []string{"", good[:62], good + "00", good + strings.Repeat("0", 100), "zz" + good[2:], strings.ToUpper(good[:1]) + "g" + good[2:]} {
		sum, ok := decodeHash(h)
		e := cachedKey{sum: sum, ok: ok, prev: sum, prevOK: ok}
		if s := sum256(secret); ok || func() bool { c, p := e.match(&s); return c || p }() {
			t.Fatalf("corrupt hash %q decodes as ok=%v", h, ok)
		}
	}
}
