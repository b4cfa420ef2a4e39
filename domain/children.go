package domain

import (
	"fmt"
	"slices"
	"strings"
)

// Which aggregates live under which: the one place that says it, so that
// live commits (ChildDeltas) and rebuilds (ChildCounts) count the same.

// Parents implements Child: an account lives under its application, when
// it lives in that application's own directory, else under its shared
// directory.
func (a *Account) Parents() []Ref { return []Ref{storeParent(a.ApplicationID, a.DirectoryID)} }

// Parents implements Child: a group lives where an account would.
func (g *Group) Parents() []Ref { return []Ref{storeParent(g.ApplicationID, g.DirectoryID)} }

// storeParent is the aggregate that holds what lives in a directory: the
// application whose own directory it is (applicationID set), or the
// shared directory.
func storeParent(applicationID, directoryID string) Ref {
	if applicationID != "" {
		return Ref{KindApplication, applicationID}
	}
	return Ref{KindDirectory, directoryID}
}

// storeCollection names the collection of what lives in a directory
// ("accounts", "groups"): under the application or the shared directory
// that holds it.
func storeCollection(applicationID, directoryID, what string) string {
	p := storeParent(applicationID, directoryID)
	return p.Kind + "/" + p.ID + "/" + what
}

// Parents implements Child: a key lives under its account.
func (k *APIKey) Parents() []Ref { return []Ref{{KindAccount, k.AccountID}} }

// Parents implements Child: a membership lives under both ends.
func (m *Membership) Parents() []Ref {
	return []Ref{{KindAccount, m.AccountID}, {KindGroup, m.GroupID}}
}

// Children implements Parent: its accounts and groups.
func (a *Application) Children() int64 { return a.children }

// SetChildren implements Parent.
func (a *Application) SetChildren(n int64) { a.children = n }

// Children implements Parent: its API keys and memberships.
func (a *Account) Children() int64 { return a.children }

// SetChildren implements Parent.
func (a *Account) SetChildren(n int64) { a.children = n }

// Children implements Parent: its memberships.
func (g *Group) Children() int64 { return g.children }

// SetChildren implements Parent.
func (g *Group) SetChildren(n int64) { g.children = n }

var (
	_ Child  = (*Account)(nil)
	_ Child  = (*Group)(nil)
	_ Child  = (*APIKey)(nil)
	_ Child  = (*Membership)(nil)
	_ Parent = (*Application)(nil)
	_ Parent = (*Account)(nil)
	_ Parent = (*Group)(nil)
	_ Parent = (*Directory)(nil)
)

// ChildDelta is how one commit changes one parent's child count.
type ChildDelta struct {
	Parent Ref
	// Delta is +1 per child that comes to life, -1 per child deleted.
	Delta int64
	// Adds is set when the commit brings a child to life under Parent:
	// the parent must then exist and not be deleted when it commits
	// (else *CheckFailed). Taking a child away needs the parent live too
	// (else ErrVersionConflict: it was deleted meanwhile), unless the
	// commit names it in Swept: a deleted parent's count moves only by a
	// sweep, so that Store.Sweeps stops listing it exactly when it drains.
	Adds bool
}

// live reports a state that exists and is not deleted.
func live(st State) bool { return st != nil && !st.Deleted() }

// ChildDeltas derives from a commit's changes how each parent's child
// count changes, in parent stream order (so transactions are built
// deterministically). Every Store applies them in the commit's own
// transaction.
func ChildDeltas(changes []Change) []ChildDelta {
	byParent := map[Ref]*ChildDelta{}
	var out []*ChildDelta
	count := func(st State, delta int64) {
		c, ok := st.(Child)
		if !ok {
			return
		}
		for _, p := range c.Parents() {
			d := byParent[p]
			if d == nil {
				d = &ChildDelta{Parent: p}
				byParent[p] = d
				out = append(out, d)
			}
			d.Delta += delta
			d.Adds = d.Adds || delta > 0
		}
	}
	for _, ch := range changes {
		switch was, is := live(ch.Before), live(ch.After); {
		case !was && is:
			count(ch.After, +1)
		case was && !is:
			count(ch.Before, -1)
		}
	}
	slices.SortFunc(out, func(a, b *ChildDelta) int { return strings.Compare(a.Parent.Stream(), b.Parent.Stream()) })
	res := make([]ChildDelta, len(out))
	for i, d := range out {
		res[i] = *d
	}
	return res
}

// ChildCounts counts, over every aggregate's current state, the live
// children of each parent: what a rebuild stores as child counts. A
// parent with no live child is absent (its count is 0).
func ChildCounts(states []State) map[Ref]int64 {
	counts := map[Ref]int64{}
	for _, st := range states {
		if c, ok := st.(Child); ok && live(st) {
			for _, p := range c.Parents() {
				counts[p]++
			}
		}
	}
	return counts
}

// CheckSweep validates a change's Sweep flag for a Store, given the
// commit's count for the changed aggregate: only a Parent's delete may
// carry it, and children must be left for the sweep (a delete that takes
// them all is an ordinary one). These are the caller's mistakes, never a
// race, so both stores refuse them before writing anything.
func CheckSweep(ch Change, d ChildDelta) error {
	if !ch.Sweep {
		return nil
	}
	p, ok := ch.Before.(Parent)
	if !ok || !live(ch.Before) || live(ch.After) {
		return fmt.Errorf("commit: Sweep on %s, which is no parent being deleted", ch.After.Ref().Stream())
	}
	if p.Children()+d.Delta <= 0 {
		return fmt.Errorf("commit: Sweep on %s leaves no children to sweep", ch.After.Ref().Stream())
	}
	return nil
}

// SweptCounts validates a commit's Swept entries for a Store and returns
// the swept parents by ref. A swept parent is deleted, so the commit
// cannot change it; it must lose children in it, and no more than it has
// (ErrVersionConflict otherwise: the children were listed before another
// sweep took some).
func SweptCounts(c Commit, byParent map[Ref]ChildDelta, changed map[Ref]bool) (map[Ref]Parent, error) {
	out := map[Ref]Parent{}
	for _, s := range c.Swept {
		if s.Parent == nil {
			return nil, fmt.Errorf("commit: Swept without a parent")
		}
		ref := s.Parent.Ref()
		d, ok := byParent[ref]
		if _, dup := out[ref]; dup || !ok || changed[ref] || !s.Parent.Deleted() || d.Delta >= 0 {
			return nil, fmt.Errorf("commit: Swept %s does not match the commit's children", ref.Stream())
		}
		if s.Parent.Children()+d.Delta < 0 {
			// More children deleted than the parent counts: the sweeper
			// listed children another sweeper deleted since (a
			// membership's other end being swept at the same time). A
			// race, not a mistake: the sweeper reads afresh and retries.
			return nil, ErrVersionConflict
		}
		out[ref] = s.Parent
	}
	return out, nil
}
