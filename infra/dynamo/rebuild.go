package dynamo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// ReadEvents scans the whole event table and returns every stream's
// envelopes in version order, keyed by stream id.
func (st *Store) ReadEvents(ctx context.Context) (map[string][]events.Envelope, error) {
	items, err := st.readEventItems(ctx)
	if err != nil {
		return nil, err
	}
	return envelopes(items)
}

// readEventItems scans the whole event table, in no order.
func (st *Store) readEventItems(ctx context.Context) ([]eventItem, error) {
	var out []eventItem
	in := &dynamodb.ScanInput{TableName: &st.Events, ConsistentRead: aws.Bool(true)}
	for {
		res, err := st.DB.Scan(ctx, in)
		if err != nil {
			return nil, storeErr(err)
		}
		for _, item := range res.Items {
			var it eventItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, err
			}
			out = append(out, it)
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// envelopes groups event items by stream, in version order.
func envelopes(items []eventItem) (map[string][]events.Envelope, error) {
	streams := map[string][]events.Envelope{}
	for _, it := range items {
		env, err := it.envelope()
		if err != nil {
			return nil, err
		}
		streams[env.Stream] = append(streams[env.Stream], env)
	}
	for _, envs := range streams {
		sort.Slice(envs, func(i, j int) bool { return envs[i].Version < envs[j].Version })
	}
	return streams, nil
}

// backfillEvents rewrites the events whose log index attributes (tenant,
// logsk) are missing or wrong: every event written before the index
// existed, and those the local journal loads. The tenant is the stream's
// projected state's, as Commit takes it from the committed state. Each
// put rewrites the same event with the two attributes added, which is
// safe only with writers stopped, as Rebuild is run. It returns how many
// events it rewrote.
func (st *Store) backfillEvents(ctx context.Context, items []eventItem, projected []map[string]types.AttributeValue) (int, error) {
	tenants := map[string]string{}
	for _, it := range projected {
		pk, _ := it["pk"].(*types.AttributeValueMemberS)
		sk, _ := it["sk"].(*types.AttributeValueMemberS)
		tenant, _ := it["tenant"].(*types.AttributeValueMemberS)
		if pk != nil && sk != nil && sk.Value == skState && tenant != nil {
			tenants[pk.Value] = tenant.Value
		}
	}
	var puts []types.WriteRequest
	for _, it := range items {
		env, err := it.envelope()
		if err != nil {
			return 0, err
		}
		want := toEventItem(env, tenants[it.Stream])
		want.At = it.At // keep the stored text exactly
		if want.Tenant == it.Tenant && want.LogSK == it.LogSK {
			continue
		}
		av, err := attributevalue.MarshalMap(want)
		if err != nil {
			return 0, err
		}
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	if err := st.BatchWrite(ctx, st.Events, puts); err != nil {
		return 0, err
	}
	return len(puts), nil
}

// Project computes the read-model items for a set of streams: one state
// item per stream plus its guards, and on each parent's item its count of
// live children. Commit writes the same items incrementally; Rebuild
// writes them from scratch.
func Project(streams map[string][]events.Envelope) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	ids := make([]string, 0, len(streams))
	for id := range streams {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	states := make([]domain.State, len(ids))
	for i, id := range ids {
		state, err := domain.Fold(streams[id])
		if err != nil {
			return nil, err
		}
		states[i] = state
	}
	// A count is over the children's final states, so every stream is
	// folded before any parent's item is made.
	counts := domain.ChildCounts(states)
	for _, state := range states {
		item, err := toStateItem(state)
		if err != nil {
			return nil, err
		}
		if _, ok := state.(domain.Parent); ok {
			c := counts[state.Ref()]
			item.Children = &c
			if c > 0 && state.Deleted() {
				// Deleted with children still to sweep, as Commit
				// leaves it until the last batch.
				item.markSweep()
			}
		}
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			return nil, err
		}
		out = append(out, av)
		for _, u := range state.UniqueKeys() {
			g, err := attributevalue.MarshalMap(guardItem{PK: guardKey(u.Key), SK: skGuard, Owner: state.Ref().Stream()})
			if err != nil {
				return nil, err
			}
			out = append(out, g)
		}
	}
	return out, nil
}

// RebuildStats reports what a rebuild did.
type RebuildStats struct {
	Streams int
	Events  int
	Items   int
	Deleted int
	// Backfilled counts events given their log index attributes.
	Backfilled int
	Duration   time.Duration
}

// Rebuild replays the event table into the views table, and first gives
// every event its log index attributes (backfillEvents): it deletes every
// state and guard item (idempotency records, brute-force limits and the
// published JWKS are kept: they are not derived from events) and writes
// the projection of the log. Run it with writers stopped: it is a repair
// and migration tool, not an online one.
func (st *Store) Rebuild(ctx context.Context) (RebuildStats, error) {
	start := time.Now()
	var stats RebuildStats
	evItems, err := st.readEventItems(ctx)
	if err != nil {
		return stats, err
	}
	streams, err := envelopes(evItems)
	if err != nil {
		return stats, err
	}
	stats.Streams = len(streams)
	for _, envs := range streams {
		stats.Events += len(envs)
	}
	items, err := Project(streams)
	if err != nil {
		return stats, err
	}
	// Events deployed before the log index lack its attributes; this is
	// how scripts/rebuild (and the local journal's Load) puts them in it.
	if stats.Backfilled, err = st.backfillEvents(ctx, evItems, items); err != nil {
		return stats, err
	}
	old, err := st.ScanViews(ctx)
	if err != nil {
		return stats, err
	}
	var deletes []types.WriteRequest
	for _, it := range old {
		pk := it["pk"].(*types.AttributeValueMemberS).Value
		if strings.HasPrefix(pk, "idem#") || strings.HasPrefix(pk, "limit#") || strings.HasPrefix(pk, pkUsagePrefix) || pk == PKJWKS {
			continue
		}
		deletes = append(deletes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]}}})
	}
	if err := st.BatchWrite(ctx, st.Views, deletes); err != nil {
		return stats, err
	}
	stats.Deleted = len(deletes)
	puts := make([]types.WriteRequest, len(items))
	for i, it := range items {
		puts[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	}
	if err := st.BatchWrite(ctx, st.Views, puts); err != nil {
		return stats, err
	}
	stats.Items = len(items)
	stats.Duration = time.Since(start)
	return stats, nil
}

// ScanViews returns every item of the views table.
func (st *Store) ScanViews(ctx context.Context) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	in := &dynamodb.ScanInput{TableName: &st.Views, ConsistentRead: aws.Bool(true)}
	for {
		res, err := st.DB.Scan(ctx, in)
		if err != nil {
			return nil, storeErr(err)
		}
		out = append(out, res.Items...)
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// BatchWrite writes requests to a table 25 at a time, retrying
// unprocessed items with backoff. It is for bulk tools (rebuild, the local
// journal), never for commands: it is not atomic.
func (st *Store) BatchWrite(ctx context.Context, table string, reqs []types.WriteRequest) error {
	for len(reqs) > 0 {
		batch := reqs[:min(25, len(reqs))]
		reqs = reqs[len(batch):]
		pending := map[string][]types.WriteRequest{table: batch}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 8 {
				return fmt.Errorf("batch write: items still unprocessed: %w", domain.ErrUnavailable)
			}
			if attempt > 0 {
				time.Sleep(time.Duration(attempt*attempt) * 10 * time.Millisecond)
			}
			res, err := st.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return storeErr(err)
			}
			pending = res.UnprocessedItems
		}
	}
	return nil
}
