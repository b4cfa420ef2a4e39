package domain

import (
	"context"
	"errors"
	"fmt"

	"github.com/keystorm/keystorm/events"
)

// Large cascades. A parent whose children do not fit one transaction
// (MaxCommitItems) is deleted in two steps:
//
//  1. One commit deletes the parent alone, with Change.Sweep: it is gone
//     from then on, and so is everything under it, because every read
//     of a child checks the child's parents (load, lineage) and every
//     authentication checks a key's account and application.
//  2. Sweep batches then delete the children, each batch one whole
//     commit of at most MaxCommitItems items, naming the parent in
//     Commit.Swept so that its count drains to zero batch by batch.
//     A child that is itself a parent with children (an account under a
//     swept application) is deleted the same way and swept in turn.
//
// Step 2 runs in the delete request, up to SweepBatches batches; what is
// left, or what a crash or a store failure interrupted, is finished by
// Service.Sweep, which finds the parents through Store.Sweeps.

// DefaultSweepBatches is how many sweep batches a delete request runs
// before it answers, when Service.SweepBatches is zero: about a thousand
// API keys' worth, a second or two of DynamoDB transactions, well inside
// the management functions' 10 s timeout. Larger cascades finish in the
// scheduled sweep (functions/sweep, every 5 minutes).
const DefaultSweepBatches = 20

// maxSweepConflicts bounds the retries of one batch that loses to a
// concurrent sweep of the same parent: each loss means the other sweep
// made progress, so a few suffice.
const maxSweepConflicts = 10

// errSweepBudget stops a request's sweep once it ran its batches.
var errSweepBudget = errors.New("sweep budget spent")

// childCollections lists the collections that hold a parent's children.
func childCollections(ref Ref) []string {
	switch ref.Kind {
	case KindApplication:
		return []string{"application/" + ref.ID + "/accounts", "application/" + ref.ID + "/groups"}
	case KindAccount:
		return []string{"account/" + ref.ID + "/apikeys", "account/" + ref.ID + "/memberships"}
	case KindGroup:
		return []string{"group/" + ref.ID + "/memberships"}
	case KindDirectory:
		return []string{"directory/" + ref.ID + "/accounts", "directory/" + ref.ID + "/groups"}
	}
	return nil
}

// Sweep finishes every pending sweep: parents deleted with children left
// (Store.Sweeps), whether their delete request ran out of batches, was
// cut short by a crash, or met a store failure. It is safe to run at any
// time and concurrently with itself (batches of the same parent conflict
// and retry). The local server runs it at start; on AWS the scheduled
// sweep function (functions/sweep) does. It returns how many parents it
// finished.
//
// A parent whose sweep fails (a store error; on DynamoDB, children so new
// that the eventually consistent index does not list them yet) does not
// hold up the others: Sweep carries on and reports the failures joined,
// and the next run retries them.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	done := 0
	var errs []error
	failed := map[Ref]bool{}
	for {
		refs, err := s.Store.Sweeps(ctx, MaxLimit)
		if err != nil {
			return done, errors.Join(append(errs, err)...)
		}
		progressed := false
		for _, ref := range refs {
			if failed[ref] {
				continue
			}
			n, err := s.sweep(ctx, events.Meta{}, ref, nil)
			if err != nil {
				failed[ref] = true
				errs = append(errs, fmt.Errorf("sweep %s: %w", ref.Stream(), err))
				continue
			}
			if n > 0 {
				progressed = true
				done++
			}
		}
		// DynamoDB's index may still list parents just drained: a page
		// with nothing to do ends the run rather than loop on them.
		if len(refs) < MaxLimit || !progressed {
			return done, errors.Join(errs...)
		}
	}
}

// sweepAfterDelete runs the sweep of a parent the request just deleted
// with Change.Sweep. Its errors are not the request's: the parent is
// deleted, which is what the client asked, and Service.Sweep finishes.
func (s *Service) sweepAfterDelete(ctx context.Context, c Caller, ref Ref) {
	if s.SweepHook != nil && s.SweepHook(ctx, ref, 0) != nil {
		return
	}
	budget := s.SweepBatches
	if budget <= 0 {
		budget = DefaultSweepBatches
	}
	_, _ = s.sweep(ctx, c.meta(), ref, &budget)
}

