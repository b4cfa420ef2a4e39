package authorizer_test

import (
	"context"
	"testing"

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
