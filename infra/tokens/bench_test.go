package tokens

import (
	"context"
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
