package domain

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/keystorm/keystorm/events"
)

// DirectoryInput carries the writable properties of a directory; nil
// means "not given".
type DirectoryInput struct {
	Name        *string
	Description *string
	Status      *string
	// CustomData, when given, is merged into the customData (on create,
	// it becomes the customData).
	CustomData map[string]json.RawMessage
}

// DirectoryView is a directory as the API shows it: a shared directory
// (Directory set), or an application's own directory, which has no
// stream and takes its name, status and times from its application
// (Owner set).
type DirectoryView struct {
	Directory *Directory
	Owner     *Application
}

// ID is the directory's id.
func (v DirectoryView) ID() string {
	if v.Directory != nil {
		return v.Directory.ID
	}
	return v.Owner.DirectoryID
}

// Name is the directory's name: an application's own directory is
// "<application> Directory", as Stormpath named the directories it made
// with an application.
func (v DirectoryView) Name() string {
	if v.Directory != nil {
		return v.Directory.Name
	}
	return v.Owner.Name + " Directory"
}

// CreateDirectory creates a shared directory.
// Errors: KindInvalid, KindConflict (name taken), ErrForbidden, ErrUnavailable.
func (s *Service) CreateDirectory(ctx context.Context, c Caller, in DirectoryInput) (*Directory, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	ev := events.DirectoryCreated{}
	var err error
	if ev.Name, ev.Description, ev.Status, err = newNamed(in.Name, in.Description, in.Status); err != nil {
		return nil, err
	}
	if err := checkNewCustomData(in.CustomData); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*Directory, error) {
		if _, err := load[*Tenant](ctx, s, c, KindTenant, c.TenantID); err != nil {
			return nil, err
		}
		d := &Directory{}
		e := ev
		e.ID, e.TenantID = s.IDs.NewID(), c.TenantID
		evs := append([]events.Event{e}, initialCustomData(d, in.CustomData)...)
		return d, r.record(Ref{KindDirectory, e.ID}, nil, d, evs...)
	})
}

// GetDirectory returns a directory of the caller's tenant: a shared one,
// or an application's own.
// Errors: ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) GetDirectory(ctx context.Context, c Caller, id string) (DirectoryView, error) {
	if err := requireAdmin(c); err != nil {
		return DirectoryView{}, err
	}
	return s.directory(ctx, c, id)
}

// directory finds directory id, shared or an application's own.
func (s *Service) directory(ctx context.Context, c Caller, id string) (DirectoryView, error) {
	d, err := load[*Directory](ctx, s, c, KindDirectory, id)
	if err == nil {
		return DirectoryView{Directory: d}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return DirectoryView{}, err
	}
	owner, err := s.directoryOwner(ctx, c.TenantID, id)
	if err != nil {
		return DirectoryView{}, err
	}
	return DirectoryView{Owner: owner}, nil
}

// directoryOwner finds the application whose own directory id is. Own
// directories have no stream, so this reads the tenant's applications:
// a tenant has few, and only directory routes and mapping changes ask.
func (s *Service) directoryOwner(ctx context.Context, tenantID, id string) (*Application, error) {
	apps, err := s.tenantApplications(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		if a.DirectoryID == id && id != "" {
			return a, nil
		}
	}
	return nil, ErrNotFound
}

// tenantApplications reads every live application of a tenant.
func (s *Service) tenantApplications(ctx context.Context, tenantID string) ([]*Application, error) {
	return listApplications(ctx, s.Store, tenantID)
}

// ListDirectories lists the tenant's directories: the shared ones, then
// the applications' own, each part in creation order. Both are read
// whole, so filters and orders apply to the union.
func (s *Service) ListDirectories(ctx context.Context, c Caller, p Page) (List[*Directory], error) {
	if err := requireAdmin(c); err != nil {
		return List[*Directory]{}, err
	}
	p, err := p.Normalize()
	if err != nil {
		return List[*Directory]{}, err
	}
	if err := checkQuery(KindDirectory, p); err != nil {
		return List[*Directory]{}, err
	}
	var all []*Directory
	err = eachPage(ctx, s.Store, "tenant/"+c.TenantID+"/directories", func(items []State) bool {
		for _, it := range items {
			if d, ok := it.(*Directory); ok && !d.Deleted() {
				all = append(all, d)
			}
		}
		return len(all) <= MaxScan
	})
	if err != nil {
		return List[*Directory]{}, err
	}
	apps, err := s.tenantApplications(ctx, c.TenantID)
	if err != nil {
		return List[*Directory]{}, err
	}
	for _, a := range apps {
		if a.DirectoryID != "" {
			all = append(all, OwnDirectory(a))
		}
	}
	if len(all) > MaxScan {
		return List[*Directory]{}, invalid(CodeInvalidQuery, "q", "This tenant has more than %d directories to list.", MaxScan)
	}
	matched := all[:0]
	for _, d := range all {
		if matches(d, KindDirectory, p) {
			matched = append(matched, d)
		}
	}
	sortStates(matched, p)
	return pageOf(matched, p), nil
}

