package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/keystorm/keystorm/domain"
)

// Store implements domain.Store.
type Store struct {
	DB     *dynamodb.Client
	Events string
	Views  string
}

var _ domain.Store = (*Store)(nil)

// New returns a Store on the given client and tables.
func New(db *dynamodb.Client, c Config) *Store {
	return &Store{DB: db, Events: c.EventsTable, Views: c.ViewsTable}
}

// Owner implements domain.Store: one consistent GetItem of the guard.
func (st *Store) Owner(ctx context.Context, unique string) (domain.Ref, error) {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &st.Views,
		Key:            key(guardKey(unique), skGuard),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return domain.Ref{}, storeErr(err)
	}
	if out.Item == nil {
		return domain.Ref{}, domain.ErrNotFound
	}
	var it guardItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return domain.Ref{}, err
	}
	return domain.ParseStream(it.Owner)
}

// Load implements domain.Store with one strongly consistent GetItem.
func (st *Store) Load(ctx context.Context, ref domain.Ref, dst domain.State) error {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &st.Views,
		Key:            key(ref.Stream(), skState),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return storeErr(err)
	}
	if out.Item == nil {
		return domain.ErrNotFound
	}
	var it stateItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return err
	}
	if it.Kind != ref.Kind {
		return fmt.Errorf("load %s: stored kind %q", ref.Stream(), it.Kind)
	}
	if err := jsonUnmarshal(it.Data, dst); err != nil {
		return err
	}
	it.setChildren(dst)
	return nil
}

