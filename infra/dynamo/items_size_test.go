package dynamo

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
)

// itemSize is an item's size as DynamoDB counts it against its 400 KB
// limit: attribute names and values in UTF-8 bytes, numbers at most 21
// bytes, and 3 bytes plus 1 per element for maps and lists.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return 21
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberM:
		return 3 + len(v.Value) + itemSize(v.Value)
	case *types.AttributeValueMemberL:
		n := 3 + len(v.Value)
		for _, e := range v.Value {
			n += valueSize(e)
		}
		return n
	}
	panic("unexpected attribute type")
}

// TestLargestItemsFitWithRoom holds MaxCustomDataBytes' reasoning
// (domain/validate.go) to the numbers: with a full customData and every
// other property at its longest, a read-model item stays under 100 KB,
// a quarter of DynamoDB's 400 KB, because the rest of it stays under
// 16 KB; an event item is smaller still.
func TestLargestItemsFitWithRoom(t *testing.T) {
	for kind, ls := range storetest.LargestStates(t, "tnt"+"0123456789012345678901", storetest.Epoch) {
		it, err := toStateItem(ls.State)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ls.State.(domain.Parent); ok {
			n := int64(1) << 40
			it.Children = &n
		}
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			t.Fatal(err)
		}
		size := itemSize(av)
		t.Logf("%s: state item %d bytes, %d besides customData", kind, size, size-domain.MaxCustomDataBytes)
		if size >= 100_000 || size-domain.MaxCustomDataBytes >= 16<<10 {
			t.Errorf("%s: the largest state item is %d bytes", kind, size)
		}
		for _, env := range ls.Events {
			av, err := attributevalue.MarshalMap(toEventItem(env, ls.State.TenantID()))
			if err != nil {
				t.Fatal(err)
			}
			if size := itemSize(av); size >= 100_000 {
				t.Errorf("%s: event %s is %d bytes", kind, env.Type, size)
			}
		}
	}
}
