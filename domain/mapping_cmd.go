package domain

import (
	"context"
	"errors"
	"slices"

	"github.com/keystorm/keystorm/events"
)

// MappingInput carries the writable properties of an account store
// mapping; nil means "not given". Application and the store are set on
// create only.
type MappingInput struct {
	ApplicationID       string
	StoreKind           string
	StoreID             string
	ListIndex           *int
	DefaultAccountStore *bool
	DefaultGroupStore   *bool
}

// mappingKey is the guard that finds a mapping's application from the
// mapping's id. An application's first mapping of its own directory has
// the application's id, and no guard: it is found by that id.
const mappingKey = "account-store-mapping/"

// CreateMapping maps an account store to an application at listIndex
// (at the end when not given; later ones move down).
// Errors: KindInvalid (no such application or store, a group as default
// account or group store, too many mappings), KindConflict (already
// mapped), ErrForbidden, ErrUnavailable.
func (s *Service) CreateMapping(ctx context.Context, c Caller, in MappingInput) (AccountStoreMapping, error) {
	if err := requireAdmin(c); err != nil {
		return AccountStoreMapping{}, err
	}
	if in.ApplicationID == "" {
		return AccountStoreMapping{}, invalid(CodeRequired, "application", "application is required.")
	}
	if in.StoreKind == "" || in.StoreID == "" {
		return AccountStoreMapping{}, invalid(CodeRequired, "accountStore", "accountStore is required: the href of a directory or a group.")
	}
	if err := in.checkFlags(in.StoreKind); err != nil {
		return AccountStoreMapping{}, err
	}
	id := s.IDs.NewID()
	app, err := s.changeMappings(ctx, c, in.ApplicationID, func(r *recorder, cur *Application, ms []AccountStoreMapping) ([]AccountStoreMapping, error) {
		if err := s.checkStore(ctx, r, c, in.StoreKind, in.StoreID); err != nil {
			return nil, err
		}
		if slices.ContainsFunc(ms, func(m AccountStoreMapping) bool { return m.StoreKind == in.StoreKind && m.StoreID == in.StoreID }) {
			return nil, E(KindConflict, CodeNotUnique, "accountStore", "This account store is already mapped to the application.")
		}
		if len(ms) >= MaxAccountStores {
			return nil, invalid(CodeInvalidValue, "application", "An application maps at most %d account stores.", MaxAccountStores)
		}
		m := AccountStoreMapping{ID: id, StoreKind: in.StoreKind, StoreID: in.StoreID}
		at := len(ms)
		if in.ListIndex != nil {
			at = min(max(*in.ListIndex, 0), len(ms))
		}
		ms = slices.Insert(ms, at, m)
		return in.applyFlags(ms, at), nil
	})
	if err != nil {
		return AccountStoreMapping{}, err
	}
	return findMapping(app, id)
}

// checkFlags refuses what a group cannot be: accounts and groups are
// created in directories.
func (in MappingInput) checkFlags(kind string) error {
	if kind != events.StoreGroup {
		return nil
	}
	if in.DefaultAccountStore != nil && *in.DefaultAccountStore {
		return invalid(CodeInvalidValue, "isDefaultAccountStore", "A group cannot be the default account store: map its directory for that.")
	}
	if in.DefaultGroupStore != nil && *in.DefaultGroupStore {
		return invalid(CodeInvalidValue, "isDefaultGroupStore", "A group cannot be the default group store: groups live in directories.")
	}
	return nil
}

// applyFlags sets the default flags given for ms[i]; a mapping made a
// default takes the flag from any other.
func (in MappingInput) applyFlags(ms []AccountStoreMapping, i int) []AccountStoreMapping {
	if v := in.DefaultAccountStore; v != nil {
		for j := range ms {
			ms[j].DefaultAccountStore = ms[j].DefaultAccountStore && !*v
		}
		ms[i].DefaultAccountStore = *v
	}
	if v := in.DefaultGroupStore; v != nil {
		for j := range ms {
			ms[j].DefaultGroupStore = ms[j].DefaultGroupStore && !*v
		}
		ms[i].DefaultGroupStore = *v
	}
	return ms
}

// checkStore verifies that the store exists in the caller's tenant; a
// shared directory or a group is checked again in the commit, so that a
// store deleted meanwhile is never mapped.
func (s *Service) checkStore(ctx context.Context, r *recorder, c Caller, kind, id string) error {
	var err error
	switch kind {
	case events.StoreDirectory:
		var v DirectoryView
		if v, err = s.directory(ctx, c, id); err == nil {
			switch {
			case v.Directory != nil:
				r.check(v.Directory)
			case v.Owner.Admin:
				return E(KindConflict, CodeProtectedResource, "accountStore", "The administrators directory cannot be mapped to another application.")
			default:
				r.check(v.Owner)
			}
		}
	case events.StoreGroup:
		var g *Group
		if g, err = load[*Group](ctx, s, c, KindGroup, id); err == nil {
			r.check(g)
		}
	default:
		return invalid(CodeInvalidValue, "accountStore", "accountStore must be a directory or a group.")
	}
	if errors.Is(err, ErrNotFound) {
		return invalid(CodeInvalidValue, "accountStore", "accountStore does not reference an existing directory or group.")
	}
	return err
}