// OwnDirectory shows an application's own directory as a Directory:
// named after it, with its status and times. Owner tells it apart.
func OwnDirectory(a *Application) *Directory {
	d := &Directory{Base: Base{ID: a.DirectoryID, Tenant: a.Tenant, CreatedAt: a.CreatedAt, ModifiedAt: a.ModifiedAt},
		Name: DirectoryView{Owner: a}.Name(), Status: a.Status, OwnerID: a.ID}
	return d
}

// UpdateDirectory changes a shared directory. An application's own
// directory changes with its application.
// Errors: KindInvalid, KindConflict, ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) UpdateDirectory(ctx context.Context, c Caller, id string, in DirectoryInput) (*Directory, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if err := checkCustomData(in.CustomData); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*Directory, error) {
		cur, err := s.sharedDirectory(ctx, c, id)
		if err != nil {
			return nil, err
		}
		ev := events.DirectoryUpdated{}
		if ev.Name, ev.Description, ev.Status, err = patchNamed(cur.Name, cur.Description, cur.Status, in.Name, in.Description, in.Status); err != nil {
			return nil, err
		}
		var evs []events.Event
		if ev != (events.DirectoryUpdated{Name: cur.Name, Description: cur.Description, Status: cur.Status}) {
			evs = append(evs, ev)
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

// sharedDirectory loads a shared directory for a change; an
// application's own directory is refused as protected.
func (s *Service) sharedDirectory(ctx context.Context, c Caller, id string) (*Directory, error) {
	d, err := load[*Directory](ctx, s, c, KindDirectory, id)
	if !errors.Is(err, ErrNotFound) {
		return d, err
	}
	if _, oerr := s.directoryOwner(ctx, c.TenantID, id); oerr == nil {
		return nil, E(KindConflict, CodeProtectedResource, "", "This directory is its application's own: it changes and goes with its application.")
	}
	return nil, err
}

// DeleteDirectory deletes a shared directory with its accounts and groups
// (and their keys and memberships), as an application's delete does
// (deleteParent), then takes it out of every application's mappings.
// Errors: ErrNotFound, KindConflict (an application's own directory),
// ErrForbidden, ErrUnavailable.
func (s *Service) DeleteDirectory(ctx context.Context, c Caller, id string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if _, err := s.sharedDirectory(ctx, c, id); err != nil {
		return err
	}
	err := deleteParent(ctx, s, c, KindDirectory, id, false, func(*Directory) (events.Event, error) {
		return events.DirectoryDeleted{}, nil
	})
	if err != nil {
		return err
	}
	// After the delete, no new mapping can name it (a mapping's commit
	// checks its store): unmapping now leaves none behind.
	return s.unmapStore(ctx, c, events.StoreDirectory, id)
}

// unmapStore removes a deleted store from every mapping of the tenant,
// with every group store that is gone too: a directory's or an
// application's delete takes their groups along, which no DeleteGroup
// unmaps. An application deleted meanwhile has no mappings left to
// mend.
func (s *Service) unmapStore(ctx context.Context, c Caller, kind, id string) error {
	apps, err := s.tenantApplications(ctx, c.TenantID)
	if err != nil {
		return err
	}
	for _, a := range apps {
		gone := map[string]bool{}
		for _, m := range a.Stores() {
			switch {
			case m.StoreKind == kind && m.StoreID == id:
				gone[m.ID] = true
			case m.StoreKind == events.StoreGroup:
				g := &Group{}
				err := s.Store.Load(ctx, Ref{KindGroup, m.StoreID}, g)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				if errors.Is(err, ErrNotFound) || g.Deleted() {
					gone[m.ID] = true
				} else if lerr := lineageLive(ctx, s.Store, g); errors.Is(lerr, ErrNotFound) {
					gone[m.ID] = true // its directory or application is gone
				} else if lerr != nil {
					return lerr
				}
			}
		}
		if len(gone) == 0 {
			continue
		}
		_, err := s.changeMappings(ctx, c, a.ID, func(_ *recorder, _ *Application, ms []AccountStoreMapping) ([]AccountStoreMapping, error) {
			return slices.DeleteFunc(ms, func(m AccountStoreMapping) bool { return gone[m.ID] }), nil
		})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// storeRef names where an account or group is created: an application
// (in its default account or group store), or a directory.
type storeRef struct {
	Application string
	Directory   string
}

// home is where an account or group lives: the application whose own
// directory holds it (ApplicationID set), or a shared directory.
type home struct {
	ApplicationID string
	DirectoryID   string
	// Admin marks the administrators application's own directory.
	Admin bool
}

// resolveStore finds where into creates: for an application, its
// default account store (groups: its default group store), and the
// application itself, whose policies apply (admit, when set, judges it
// first); for a directory, that directory, and no application.
func (s *Service) resolveStore(ctx context.Context, c Caller, into storeRef, groups bool, admit func(*Application) error) (*Application, home, error) {
	if into.Application == "" {
		h, err := s.storeHome(ctx, c, nil, into.Directory)
		return nil, h, err
	}
	app, err := load[*Application](ctx, s, c, KindApplication, into.Application)
	if err != nil {
		return nil, home{}, err
	}
	if admit != nil {
		if err := admit(app); err != nil {
			return nil, home{}, err
		}
	}
	for _, m := range app.Stores() {
		if m.StoreKind == events.StoreDirectory && (groups && m.DefaultGroupStore || !groups && m.DefaultAccountStore) {
			h, err := s.storeHome(ctx, c, app, m.StoreID)
			if errors.Is(err, ErrNotFound) {
				break
			}
			return app, h, err
		}
	}
	what := "account"
	if groups {
		what = "group"
	}
	return nil, home{}, E(KindConflict, CodeNoDefaultStore, "", "The application has no default %s store: map a directory with isDefault%sStore.", what, map[bool]string{false: "Account", true: "Group"}[groups])
}

// storeHome finds what holds directory id: app (when it is app's own),
// the shared directory, or another application whose own it is.
func (s *Service) storeHome(ctx context.Context, c Caller, app *Application, id string) (home, error) {
	if app != nil && id == app.DirectoryID {
		return home{ApplicationID: app.ID, DirectoryID: id, Admin: app.Admin}, nil
	}
	d, err := load[*Directory](ctx, s, c, KindDirectory, id)
	if err == nil {
		return home{DirectoryID: d.ID}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return home{}, err
	}
	owner, err := s.directoryOwner(ctx, c.TenantID, id)
	if err != nil {
		return home{}, err
	}
	return home{ApplicationID: owner.ID, DirectoryID: id, Admin: owner.Admin}, nil
}

// CreateDirectoryAccount creates an account in a directory, under no
// application's policies: its status is ENABLED unless given.
// Errors: as CreateAccount.
func (s *Service) CreateDirectoryAccount(ctx context.Context, c Caller, directoryID string, in AccountInput) (*Account, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	imported, err := adminPassword(in)
	if err != nil {
		return nil, err
	}
	return s.createAccount(ctx, c, storeRef{Directory: directoryID}, in, imported, nil, nil)
}

// ListDirectoryAccounts lists the accounts of a directory.
func (s *Service) ListDirectoryAccounts(ctx context.Context, c Caller, directoryID string, p Page) (List[*Account], error) {
	v, err := s.GetDirectory(ctx, c, directoryID)
	if err != nil {
		return List[*Account]{}, err
	}
	return listQuery[*Account](ctx, s, KindAccount, directoryCollection(v, "accounts"), p)
}

// ListDirectoryGroups lists the groups of a directory.
func (s *Service) ListDirectoryGroups(ctx context.Context, c Caller, directoryID string, p Page) (List[*Group], error) {
	v, err := s.GetDirectory(ctx, c, directoryID)
	if err != nil {
		return List[*Group]{}, err
	}
	return listQuery[*Group](ctx, s, KindGroup, directoryCollection(v, "groups"), p)
}

// directoryCollection is the collection of a directory's accounts or
// groups.
func directoryCollection(v DirectoryView, what string) string {
	if v.Owner != nil {
		return storeCollection(v.Owner.ID, v.Owner.DirectoryID, what)
	}
	return storeCollection("", v.Directory.ID, what)
}

// newNamed checks a new named resource's name, description and status
// (nil: not given; the status is then ENABLED).
func newNamed(name, desc, st *string) (string, string, string, error) {
	n, err := text("name", name, MaxNameLen, true)
	if err != nil {
		return "", "", "", err
	}
	d, err := text("description", desc, MaxDescriptionLen, false)
	if err != nil {
		return "", "", "", err
	}
	state := StatusEnabled
	if st != nil {
		if state, err = status(st, StatusEnabled, StatusDisabled); err != nil {
			return "", "", "", err
		}
	}
	return n, d, state, nil
}

// patchNamed applies the name, description and status given (nil: not
// given) to a named resource's current ones, as its update event
// carries them.
func patchNamed(name, desc, st string, inName, inDesc, inStatus *string) (string, string, string, error) {
	var err error
	if name, err = patch(name, "name", inName, MaxNameLen, true); err != nil {
		return "", "", "", err
	}
	if desc, err = patch(desc, "description", inDesc, MaxDescriptionLen, false); err != nil {
		return "", "", "", err
	}
	if st, err = patchStatus(st, inStatus, StatusEnabled, StatusDisabled); err != nil {
		return "", "", "", err
	}
	return name, desc, st, nil
}
