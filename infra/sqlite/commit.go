package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// op is one item of a commit, in the order and with the conditions of
// the DynamoDB store's transaction items, so that both stores refuse the
// same commits with the same error: the first failed item's.
type op struct {
	kind  string // "event", "state", "guard", "release", "check", "count", "idem"
	ref   domain.Ref
	env   events.Envelope
	ch    domain.Change
	delta domain.ChildDelta
	key   string
	chk   *domain.Check
	// swept is the parent named in Commit.Swept, for a count op.
	swept domain.Parent
	// tenant owns an event op's event: its aggregate's, from the
	// committed state, as events.Meta is empty on sweeps.
	tenant string
}

// Commit implements domain.Store as one SQL transaction, begun
// IMMEDIATE so that commits serialize on SQLite's write lock. Each item
// is a conditional statement; the first whose condition fails rolls the
// whole transaction back, so a refused commit writes nothing.
func (st *Store) Commit(ctx context.Context, c domain.Commit) error {
	ops, err := plan(c)
	if err != nil {
		return err
	}
	if len(ops) == 0 {
		return nil
	}
	// DynamoDB takes at most MaxCommitItems per transaction. SQLite has
	// no such bound, but a commit the deployed store refuses must be
	// refused locally too, or it would pass locally and fail deployed.
	if len(ops) > domain.MaxCommitItems {
		return domain.E(domain.KindConflict, domain.CodeHasDependents, "", "This change touches too many resources at once; remove dependent resources first.")
	}
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(err)
	}
	for _, o := range ops {
		if err := o.apply(ctx, tx, c); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := writeSizes(ctx, tx, c.Changes); err != nil {
		tx.Rollback()
		return err
	}
	return storeErr(tx.Commit())
}

// writeSizes keeps the sizes table: each change leaves the collections
// its state was in and joins those it is in now. Every condition of the
// commit has held by then, so the counts move only with rows that did.
// A collection that empties loses its row, as a rebuild would not write
// it.
func writeSizes(ctx context.Context, tx *sql.Tx, changes []domain.Change) error {
	deltas := map[string]int64{}
	for _, ch := range changes {
		if ch.Before != nil {
			for _, c := range ch.Before.Collections() {
				deltas[c]--
			}
		}
		for _, c := range ch.After.Collections() {
			deltas[c]++
		}
	}
	names := make([]string, 0, len(deltas))
	for c, d := range deltas {
		if d != 0 {
			names = append(names, c)
		}
	}
	sort.Strings(names)
	for _, c := range names {
		if _, err := tx.ExecContext(ctx, "INSERT INTO sizes (collection, n) VALUES (?, ?) ON CONFLICT (collection) DO UPDATE SET n = n + excluded.n",
			c, deltas[c]); err != nil {
			return storeErr(err)
		}
		if deltas[c] < 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM sizes WHERE collection = ? AND n <= 0", c); err != nil {
				return storeErr(err)
			}
		}
	}
	return nil
}

// plan lists a commit's items as the DynamoDB store builds its
// transaction: per change its events, its state, the guards it takes and
// releases; then checks not folded into a count; then the counts of
// parents the commit does not otherwise change; then the idempotency
// record. Errors that need no database come out here, before anything
// runs.
func plan(c domain.Commit) ([]op, error) {
	var ops []op
	deltas := domain.ChildDeltas(c.Changes)
	byParent := map[domain.Ref]domain.ChildDelta{}
	for _, d := range deltas {
		byParent[d.Parent] = d
	}
	changed := map[domain.Ref]bool{}
	for _, ch := range c.Changes {
		changed[ch.After.Ref()] = true
	}
	for _, ch := range c.Changes {
		ref := ch.After.Ref()
		for _, env := range ch.Events {
			ops = append(ops, op{kind: "event", ref: ref, env: env, tenant: ch.After.TenantID()})
		}
		d := byParent[ref]
		if d.Adds && ch.After.Deleted() {
			// A child brought to life under a parent this commit deletes.
			return nil, &domain.CheckFailed{Ref: ref}
		}
		_, parent := ch.After.(domain.Parent)
		if d.Delta != 0 && !parent {
			return nil, fmt.Errorf("commit: %s counts children but is no parent", ref.Stream())
		}
		if ch.Before == nil && d.Delta < 0 {
			return nil, fmt.Errorf("commit: %s is new but loses children", ref.Stream())
		}
		if err := domain.CheckSweep(ch, d); err != nil {
			return nil, err
		}
		ops = append(ops, op{kind: "state", ref: ref, ch: ch, delta: d})

		held := map[string]bool{}
		if ch.Before != nil {
			for _, u := range ch.Before.UniqueKeys() {
				held[u.Key] = true
			}
		}
		wanted := map[string]bool{}
		for _, u := range ch.After.UniqueKeys() {
			wanted[u.Key] = true
			if !held[u.Key] {
				ops = append(ops, op{kind: "guard", ref: ref, key: u.Key})
			}
		}
		// Sorted, unlike the DynamoDB store's map order: which release
		// fails first must not vary from run to run.
		var releases []string
		for k := range held {
			if !wanted[k] {
				releases = append(releases, k)
			}
		}
		sort.Strings(releases)
		for _, k := range releases {
			ops = append(ops, op{kind: "release", ref: ref, key: k})
		}
	}
	// A Check of a counted parent goes into the count's statement, as it
	// goes into the count's item on DynamoDB.
	folded := map[domain.Ref]*domain.Check{}
	for _, chk := range c.Checks {
		if _, ok := byParent[chk.Ref]; ok && !changed[chk.Ref] {
			if prev := folded[chk.Ref]; prev != nil && prev.Version > 0 && chk.Version > 0 && prev.Version != chk.Version {
				// Two checks at different versions can never both hold.
				return nil, &domain.CheckFailed{Ref: chk.Ref}
			}
			if prev := folded[chk.Ref]; prev == nil || chk.Version > 0 {
				folded[chk.Ref] = &chk
			}
			continue
		}
		ops = append(ops, op{kind: "check", ref: chk.Ref, chk: &chk})
	}
	swept, err := domain.SweptCounts(c, byParent, changed)
	if err != nil {
		return nil, err
	}
	for _, d := range deltas {
		if !changed[d.Parent] {
			ops = append(ops, op{kind: "count", ref: d.Parent, delta: d, chk: folded[d.Parent], swept: swept[d.Parent]})
		}
	}
	if c.Idem != nil {
		ops = append(ops, op{kind: "idem", key: c.Idem.Key})
	}
	return ops, nil
}

