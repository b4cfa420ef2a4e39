package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/infra/dynamo"
)

// canon turns an attribute value into plain data with its type kept, so
// that two items compare exactly (numbers as their decimal strings).
func canon(av types.AttributeValue) any {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": v.Value}
	case *types.AttributeValueMemberM:
		m := map[string]any{}
		for k, x := range v.Value {
			m[k] = canon(x)
		}
		return map[string]any{"M": m}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, x := range v.Value {
			l[i] = canon(x)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberSS:
		ss := slices.Clone(v.Value)
		slices.Sort(ss)
		return map[string]any{"SS": ss}
	case *types.AttributeValueMemberNS:
		ns := slices.Clone(v.Value)
		slices.Sort(ns)
		return map[string]any{"NS": ns}
	}
	return fmt.Sprintf("unknown %T", av)
}

// line renders one item as a single canonical line (JSON sorts map keys).
func line(prefix string, item map[string]types.AttributeValue) string {
	m := map[string]any{}
	for k, v := range item {
		m[k] = canon(v)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return prefix + string(b)
}

// scanTable returns every item of a table as canonical lines.
func scanTable(ctx context.Context, st *dynamo.Store, table string) ([]string, error) {
	var out []string
	in := &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)}
	for {
		res, err := st.DB.Scan(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, it := range res.Items {
			out = append(out, line(table+" ", it))
		}
		if res.LastEvaluatedKey == nil {
			slices.Sort(out)
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// dumpStore is the real Store, plus a view of its whole contents for the
// contract suite's "nothing written" checks (storetest.Dumper).
type dumpStore struct{ *dynamo.Store }

func (d dumpStore) Dump(ctx context.Context) ([]string, error) { return dumpAll(ctx, d.Store) }

func dumpAll(ctx context.Context, st *dynamo.Store) ([]string, error) {
	ev, err := scanTable(ctx, st, st.Events)
	if err != nil {
		return nil, err
	}
	vw, err := scanTable(ctx, st, st.Views)
	if err != nil {
		return nil, err
	}
	return append(ev, vw...), nil
}

// views returns the views table as pk|sk → canonical line, without the
// idempotency records, which are not derived from events.
func views(t testing.TB, st *dynamo.Store) map[string]string {
	t.Helper()
	items, err := st.ScanViews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, it := range items {
		pk := it["pk"].(*types.AttributeValueMemberS).Value
		sk := it["sk"].(*types.AttributeValueMemberS).Value
		if strings.HasPrefix(pk, "idem#") {
			continue
		}
		out[pk+"|"+sk] = line("", it)
	}
	return out
}

// diffViews describes how two views snapshots differ (at most n entries).
func diffViews(want, got map[string]string, n int) string {
	var b strings.Builder
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if want[k] == got[k] {
			continue
		}
		if n == 0 {
			b.WriteString("...\n")
			break
		}
		n--
		fmt.Fprintf(&b, "%s\n  live:    %s\n  rebuilt: %s\n", k, want[k], got[k])
	}
	return b.String()
}
