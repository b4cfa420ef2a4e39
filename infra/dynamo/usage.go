package dynamo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
)

// Usage items live in the views table beside the read models, under a
// pk prefix a rebuild leaves alone (they are not derived from events):
//
//	usage#<keyId>  hour#<2006-01-02T15>  succeeded, failed (ADD counters),
//	                                     tenant, expiresAt (TTL)
//	usage#<keyId>  last                  lastUsedAt (Unix ns), tenant
//
// The hour's sort key is fixed width (UTC, to the hour), so a key's hours
// sort in time order and a range is one Query with BETWEEN; "last" sorts
// after every "hour#", outside any such range.
const (
	pkUsagePrefix = "usage#"
	skUsageHour   = "hour#"
	skUsageLast   = "last"
	usageHourFmt  = "2006-01-02T15"
)

func usageKey(keyID string) string { return pkUsagePrefix + keyID }

func usageHourSK(h time.Time) string { return skUsageHour + h.UTC().Format(usageHourFmt) }

var _ domain.UsageStore = (*Store)(nil)

// AddUsage implements domain.UsageStore. Counters are ADD updates,
// atomic on the server, so concurrent flushes of one key all count and
// nothing is read first.
//
// A delta batch touching one hour item (a flush of one key within an
// hour: nearly every flush) is one UpdateItem, which never conflicts with
// other writers of the item. A batch touching several goes in
// TransactWriteItems of at most 100 updates, all or nothing, so the
// caller's retry after an error cannot count a delta twice; the SDK gives
// each call a ClientRequestToken it reuses on its own retries. Such a
// transaction is cancelled when another writer touches one of its items at
// the same moment (TransactionConflict): that answers ErrUnavailable, and
// the caller keeps the deltas for its next flush. (Only a batch of more
// than 100 hour items, or a lost UpdateItem response the SDK then
// retries, can count twice.)
//
// Last-used times are raised first, with conditional UpdateItems
// (attribute_not_exists(lastUsedAt) OR lastUsedAt < :t): they are
// idempotent, so when the counters then fail, the caller's retry raises
// them again harmlessly; and the counters, written last, are the only
// write whose success ends the call. A failed condition means a later use
// is recorded already, not an error.
//
// Hour items expire by the table's TTL (expiresAt, epoch seconds) at
// Hour + domain.UsageRetention. DynamoDB deletes them lazily, which only
// matters for ranges reaching back past the retention.
func (st *Store) AddUsage(ctx context.Context, deltas []domain.UsageDelta) error {
	// One conditional update per key, with the latest time of the batch.
	latest := map[string]domain.UsageDelta{}
	var order []string
	for _, d := range deltas {
		if d.LastUsed.IsZero() {
			continue
		}
		cur, ok := latest[d.KeyID]
		if !ok {
			order = append(order, d.KeyID)
		}
		if !ok || d.LastUsed.After(cur.LastUsed) {
			latest[d.KeyID] = d
		}
	}
	for _, id := range order {
		d := latest[id]
		_, err := st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                &st.Views,
			Key:                      key(usageKey(id), skUsageLast),
			UpdateExpression:         aws.String("SET #l = :l, #t = :t"),
			ConditionExpression:      aws.String("attribute_not_exists(#l) OR #l < :l"),
			ExpressionAttributeNames: map[string]string{"#l": "lastUsedAt", "#t": "tenant"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":l": n(d.LastUsed.UnixNano()), ":t": s(d.Tenant),
			},
		})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			continue // a later use is recorded already: nothing to raise
		}
		if err != nil {
			return storeErr(err)
		}
	}
	// Then the counters, one update per hour item: a transaction may not
	// touch an item twice, and one ADD of the sum is cheaper anyway.
	type cell struct {
		tenant string
		s, f   int64
	}
	sums := map[[2]string]*cell{}
	var cells [][2]string
	for _, d := range deltas {
		if d.Succeeded == 0 && d.Failed == 0 {
			continue
		}
		k := [2]string{d.KeyID, usageHourSK(d.Hour.UTC().Truncate(time.Hour))}
		c := sums[k]
		if c == nil {
			c = &cell{tenant: d.Tenant}
			sums[k] = c
			cells = append(cells, k)
		}
		c.s += d.Succeeded
		c.f += d.Failed
	}
	var updates []types.TransactWriteItem
	for _, k := range cells {
		c := sums[k]
		hour, err := time.Parse(usageHourFmt, k[1][len(skUsageHour):])
		if err != nil {
			return err
		}
		updates = append(updates, types.TransactWriteItem{Update: &types.Update{
			TableName:                &st.Views,
			Key:                      key(usageKey(k[0]), k[1]),
			UpdateExpression:         aws.String("ADD #s :s, #f :f SET #t = :t, #x = :x"),
			ExpressionAttributeNames: map[string]string{"#s": "succeeded", "#f": "failed", "#t": "tenant", "#x": "expiresAt"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":s": n(c.s), ":f": n(c.f), ":t": s(c.tenant),
				":x": n(hour.Add(domain.UsageRetention).Unix()),
			},
		}})
	}
	switch {
	case len(updates) == 1:
		u := updates[0].Update
		_, err := st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
			ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
		})
		if err != nil {
			return storeErr(err)
		}
	default:
		for len(updates) > 0 {
			chunk := updates[:min(domain.MaxCommitItems, len(updates))]
			updates = updates[len(chunk):]
			if _, err := st.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: chunk}); err != nil {
				return usageErr(err)
			}
		}
	}
	return nil
}