// apply runs one item inside the commit's transaction and returns the
// domain error of its failed condition.
func (o op) apply(ctx context.Context, tx *sql.Tx, c domain.Commit) error {
	switch o.kind {
	case "event":
		ok, err := insertEvent(ctx, tx, o.env, o.tenant)
		if err != nil {
			return err
		}
		if !ok {
			// The version exists: another command appended first.
			return domain.ErrVersionConflict
		}
		return nil
	case "state":
		return o.writeState(ctx, tx)
	case "guard":
		owner := o.ref.Stream()
		ok, err := affected(tx.ExecContext(ctx, "INSERT INTO guards (key, owner) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", o.key, owner))
		if err != nil || ok {
			return err
		}
		held, err := guardOwner(ctx, tx, o.key)
		if err != nil {
			return err
		}
		if held != owner {
			return &domain.UniqueViolation{Key: o.key}
		}
		return nil
	case "release":
		owner := o.ref.Stream()
		ok, err := affected(tx.ExecContext(ctx, "DELETE FROM guards WHERE key = ? AND owner = ?", o.key, owner))
		if err != nil || ok {
			return err
		}
		// Nothing to release is fine; a guard someone else holds means
		// the state this change was made from is not what is stored.
		held, err := guardOwner(ctx, tx, o.key)
		if err != nil {
			return err
		}
		if held != "" {
			return domain.ErrVersionConflict
		}
		return nil
	case "check":
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM states WHERE stream = ? AND deleted = 0 AND (? = 0 OR version = ?)",
			o.ref.Stream(), o.chk.Version, o.chk.Version).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return &domain.CheckFailed{Ref: o.ref}
		}
		return storeErr(err)
	case "count":
		return o.writeCount(ctx, tx)
	case "idem":
		r := c.Idem
		// A record whose time is up (judged at the new record's At, the
		// service's clock) is overwritten; a live one refuses the commit.
		ok, err := affected(tx.ExecContext(ctx, `INSERT INTO idempotency (key, fingerprint, result_kind, result_id, result_version, at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, result_kind = excluded.result_kind,
				result_id = excluded.result_id, result_version = excluded.result_version, at = excluded.at, expires_at = excluded.expires_at
			WHERE idempotency.expires_at < ?`,
			r.Key, r.Fingerprint, r.Result.Kind, r.Result.ID, r.ResultVersion, r.At.UTC().Format(time.RFC3339Nano),
			r.At.Add(domain.IdempotencyTTL).Unix(), r.At.Unix()))
		if err != nil {
			return err
		}
		if !ok {
			return &domain.IdempotencyReplay{Record: *r}
		}
		return nil
	}
	return fmt.Errorf("commit: unknown item %q", o.kind)
}

// guardOwner returns the owner of a guard, "" when there is none.
func guardOwner(ctx context.Context, tx *sql.Tx, key string) (string, error) {
	var owner string
	err := tx.QueryRowContext(ctx, "SELECT owner FROM guards WHERE key = ?", key).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, storeErr(err)
}

