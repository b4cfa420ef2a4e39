package domain

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/keystorm/keystorm/events"
)

// GroupInput carries the writable properties of a group; nil means "not
// given".
type GroupInput struct {
	Name        *string
	Description *string
	Status      *string
	// CustomData, when given, is merged into the customData (on create,
	// it becomes the customData).
	CustomData map[string]json.RawMessage
}

// CreateGroup creates a group in an application's directory.
// Errors: KindInvalid, KindConflict (name taken), ErrNotFound, ErrForbidden,
// ErrUnavailable.
func (s *Service) CreateGroup(ctx context.Context, c Caller, applicationID string, in GroupInput) (*Group, error) {
	return s.createGroup(ctx, c, storeRef{Application: applicationID}, in)
}

// CreateDirectoryGroup creates a group in a directory.
// Errors: KindInvalid, KindConflict (name taken), ErrNotFound,
// ErrForbidden, ErrUnavailable.
func (s *Service) CreateDirectoryGroup(ctx context.Context, c Caller, directoryID string, in GroupInput) (*Group, error) {
	return s.createGroup(ctx, c, storeRef{Directory: directoryID}, in)
}

// createGroup creates a group in the store into names.
func (s *Service) createGroup(ctx context.Context, c Caller, into storeRef, in GroupInput) (*Group, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	ev := events.GroupCreated{}
	var err error
	if ev.Name, ev.Description, ev.Status, err = newNamed(in.Name, in.Description, in.Status); err != nil {
		return nil, err
	}
	if err := checkNewCustomData(in.CustomData); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*Group, error) {
		_, h, err := s.resolveStore(ctx, c, into, true, nil)
		if err != nil {
			return nil, err
		}
		e := ev
		e.ID, e.TenantID, e.ApplicationID, e.DirectoryID = s.IDs.NewID(), c.TenantID, h.ApplicationID, h.DirectoryID
		// Counted under its application or directory, which the store
		// does only while that is not deleted: no separate check.
		g := &Group{}
		evs := append([]events.Event{e}, initialCustomData(g, in.CustomData)...)
		return g, r.record(Ref{KindGroup, e.ID}, nil, g, evs...)
	})
}

// GetGroup returns a group of the caller's tenant.
func (s *Service) GetGroup(ctx context.Context, c Caller, id string) (*Group, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	return load[*Group](ctx, s, c, KindGroup, id)
}

// ListGroups lists an application's groups.
func (s *Service) ListGroups(ctx context.Context, c Caller, applicationID string, p Page) (List[*Group], error) {
	app, err := s.GetApplication(ctx, c, applicationID)
	if err != nil {
		return List[*Group]{}, err
	}
	return storeList[*Group](ctx, s, app, KindGroup, "groups", p)
}

// UpdateGroup changes the given properties.
func (s *Service) UpdateGroup(ctx context.Context, c Caller, id string, in GroupInput) (*Group, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	if err := checkCustomData(in.CustomData); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*Group, error) {
		cur, err := load[*Group](ctx, s, c, KindGroup, id)
		if err != nil {
			return nil, err
		}
		ev := events.GroupUpdated{}
		if ev.Name, ev.Description, ev.Status, err = patchNamed(cur.Name, cur.Description, cur.Status, in.Name, in.Description, in.Status); err != nil {
			return nil, err
		}
		var evs []events.Event
		if ev != (events.GroupUpdated{Name: cur.Name, Description: cur.Description, Status: cur.Status}) {
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

// DeleteGroup deletes a group and its memberships: in one transaction
// when they fit, else the group first and its memberships in bounded
// batches after (deleteParent, sweep.go).
func (s *Service) DeleteGroup(ctx context.Context, c Caller, id string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	err := deleteParent(ctx, s, c, KindGroup, id, true, func(*Group) (events.Event, error) {
		return events.GroupDeleted{}, nil
	})
	if err != nil {
		return err
	}
	// No mapping can name it now (a mapping's commit checks its store).
	return s.unmapStore(ctx, c, events.StoreGroup, id)
}

// CreateMembership puts an account into a group of the same directory.
// Errors: KindInvalid (different directories), KindConflict (already a
// member), ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) CreateMembership(ctx context.Context, c Caller, accountID, groupID string) (*Membership, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	return run(ctx, s, c, func(r *recorder) (*Membership, error) {
		acc, err := load[*Account](ctx, s, c, KindAccount, accountID)
		if errors.Is(err, ErrNotFound) {
			return nil, E(KindInvalid, CodeInvalidValue, "account", "account does not reference an existing account.")
		}
		if err != nil {
			return nil, err
		}
		g, err := load[*Group](ctx, s, c, KindGroup, groupID)
		if errors.Is(err, ErrNotFound) {
			return nil, E(KindInvalid, CodeInvalidValue, "group", "group does not reference an existing group.")
		}
		if err != nil {
			return nil, err
		}
		if acc.DirectoryID != g.DirectoryID {
			return nil, E(KindInvalid, CodeCrossDirectoryLink, "group", "The account and the group must be in the same directory.")
		}
		// Counted under the account and the group, which the store does
		// only while neither is deleted: no separate checks.
		m := &Membership{}
		id := s.IDs.NewID()
		return m, r.record(Ref{KindMembership, id}, nil, m, events.MembershipCreated{ID: id, TenantID: c.TenantID, AccountID: acc.ID, GroupID: g.ID})
	})
}

// GetMembership returns a membership of the caller's tenant.
func (s *Service) GetMembership(ctx context.Context, c Caller, id string) (*Membership, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	return load[*Membership](ctx, s, c, KindMembership, id)
}

