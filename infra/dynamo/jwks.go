package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
)

// The published JWKS is one item of the views table.
const (
	PKJWKS = "jwks#current"
	SKJWKS = "jwks"

	// maxJWKS keeps the document well inside DynamoDB's 400 KB item
	// limit (a key is about 200 bytes).
	maxJWKS = 256 << 10
)

// PutJWKS publishes the public JWK Set of the access-token signing keys:
// one item, pk "jwks#current", sk "jwks", holding the document as the
// string "doc" and the publication time as "publishedAt" (unix ns).
//
// The write is conditional: a publication made at an earlier at than the
// stored one never overwrites it, so a slow or retried publisher cannot
// bring back an older key set. Losing to a newer publication is not an
// error (that document is the newer truth); PutJWKS then returns nil.
// Publishing the same at again overwrites (a retry is idempotent).
//
// Only public keys belong here: callers pass tokens.JWKS output. The item
// is not derived from events, so Rebuild keeps it.
func (st *Store) PutJWKS(ctx context.Context, doc []byte, at time.Time) error {
	if len(doc) == 0 || len(doc) > maxJWKS || !json.Valid(doc) {
		return errors.New("dynamo: PutJWKS: the document is not a JSON JWK Set of a sane size")
	}
	item := key(PKJWKS, SKJWKS)
	item["doc"] = s(string(doc))
	item["publishedAt"] = n(at.UnixNano())
	_, err := st.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &st.Views,
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR publishedAt <= :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": n(at.UnixNano())},
	})
	if err != nil && !conditionFailed(err) {
		return storeErr(err)
	}
	return nil
}

// GetJWKS returns the published JWK Set with one strongly consistent
// GetItem, or domain.ErrNotFound when nothing was published yet.
func (st *Store) GetJWKS(ctx context.Context) ([]byte, error) {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                &st.Views,
		Key:                      key(PKJWKS, SKJWKS),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#d"),
		ExpressionAttributeNames: map[string]string{"#d": "doc"},
	})
	if err != nil {
		return nil, storeErr(err)
	}
	doc, ok := out.Item["doc"].(*types.AttributeValueMemberS)
	if !ok {
		return nil, domain.ErrNotFound
	}
	return []byte(doc.Value), nil
}

// conditionFailed reports a PutItem or UpdateItem refused by its
// condition.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
