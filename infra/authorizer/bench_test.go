package authorizer_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/metrics"
	"github.com/keystorm/keystorm/infra/usage"
)

// BenchmarkAuthorizeBasicCacheHit is the steady state of a busy key: parse,
// SHA-256 and constant-time compare, and the cached policy and context for
// the route. No DynamoDB call.
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
// reads the key, its account and its application from the embedded
// DynamoDB over loopback HTTP. The secret matched the time before, so that
// is one BatchGetItem: it measures the authorizer plus one SDK round trip,
// not AWS. (The first authorization of a key, or a wrong secret, reads the
// key alone first.)
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
// parse, the SHA-256 of the token, a decision cache hit, and the cached
// policy and context for the route. No signature check, no DynamoDB call.
func BenchmarkAuthorizeBearerCacheHit(b *testing.B) { benchBearer(b, ttl) }

// BenchmarkAuthorizeBearerCacheMiss has caching off, so every
// authorization checks the signature and then liveness in the embedded
// DynamoDB over loopback HTTP (one BatchGetItem for the key, the
// revocation, the account and the application): the authorizer plus one
// SDK round trip.
func BenchmarkAuthorizeBearerCacheMiss(b *testing.B) { benchBearer(b, 0) }

// BenchmarkAuthorizeBasicCacheHitWithSource is the cache hit as API
// Gateway sends it, with the client's address: the throttle is consulted
// and cleared on every call.
func BenchmarkAuthorizeBasicCacheHitWithSource(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	req := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	req.RequestContext.Identity.SourceIP = "203.0.113.7"
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

// BenchmarkAuthorizeBasicCacheHitCounted is the cache hit as deployed:
// the verification counted for the key (infra/usage.Recorder, in memory;
// the fake clock never makes a flush due after the first) and one EMF
// decision line written (to io.Discard here, stdout on Lambda). The
// difference to BenchmarkAuthorizeBasicCacheHit is their cost; DynamoDB
// calls stay at 0 per request.
func BenchmarkAuthorizeBasicCacheHitCounted(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	rec := &usage.Recorder{Store: e.h.Store, Clock: e.clock}
	h := e.handler(authorizer.Config{CacheTTL: ttl, Applications: e.bound(), Usage: rec})
	h.Metrics = &metrics.Emitter{Out: io.Discard, Namespace: "Keystorm", Clock: e.clock}
	req := request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret))
	if _, err := h.HandleRequest(ctx, req); err != nil {
		b.Fatal(err)
	}
	if err := rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	e.h.Counter.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.HandleRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.h.Counter.Total())/float64(b.N), "dynamodb-calls/op")
}
