package domain

import (
	"context"
	"encoding/json"
	"time"

	"github.com/keystorm/keystorm/events"
)

// ApplicationInput carries the writable properties of an application; nil
// means "not given".
type ApplicationInput struct {
	Name        *string
	Description *string
	Status      *string
	// CustomData, when given, is merged into the customData (on create,
	// it becomes the customData).
	CustomData map[string]json.RawMessage
	// RateLimit, when given, sets (or, zero, lifts) the default limit of
	// the application's keys.
	RateLimit *RateLimit
}

// CreateApplication creates an application and its directory.
// Errors: KindInvalid, KindConflict (name taken), ErrForbidden, ErrUnavailable.
func (s *Service) CreateApplication(ctx context.Context, c Caller, in ApplicationInput) (*Application, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	name, err := text("name", in.Name, MaxNameLen, true)
	if err != nil {
		return nil, err
	}
	desc, err := text("description", in.Description, MaxDescriptionLen, false)
	if err != nil {
		return nil, err
	}
	st := StatusEnabled
	if in.Status != nil {
		if st, err = status(in.Status, StatusEnabled, StatusDisabled); err != nil {
			return nil, err
		}
	}
	if err := checkNewCustomData(in.CustomData); err != nil {
		return nil, err
	}
	if err := checkRateLimit(in.RateLimit); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*Application, error) {
		if _, err := load[*Tenant](ctx, s, c, KindTenant, c.TenantID); err != nil {
			return nil, err
		}
		app := &Application{}
		id := s.IDs.NewID()
		evs := append([]events.Event{events.ApplicationCreated{
			ID: id, TenantID: c.TenantID, DirectoryID: s.IDs.NewID(), Name: name, Description: desc, Status: st,
		}}, initialCustomData(app, in.CustomData)...)
		if in.RateLimit != nil && !in.RateLimit.IsZero() {
			evs = append(evs, events.ApplicationRateLimitSet(in.RateLimit.event()))
		}
		return app, r.record(Ref{KindApplication, id}, nil, app, evs...)
	})
}

// GetApplication returns an application of the caller's tenant.
// Errors: ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) GetApplication(ctx context.Context, c Caller, id string) (*Application, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	return load[*Application](ctx, s, c, KindApplication, id)
}

// ListApplications lists the tenant's applications.
func (s *Service) ListApplications(ctx context.Context, c Caller, p Page) (List[*Application], error) {
	if err := requireAdmin(c); err != nil {
		return List[*Application]{}, err
	}
	return listQuery[*Application](ctx, s, KindApplication, "tenant/"+c.TenantID+"/applications", p)
}

// UpdateApplication changes the given properties.
// Errors: KindInvalid, KindConflict, ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) UpdateApplication(ctx context.Context, c Caller, id string, in ApplicationInput) (*Application, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if err := checkCustomData(in.CustomData); err != nil {
		return nil, err
	}
	if err := checkRateLimit(in.RateLimit); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*Application, error) {
		cur, err := load[*Application](ctx, s, c, KindApplication, id)
		if err != nil {
			return nil, err
		}
		ev := events.ApplicationUpdated{}
		if ev.Name, ev.Description, ev.Status, err = patchNamed(cur.Name, cur.Description, cur.Status, in.Name, in.Description, in.Status); err != nil {
			return nil, err
		}
		if cur.Admin && ev.Status != StatusEnabled {
			return nil, E(KindConflict, CodeProtectedResource, "status", "The administrators application cannot be disabled.")
		}
		var evs []events.Event
		if ev != (events.ApplicationUpdated{Name: cur.Name, Description: cur.Description, Status: cur.Status}) {
			evs = append(evs, ev)
		}
		if in.RateLimit != nil && *in.RateLimit != cur.DefaultRateLimit {
			evs = append(evs, events.ApplicationRateLimitSet(in.RateLimit.event()))
		}
		if evs = append(evs, customDataEvents(cur, in.CustomData)...); len(evs) == 0 {
			return cur, nil
		}
		next := cur.clone()
		if err := r.record(cur.Ref(), cur, next, evs...); err != nil {
			return nil, err
		}
		return next, checkCustomDataTotal(next.CustomData)
	})
}

