package domain_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// snapshot is the model's state of a key, its account and application
// from a time on.
type snapshot struct {
	from                  time.Time
	keyStatus, acc, app   string
	deleted               bool
	expiresAt, graceUntil time.Time
	restricted            bool
}

// verdict is what the model says at t.
func (s snapshot) verdict(t time.Time) (bool, []string) {
	var r []string
	if s.deleted {
		r = append(r, domain.ReasonDeleted)
	} else {
		if s.keyStatus != domain.StatusEnabled {
			r = append(r, domain.ReasonDisabled)
		}
		if !s.expiresAt.IsZero() && !t.Before(s.expiresAt) {
			r = append(r, domain.ReasonExpired)
		}
	}
	if s.acc != domain.StatusEnabled {
		r = append(r, domain.ReasonAccountDisabled)
	}
	if s.app != domain.StatusEnabled {
		r = append(r, domain.ReasonApplicationDisabled)
	}
	valid := len(r) == 0
	if !s.deleted && !s.graceUntil.IsZero() && t.Before(s.graceUntil) {
		r = append(r, domain.ReasonWithinGrace)
	}
	return valid, r
}

// TestKeyAtAgainstModel builds random histories of a key (status,
// expiry, rerolls with grace, its account's and application's status,
// at last maybe its deletion) and asks GET ?at= at random times: the
// answer folded from the log must match a model that only replays the
// history, every time.
func TestKeyAtAgainstModel(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		e := setup(t)
		e.svc.Log = e.h.Store.EventLog()
		acc := e.account(t, "tk421")
		appID := e.boot.Application.ID
		ck, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		id := ck.Key.ID
		created := ck.Key.CreatedAt
		cur := snapshot{from: e.clock.Now(), keyStatus: domain.StatusEnabled, acc: domain.StatusEnabled, app: domain.StatusEnabled}
		history := []snapshot{cur}
		// Times near which the answer flips: queries keep clear of them,
		// since the model knows them only to the millisecond.
		edges := []time.Time{created}
		flip := func(s string) string {
			if s == domain.StatusEnabled {
				return domain.StatusDisabled
			}
			return domain.StatusEnabled
		}
		for step := 0; step < 14; step++ {
			e.clock.Advance(time.Duration(1+rng.IntN(30)) * time.Minute)
			before := e.clock.Now()
			next := cur
			switch op := rng.IntN(6); op {
			case 0:
				next.keyStatus = flip(cur.keyStatus)
				if _, err := e.svc.UpdateAPIKey(ctx, e.admin, id, domain.APIKeyInput{Status: ptr(next.keyStatus)}); err != nil {
					t.Fatal(err)
				}
			case 1:
				in := &domain.Expiry{}
				if rng.IntN(3) > 0 {
					in.At = e.clock.Now().Add(time.Duration(1+rng.IntN(90)) * time.Minute)
				}
				k, err := e.svc.UpdateAPIKey(ctx, e.admin, id, domain.APIKeyInput{Expiry: in})
				if err != nil {
					t.Fatal(err)
				}
				next.expiresAt = k.ExpiresAt
				edges = append(edges, k.ExpiresAt)
			case 2:
				grace := time.Duration(rng.IntN(4)) * 15 * time.Minute
				r, err := e.svc.RerollAPIKey(ctx, e.admin, id, grace)
				if err != nil {
					t.Fatal(err)
				}
				next.graceUntil = r.Key.PreviousValidUntil
				edges = append(edges, r.Key.PreviousValidUntil)
			case 3:
				next.acc = flip(cur.acc)
				if _, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Status: ptr(next.acc)}); err != nil {
					t.Fatal(err)
				}
			case 4:
				next.app = flip(cur.app)
				if _, err := e.svc.UpdateApplication(ctx, e.admin, appID, domain.ApplicationInput{Status: ptr(next.app)}); err != nil {
					t.Fatal(err)
				}
			case 5:
				sc := &domain.ScopeLimit{Restricted: !cur.restricted, Scopes: []string{"read"}}
				if !sc.Restricted {
					sc.Scopes = nil
				}
				if _, err := e.svc.UpdateAPIKey(ctx, e.admin, id, domain.APIKeyInput{Scopes: sc}); err != nil {
					t.Fatal(err)
				}
				next.restricted = sc.Restricted
			}
			after := e.clock.Now()
			next.from = after
			edges = append(edges, before, after)
			history = append(history, next)
			cur = next
		}
		if rng.IntN(2) == 0 {
			e.clock.Advance(time.Minute)
			edges = append(edges, e.clock.Now())
			if err := e.svc.DeleteAPIKey(ctx, e.admin, id); err != nil {
				t.Fatal(err)
			}
			next := cur
			next.deleted, next.from = true, e.clock.Now()
			edges = append(edges, next.from)
			history = append(history, next)
		}
		end := e.clock.Now().Add(2 * time.Hour)
		checked := 0
		for checked < 60 {
			at := created.Add(time.Duration(rng.Int64N(int64(end.Sub(created)))))
			if slices.ContainsFunc(edges, func(x time.Time) bool { d := at.Sub(x); return d > -2*time.Second && d < 2*time.Second }) {
				continue
			}
			i := len(history) - 1
			for i > 0 && history[i].from.After(at) {
				i--
			}
			want := history[i]
			wantValid, wantReasons := want.verdict(at)
			got, err := e.svc.APIKeyAt(ctx, e.admin, id, at)
			if err != nil {
				t.Fatalf("seed %d at %v: %v", seed, at, err)
			}
			if got.ValidAt != wantValid || !slices.Equal(got.Reasons, wantReasons) || (got.Scope != nil) != want.restricted {
				t.Fatalf("seed %d at %v: got valid %v %v scope %v, model says %v %v restricted %v (snapshot %d of %d)",
					seed, at, got.ValidAt, got.Reasons, got.Scope, wantValid, wantReasons, want.restricted, i, len(history))
			}
			checked++
		}
		// Before the key existed it is not found.
		if _, err := e.svc.APIKeyAt(ctx, e.admin, id, created.Add(-time.Second)); domain.KindOf(err) != domain.KindNotFound {
			t.Fatalf("before creation: %v", err)
		}
	}
}
