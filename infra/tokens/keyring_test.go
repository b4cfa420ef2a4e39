package tokens

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

func kids(r Keyring) []string {
	out := make([]string, len(r.Keys))
	for i, k := range r.Keys {
		out[i] = k.KID
	}
	return out
}

func jwksKids(t *testing.T, r Keyring) []string {
	t.Helper()
	doc, err := JWKS(r)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	return out
}

func TestRotationKeepsPreviousKeysUntilTheirTokensExpire(t *testing.T) {
	const every = 7 * 24 * time.Hour
	ring, err := NewKeyring(t0)
	if err != nil {
		t.Fatal(err)
	}
	k1 := ring.Keys[0].KID
	due := t0.Add(every)

	// Not due yet: nothing changes.
	if changed, err := ring.Rotate(due.Add(-PublishAhead-time.Second), every); err != nil || changed {
		t.Fatalf("early rotation: %v %v", changed, err)
	}

	// PublishAhead before it is due, the next key is published but k1
	// keeps signing until the due time.
	pub := due.Add(-PublishAhead)
	if changed, err := ring.Rotate(pub, every); err != nil || !changed {
		t.Fatalf("rotation: %v %v", changed, err)
	}
	k2 := ring.Keys[1].KID
	if got := jwksKids(t, ring); strings.Join(got, ",") != k1+","+k2 {
		t.Fatalf("JWKS kids = %v", got)
	}
	for _, at := range []time.Time{pub, due.Add(-time.Second)} {
		if cur, _ := ring.Current(at); cur.KID != k1 {
			t.Fatalf("at %v current = %v, want k1", at, cur)
		}
	}
	if cur, _ := ring.Current(due); cur.KID != k2 {
		t.Fatalf("at due current = %v, want k2", cur)
	}
	// Rotating again before the switch adds nothing.
	if changed, _ := ring.Rotate(due.Add(-time.Minute), every); changed {
		t.Fatalf("second pending key: %v", ring)
	}
	if !ring.Keys[0].RetireAt.Equal(due) || !ring.Keys[1].RetireAt.IsZero() || !ring.Keys[1].SignFrom.Equal(due) {
		t.Fatalf("times: %v", ring)
	}

	// A token signed by k1 just before its retirement lives until
	// due + MaxAccessTokenTTL: k1 must still be there then.
	if changed, _ := ring.Rotate(due.Add(domain.MaxAccessTokenTTL), every); changed {
		t.Fatalf("k1 dropped while its tokens may be unexpired: %v", kids(ring))
	}
	if _, ok := ring.Key(k1); !ok {
		t.Fatal("k1 gone")
	}

	// After the window it goes, from the ring and so from the JWKS.
	if changed, _ := ring.Rotate(due.Add(VerifyWindow), every); !changed {
		t.Fatal("k1 kept past its window")
	}
	if got := jwksKids(t, ring); len(got) != 1 || got[0] != k2 {
		t.Fatalf("JWKS kids = %v, want [%s]", got, k2)
	}

	// Overdue (nobody rotated in time): the current key signs on for
	// PublishAhead while the next one is published.
	late := due.Add(3 * every)
	ring.Rotate(late, every)
	if cur, _ := ring.Current(late.Add(PublishAhead - time.Second)); cur.KID != k2 {
		t.Fatalf("switched before PublishAhead: %v", cur)
	}
	k3 := ring.Keys[len(ring.Keys)-1].KID
	if cur, _ := ring.Current(late.Add(PublishAhead)); cur.KID != k3 {
		t.Fatalf("not switched after PublishAhead: %v", cur)
	}

	// Rotating faster than the window keeps several retired keys at once.
	r := late.Add(PublishAhead)
	for range 2 {
		r = r.Add(time.Hour)
		ring.Rotate(r, time.Hour)
	}
	if len(ring.Keys) != 4 {
		t.Fatalf("keys = %v", kids(ring))
	}
	ring.Rotate(r.Add(PublishAhead+VerifyWindow), 0)
	if len(ring.Keys) != 1 {
		t.Fatalf("keys = %v", kids(ring))
	}
}

// Rotate replaces Keys: a ring held elsewhere (a store's cache) is not
// changed under its readers.
func TestRotateDoesNotAliasCallersRing(t *testing.T) {
	ring, _ := NewKeyring(t0)
	held := ring
	ring.Rotate(t0.Add(48*time.Hour), time.Hour)
	if len(held.Keys) != 1 || !held.Keys[0].RetireAt.IsZero() {
		t.Fatalf("held ring changed: %v", held)
	}
}

func TestRotateEmptyRingAddsKey(t *testing.T) {
	var ring Keyring
	if _, err := ring.Current(t0); err != ErrNoSigningKey {
		t.Fatal(err)
	}
	if changed, err := ring.Rotate(t0, 0); err != nil || !changed || len(ring.Keys) != 1 {
		t.Fatal(changed, err, ring)
	}
}