// sweep deletes ref's children batch by batch until its count is zero,
// then sweeps the children it deleted with Change.Sweep. It returns the
// number of batches committed. budget, when not nil, bounds the batches
// over the whole descent.
func (s *Service) sweep(ctx context.Context, meta events.Meta, ref Ref, budget *int) (int, error) {
	batches, conflicts := 0, 0
	for {
		st, err := NewState(ref.Kind)
		if err != nil {
			return batches, err
		}
		if err := s.Store.Load(ctx, ref, st); err != nil {
			return batches, err
		}
		p, ok := st.(Parent)
		if !ok || !st.Deleted() || p.Children() == 0 {
			return batches, nil
		}
		if budget != nil && *budget <= 0 {
			return batches, errSweepBudget
		}
		m := meta
		m.Tenant = st.TenantID()
		r := &recorder{s: s, meta: m, at: s.now()}
		swept, err := s.sweepBatch(ctx, r, p)
		if err != nil {
			return batches, err
		}
		err = s.Store.Commit(ctx, r.commit)
		if errors.Is(err, ErrVersionConflict) && conflicts < maxSweepConflicts {
			conflicts++
			continue
		}
		if err != nil {
			return batches, err
		}
		conflicts = 0
		batches++
		if budget != nil {
			*budget--
		}
		if s.SweepHook != nil {
			if err := s.SweepHook(ctx, ref, batches); err != nil {
				return batches, err
			}
		}
		for _, child := range swept {
			n, err := s.sweep(ctx, meta, child, budget)
			batches += n
			if err != nil {
				return batches, err
			}
		}
	}
}

// sweepBatch records into r the deletes of as many of parent's children
// as fit one commit, in collection order, and returns the children it
// deletes with Change.Sweep (parents with children of their own).
func (s *Service) sweepBatch(ctx context.Context, r *recorder, parent Parent) ([]Ref, error) {
	var swept []Ref
	var recErr error
	full := false
	for _, coll := range childCollections(parent.Ref()) {
		err := eachPage(ctx, s.Store, coll, func(items []State) bool {
			for _, child := range items {
				n := len(r.commit.Changes)
				sweep, err := recordCascade(r, child)
				if err != nil {
					recErr = err
					return false
				}
				if r.size() > MaxCommitItems {
					r.commit.Changes = r.commit.Changes[:n]
					full = true
					return false
				}
				if sweep {
					swept = append(swept, child.Ref())
				}
			}
			return true
		})
		if err == nil {
			err = recErr
		}
		if err != nil {
			return nil, err
		}
		if full {
			break
		}
	}
	if len(r.commit.Changes) == 0 {
		// The count says children are left, the collections hold none:
		// only a store that broke its contract gets here.
		return nil, fmt.Errorf("sweep %s: count %d but no children listed", parent.Ref().Stream(), parent.Children())
	}
	return swept, r.sweptParents(ctx, parent)
}

// recordCascade records the delete of a child because its parent goes,
// and reports whether it is deleted with Change.Sweep.
func recordCascade(r *recorder, child State) (bool, error) {
	var ev events.Event
	var next State
	switch c := child.(type) {
	case *APIKey:
		ev, next = events.APIKeyDeleted{Reason: events.ReasonCascade}, c.clone()
	case *Membership:
		ev, next = events.MembershipDeleted{Reason: events.ReasonCascade}, c.clone()
	case *Account:
		ev, next = events.AccountDeleted{Reason: events.ReasonCascade}, c.clone()
	case *Group:
		ev, next = events.GroupDeleted{Reason: events.ReasonCascade}, c.clone()
	default:
		return false, fmt.Errorf("sweep: %s is no child", child.Ref().Stream())
	}
	if err := r.record(child.Ref(), child, next, ev); err != nil {
		return false, err
	}
	p, ok := child.(Parent)
	sweep := ok && p.Children() > 0
	r.commit.Changes[len(r.commit.Changes)-1].Sweep = sweep
	return sweep, nil
}

