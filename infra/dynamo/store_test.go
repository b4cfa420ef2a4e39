package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/embedded"
)

// TestStoreContract holds the DynamoDB store to the domain.Store contract,
// on minidyn through the real SDK client and wire protocol.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.Store {
		return dumpStore{embedded.New(t).Store}
	})
}

// TestIdempotencyRecordExpires: a record older than the TTL is gone for
// Idempotency, and so it must be gone for Commit too, even while
// DynamoDB's lazy TTL sweep has not deleted the item yet (which can take
// days). Before the fix, Commit refused the new request with
// IdempotencyReplay and the service answered 422 for a key that
// Idempotency reported unused.
func TestIdempotencyRecordExpires(t *testing.T) {
	h := embedded.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	h.Store.Now = func() time.Time { return now }

	newApp := func(id, name string) domain.Change {
		app := &domain.Application{}
		env, err := events.Encode("application#"+id, 1, now, events.Meta{}, events.ApplicationCreated{ID: id, TenantID: "t", DirectoryID: "d" + id, Name: name, Status: domain.StatusEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Apply(env); err != nil {
			t.Fatal(err)
		}
		return domain.Change{After: app, Events: []events.Envelope{env}}
	}
	rec := domain.IdemRecord{Key: "t/k", Fingerprint: "a", Result: domain.Ref{Kind: domain.KindApplication, ID: "a1"}, At: now}
	if err := h.Store.Commit(ctx, domain.Commit{Changes: []domain.Change{newApp("a1", "one")}, Idem: &rec}); err != nil {
		t.Fatal(err)
	}
	// Within the TTL the key is taken.
	now = now.Add(23 * time.Hour)
	rec2 := domain.IdemRecord{Key: "t/k", Fingerprint: "b", Result: domain.Ref{Kind: domain.KindApplication, ID: "a2"}, At: now}
	var ir *domain.IdempotencyReplay
	if err := h.Store.Commit(ctx, domain.Commit{Changes: []domain.Change{newApp("a2", "two")}, Idem: &rec2}); !errors.As(err, &ir) {
		t.Fatalf("within TTL: want IdempotencyReplay, got %v", err)
	}
	// After it, the key is free in both views of the store.
	now = now.Add(2 * time.Hour)
	rec2.At = now
	if _, err := h.Store.Idempotency(ctx, "t/k"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("expired record: %v", err)
	}
	if err := h.Store.Commit(ctx, domain.Commit{Changes: []domain.Change{newApp("a2", "two")}, Idem: &rec2}); err != nil {
		t.Fatalf("reuse after expiry: %v", err)
	}
	got, err := h.Store.Idempotency(ctx, "t/k")
	if err != nil || got.Result.ID != "a2" || got.Fingerprint != "b" {
		t.Fatalf("new record: %+v %v", got, err)
	}
}