// usageErr maps a failed counter transaction: a cancellation (contention
// on one hour item between concurrent flushes) is retryable like any
// other unavailability, never a conflict the caller could act on.
func usageErr(err error) error {
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) {
		return &domain.Error{Kind: domain.KindUnavailable, Code: domain.CodeStoreUnavailable, Message: domain.ErrUnavailable.Message, Err: err}
	}
	return storeErr(err)
}

// Usage implements domain.UsageStore with one strongly consistent Query of
// the key's hours between the first hour at or after from and the last
// hour before to.
func (st *Store) Usage(ctx context.Context, keyID string, from, to time.Time) ([]domain.UsageHour, error) {
	first := from.UTC().Truncate(time.Hour)
	if first.Before(from) {
		first = first.Add(time.Hour)
	}
	last := to.Add(-time.Nanosecond).UTC().Truncate(time.Hour)
	if !to.After(from) || last.Before(first) {
		return nil, nil // DynamoDB refuses a BETWEEN whose bounds are reversed
	}
	in := &dynamodb.QueryInput{
		TableName:              &st.Views,
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(usageKey(keyID)), ":lo": s(usageHourSK(first)), ":hi": s(usageHourSK(last)),
		},
		ConsistentRead: aws.Bool(true),
	}
	var out []domain.UsageHour
	for {
		res, err := st.DB.Query(ctx, in)
		if err != nil {
			return nil, storeErr(err)
		}
		for _, it := range res.Items {
			h, err := decodeUsageHour(it)
			if err != nil {
				return nil, err
			}
			if h.Succeeded != 0 || h.Failed != 0 {
				out = append(out, h)
			}
		}
		if res.LastEvaluatedKey == nil {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func decodeUsageHour(it map[string]types.AttributeValue) (domain.UsageHour, error) {
	var h domain.UsageHour
	sk, _ := it["sk"].(*types.AttributeValueMemberS)
	if sk == nil || len(sk.Value) <= len(skUsageHour) {
		return h, errors.New("dynamo: usage item without an hour")
	}
	hour, err := time.Parse(usageHourFmt, sk.Value[len(skUsageHour):])
	if err != nil {
		return h, err
	}
	h.Hour = hour.UTC()
	if h.Succeeded, err = numAttr(it, "succeeded"); err != nil {
		return h, err
	}
	h.Failed, err = numAttr(it, "failed")
	return h, err
}

// numAttr reads an integer attribute; a missing one is 0.
func numAttr(it map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := it[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v.Value, 10, 64)
}

// LastUsed implements domain.UsageStore with BatchGetItem, 100 keys a
// call, retrying unprocessed keys like LoadMany.
func (st *Store) LastUsed(ctx context.Context, keyIDs []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	pks := make([]string, len(keyIDs))
	for i, id := range keyIDs {
		pks[i] = usageKey(id)
	}
	err := st.batchGetViews(ctx, pks, skUsageLast, func(it map[string]types.AttributeValue) error {
		pk, _ := it["pk"].(*types.AttributeValueMemberS)
		ns, err := numAttr(it, "lastUsedAt")
		if err != nil || pk == nil {
			return errors.Join(err, errors.New("dynamo: malformed last-used item"))
		}
		if _, ok := it["lastUsedAt"]; ok {
			out[pk.Value[len(pkUsagePrefix):]] = time.Unix(0, ns).UTC()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
