package stack_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/base64"
	"testing"
)

// decrypt is the Stormpath SDKs' side of encryptSecret.
func decrypt(t *testing.T, password string, salt []byte, iter, bits int, sealed string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < 32 || len(raw)%16 != 0 {
		t.Fatalf("sealed %q: %v", sealed, err)
	}
	key, err := pbkdf2.Key(sha1.New, password, salt, iter, bits/8)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(raw)-16)
	cipher.NewCBCDecrypter(block, raw[:16]).CryptBlocks(out, raw[16:])
	pad := int(out[len(out)-1])
	if pad < 1 || pad > 16 {
		t.Fatalf("bad padding %d", pad)
	}
	return string(out[:len(out)-pad])
}

func TestEncryptSecretForStormpathSDKs(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	salt := []byte("52da1dae+f6bd+4d")
	q := "?expand=account&encryptSecret=true&encryptionKeySize=256&encryptionKeyIterations=1024&encryptionKeySalt=" +
		base64.RawURLEncoding.EncodeToString(salt)
	k := c.must(201, c.do("POST", href(acc, "apiKeys")+q, nil))
	secret := decrypt(t, c.secret, salt, 1024, 256, k["secret"].(string))
	if acct, _ := k["account"].(map[string]any); acct["email"] != "tk421@galacticempire.co" {
		t.Fatalf("account not expanded: %v", k["account"])
	}
	// The decrypted secret is the real one: it authenticates.
	dev := c.as(k["id"].(string), secret)
	dev.must(200, dev.do("GET", "/troopers/tk421/equipment", nil))
	// Reads carry the encryption of "": secrets are not retrievable.
	l := c.must(200, c.do("GET", href(acc, "apiKeys")+q, nil))
	items := l["items"].([]any)
	if len(items) != 1 || decrypt(t, c.secret, salt, 1024, 256, items[0].(map[string]any)["secret"].(string)) != "" {
		t.Fatalf("list %v", l)
	}
	one := c.must(200, c.do("GET", c.app+"/apiKeys"+q+"&id="+k["id"].(string), nil))
	if one["size"].(float64) != 1 {
		t.Fatalf("lookup by id: %v", one)
	}
	none := c.must(200, c.do("GET", c.app+"/apiKeys?id=NOPE", nil))
	if none["size"].(float64) != 0 {
		t.Fatalf("lookup of unknown id: %v", none)
	}
	// 128-bit keys work too; bad parameters are a 400.
	k128 := c.must(201, c.do("POST", href(acc, "apiKeys")+"?encryptSecret=true&encryptionKeySize=128&encryptionKeyIterations=10&encryptionKeySalt="+
		base64.RawURLEncoding.EncodeToString(salt), nil))
	if s := decrypt(t, c.secret, salt, 10, 128, k128["secret"].(string)); len(s) != 53 {
		t.Fatalf("128-bit secret %q", s)
	}
	if r := c.do("POST", href(acc, "apiKeys")+"?encryptSecret=true&encryptionKeySize=192&encryptionKeySalt=abc", nil); r.Status != 400 {
		t.Fatalf("bad key size: %d", r.Status)
	}
}
