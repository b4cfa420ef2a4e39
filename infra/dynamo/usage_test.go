package dynamo_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/embedded"
)

// TestUsageItems pins the stored form the contract cannot see: the hour
// item's sort key and its expiresAt (the views table's TTL attribute, in
// epoch seconds) at Hour + domain.UsageRetention, and no TTL on the
// last-used item.
func TestUsageItems(t *testing.T) {
	st := embedded.New(t).Store
	ctx := context.Background()
	hour := time.Date(2026, 5, 1, 7, 0, 0, 0, time.UTC)
	if err := st.AddUsage(ctx, []domain.UsageDelta{{Tenant: "t1", KeyID: "k1", Hour: hour.Add(20 * time.Minute), Succeeded: 2, Failed: 1, LastUsed: hour.Add(20 * time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	get := func(sk string) map[string]types.AttributeValue {
		t.Helper()
		out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.Views, ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "usage#k1"}, "sk": &types.AttributeValueMemberS{Value: sk},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Item == nil {
			t.Fatalf("no item usage#k1 %s", sk)
		}
		return out.Item
	}
	it := get("hour#2026-05-01T07")
	want := strconv.FormatInt(hour.Add(domain.UsageRetention).Unix(), 10)
	if x, _ := it["expiresAt"].(*types.AttributeValueMemberN); x == nil || x.Value != want {
		t.Errorf("expiresAt = %v, want %s", it["expiresAt"], want)
	}
	if _, ok := get("last")["expiresAt"]; ok {
		t.Error("the last-used item expires")
	}
}

// TestRebuildKeepsUsage: usage is not derived from events, so a rebuild
// of the views must not delete it.
func TestRebuildKeepsUsage(t *testing.T) {
	st := embedded.New(t).Store
	ctx := context.Background()
	hour := time.Date(2026, 5, 1, 7, 0, 0, 0, time.UTC)
	if err := st.AddUsage(ctx, []domain.UsageDelta{{Tenant: "t1", KeyID: "k1", Hour: hour, Succeeded: 1, LastUsed: hour}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := st.Usage(ctx, "k1", hour, hour.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	last, err := st.LastUsed(ctx, []string{"k1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(last) != 1 {
		t.Errorf("after a rebuild: usage %v, last used %v; want both kept", got, last)
	}
}
