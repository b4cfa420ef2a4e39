package domain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/keystorm/keystorm/events"
)

// Projection is asynchronous work driven by the event log: on AWS the
// projector function runs it on the events table's DynamoDB stream; the
// local server delivers the same events in-process (infra/projector).
// Delivery is at least once, in order within a stream but not across
// streams, so Handle must be idempotent per event: every projection
// here acts on the current state the event points at, never on the
// event's payload, so a duplicate, a retry or a late event converges on
// the same outcome.
type Projection interface {
	// Name identifies the projection in logs and metrics.
	Name() string
	// Handle does the projection's work for one event. An error makes
	// the event (and, on a stream, those after it) be delivered again.
	Handle(ctx context.Context, env events.Envelope) error
}

// UsagePlans is the port to where rate limits are enforced: on AWS, API
// Gateway usage plans (one per distinct limit, each key's usage
// identifier an API key in the plan of its limit); locally, the local
// gateway. Both calls are idempotent.
type UsagePlans interface {
	// Put throttles id by limit, moving it out of any other plan.
	Put(ctx context.Context, id string, limit RateLimit) error
	// Remove takes id out of every plan (a missing id is no error).
	Remove(ctx context.Context, id string) error
}

// PlanSync keeps UsagePlans in step with the keys' effective rate
// limits (EffectiveRateLimit): a key's own limit set or lifted, a key
// created or deleted, and an application's default changed (which
// reaches every key of the application).
type PlanSync struct {
	Store Store
	Plans UsagePlans
}

// Name implements Projection.
func (p *PlanSync) Name() string { return "usage-plans" }

// Handle implements Projection.
func (p *PlanSync) Handle(ctx context.Context, env events.Envelope) error {
	kind, id, _ := strings.Cut(env.Stream, "#")
	switch env.Type {
	case events.TypeAPIKeyCreated, events.TypeAPIKeyRateLimitSet, events.TypeAPIKeyDeleted:
		return p.SyncKey(ctx, id)
	case events.TypeApplicationRateLimitSet:
		if kind != KindApplication {
			return nil
		}
		return p.syncApplication(ctx, id, false)
	}
	return nil
}

// SyncAll puts every key of the tenants in the plan of its limit: what
// redelivering every event would do, in one pass over the read model.
// The local server runs it at start, since its plans live in memory.
func (p *PlanSync) SyncAll(ctx context.Context, tenants []string) error {
	for _, t := range tenants {
		var failed error
		err := eachPage(ctx, p.Store, "tenant/"+t+"/applications", func(apps []State) bool {
			for _, a := range apps {
				if failed = p.syncApplication(ctx, a.Ref().ID, true); failed != nil {
					return false
				}
			}
			return true
		})
		if err = errors.Join(err, failed); err != nil {
			return err
		}
	}
	return nil
}

// SyncKey puts one key in the plan of its effective limit, or out of
// every plan when it has none or is gone.
func (p *PlanSync) SyncKey(ctx context.Context, keyID string) error {
	k := &APIKey{}
	err := p.Store.Load(ctx, Ref{KindAPIKey, keyID}, k)
	if errors.Is(err, ErrNotFound) || (err == nil && k.Deleted()) {
		return p.Plans.Remove(ctx, UsageIdentifier(keyID))
	}
	if err != nil {
		return err
	}
	app := &Application{}
	// A key of an account in a shared directory has no application of
	// its own: its plan carries its own limit (README "Known limits").
	if k.ApplicationID != "" {
		if err := p.Store.Load(ctx, Ref{KindApplication, k.ApplicationID}, app); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return p.put(ctx, k, app)
}

func (p *PlanSync) put(ctx context.Context, k *APIKey, app *Application) error {
	if limit := EffectiveRateLimit(k, app); !limit.IsZero() && !app.Deleted() {
		return p.Plans.Put(ctx, UsageIdentifier(k.ID), limit)
	}
	return p.Plans.Remove(ctx, UsageIdentifier(k.ID))
}

// syncApplication re-plans the keys of an application, a page of
// accounts at a time: those without a limit of their own, which follow
// its default, or with all, every key. A key whose plan call fails does
// not stop the others (a throttled control plane fails some calls): the
// failures are returned together, and the redelivery re-plans every key
// again, which for the ones that worked changes nothing. A store error
// ends the pass.
func (p *PlanSync) syncApplication(ctx context.Context, appID string, all bool) error {
	app := &Application{}
	if err := p.Store.Load(ctx, Ref{KindApplication, appID}, app); err != nil {
		return err
	}
	var failed []error
	err := eachPage(ctx, p.Store, "application/"+appID+"/accounts", func(accs []State) bool {
		for _, a := range accs {
			err := eachPage(ctx, p.Store, "account/"+a.Ref().ID+"/apikeys", func(keys []State) bool {
				for _, st := range keys {
					if k, ok := st.(*APIKey); ok && (all || k.RateLimit.IsZero()) {
						if err := p.put(ctx, k, app); err != nil {
							failed = append(failed, err)
						}
					}
				}
				return ctx.Err() == nil
			})
			if err != nil {
				failed = append(failed, err)
				return false
			}
		}
		return ctx.Err() == nil
	})
	return errors.Join(append(failed, err, ctx.Err())...)
}

// SweepProjection finishes the cascade of a deleted parent (an
// application, account or group deleted with Change.Sweep): the request
// that deleted it ran a bounded number of batches, and this runs the
// rest as soon as the delete's event arrives, rather than at the next
// scheduled sweep (which remains, for a sweep that still fails after the
// stream's retries). A parent with nothing left costs one read, so
// duplicates are harmless; two sweeps of one parent at once conflict
// and retry (SweptCounts), never corrupt counts.
type SweepProjection struct {
	Service *Service
	// Paused makes Handle do nothing: for tests that stop a sweep midway
	// (Service.SweepHook) to look between its batches.
	Paused atomic.Bool
}

// Name implements Projection.
func (p *SweepProjection) Name() string { return "sweep" }

// Handle implements Projection.
func (p *SweepProjection) Handle(ctx context.Context, env events.Envelope) error {
	switch env.Type {
	case events.TypeApplicationDeleted, events.TypeAccountDeleted, events.TypeGroupDeleted:
	default:
		return nil
	}
	if p.Paused.Load() {
		return nil
	}
	kind, id, ok := strings.Cut(env.Stream, "#")
	if !ok {
		return fmt.Errorf("sweep: bad stream %q", env.Stream)
	}
	_, err := p.Service.sweep(ctx, events.Meta{}, Ref{kind, id}, nil)
	return err
}