// LoadMany implements domain.Store with BatchGetItem, 100 keys a call,
// retrying unprocessed keys.
func (st *Store) LoadMany(ctx context.Context, refs []domain.Ref) ([]domain.State, error) {
	var out []domain.State
	streams := make([]string, len(refs))
	for i, r := range refs {
		streams[i] = r.Stream()
	}
	err := st.batchGetViews(ctx, streams, skState, func(item map[string]types.AttributeValue) error {
		s, err := decodeState(item)
		if err == nil {
			out = append(out, s)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batchGetViews reads the views items (pk, sk) for every pk, each once
// (BatchGetItem refuses a key asked twice), consistently, 100 keys a
// call, retrying unprocessed keys with backoff, and hands each item
// found to fn.
func (st *Store) batchGetViews(ctx context.Context, pks []string, sk string, fn func(map[string]types.AttributeValue) error) error {
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
	for _, pk := range pks {
		if !seen[pk] {
			seen[pk] = true
			keys = append(keys, key(pk, sk))
		}
	}
	for len(keys) > 0 {
		batch := keys[:min(100, len(keys))]
		keys = keys[len(batch):]
		req := map[string]types.KeysAndAttributes{st.Views: {Keys: batch, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 5 {
				return domain.ErrUnavailable
			}
			if attempt > 0 {
				time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
			}
			res, err := st.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return storeErr(err)
			}
			for _, item := range res.Responses[st.Views] {
				if err := fn(item); err != nil {
					return err
				}
			}
			req = res.UnprocessedKeys
		}
	}
	return nil
}

// List implements domain.Store: a COUNT query for the size and a query
// for the page, both on the collection's index. DynamoDB has no offset,
// so the page query reads the skipped items and drops them: a deep
// offset costs its depth in read capacity (ListAfter does not).
func (st *Store) List(ctx context.Context, collection string, offset, limit int) ([]domain.State, int, error) {
	q := st.collectionQuery(collection, "")
	total, err := st.count(ctx, q)
	if err != nil || offset >= total || limit <= 0 {
		return nil, total, err
	}
	out, err := st.page(ctx, q, offset, limit)
	return out, total, err
}

// ListAfter implements domain.Store: the same COUNT, and a page query
// whose key condition starts past after, so DynamoDB seeks there.
func (st *Store) ListAfter(ctx context.Context, collection, after string, limit int) ([]domain.State, int, error) {
	q := st.collectionQuery(collection, after)
	total, err := st.count(ctx, st.collectionQuery(collection, ""))
	if err != nil || total == 0 || limit <= 0 {
		return nil, total, err
	}
	out, err := st.page(ctx, q, 0, limit)
	return out, total, err
}

// collectionQuery queries the collection's index, from the first sort
// key past after when after is set.
func (st *Store) collectionQuery(collection, after string) dynamodb.QueryInput {
	idx, pkAttr, skAttr := "gsi1", "gsi1pk", "gsi1sk"
	if domain.CollectionSlot(collection) == 1 {
		idx, pkAttr, skAttr = "gsi2", "gsi2pk", "gsi2sk"
	}
	q := dynamodb.QueryInput{
		TableName:                 &st.Views,
		IndexName:                 aws.String(idx),
		KeyConditionExpression:    aws.String("#p = :c"),
		ExpressionAttributeNames:  map[string]string{"#p": pkAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": s(collection)},
	}
	if after != "" {
		q.KeyConditionExpression = aws.String("#p = :c AND #s > :a")
		q.ExpressionAttributeNames["#s"] = skAttr
		q.ExpressionAttributeValues[":a"] = s(after)
	}
	return q
}

// count sums a COUNT query over every page of the result.
func (st *Store) count(ctx context.Context, q dynamodb.QueryInput) (int, error) {
	q.Select = types.SelectCount
	total := 0
	for {
		res, err := st.DB.Query(ctx, &q)
		if err != nil {
			return 0, storeErr(err)
		}
		total += int(res.Count)
		if res.LastEvaluatedKey == nil {
			return total, nil
		}
		q.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// page reads items skip+1 to skip+limit of the query's result.
func (st *Store) page(ctx context.Context, q dynamodb.QueryInput, skip, limit int) ([]domain.State, error) {
	want := skip + limit
	q.Limit = aws.Int32(int32(want))
	var items []map[string]types.AttributeValue
	for len(items) < want {
		res, err := st.DB.Query(ctx, &q)
		if err != nil {
			return nil, storeErr(err)
		}
		items = append(items, res.Items...)
		if res.LastEvaluatedKey == nil {
			break
		}
		q.ExclusiveStartKey = res.LastEvaluatedKey
		q.Limit = aws.Int32(int32(want - len(items)))
	}
	if skip >= len(items) {
		return nil, nil
	}
	items = items[skip:min(len(items), want)]
	out := make([]domain.State, 0, len(items))
	for _, it := range items {
		s, err := decodeState(it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Idempotency implements domain.Store.
func (st *Store) Idempotency(ctx context.Context, k string, now time.Time) (domain.IdemRecord, error) {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.Views, Key: key(idemKey(k), skIdem), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.IdemRecord{}, storeErr(err)
	}
	if out.Item == nil {
		return domain.IdemRecord{}, domain.ErrNotFound
	}
	var it idemItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return domain.IdemRecord{}, err
	}
	if it.ExpiresAt < now.Unix() {
		// DynamoDB's TTL deletes lazily; an expired record is gone.
		return domain.IdemRecord{}, domain.ErrNotFound
	}
	at, _ := time.Parse(time.RFC3339Nano, it.At)
	return domain.IdemRecord{Key: k, Fingerprint: it.Fingerprint, Result: domain.Ref{Kind: it.ResultKind, ID: it.ResultID}, ResultVersion: it.ResultVer, At: at}, nil
}

// action remembers what each transaction item was, to explain a
// cancellation.
type action struct {
	kind string // "event", "state", "guard", "release", "check", "count", "uncount", "swept", "idem"
	key  string
	ref  domain.Ref
}

// Commit implements domain.Store.
func (st *Store) Commit(ctx context.Context, c domain.Commit) error {
	var tx []types.TransactWriteItem
	var acts []action
	add := func(item types.TransactWriteItem, a action) {
		tx = append(tx, item)
		acts = append(acts, a)
	}
	// Child counts live on the parents' state items, and a transaction may
	// touch an item only once: a parent the commit also changes gets its
	// count in that change's write, and a Check of a counted parent is
	// folded into the count's write.
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
			av, err := attributevalue.MarshalMap(toEventItem(env, ch.After.TenantID()))
			if err != nil {
				return err
			}
			add(types.TransactWriteItem{Put: &types.Put{
				TableName:                &st.Events,
				Item:                     av,
				ConditionExpression:      aws.String("attribute_not_exists(#s)"),
				ExpressionAttributeNames: map[string]string{"#s": "stream"},
			}}, action{kind: "event", ref: ref})
		}
		if err := domain.CheckSweep(ch, byParent[ref]); err != nil {
			return err
		}
		w, err := st.stateWrite(ch, byParent[ref])
		if err != nil {
			return err
		}
		add(w, action{kind: "state", ref: ref})

		owner := ref.Stream()
		held := map[string]bool{}
		if ch.Before != nil {
			for _, u := range ch.Before.UniqueKeys() {
				held[u.Key] = true
			}
		}
		wanted := map[string]bool{}
		for _, u := range ch.After.UniqueKeys() {
			wanted[u.Key] = true
			if held[u.Key] {
				continue
			}
			av, err := attributevalue.MarshalMap(guardItem{PK: guardKey(u.Key), SK: skGuard, Owner: owner})
			if err != nil {
				return err
			}
			add(types.TransactWriteItem{Put: &types.Put{
				TableName:                 &st.Views,
				Item:                      av,
				ConditionExpression:       aws.String("attribute_not_exists(pk) OR #o = :o"),
				ExpressionAttributeNames:  map[string]string{"#o": "owner"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":o": s(owner)},
			}}, action{kind: "guard", key: u.Key, ref: ref})
		}
		for k := range held {
			if wanted[k] {
				continue
			}
			add(types.TransactWriteItem{Delete: &types.Delete{
				TableName:                 &st.Views,
				Key:                       key(guardKey(k), skGuard),
				ConditionExpression:       aws.String("attribute_not_exists(pk) OR #o = :o"),
				ExpressionAttributeNames:  map[string]string{"#o": "owner"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":o": s(owner)},
			}}, action{kind: "release", key: k, ref: ref})
		}
	}
	folded := map[domain.Ref]*domain.Check{}
	for _, chk := range c.Checks {
		if _, ok := byParent[chk.Ref]; ok && !changed[chk.Ref] {
			if prev := folded[chk.Ref]; prev != nil && prev.Version > 0 && chk.Version > 0 && prev.Version != chk.Version {
				// Two checks at different versions can never both hold.
				return &domain.CheckFailed{Ref: chk.Ref}
			}
			if prev := folded[chk.Ref]; prev == nil || chk.Version > 0 {
				folded[chk.Ref] = &chk
			}
			continue
		}
		cond := "attribute_exists(pk) AND #d = :f"
		vals := map[string]types.AttributeValue{":f": &types.AttributeValueMemberBOOL{Value: false}}
		names := map[string]string{"#d": "deleted"}
		if chk.Version > 0 {
			cond += " AND #v = :v"
			names["#v"] = "version"
			vals[":v"] = n(chk.Version)
		}
		add(types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName:                 &st.Views,
			Key:                       key(chk.Ref.Stream(), skState),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: vals,
		}}, action{kind: "check", ref: chk.Ref})
	}
	swept, err := domain.SweptCounts(c, byParent, changed)
	if err != nil {
		return err
	}
	for _, d := range deltas {
		if changed[d.Parent] {
			continue
		}
		if p, ok := swept[d.Parent]; ok {
			w, err := st.sweptWrite(d, p)
			if err != nil {
				return err
			}
			add(w, action{kind: "swept", ref: d.Parent})
			continue
		}
		kind := "count"
		if !d.Adds && folded[d.Parent] == nil {
			// Only children taken off: a parent deleted meanwhile is a
			// race to retry, not a missing parent (see explain).
			kind = "uncount"
		}
		add(st.countWrite(d, folded[d.Parent]), action{kind: kind, ref: d.Parent})
	}
	if c.Idem != nil {
		av, err := attributevalue.MarshalMap(idemItem{
			PK: idemKey(c.Idem.Key), SK: skIdem, Fingerprint: c.Idem.Fingerprint,
			ResultKind: c.Idem.Result.Kind, ResultID: c.Idem.Result.ID, ResultVer: c.Idem.ResultVersion,
			At: c.Idem.At.UTC().Format(time.RFC3339Nano), ExpiresAt: c.Idem.At.Add(domain.IdempotencyTTL).Unix(),
		})
		if err != nil {
			return err
		}
		// A record past its expiry is gone (see Idempotency) even while
		// DynamoDB's lazy TTL sweep has not deleted it yet: overwrite it.
		// "Past" is judged at the new record's At, the service's clock.
		add(types.TransactWriteItem{Put: &types.Put{
			TableName:                 &st.Views,
			Item:                      av,
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR #x < :now"),
			ExpressionAttributeNames:  map[string]string{"#x": "expiresAt"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(c.Idem.At.Unix())},
		}}, action{kind: "idem", key: c.Idem.Key})
	}
	if len(tx) == 0 {
		return nil
	}
	if len(tx) > domain.MaxCommitItems {
		return domain.E(domain.KindConflict, domain.CodeHasDependents, "", "This change touches too many resources at once; remove dependent resources first.")
	}
	_, err = st.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return storeErr(err)
	}
	return explain(tce, acts, c)
}

// stateWrite writes a change's state item, conditional on the version the
// change was made from. d is the commit's count for this aggregate when it
// is a parent (zero otherwise).
//
// The child count sits on the same item, so a write must not lose it:
//   - a new stream is a Put that starts the count (at the children this
//     very commit creates under it);
//   - a delete is a Put too, because its count is known: a parent goes
//     only with all its children, so the count it had must equal the
//     children this commit deletes, and it ends at zero. A Put also drops
//     the collection attributes of the tombstone from the indexes (minidyn
//     does not unindex attributes an Update removes);
//   - any other change is an Update that sets the state's attributes and
//     leaves the count alone, so that editing a parent neither loses nor
//     conflicts with children counted meanwhile.
func (st *Store) stateWrite(ch domain.Change, d domain.ChildDelta) (types.TransactWriteItem, error) {
	ref := ch.After.Ref()
	if d.Adds && ch.After.Deleted() {
		// A child brought to life under a parent this commit deletes.
		return types.TransactWriteItem{}, &domain.CheckFailed{Ref: ref}
	}
	_, parent := ch.After.(domain.Parent)
	if d.Delta != 0 && !parent {
		return types.TransactWriteItem{}, fmt.Errorf("commit: %s counts children but is no parent", ref.Stream())
	}
	item, err := toStateItem(ch.After)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	names := map[string]string{}
	vals := map[string]types.AttributeValue{}
	var cond string
	deleting := ch.Before != nil && !ch.Before.Deleted() && ch.After.Deleted()
	switch {
	case ch.Before == nil:
		if parent {
			if d.Delta < 0 {
				return types.TransactWriteItem{}, fmt.Errorf("commit: %s is new but loses children", ref.Stream())
			}
			// Every parent item holds its count from the start, as a
			// rebuild writes it: live and rebuilt items stay equal.
			item.Children = &d.Delta
		}
		cond = "attribute_not_exists(pk)"
	case deleting:
		names["#version"], vals[":expect"] = "version", n(ch.Before.Version())
		cond = "#version = :expect"
		switch {
		case parent && ch.Sweep:
			// The children left are swept later: the count the command
			// loaded must still hold (no child came in since), what this
			// commit does not delete stays counted, and the item joins
			// the sparse partition Sweeps reads.
			had := ch.Before.(domain.Parent).Children()
			names["#children"], vals[":had"] = "children", n(had)
			cond += " AND #children = :had"
			left := had + d.Delta
			item.Children = &left
			item.markSweep()
		case parent:
			// A child created after the command listed the children
			// fails this, and the command retries with a fresh listing.
			names["#children"], vals[":had"] = "children", n(-d.Delta)
			cond += " AND #children = :had"
			zero := int64(0)
			item.Children = &zero
		}
	}
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	if ch.Before == nil || deleting {
		return types.TransactWriteItem{Put: &types.Put{
			TableName:                 &st.Views,
			Item:                      av,
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  nilIfEmpty(names),
			ExpressionAttributeValues: nilIfEmpty(vals),
		}}, nil
	}
	names["#version"], vals[":expect"] = "version", n(ch.Before.Version())
	attrs := make([]string, 0, len(av))
	for a := range av {
		if a != "pk" && a != "sk" {
			attrs = append(attrs, a)
		}
	}
	slices.Sort(attrs)
	sets := make([]string, len(attrs))
	for i, a := range attrs {
		names["#"+a], vals[":"+a] = a, av[a]
		sets[i] = "#" + a + " = :" + a
	}
	expr := "SET " + strings.Join(sets, ", ")
	var removes []string
	for _, a := range []string{"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"} {
		if _, ok := av[a]; !ok {
			// Not reached by today's aggregates: only a delete leaves
			// a collection, and a delete is a Put.
			names["#"+a] = a
			removes = append(removes, "#"+a)
		}
	}
	if len(removes) > 0 {
		expr += " REMOVE " + strings.Join(removes, ", ")
	}
	if d.Delta != 0 {
		names["#children"], vals[":delta"] = "children", n(d.Delta)
		expr += " ADD #children :delta"
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 &st.Views,
		Key:                       key(ref.Stream(), skState),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("#version = :expect"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals,
	}}, nil
}

// countWrite changes the child count of a parent the commit does not
// otherwise change; the parent must exist (never create an item out of a
// count) and be live. chk, when not nil, is a Check of the same parent
// folded in.
func (st *Store) countWrite(d domain.ChildDelta, chk *domain.Check) types.TransactWriteItem {
	names := map[string]string{}
	vals := map[string]types.AttributeValue{}
	// Every count needs its parent live: a deleted parent's count moves
	// only through sweptWrite, so that it never drains without leaving
	// the sweeps partition.
	names["#deleted"], vals[":no"] = "deleted", &types.AttributeValueMemberBOOL{Value: false}
	cond := "attribute_exists(pk) AND #deleted = :no"
	if chk != nil && chk.Version > 0 {
		names["#version"], vals[":expect"] = "version", n(chk.Version)
		cond += " AND #version = :expect"
	}
	k := key(d.Parent.Stream(), skState)
	if d.Delta == 0 {
		// Children added and taken in one commit: only the condition.
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &st.Views, Key: k, ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: nilIfEmpty(names), ExpressionAttributeValues: nilIfEmpty(vals),
		}}
	}
	names["#children"], vals[":delta"] = "children", n(d.Delta)
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &st.Views, Key: k, UpdateExpression: aws.String("ADD #children :delta"),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
	}}
}

