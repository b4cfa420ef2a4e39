package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

func BenchmarkSign(b *testing.B) {
	fx := newFixture(b)
	at := sampleToken(t0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fx.signer.Sign(ctx, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the Bearer hit path: one parse, one key lookup by
// kid, one ES256 signature check, the claim checks.
func BenchmarkVerify(b *testing.B) {
	fx := newFixture(b)
	tok := fx.sign(b, sampleToken(t0))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fx.verifier.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyJWKS is the authorizer's setup: keys from a cached JWKS.
func BenchmarkVerifyJWKS(b *testing.B) {
	fx := newFixture(b)
	doc, err := JWKS(fx.ring)
	if err != nil {
		b.Fatal(err)
	}
	src := NewJWKSSource(func(context.Context) ([]byte, error) { return doc, nil }, fx.clock)
	v := NewVerifier(src, testIssuer, testAudience, fx.clock)
	tok := fx.sign(b, sampleToken(t0))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyForged is the cost of refusing a bad signature.
func BenchmarkVerifyForged(b *testing.B) {
	fx := newFixture(b)
	tok := []byte(fx.sign(b, sampleToken(t0)))
	tok[len(tok)-5] ^= 1
	forged := string(tok)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fx.verifier.Verify(ctx, forged); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkES256Bare is the floor under BenchmarkVerify: the SHA-256 of a
// token's signing input and one P-256 signature check, with no parsing,
// key lookup or claim checks. A Bearer miss in the authorizer is a Verify
// plus one store read; Verify over this is the verifier's overhead.
func BenchmarkES256Bare(b *testing.B) {
	fx := newFixture(b)
	tok := fx.sign(b, sampleToken(t0))
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil || len(sig) != 64 {
		b.Fatalf("signature: %d bytes, %v", len(sig), err)
	}
	pub, err := fx.ring.PublicKey(context.Background(), fx.ring.Keys[0].KID)
	if err != nil {
		b.Fatal(err)
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	input := []byte(tok[:dot])
	b.ReportAllocs()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if !ecdsa.Verify(pub, digest[:], r, s) {
			b.Fatal("signature refused")
		}
	}
}