// DeleteMembership removes an account from a group.
func (s *Service) DeleteMembership(ctx context.Context, c Caller, id string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	_, err := run(ctx, s, c, func(r *recorder) (*Membership, error) {
		cur, err := load[*Membership](ctx, s, c, KindMembership, id)
		if err != nil {
			return nil, err
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, events.MembershipDeleted{})
	})
	return err
}

// ListAccountMemberships lists the memberships of an account.
func (s *Service) ListAccountMemberships(ctx context.Context, c Caller, accountID string, p Page) (List[*Membership], error) {
	// Not a session's: it reads its account and keys only.
	if err := requireAdmin(c); err != nil {
		return List[*Membership]{}, err
	}
	if _, err := s.GetAccount(ctx, c, accountID); err != nil {
		return List[*Membership]{}, err
	}
	if err := refuseQuery(p); err != nil {
		return List[*Membership]{}, err
	}
	ms, err := list[*Membership](ctx, s, "account/"+accountID+"/memberships", p)
	if err != nil {
		return ms, err
	}
	return liveEnds(ctx, s, ms, func(m *Membership) Ref { return Ref{KindGroup, m.GroupID} })
}

// liveEnds drops from a page the memberships whose other end is deleted
// and still being swept (sweep.go): they are gone, as their group or
// account is. Size still counts them until the sweep reaches them.
func liveEnds(ctx context.Context, s *Service, ms List[*Membership], end func(*Membership) Ref) (List[*Membership], error) {
	if len(ms.Items) == 0 {
		return ms, nil
	}
	refs := make([]Ref, len(ms.Items))
	for i, m := range ms.Items {
		refs[i] = end(m)
	}
	states, err := s.Store.LoadMany(ctx, refs)
	if err != nil {
		return ms, err
	}
	live := make(map[Ref]bool, len(states))
	for _, st := range states {
		live[st.Ref()] = !st.Deleted()
	}
	items := ms.Items[:0:0]
	for _, m := range ms.Items {
		if live[end(m)] {
			items = append(items, m)
		}
	}
	ms.Items = items
	return ms, nil
}

// ListGroupMemberships lists the memberships of a group.
func (s *Service) ListGroupMemberships(ctx context.Context, c Caller, groupID string, p Page) (List[*Membership], error) {
	if _, err := s.GetGroup(ctx, c, groupID); err != nil {
		return List[*Membership]{}, err
	}
	if err := refuseQuery(p); err != nil {
		return List[*Membership]{}, err
	}
	ms, err := list[*Membership](ctx, s, "group/"+groupID+"/memberships", p)
	if err != nil {
		return ms, err
	}
	return liveEnds(ctx, s, ms, func(m *Membership) Ref { return Ref{KindAccount, m.AccountID} })
}

// ListAccountGroups lists the groups an account is in: one page of
// memberships, then the groups in one batch read.
func (s *Service) ListAccountGroups(ctx context.Context, c Caller, accountID string, p Page) (List[*Group], error) {
	// Not a session's: it reads its account and keys only.
	if err := requireAdmin(c); err != nil {
		return List[*Group]{}, err
	}
	if p.Filtered() {
		if _, err := s.GetAccount(ctx, c, accountID); err != nil {
			return List[*Group]{}, err
		}
		if err := checkResolved(KindGroup, &p); err != nil {
			return List[*Group]{}, err
		}
		return resolveQuery[*Group](ctx, s, c, KindGroup, "account/"+accountID+"/memberships", p, func(m *Membership) Ref { return Ref{KindGroup, m.GroupID} })
	}
	ms, err := s.ListAccountMemberships(ctx, c, accountID, p)
	if err != nil {
		return List[*Group]{}, err
	}
	return resolve[*Group](ctx, s, c, ms, func(m *Membership) Ref { return Ref{KindGroup, m.GroupID} })
}

// ListGroupAccounts lists the accounts in a group.
func (s *Service) ListGroupAccounts(ctx context.Context, c Caller, groupID string, p Page) (List[*Account], error) {
	if p.Filtered() {
		if _, err := s.GetGroup(ctx, c, groupID); err != nil {
			return List[*Account]{}, err
		}
		if err := checkResolved(KindAccount, &p); err != nil {
			return List[*Account]{}, err
		}
		return resolveQuery[*Account](ctx, s, c, KindAccount, "group/"+groupID+"/memberships", p, func(m *Membership) Ref { return Ref{KindAccount, m.AccountID} })
	}
	ms, err := s.ListGroupMemberships(ctx, c, groupID, p)
	if err != nil {
		return List[*Account]{}, err
	}
	return resolve[*Account](ctx, s, c, ms, func(m *Membership) Ref { return Ref{KindAccount, m.AccountID} })
}

func resolve[T State](ctx context.Context, s *Service, c Caller, ms List[*Membership], target func(*Membership) Ref) (List[T], error) {
	out := List[T]{Offset: ms.Offset, Limit: ms.Limit, Size: ms.Size, Next: ms.Next, Items: make([]T, 0, len(ms.Items))}
	if len(ms.Items) == 0 {
		return out, nil
	}
	refs := make([]Ref, len(ms.Items))
	for i, m := range ms.Items {
		refs[i] = target(m)
	}
	states, err := s.Store.LoadMany(ctx, refs)
	if err != nil {
		return out, err
	}
	byID := make(map[string]T, len(states))
	for _, st := range states {
		if t, ok := st.(T); ok && !st.Deleted() && st.TenantID() == c.TenantID {
			byID[st.Ref().ID] = t
		}
	}
	for _, ref := range refs {
		if t, ok := byID[ref.ID]; ok {
			out.Items = append(out.Items, t)
		}
	}
	return out, nil
}
