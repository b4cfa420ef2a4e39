package dynamo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/logpos"
)

const (
	skState = "state"
	skGuard = "guard"
	skIdem  = "idem"
)

// eventItem is the stored form of an envelope. Tenant and LogSK key the
// events table's "log" index (a tenant's log, newest first); they are
// omitted when empty because an index key may not be an empty string, and
// an item without them is simply not in the index (events written before
// the index existed, until a rebuild fills them: see Rebuild).
type eventItem struct {
	Stream  string      `dynamodbav:"stream"`
	Version int64       `dynamodbav:"version"`
	Type    string      `dynamodbav:"type"`
	At      string      `dynamodbav:"at"`
	Data    string      `dynamodbav:"data"`
	Meta    events.Meta `dynamodbav:"meta"`
	Tenant  string      `dynamodbav:"tenant,omitempty"`
	LogSK   string      `dynamodbav:"logsk,omitempty"`
}

// logIndex is the events table's index of each tenant's log.
const logIndex = "log"

// logSK is an event's sort key in the log index: its fixed-width time
// key, then stream and zero-padded version, so that text order is the
// order Events lists (At, then stream, then version) and every key is
// unique. Stream ids are "kind#id" of letters and digits, all above '#',
// so the separator never reorders two streams.
func logSK(atKey, stream string, version int64) string {
	return fmt.Sprintf("%s#%s#%019d", atKey, stream, version)
}

// toEventItem stores env as an event of tenant's: the tenant of the
// aggregate the committed state names, never env.Meta's (sweeps leave
// Meta empty).
func toEventItem(env events.Envelope, tenant string) eventItem {
	return eventItem{Stream: env.Stream, Version: env.Version, Type: env.Type, At: env.At.UTC().Format(time.RFC3339Nano), Data: string(env.Data), Meta: env.Meta,
		Tenant: tenant, LogSK: logSK(logpos.AtKey(env.At), env.Stream, env.Version)}
}

func (e eventItem) envelope() (events.Envelope, error) {
	at, err := time.Parse(time.RFC3339Nano, e.At)
	if err != nil {
		return events.Envelope{}, fmt.Errorf("event %s v%d: bad time: %w", e.Stream, e.Version, err)
	}
	return events.Envelope{Stream: e.Stream, Version: e.Version, Type: e.Type, At: at, Data: json.RawMessage(e.Data), Meta: e.Meta}, nil
}

// stateItem is the stored form of an aggregate state: the read model.
// Data is the state's JSON, so the read model keeps every value exactly
// (customData numbers included); the top-level attributes exist for
// conditions and indexes.
type stateItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Kind    string `dynamodbav:"kind"`
	Tenant  string `dynamodbav:"tenant"`
	Version int64  `dynamodbav:"version"`
	Deleted bool   `dynamodbav:"deleted"`
	Data    string `dynamodbav:"data"`
	GSI1PK  string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK  string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK  string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK  string `dynamodbav:"gsi2sk,omitempty"`
	// Children is a domain.Parent's child count. It sits beside Data,
	// not in it, so that commits change it with an atomic ADD without
	// rewriting (or conflicting on) the state; only parents have it.
	Children *int64 `dynamodbav:"children,omitempty"`
}

// sweepsPartition is the first collection index's partition that lists
// deleted parents with children left (Store.Sweeps). A tombstone is in no
// collection, so the slot is free; collection names hold a "/" and this
// does not, so it is no collection's.
const sweepsPartition = "#sweeps"

// markSweep puts a tombstone whose children are still being swept into
// the sweeps partition.
func (it *stateItem) markSweep() { it.GSI1PK, it.GSI1SK = sweepsPartition, it.PK }

// setChildren hands a parent its stored child count.
func (it stateItem) setChildren(st domain.State) {
	if p, ok := st.(domain.Parent); ok && it.Children != nil {
		p.SetChildren(*it.Children)
	}
}

func toStateItem(st domain.State) (stateItem, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return stateItem{}, err
	}
	it := stateItem{PK: st.Ref().Stream(), SK: skState, Kind: st.Ref().Kind, Tenant: st.TenantID(), Version: st.Version(), Deleted: st.Deleted(), Data: string(data)}
	colls := st.Collections()
	if len(colls) > 0 {
		it.GSI1PK, it.GSI1SK = colls[0], st.SortKey()
	}
	if len(colls) > 1 {
		it.GSI2PK, it.GSI2SK = colls[1], st.SortKey()
	}
	return it, nil
}

func decodeState(item map[string]types.AttributeValue) (domain.State, error) {
	var it stateItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, err
	}
	st, err := domain.NewState(it.Kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(it.Data), st); err != nil {
		return nil, fmt.Errorf("decode %s: %w", it.PK, err)
	}
	it.setChildren(st)
	return st, nil
}

type guardItem struct {
	PK    string `dynamodbav:"pk"`
	SK    string `dynamodbav:"sk"`
	Owner string `dynamodbav:"owner"`
}

func guardKey(key string) string { return "unique#" + key }

type idemItem struct {
	PK          string `dynamodbav:"pk"`
	SK          string `dynamodbav:"sk"`
	Fingerprint string `dynamodbav:"fingerprint"`
	ResultKind  string `dynamodbav:"resultKind"`
	ResultID    string `dynamodbav:"resultId"`
	ResultVer   int64  `dynamodbav:"resultVersion"`
	At          string `dynamodbav:"at"`
	ExpiresAt   int64  `dynamodbav:"expiresAt"`
}

func idemKey(key string) string { return "idem#" + key }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// EventItem returns the stored form of an envelope, for tools that load
// events in bulk (the local journal). It has no tenant (only the folded
// state knows it): such a loader runs Rebuild afterwards, which fills it.
func EventItem(env events.Envelope) any { return toEventItem(env, "") }
