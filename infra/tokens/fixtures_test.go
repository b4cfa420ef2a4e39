package tokens

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata (keeping testdata/test-keyring.json if present)")

// The fixtures freeze the format: testdata/test-keyring.json is a fixed TEST
// key (published on purpose, never used anywhere else), jwks.json its
// public JWKS, and token.jwt a token it signed at t0 for sampleToken(t0).
func TestFixtures(t *testing.T) {
	ctx := context.Background()
	keyringPath := filepath.Join("testdata", "test-keyring.json")
	jwksPath := filepath.Join("testdata", "jwks.json")
	tokenPath := filepath.Join("testdata", "token.jwt")

	if *update {
		if _, err := os.Stat(keyringPath); os.IsNotExist(err) {
			ring, err := NewKeyring(t0)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.MarshalIndent(ring, "", "  ")
			if err := os.WriteFile(keyringPath, append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var ring Keyring
	b, err := os.ReadFile(keyringPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ring); err != nil {
		t.Fatal(err)
	}
	c := newClock(t0)
	store := NewFileStore("", c)
	if err := store.Save(ctx, ring); err != nil {
		t.Fatal(err)
	}
	signer := NewSigner(store, c)
	fresh, err := signer.Sign(ctx, sampleToken(t0))
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := JWKS(ring)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		var pretty bytes.Buffer
		json.Indent(&pretty, jwks, "", "  ")
		pretty.WriteByte('\n')
		os.WriteFile(jwksPath, pretty.Bytes(), 0o644)
		os.WriteFile(tokenPath, []byte(fresh+"\n"), 0o644)
	}

	// The published JWKS is what JWKS produces.
	wantJWKS, err := os.ReadFile(jwksPath)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, wantJWKS); err != nil {
		t.Fatal(err)
	}
	if compact.String() != string(jwks) {
		t.Errorf("JWKS format changed:\n got %s\nwant %s", jwks, compact.String())
	}

	// The stored token verifies with the stored JWKS alone, at t0.
	raw, err := os.ReadFile(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(raw))
	src, err := StaticJWKS(wantJWKS)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(src, testIssuer, testAudience, c)
	got, err := v.Verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if want := sampleToken(t0); !reflect.DeepEqual(got, want) {
		t.Errorf("fixture token says %+v\nwant %+v", got, want)
	}
	// Signing the same claims again gives the same header and payload
	// bytes (ECDSA signatures are randomised, so only those two).
	if a, b := signingInput(token), signingInput(fresh); a != b {
		t.Errorf("token format changed:\n got %s\nwant %s", b, a)
	}
	// And it is refused an hour and a leeway later.
	c.Set(t0.Add(time.Hour + DefaultLeeway + time.Second))
	_, err = v.Verify(ctx, token)
	wantInvalid(t, err)
}

func signingInput(tok string) string { return tok[:strings.LastIndexByte(tok, '.')] }
