package dynamo

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/logpos"
)

// EventLog reads a Store's event log back (domain.EventLog). It is a
// type of its own because Store's field Events (the table name) takes
// the name of the port's method.
type EventLog struct{ st *Store }

var _ domain.EventLog = EventLog{}

// EventLog returns the store's event log reader.
func (st *Store) EventLog() EventLog { return EventLog{st} }

// Variables, not constants, only so that a test can shrink them to
// reach the budget with a few events.
var (
	// eventReadBudget bounds the Query requests one Events call makes.
	// Types and Actor are judged on the items read, so a rare match
	// could otherwise read a tenant's whole log in one call; at the
	// budget the call returns what it found, possibly nothing, with a
	// Next that resumes.
	eventReadBudget = 4
	// eventReadPage is the Limit of a filtered Query: items read, not
	// kept. Unfiltered queries read just the events the page lacks.
	eventReadPage = 100
)

// Stream implements domain.EventLog: a consistent Query of the table key,
// in version order, through every page.
func (l EventLog) Stream(ctx context.Context, stream string) ([]events.Envelope, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &l.st.Events,
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "stream"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": s(stream)},
	}
	var out []events.Envelope
	for {
		res, err := l.st.DB.Query(ctx, in)
		if err != nil {
			return nil, storeErr(err)
		}
		for _, item := range res.Items {
			env, _, err := decodeEvent(item)
			if err != nil {
				return nil, err
			}
			out = append(out, env)
		}
		if res.LastEvaluatedKey == nil {
			// DynamoDB returns a partition in version order; minidyn
			// orders number keys as text (10 before 2), so order here.
			slices.SortFunc(out, func(a, b events.Envelope) int { return cmp.Compare(a.Version, b.Version) })
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// streamPage is Events for one stream: the whole stream read (one
// aggregate's events: a Query per MB), judged and paged here, newest
// version first. Reading it whole keeps the order right on minidyn too,
// which orders number keys as text, and a key condition on version with
// it.
func (l EventLog) streamPage(ctx context.Context, q domain.EventQuery, after *logpos.Position, keep func(eventItem) bool, limit int) (domain.EventPage, error) {
	if after != nil && after.Stream != q.Stream {
		return domain.EventPage{}, domain.ErrBadCursor
	}
	in := &dynamodb.QueryInput{
		TableName:                 &l.st.Events,
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "stream"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": s(q.Stream)},
	}
	type read struct {
		env events.Envelope
		it  eventItem
	}
	var all []read
	for {
		res, err := l.st.DB.Query(ctx, in)
		if err != nil {
			return domain.EventPage{}, storeErr(err)
		}
		for _, item := range res.Items {
			env, it, err := decodeEvent(item)
			if err != nil {
				return domain.EventPage{}, err
			}
			all = append(all, read{env, it})
		}
		if res.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	slices.SortFunc(all, func(a, b read) int { return cmp.Compare(b.it.Version, a.it.Version) })
	var page domain.EventPage
	for i, r := range all {
		if after != nil && r.it.Version >= after.Version {
			continue
		}
		if !keep(r.it) {
			continue
		}
		page.Events = append(page.Events, r.env)
		if len(page.Events) == limit {
			if i < len(all)-1 {
				page.Next = itemPosition(q.Tenant, r.it).Encode()
			}
			break
		}
	}
	return page, nil
}

// Events implements domain.EventLog. A tenant's log is a Query of the log
// index, descending, its time range in the key condition; one stream's is
// a Query of the table key, descending by version (its events' times rise
// with their versions), the tenant judged per item so a stream of another
// tenant reads as empty. Types, Actor (and for a stream the time range)
// are judged here, on the items read, not by a FilterExpression: minidyn,
// which local servers and tests run on, applies a filtered Query's Limit
// before its key condition (it pages through other partitions' keys), and
// DynamoDB bills the items a filter drops all the same, so only the
// transfer differs. Either way a call stops at eventReadBudget requests,
// so a page may be short; its Next then names the last item read, kept or
// not, and the next call goes on from there.
func (l EventLog) Events(ctx context.Context, q domain.EventQuery) (domain.EventPage, error) {
	limit := logpos.Limit(q.Limit)
	var after *logpos.Position
	if q.After != "" {
		p, err := logpos.Decode(q.Tenant, q.After)
		if err != nil {
			return domain.EventPage{}, err
		}
		after = &p
	}
	if q.Tenant == "" {
		return domain.EventPage{}, nil
	}
	// Only registered types are ever stored, so unknown names can go:
	// they match nothing, and a filter of nothing but them is an empty
	// log without a read.
	var known []string
	for _, typ := range q.Types {
		if _, ok := events.New(typ); ok && !slices.Contains(known, typ) {
			known = append(known, typ)
		}
	}
	if len(q.Types) > 0 && len(known) == 0 {
		return domain.EventPage{}, nil
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		// An empty range; BETWEEN would refuse the reversed bounds.
		return domain.EventPage{}, nil
	}
	from, to := "", ""
	if !q.From.IsZero() {
		from = logpos.AtKey(q.From)
	}
	if !q.To.IsZero() {
		// No logsk of a time ≥ To sorts below the bare key of To: one
		// at To is longer with the same prefix, so To stays exclusive.
		to = logpos.AtKey(q.To)
	}
	in := &dynamodb.QueryInput{TableName: &l.st.Events, ScanIndexForward: aws.Bool(false)}
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	// keep judges an item read. On the index, tenant and time are the
	// key condition already and hold for every item.
	keep := func(it eventItem) bool {
		return it.Tenant == q.Tenant && (from == "" || it.LogSK >= from) && (to == "" || it.LogSK < to) &&
			(len(known) == 0 || slices.Contains(known, it.Type)) && (q.Actor == "" || it.Meta.Actor == q.Actor)
	}
	filtered := len(known) > 0 || q.Actor != ""
	partition, value := "tenant", q.Tenant
	if q.Stream != "" {
		return l.streamPage(ctx, q, after, keep, limit)
	}
	in.IndexName = aws.String(logIndex)
	names["#t"] = "tenant"
	values[":t"] = s(q.Tenant)
	key := "#t = :t"
	if from != "" || to != "" {
		names["#l"] = "logsk"
	}
	if from != "" {
		values[":from"] = s(from)
	}
	if to != "" {
		values[":to"] = s(to)
	}
	switch {
	case from != "" && to != "":
		// BETWEEN is inclusive, but no logsk equals the bare key of
		// To (see above), so this is From ≤ At < To.
		key += " AND #l BETWEEN :from AND :to"
	case from != "":
		key += " AND #l >= :from"
	case to != "":
		key += " AND #l < :to"
	}
	in.KeyConditionExpression = aws.String(key)
	if after != nil {
		if after.At == "" {
			return domain.EventPage{}, domain.ErrBadCursor
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			"tenant": s(q.Tenant), "logsk": s(logSK(after.At, after.Stream, after.Version)),
			"stream": s(after.Stream), "version": n(after.Version),
		}
	}
	in.ExpressionAttributeNames = names
	in.ExpressionAttributeValues = values

	var page domain.EventPage
	for req := 0; ; req++ {
		want := limit - len(page.Events)
		if filtered {
			want = max(want, eventReadPage)
		}
		in.Limit = aws.Int32(int32(want))
		res, err := l.st.DB.Query(ctx, in)
		if err != nil {
			return domain.EventPage{}, storeErr(err)
		}
		for i, item := range res.Items {
			env, it, err := decodeEvent(item)
			if err != nil {
				return domain.EventPage{}, err
			}
			if !keep(it) {
				continue
			}
			page.Events = append(page.Events, env)
			if len(page.Events) == limit {
				if i < len(res.Items)-1 || res.LastEvaluatedKey != nil {
					page.Next = itemPosition(q.Tenant, it).Encode()
				}
				return page, nil
			}
		}
		lek := res.LastEvaluatedKey
		if lek == nil || !samePartition(lek, partition, value) {
			return page, nil
		}
		if req+1 == eventReadBudget {
			p, err := keyPosition(q.Tenant, lek)
			if err != nil {
				return domain.EventPage{}, err
			}
			page.Next = p.Encode()
			return page, nil
		}
		in.ExclusiveStartKey = lek
	}
}

// samePartition reports whether a LastEvaluatedKey is in the partition
// queried. DynamoDB's always is; minidyn, resuming a filtered Query,
// hands back keys of other partitions once the queried one is read to
// its end, and following them would skip or leak events. So a key
// elsewhere means the end, which is right for both.
func samePartition(lek map[string]types.AttributeValue, attr, value string) bool {
	v, ok := lek[attr].(*types.AttributeValueMemberS)
	return ok && v.Value == value
}

func decodeEvent(item map[string]types.AttributeValue) (events.Envelope, eventItem, error) {
	var it eventItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return events.Envelope{}, it, err
	}
	env, err := it.envelope()
	return env, it, err
}

// itemPosition is an event's place in its tenant's log. An item read by
// stream may predate the log index (no logsk); that listing resumes by
// version alone.
func itemPosition(tenant string, it eventItem) logpos.Position {
	p := logpos.Position{Tenant: tenant, Stream: it.Stream, Version: it.Version}
	if len(it.LogSK) > logpos.AtLen {
		p.At = it.LogSK[:logpos.AtLen]
	}
	return p
}

// keyPosition is the place of a LastEvaluatedKey: of the log index
// (tenant, logsk, stream, version) or of the table (stream, version).
func keyPosition(tenant string, k map[string]types.AttributeValue) (logpos.Position, error) {
	var it eventItem
	if err := attributevalue.UnmarshalMap(k, &it); err != nil {
		return logpos.Position{}, err
	}
	if it.Stream == "" || it.Version < 1 {
		return logpos.Position{}, fmt.Errorf("events: last evaluated key without stream and version")
	}
	return itemPosition(tenant, it), nil
}
