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

// Limiter defaults: after MaxFailures failed client authentications for one
// key id within Window, the key id is locked for Lockout.
const (
	DefaultMaxFailures = 5
	DefaultWindow      = 15 * time.Minute
	DefaultLockout     = 15 * time.Minute
)

const skLimit = "limit"

// Limiter implements domain.Limiter on the views table. Each key id that
// failed recently has one item, pk "limit#<keyId>", sk "limit":
//
//	fails        failures counted in the current window (ADDed atomically)
//	windowStart  when the window began (unix ms)
//	lockedUntil  end of the lock (unix ms), set once fails reaches the maximum
//	expiresAt    TTL (unix s): DynamoDB deletes the item after window and lock
//
// Counting is atomic under concurrency: the count is an UpdateItem ADD
// conditioned on the window still being open, and a window is restarted
// only by an UpdateItem conditioned on it having closed. A lock is set by
// the request whose ADD reached the maximum, conditioned on no lock being
// in force, so concurrent failures never extend it. A successful
// authentication does not reset the count: the domain's port has no such
// call, and 5 failures in 15 minutes is not a legitimate client's pattern.
//
// The items are ephemeral security state, not projections of events; a
// views rebuild keeps them (see Rebuild) so it cannot lift a lock early.
type Limiter struct {
	DB    *dynamodb.Client
	Table string
	// Clock is the service's clock (required): lock and window ends are
	// compared against it, never against the wall clock.
	Clock domain.Clock
	// Zero values mean the defaults above.
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
}

var _ domain.Limiter = (*Limiter)(nil)

// NewLimiter returns a limiter with the defaults on the store's views
// table, reading clock.
func NewLimiter(st *Store, clock domain.Clock) *Limiter {
	if clock == nil {
		panic("dynamo: NewLimiter needs a clock")
	}
	return &Limiter{DB: st.DB, Table: st.Views, Clock: clock}
}

func (l *Limiter) now() time.Time { return l.Clock.Now() }

func (l *Limiter) params() (int, time.Duration, time.Duration) {
	maxF, win, lock := l.MaxFailures, l.Window, l.Lockout
	if maxF <= 0 {
		maxF = DefaultMaxFailures
	}
	if win <= 0 {
		win = DefaultWindow
	}
	if lock <= 0 {
		lock = DefaultLockout
	}
	return maxF, win, lock
}

func limitKey(id string) map[string]types.AttributeValue { return key("limit#"+id, skLimit) }

// Locked implements domain.Limiter with one strongly consistent GetItem.
func (l *Limiter) Locked(ctx context.Context, id string) (time.Duration, error) {
	out, err := l.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:            &l.Table,
		Key:                  limitKey(id),
		ConsistentRead:       aws.Bool(true),
		ProjectionExpression: aws.String("lockedUntil"),
	})
	if err != nil {
		return 0, storeErr(err)
	}
	until, ok := numAttr(out.Item, "lockedUntil")
	if !ok {
		return 0, nil
	}
	if wait := time.UnixMilli(until).Sub(l.now()); wait > 0 {
		return wait, nil
	}
	return 0, nil
}

// Failed implements domain.Limiter: usually one UpdateItem, two when the
// window restarts or the lock is set.
func (l *Limiter) Failed(ctx context.Context, id string) error {
	maxF, win, lock := l.params()
	now := l.now()
	ms := now.UnixMilli()
	// The item outlives both the window and a lock that might start now.
	exp := now.Add(max(win, lock)).Add(time.Minute).Unix()
	for attempt := 0; attempt < 4; attempt++ {
		// Count in the open window.
		out, err := l.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &l.Table,
			Key:                       limitKey(id),
			UpdateExpression:          aws.String("ADD fails :one SET expiresAt = :exp"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND windowStart > :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":exp": n(exp), ":cutoff": n(now.Add(-win).UnixMilli())},
			ReturnValues:              types.ReturnValueUpdatedNew,
		})
		if err == nil {
			fails, _ := numAttr(out.Attributes, "fails")
			if fails < int64(maxF) {
				return nil
			}
			return l.lock(ctx, id, ms, now.Add(lock).UnixMilli(), exp)
		}
		if !conditionFailed(err) {
			return storeErr(err)
		}
		// No item, or its window has closed: start a new one. An older lock
		// is left as it is (it has ended or is about to).
		_, err = l.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &l.Table,
			Key:                       limitKey(id),
			UpdateExpression:          aws.String("SET fails = :one, windowStart = :now, expiresAt = :exp"),
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR windowStart <= :cutoff"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":now": n(ms), ":exp": n(exp), ":cutoff": n(now.Add(-win).UnixMilli())},
		})
		if err == nil {
			if maxF <= 1 {
				return l.lock(ctx, id, ms, now.Add(lock).UnixMilli(), exp)
			}
			return nil
		}
		if !conditionFailed(err) {
			return storeErr(err)
		}
		// Another request restarted the window in between: count again.
	}
	return domain.ErrUnavailable
}

// lock sets lockedUntil unless a lock is in force already.
func (l *Limiter) lock(ctx context.Context, id string, nowMS, until, exp int64) error {
	_, err := l.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &l.Table,
		Key:                       limitKey(id),
		UpdateExpression:          aws.String("SET lockedUntil = :until, expiresAt = :exp"),
		ConditionExpression:       aws.String("attribute_not_exists(lockedUntil) OR lockedUntil <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":until": n(until), ":exp": n(exp), ":now": n(nowMS)},
	})
	if err != nil && !conditionFailed(err) {
		return storeErr(err)
	}
	return nil
}

func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func numAttr(item map[string]types.AttributeValue, name string) (int64, bool) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(v.Value, 10, 64)
	return i, err == nil
}