// sweptParents names in the commit every deleted parent whose count it
// changes, with its count as loaded (see Swept): known is one the caller
// loaded already (nil for none); the others are read in one LoadMany.
// A membership's other end may be a group or account being swept.
func (r *recorder) sweptParents(ctx context.Context, known Parent) error {
	changed := map[Ref]bool{}
	for _, ch := range r.commit.Changes {
		changed[ch.After.Ref()] = true
	}
	var refs []Ref
	for _, d := range ChildDeltas(r.commit.Changes) {
		switch {
		case changed[d.Parent]:
		case known != nil && d.Parent == known.Ref():
			if known.Deleted() {
				r.commit.Swept = append(r.commit.Swept, Swept{Parent: known})
			}
		default:
			refs = append(refs, d.Parent)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	states, err := r.s.Store.LoadMany(ctx, refs)
	if err != nil {
		return err
	}
	for _, st := range states {
		if p, ok := st.(Parent); ok && st.Deleted() {
			r.commit.Swept = append(r.commit.Swept, Swept{Parent: p})
		}
	}
	return nil
}

// deleteParent deletes a parent with everything under it. When its
// children's deletes fit one commit with its own (and cascadeInOne), that
// is one transaction, as for any small cascade: the store refuses it
// unless it deletes every live child, so one created after the listing
// makes the command retry instead of surviving as an orphan. Otherwise
// the parent goes alone, with Change.Sweep, and its children follow in
// sweep batches once that committed: the request answers after them, or
// after SweepBatches of them, and a client meanwhile finds the children
// gone already (lineageLive). build returns the parent's delete event, or
// an error that refuses the delete.
func deleteParent[T Parent](ctx context.Context, s *Service, c Caller, kind, id string, cascadeInOne bool, build func(cur T) (events.Event, error)) error {
	sweeping := false
	_, err := run(ctx, s, c, func(r *recorder) (T, error) {
		var zero T
		sweeping = false
		cur, err := load[T](ctx, s, c, kind, id)
		if err != nil {
			return zero, err
		}
		ev, err := build(cur)
		if err != nil {
			return zero, err
		}
		next, err := cloneState(cur)
		if err != nil {
			return zero, err
		}
		if err := r.record(cur.Ref(), cur, next, ev); err != nil {
			return zero, err
		}
		if cur.Children() == 0 {
			// Nothing to cascade, and the commit holds the store to it.
			return next.(T), nil
		}
		if cascadeInOne {
			fits, err := recordAllChildren(ctx, s, r, cur)
			if err != nil {
				return zero, err
			}
			if fits {
				return next.(T), r.sweptParents(ctx, nil)
			}
		}
		r.commit.Changes = r.commit.Changes[:1]
		r.commit.Changes[0].Sweep = true
		sweeping = true
		return next.(T), nil
	})
	if err != nil {
		return err
	}
	if sweeping {
		s.sweepAfterDelete(ctx, c, Ref{kind, id})
	}
	return nil
}

// recordAllChildren records the deletes of every child of parent, unless
// they do not fit one commit (false, with some recorded).
func recordAllChildren(ctx context.Context, s *Service, r *recorder, parent Parent) (bool, error) {
	for _, coll := range childCollections(parent.Ref()) {
		children, err := listAll(ctx, s, coll, MaxCommitItems)
		if err != nil {
			return false, err
		}
		for _, child := range children {
			sweep, err := recordCascade(r, child)
			if err != nil {
				return false, err
			}
			if sweep || r.size() > MaxCommitItems {
				return false, nil
			}
		}
	}
	return true, nil
}

// cloneState copies a parent's state before a delete is applied to it.
func cloneState(st State) (State, error) {
	switch v := st.(type) {
	case *Application:
		return v.clone(), nil
	case *Account:
		return v.clone(), nil
	case *Group:
		return v.clone(), nil
	case *Directory:
		return v.clone(), nil
	}
	return nil, fmt.Errorf("delete: %s is no parent", st.Ref().Stream())
}