// writeState writes a change's state row, conditional on the version the
// change was made from, keeping the child count as the DynamoDB store
// keeps it on the same item:
//   - a new stream inserts the row and starts a parent's count at the
//     children this very commit creates under it (a rebuild writes every
//     parent's count, so live and rebuilt rows stay equal);
//   - a delete sets the count to zero, on the condition that the count
//     it had equals the children this commit deletes: a child created
//     after the command listed them fails it, and the command retries;
//   - any other change rewrites the state and adds the commit's delta to
//     the count, so editing a parent neither loses nor conflicts with
//     children counted meanwhile.
func (o op) writeState(ctx context.Context, tx *sql.Tx) error {
	ch, d := o.ch, o.delta
	r, err := toStateRow(ch.After)
	if err != nil {
		return err
	}
	_, parent := ch.After.(domain.Parent)
	if ch.Before == nil {
		var children sql.NullInt64
		if parent {
			children = sql.NullInt64{Int64: d.Delta, Valid: true}
		}
		ok, err := insertState(ctx, tx, r, children)
		if err != nil {
			return err
		}
		if !ok {
			return domain.ErrVersionConflict
		}
		return nil
	}
	set := "kind = ?, tenant = ?, version = ?, deleted = ?, data = ?, coll1 = ?, coll2 = ?, sortkey = ?"
	args := []any{r.kind, r.tenant, r.version, r.deleted, r.data, r.coll1, r.coll2, r.sortkey}
	where := " WHERE stream = ? AND version = ?"
	wargs := []any{r.stream, ch.Before.Version()}
	deleting := !ch.Before.Deleted() && ch.After.Deleted()
	switch {
	case deleting && parent && ch.Sweep:
		// The children left are swept later: the count the command
		// loaded must still hold (no child came in since), and what this
		// commit does not delete stays counted.
		had := ch.Before.(domain.Parent).Children()
		set += ", children = ?"
		args = append(args, had+d.Delta)
		where += " AND children = ?"
		wargs = append(wargs, had)
	case deleting && parent:
		// children = ? is false on a NULL count (a row written before
		// counts existed), as on DynamoDB: such a parent's delete is
		// refused until a rebuild computes its count.
		set += ", children = 0"
		where += " AND children = ?"
		wargs = append(wargs, -d.Delta)
	case d.Delta != 0:
		set += ", children = COALESCE(children, 0) + ?"
		args = append(args, d.Delta)
	}
	ok, err := affected(tx.ExecContext(ctx, "UPDATE states SET "+set+where, append(args, wargs...)...))
	if err != nil {
		return err
	}
	if !ok {
		return domain.ErrVersionConflict
	}
	return nil
}

// writeCount changes the child count of a parent the commit does not
// otherwise change (a count never creates a row). The parent must be
// live; a Check folded in adds its conditions. A failed condition means
// the parent is gone or moved: *CheckFailed naming it, unless the commit
// only takes children off it (ErrVersionConflict, see below). A parent
// named in Swept instead needs its exact count, as the sweeper loaded it.
func (o op) writeCount(ctx context.Context, tx *sql.Tx) error {
	d := o.delta
	if o.swept != nil {
		// A parent being swept: its count must be what the sweeper
		// loaded, or another sweep deleted some of these children first.
		had := o.swept.Children()
		ok, err := affected(tx.ExecContext(ctx, "UPDATE states SET children = ? WHERE stream = ? AND deleted = 1 AND version = ? AND children = ?",
			had+d.Delta, d.Parent.Stream(), o.swept.Version(), had))
		if err != nil {
			return err
		}
		if !ok {
			return domain.ErrVersionConflict
		}
		return nil
	}
	// Every count needs its parent live: a deleted parent's count moves
	// only through Swept, so that it never drains without ending its
	// sweep. Taking a child off a parent deleted meanwhile is a race the
	// command retries (and then sees the parent gone); adding one, or a
	// failed Check, means the parent is gone.
	gone := error(domain.ErrVersionConflict)
	if d.Adds || o.chk != nil {
		gone = &domain.CheckFailed{Ref: d.Parent}
	}
	live := true
	var version int64
	if o.chk != nil {
		version = o.chk.Version
	}
	cond := " WHERE stream = ? AND (? = 0 OR deleted = 0) AND (? = 0 OR version = ?)"
	args := []any{d.Parent.Stream(), live, version, version}
	if d.Delta == 0 {
		// Children added and taken in one commit: only the condition.
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM states"+cond, args...).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return gone
		}
		return storeErr(err)
	}
	ok, err := affected(tx.ExecContext(ctx, "UPDATE states SET children = COALESCE(children, 0) + ?"+cond, append([]any{d.Delta}, args...)...))
	if err != nil {
		return err
	}
	if !ok {
		return gone
	}
	return nil
}
