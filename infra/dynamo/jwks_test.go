package dynamo_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/embedded"
)

func getJWKS(t *testing.T, st *dynamo.Store) string {
	t.Helper()
	b, err := st.GetJWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJWKSPublishAndRead(t *testing.T) {
	h := embedded.New(t)
	ctx := context.Background()
	if _, err := h.Store.GetJWKS(ctx); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("before any publication: %v, want ErrNotFound", err)
	}
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	docA, docB, docC := `{"keys":[{"kid":"a"}]}`, `{"keys":[{"kid":"a"},{"kid":"b"}]}`, `{"keys":[{"kid":"c"}]}`

	h.Counter.Reset()
	if err := h.Store.PutJWKS(ctx, []byte(docA), t0); err != nil {
		t.Fatal(err)
	}
	if got := getJWKS(t, h.Store); got != docA {
		t.Fatalf("got %s", got)
	}
	if snap := h.Counter.Snapshot(); snap["PutItem"] != 1 || snap["GetItem"] != 1 || h.Counter.Total() != 2 {
		t.Fatalf("calls %v, want one PutItem and one GetItem", snap)
	}
	// A newer publication wins...
	if err := h.Store.PutJWKS(ctx, []byte(docB), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// ...an older one is dropped without error...
	if err := h.Store.PutJWKS(ctx, []byte(docC), t0.Add(time.Minute)); err != nil {
		t.Fatalf("stale publication: %v", err)
	}
	if got := getJWKS(t, h.Store); got != docB {
		t.Fatalf("after a stale publication got %s, want %s", got, docB)
	}
	// ...and the same instant again is a retry and overwrites.
	if err := h.Store.PutJWKS(ctx, []byte(docC), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := getJWKS(t, h.Store); got != docC {
		t.Fatalf("after a retry got %s, want %s", got, docC)
	}

	// The item's shape: pk, sk, doc, publishedAt, and nothing else (no
	// expiresAt: the table's TTL must never delete it).
	out, err := h.Store.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(h.Store.Views), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "jwks#current"}, "sk": &types.AttributeValueMemberS{Value: "jwks"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"doc":{"S":"{\"keys\":[{\"kid\":\"c\"}]}"},"pk":{"S":"jwks#current"},"publishedAt":{"N":"` +
		strconv.FormatInt(t0.Add(time.Hour).UnixNano(), 10) + `"},"sk":{"S":"jwks"}}`
	if got := line("", out.Item); got != want {
		t.Fatalf("item\n got %s\nwant %s", got, want)
	}
}

func TestJWKSRejectsNonJSON(t *testing.T) {
	h := embedded.New(t)
	for _, doc := range []string{"", "not json", `{"keys":[`} {
		if err := h.Store.PutJWKS(context.Background(), []byte(doc), time.Now()); err == nil {
			t.Errorf("PutJWKS(%q) accepted", doc)
		}
	}
	if _, err := h.Store.GetJWKS(context.Background()); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a refused document was stored: %v", err)
	}
}

// Concurrent publishers: whatever the interleaving, the newest wins.
func TestJWKSConcurrentPublishersNewestWins(t *testing.T) {
	h := embedded.New(t)
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	const n = 16
	for i := range n {
		wg.Go(func() {
			doc := `{"keys":[],"n":` + strconv.Itoa(i) + `}`
			if err := h.Store.PutJWKS(context.Background(), []byte(doc), t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, want := getJWKS(t, h.Store), `{"keys":[],"n":`+strconv.Itoa(n-1)+`}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// The published JWKS is not a projection of events: a views rebuild
// keeps it.
func TestJWKSSurvivesRebuild(t *testing.T) {
	h := embedded.New(t)
	ctx := context.Background()
	doc := `{"keys":[{"kid":"a"}]}`
	if err := h.Store.PutJWKS(ctx, []byte(doc), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if got := getJWKS(t, h.Store); got != doc {
		t.Fatalf("after rebuild got %q", got)
	}
}
