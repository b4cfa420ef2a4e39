package domain

import (
	"context"
	"errors"
	"slices"

	"github.com/keystorm/keystorm/events"
)

// An account lives in one directory and reaches every application that
// maps it: its directory, or a group it is a member of (README
// "Directories and account stores"). Everything bound to an application
// (its keys at the authorizer, its logins, its tokens) asks here.

// reaches reports whether app reaches acc now: both live in one tenant,
// acc's directory is usable, and app maps it (or a group acc is in).
func reaches(ctx context.Context, store Store, app *Application, acc *Account) (bool, error) {
	return reachesWith(ctx, store, app, acc, nil)
}

// reachesWith is reaches with acc's shared directory already read (nil
// when not: it is read then).
func reachesWith(ctx context.Context, store Store, app *Application, acc *Account, dir *Directory) (bool, error) {
	if app == nil || acc == nil || app.Deleted() || acc.Deleted() || app.TenantID() != acc.TenantID() {
		return false, nil
	}
	ok, err := storeUsableWith(ctx, store, acc, app, dir)
	if !ok || err != nil {
		return false, err
	}
	return mapped(ctx, store, app, acc)
}

// storeUsable reports whether acc's directory lets it in: a shared
// directory must be enabled, an application's own directory goes with
// its application. known, when it is that application, saves a read.
func storeUsable(ctx context.Context, store Store, acc *Account, known *Application) (bool, error) {
	return storeUsableWith(ctx, store, acc, known, nil)
}

// storeUsableWith is storeUsable with acc's shared directory already
// read (nil when not).
func storeUsableWith(ctx context.Context, store Store, acc *Account, known *Application, dir *Directory) (bool, error) {
	if acc.ApplicationID == "" {
		d := dir
		if d == nil || d.ID != acc.DirectoryID {
			d = &Directory{}
			err := store.Load(ctx, Ref{KindDirectory, acc.DirectoryID}, d)
			if errors.Is(err, ErrNotFound) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
		}
		return !d.Deleted() && d.Status == StatusEnabled && d.TenantID() == acc.TenantID(), nil
	}
	if known != nil && known.ID == acc.ApplicationID {
		return known.Usable(), nil
	}
	owner := &Application{}
	err := store.Load(ctx, Ref{KindApplication, acc.ApplicationID}, owner)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && owner.Usable() && owner.TenantID() == acc.TenantID(), err
}

// mapped reports whether app maps acc's directory, or a group acc is a
// member of (one guard read per mapped group, in listIndex order).
func mapped(ctx context.Context, store Store, app *Application, acc *Account) (bool, error) {
	if app.mapsDirectory(acc.DirectoryID) {
		return true, nil
	}
	for _, g := range app.mappedGroups() {
		ok, err := memberOf(ctx, store, acc, g)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// memberOf reports whether acc is in group g, and g is enabled.
func memberOf(ctx context.Context, store Store, acc *Account, g string) (bool, error) {
	_, err := store.Owner(ctx, "membership/"+acc.ID+"/"+g)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	grp := &Group{}
	if err := store.Load(ctx, Ref{KindGroup, g}, grp); err != nil {
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return !grp.Deleted() && grp.Status == StatusEnabled, nil
}

// reachOf lists, of apps (a tenant's applications), the usable ones that
// reach acc: its own application first, then in the order given.
func reachOf(ctx context.Context, store Store, apps []*Application, acc *Account) ([]*Application, error) {
	if acc == nil || acc.Deleted() {
		return nil, nil
	}
	var own *Application
	if i := slices.IndexFunc(apps, func(a *Application) bool { return a.ID == acc.ApplicationID }); i >= 0 {
		own = apps[i]
	}
	if ok, err := storeUsable(ctx, store, acc, own); !ok || err != nil {
		return nil, err
	}
	var out []*Application
	for _, a := range apps {
		if !a.Usable() || a.TenantID() != acc.TenantID() {
			continue
		}
		ok, err := mapped(ctx, store, a, acc)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b *Application) int {
		switch {
		case a.ID == acc.ApplicationID:
			return -1
		case b.ID == acc.ApplicationID:
			return 1
		}
		return 0
	})
	return out, nil
}

// listApplications reads every live application of a tenant.
func listApplications(ctx context.Context, store Store, tenantID string) ([]*Application, error) {
	var out []*Application
	err := eachPage(ctx, store, "tenant/"+tenantID+"/applications", func(items []State) bool {
		for _, it := range items {
			if a, ok := it.(*Application); ok && !a.Deleted() && a.TenantID() == tenantID {
				out = append(out, a)
			}
		}
		return true
	})
	return out, err
}

// storeList lists what lives in the directories an application maps
// ("accounts" or "groups"): one directory's collection as it is, or
// several read whole (up to MaxScan together), merged, filtered and
// sorted. Accounts reached through a group store are listed under that
// group, not here.
func storeList[T Searchable](ctx context.Context, s *Service, app *Application, kind, what string, p Page) (List[T], error) {
	var colls []string
	for _, m := range app.Stores() {
		if m.StoreKind != events.StoreDirectory {
			continue
		}
		h, err := s.storeHome(ctx, Caller{TenantID: app.TenantID()}, app, m.StoreID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return List[T]{}, err
		}
		if c := storeCollection(h.ApplicationID, h.DirectoryID, what); !slices.Contains(colls, c) {
			colls = append(colls, c)
		}
	}
	switch len(colls) {
	case 0:
		p, err := p.Normalize()
		return pageOf([]T{}, p), err
	case 1:
		return listQuery[T](ctx, s, kind, colls[0], p)
	}
	p, err := p.Normalize()
	if err != nil {
		return List[T]{}, err
	}
	if err := checkQuery(kind, p); err != nil {
		return List[T]{}, err
	}
	if p.After != "" {
		return List[T]{}, invalid(CodeInvalidQuery, "after", "This application maps several directories: page it by offset, or list each directory.")
	}
	// Read whole, together: filters and orders apply to the union, and
	// MaxScan bounds it.
	return filtered[T](ctx, s, kind, p, colls...)
}