// DeleteApplication deletes an application with its accounts and groups
// (and their keys and memberships). The administrators application cannot
// be deleted. With no account or group left it is one transaction, which
// the store refuses if one was created meanwhile (the command retries).
// Otherwise the application goes first, with Change.Sweep, and its
// accounts and groups are swept after in bounded batches, each account
// or group with children of its own swept in turn (sweep.go): accounts
// are parents themselves, so their cascade is never folded into one
// commit.
// Errors: ErrNotFound, KindConflict, ErrForbidden, ErrUnavailable.
func (s *Service) DeleteApplication(ctx context.Context, c Caller, id string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	var own string
	err := deleteParent(ctx, s, c, KindApplication, id, false, func(cur *Application) (events.Event, error) {
		if cur.Admin {
			return nil, E(KindConflict, CodeProtectedResource, "", "The administrators application cannot be deleted.")
		}
		own = cur.DirectoryID
		return events.ApplicationDeleted{}, nil
	})
	if err != nil || own == "" {
		return err
	}
	// Its own directory goes with it: other applications that mapped
	// it no longer do (a mapping's commit checks the application).
	return s.unmapStore(ctx, c, events.StoreDirectory, own)
}

// OAuthPolicyInput changes an application's OAuth policy.
type OAuthPolicyInput struct {
	// AccessTokenTTL is the new token lifetime; nil leaves it.
	AccessTokenTTL *time.Duration
	// RefreshTokenTTL is the new session lifetime; nil leaves it.
	RefreshTokenTTL *time.Duration
}

// GetOAuthPolicy returns the application whose policy is asked for.
func (s *Service) GetOAuthPolicy(ctx context.Context, c Caller, applicationID string) (*Application, error) {
	return s.GetApplication(ctx, c, applicationID)
}

// SetOAuthPolicy changes an application's OAuth policy.
// Errors: KindInvalid (TTL out of bounds), ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) SetOAuthPolicy(ctx context.Context, c Caller, applicationID string, in OAuthPolicyInput) (*Application, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if in.AccessTokenTTL != nil {
		if d := *in.AccessTokenTTL; d < MinAccessTokenTTL || d > MaxAccessTokenTTL || d%time.Second != 0 {
			return nil, invalid(CodeInvalidValue, "accessTokenTtl", "accessTokenTtl must be whole seconds between %v and %v.", MinAccessTokenTTL, MaxAccessTokenTTL)
		}
	}
	if in.RefreshTokenTTL != nil {
		if d := *in.RefreshTokenTTL; d < MinRefreshTokenTTL || d > MaxRefreshTokenTTL || d%time.Second != 0 {
			return nil, invalid(CodeInvalidValue, "refreshTokenTtl", "refreshTokenTtl must be whole seconds between %v and %v.", MinRefreshTokenTTL, MaxRefreshTokenTTL)
		}
	}
	return setPolicy(ctx, s, c, applicationID, func(cur *Application) events.OAuthPolicySet {
		return events.OAuthPolicySet{AccessTokenTTL: int(cur.TokenTTL() / time.Second), RefreshTokenTTL: int(cur.RefreshTTL() / time.Second)}
	}, func(ev *events.OAuthPolicySet) {
		if in.AccessTokenTTL != nil {
			ev.AccessTokenTTL = int(*in.AccessTokenTTL / time.Second)
		}
		if in.RefreshTokenTTL != nil {
			ev.RefreshTokenTTL = int(*in.RefreshTokenTTL / time.Second)
		}
	})
}

// GetTenant returns the caller's own tenant; any other id is not found.
func (s *Service) GetTenant(ctx context.Context, c Caller, id string) (*Tenant, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	return load[*Tenant](ctx, s, c, KindTenant, id)
}