// sweptWrite takes a sweep batch's children off a deleted parent's
// count, on the condition that the count and version are what the
// sweeper loaded (another sweep of the same children makes this one
// retry). It rewrites the tombstone whole (a Put, as for a delete): the
// batch that drains the count takes the item out of the sweeps
// partition, and minidyn unindexes only what a Put drops.
func (st *Store) sweptWrite(d domain.ChildDelta, p domain.Parent) (types.TransactWriteItem, error) {
	item, err := toStateItem(p)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	left := p.Children() + d.Delta
	item.Children = &left
	if left > 0 {
		item.markSweep()
	}
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &st.Views, Item: av,
		ConditionExpression:      aws.String("#deleted = :yes AND #version = :v AND #children = :had"),
		ExpressionAttributeNames: map[string]string{"#deleted": "deleted", "#version": "version", "#children": "children"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":yes": &types.AttributeValueMemberBOOL{Value: true}, ":v": n(p.Version()), ":had": n(p.Children()),
		},
	}}, nil
}

// Sweeps implements domain.Store: a query of the sparse partition of the
// first collection index that holds deleted parents with children left.
// Index reads are eventually consistent, hence the domain's reload.
func (st *Store) Sweeps(ctx context.Context, limit int) ([]domain.Ref, error) {
	q := dynamodb.QueryInput{
		TableName:                 &st.Views,
		IndexName:                 aws.String("gsi1"),
		KeyConditionExpression:    aws.String("#p = :c"),
		ExpressionAttributeNames:  map[string]string{"#p": "gsi1pk"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": s(sweepsPartition)},
		ProjectionExpression:      aws.String("pk"),
		Limit:                     aws.Int32(int32(limit)),
	}
	res, err := st.DB.Query(ctx, &q)
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]domain.Ref, 0, len(res.Items))
	for _, it := range res.Items {
		pk, ok := it["pk"].(*types.AttributeValueMemberS)
		if !ok {
			continue
		}
		ref, err := domain.ParseStream(pk.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, nil
}

// nilIfEmpty: DynamoDB refuses empty expression maps; absent is fine.
func nilIfEmpty[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

// explain turns a cancelled transaction into the domain error of its
// first failed condition.
func explain(tce *types.TransactionCanceledException, acts []action, c domain.Commit) error {
	conflict := false
	for i, r := range tce.CancellationReasons {
		code := aws.ToString(r.Code)
		if i >= len(acts) || code == "" || code == "None" {
			continue
		}
		if code != "ConditionalCheckFailed" {
			// TransactionConflict, ThrottlingError, ...: transient.
			conflict = conflict || code == "TransactionConflict"
			continue
		}
		switch a := acts[i]; a.kind {
		case "guard":
			return &domain.UniqueViolation{Key: a.key}
		case "check", "count":
			// A count's condition is that its parent exists and is not
			// deleted: when a child is added or a check folded in, the
			// parent is gone. (Otherwise the action is an "uncount": a
			// parent deleted since the command loaded it, a conflict.)
			return &domain.CheckFailed{Ref: a.ref}
		case "idem":
			return &domain.IdempotencyReplay{Record: *c.Idem}
		default:
			return domain.ErrVersionConflict
		}
	}
	if conflict {
		return domain.ErrVersionConflict
	}
	return domain.ErrUnavailable
}

// storeErr maps SDK errors: anything from DynamoDB or the network is
// "unavailable" (retryable, 503); the cause stays wrapped for logs.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient {
		switch ae.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded":
		default:
			// A client fault is our bug (bad expression, missing table):
			// internal, not retryable.
			return &domain.Error{Kind: domain.KindInternal, Code: domain.CodeInternal, Message: "Internal error.", Err: err}
		}
	}
	return &domain.Error{Kind: domain.KindUnavailable, Code: domain.CodeStoreUnavailable, Message: domain.ErrUnavailable.Message, Err: err}
}
