package authorizer_test

import (
	"context"
	"testing"
	"time"

	"github.com/keystorm/keystorm/infra/authorizer"
)

// BenchmarkAuthorizeBasicCacheHit is the steady state of a busy key: parse,
// SHA-256 and constant-time compare, policy and context. No DynamoDB call.
func BenchmarkAuthorizeBasicCacheHit(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	req := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	if _, err := e.auth.HandleRequest(ctx, req); err != nil {
		b.Fatal(err)
	}
	e.h.Counter.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.auth.HandleRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.h.Counter.Total())/float64(b.N), "dynamodb-calls/op")
}

// BenchmarkAuthorizeBasicCacheMiss has caching off, so every authorization
// reads the key and its account from the embedded DynamoDB over loopback
// HTTP: it measures the authorizer plus two SDK round trips, not AWS.
func BenchmarkAuthorizeBasicCacheMiss(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	auth := e.handler(authorizer.Config{CacheTTL: 0})
	req := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	e.h.Counter.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := auth.HandleRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.h.Counter.Total())/float64(b.N), "dynamodb-calls/op")
}

// benchBearer runs REQUEST authorizations with a developer's access token
// and reports DynamoDB calls and signature checks per authorization.
func benchBearer(b *testing.B, cacheTTL time.Duration) {
	e := setup(b)
	ctx := context.Background()
	auth := e.handler(authorizer.Config{CacheTTL: cacheTTL})
	req := request(authorizer.BearerHeader(e.issue(b, e.devKey.Key.ID, e.devKey.Secret, "").Signed))
	if _, err := auth.HandleRequest(ctx, req); err != nil {
		b.Fatal(err)
	}
	e.h.Counter.Reset()
	verifies := e.tokens.verifies.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := auth.HandleRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.h.Counter.Total())/float64(b.N), "dynamodb-calls/op")
	b.ReportMetric(float64(e.tokens.verifies.Load()-verifies)/float64(b.N), "sig-checks/op")
}

// BenchmarkAuthorizeBearerCacheHit is the steady state of a busy token:
// parse, one ES256 signature check and the claim checks, a liveness cache
// hit, policy and context. No DynamoDB call.
func BenchmarkAuthorizeBearerCacheHit(b *testing.B) { benchBearer(b, ttl) }

// BenchmarkAuthorizeBearerCacheMiss has caching off, so every
// authorization also checks liveness in the embedded DynamoDB over
// loopback HTTP (one BatchGetItem for the key and the revocation, one
// GetItem for the account): the authorizer plus two SDK round trips.
func BenchmarkAuthorizeBearerCacheMiss(b *testing.B) { benchBearer(b, 0) }