func TestKeyringJSONRoundTrip(t *testing.T) {
	ring, _ := NewKeyring(t0)
	ring.Rotate(t0.Add(time.Hour), time.Hour)
	b, err := json.Marshal(ring)
	if err != nil {
		t.Fatal(err)
	}
	var back Keyring
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Keys) != 2 {
		t.Fatal(back)
	}
	for i, k := range back.Keys {
		o := ring.Keys[i]
		if k.KID != o.KID || !k.Created.Equal(o.Created) || !k.SignFrom.Equal(o.SignFrom) || !k.RetireAt.Equal(o.RetireAt) || !k.Private.Equal(o.Private) {
			t.Errorf("key %d: %v, want %v", i, k, o)
		}
	}
	// "keys" is a private JWK set.
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	json.Unmarshal(b, &raw)
	for _, k := range raw.Keys {
		if k["kty"] != "EC" || k["crv"] != "P-256" || k["d"] == nil || k["kid"] == nil {
			t.Errorf("stored key %v", k)
		}
	}
}

func TestKeyringUnmarshalRejectsBadRings(t *testing.T) {
	ring, _ := NewKeyring(t0)
	good, _ := json.Marshal(ring)
	kid := ring.Keys[0].KID
	pub, _ := JWKS(ring)
	for name, doc := range map[string]string{
		"not json":    `{"keys":`,
		"public only": string(pub),
		"wrong kid":   strings.Replace(string(good), kid, "someotherkid", 1),
		"no meta":     strings.Replace(string(good), `"meta"`, `"x"`, 1),
		"wrong alg":   strings.Replace(string(good), `"ES256"`, `"ES384"`, 1),
	} {
		var r Keyring
		err := json.Unmarshal([]byte(doc), &r)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		// Errors never quote the private key.
		var k struct {
			Keys []struct {
				D string `json:"d"`
			} `json:"keys"`
		}
		json.Unmarshal(good, &k)
		if strings.Contains(err.Error(), k.Keys[0].D) {
			t.Errorf("%s: error quotes the private key: %v", name, err)
		}
	}
}

func TestJWKSHasNoPrivateMaterial(t *testing.T) {
	ring, _ := NewKeyring(t0)
	ring.Rotate(t0.Add(time.Hour), time.Hour)
	doc, err := JWKS(ring)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("%d keys", len(set.Keys))
	}
	for _, k := range set.Keys {
		if _, ok := k["d"]; ok {
			t.Fatalf("private key in JWKS: %s", doc)
		}
		want := map[string]bool{"kty": true, "crv": true, "x": true, "y": true, "kid": true, "alg": true, "use": true}
		for name := range k {
			if !want[name] {
				t.Errorf("unexpected member %q", name)
			}
		}
		if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" {
			t.Errorf("key %v", k)
		}
	}
	if strings.Contains(string(doc), `"d"`) {
		t.Fatalf("private member in JWKS: %s", doc)
	}
	// And the document is usable by a verifier as it stands.
	if _, err := StaticJWKS(doc); err != nil {
		t.Fatal(err)
	}
}

// fmt and slog see a key's id and times, never its private part.
func TestKeysNeverPrinted(t *testing.T) {
	ring, _ := NewKeyring(t0)
	b, _ := json.Marshal(ring)
	var k struct {
		Keys []struct {
			D string `json:"d"`
		} `json:"keys"`
	}
	json.Unmarshal(b, &k)
	d := k.Keys[0].D
	raw, err := ring.Keys[0].Private.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	dInt := new(big.Int).SetBytes(raw).String() // how %v would print the scalar
	dHex := hex.EncodeToString(raw)

	var out strings.Builder
	log := slog.New(slog.NewJSONHandler(&out, nil))
	log.Info("keys", "ring", ring, "key", ring.Keys[0])
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		fmt.Fprintf(&out, verb+"\n", ring)
		fmt.Fprintf(&out, verb+"\n", ring.Keys[0])
		fmt.Fprintf(&out, verb+"\n", &ring.Keys[0])
	}
	if strings.Contains(out.String(), d) || strings.Contains(out.String(), dInt) || strings.Contains(out.String(), dHex) {
		t.Fatalf("private key printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), ring.Keys[0].KID) {
		t.Fatalf("kid not printed:\n%s", out.String())
	}
}

func TestKeyringAsPublicKeySource(t *testing.T) {
	ring, _ := NewKeyring(t0)
	if _, err := ring.PublicKey(context.Background(), "nope"); err != ErrUnknownKey {
		t.Fatal(err)
	}
	pub, err := ring.PublicKey(context.Background(), ring.Keys[0].KID)
	if err != nil || !pub.Equal(&ring.Keys[0].Private.PublicKey) {
		t.Fatal(err)
	}
}