// changeMappings loads an application, lets change rewrite its mappings
// (a copy), and records the result when it differs.
func (s *Service) changeMappings(ctx context.Context, c Caller, appID string, change func(r *recorder, cur *Application, ms []AccountStoreMapping) ([]AccountStoreMapping, error)) (*Application, error) {
	return run(ctx, s, c, func(r *recorder) (*Application, error) {
		cur, err := load[*Application](ctx, s, c, KindApplication, appID)
		if errors.Is(err, ErrNotFound) {
			return nil, invalid(CodeInvalidValue, "application", "application does not reference an existing application.")
		}
		if err != nil {
			return nil, err
		}
		if cur.Admin {
			// Its accounts hold the admin keys: what they reach, and
			// who else gets in, stays fixed.
			return nil, E(KindConflict, CodeProtectedResource, "application", "The administrators application's account stores cannot change.")
		}
		ms, err := change(r, cur, slices.Clone(cur.Mappings))
		if err != nil {
			return nil, err
		}
		ev := events.AccountStoresSet{Mappings: make([]events.AccountStoreMapping, 0, len(ms))}
		for _, m := range ms {
			ev.Mappings = append(ev.Mappings, m.event())
		}
		if slices.Equal(ev.Mappings, storesOf(cur)) {
			return cur, nil
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, ev)
	})
}

func storesOf(a *Application) []events.AccountStoreMapping {
	out := make([]events.AccountStoreMapping, 0, len(a.Mappings))
	for _, m := range a.Mappings {
		out = append(out, m.event())
	}
	return out
}

func findMapping(app *Application, id string) (AccountStoreMapping, error) {
	for _, m := range MappingsOf(app) {
		if m.ID == id {
			return m, nil
		}
	}
	return AccountStoreMapping{}, ErrNotFound
}

// mappingApplication finds the application that holds mapping id.
func (s *Service) mappingApplication(ctx context.Context, c Caller, id string) (*Application, error) {
	appID := id
	if ref, err := s.Store.Owner(ctx, mappingKey+id); err == nil && ref.Kind == KindApplication {
		appID = ref.ID
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return load[*Application](ctx, s, c, KindApplication, appID)
}

// GetMapping returns an account store mapping of the caller's tenant.
// Errors: ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) GetMapping(ctx context.Context, c Caller, id string) (AccountStoreMapping, error) {
	if err := requireAdmin(c); err != nil {
		return AccountStoreMapping{}, err
	}
	app, err := s.mappingApplication(ctx, c, id)
	if err != nil {
		return AccountStoreMapping{}, err
	}
	return findMapping(app, id)
}

// ListMappings lists an application's mappings in listIndex order.
func (s *Service) ListMappings(ctx context.Context, c Caller, applicationID string, p Page) ([]AccountStoreMapping, Page, error) {
	app, err := s.GetApplication(ctx, c, applicationID)
	if err != nil {
		return nil, p, err
	}
	if p, err = p.Normalize(); err != nil {
		return nil, p, err
	}
	if err := refuseQuery(p); err != nil {
		return nil, p, err
	}
	return MappingsOf(app), p, nil
}

// UpdateMapping moves a mapping to another listIndex or changes its
// default flags.
// Errors: KindInvalid, ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) UpdateMapping(ctx context.Context, c Caller, id string, in MappingInput) (AccountStoreMapping, error) {
	if err := requireAdmin(c); err != nil {
		return AccountStoreMapping{}, err
	}
	owner, err := s.mappingApplication(ctx, c, id)
	if err != nil {
		return AccountStoreMapping{}, err
	}
	app, err := s.changeMappings(ctx, c, owner.ID, func(r *recorder, cur *Application, ms []AccountStoreMapping) ([]AccountStoreMapping, error) {
		i := slices.IndexFunc(ms, func(m AccountStoreMapping) bool { return m.ID == id })
		if i < 0 {
			return nil, ErrNotFound
		}
		if err := in.checkFlags(ms[i].StoreKind); err != nil {
			return nil, err
		}
		if in.ListIndex != nil {
			m := ms[i]
			ms = slices.Delete(ms, i, i+1)
			i = min(max(*in.ListIndex, 0), len(ms))
			ms = slices.Insert(ms, i, m)
		}
		return in.applyFlags(ms, i), nil
	})
	if err != nil {
		return AccountStoreMapping{}, err
	}
	return findMapping(app, id)
}

// DeleteMapping unmaps an account store: its accounts no longer reach
// the application (their keys and tokens stop working there at once);
// nothing in the store is deleted.
// Errors: ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) DeleteMapping(ctx context.Context, c Caller, id string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	owner, err := s.mappingApplication(ctx, c, id)
	if err != nil {
		return err
	}
	_, err = s.changeMappings(ctx, c, owner.ID, func(r *recorder, cur *Application, ms []AccountStoreMapping) ([]AccountStoreMapping, error) {
		i := slices.IndexFunc(ms, func(m AccountStoreMapping) bool { return m.ID == id })
		if i < 0 {
			return nil, ErrNotFound
		}
		return slices.Delete(ms, i, i+1), nil
	})
	return err
}
