package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
)

// EnsureTables creates the two tables when they do not exist, with the
// same schema template.yaml declares. Deployed stacks get their tables
// from CloudFormation; this is for local servers and tests.
func (st *Store) EnsureTables(ctx context.Context) error {
	for _, in := range []*dynamodb.CreateTableInput{st.eventsSchema(), st.viewsSchema()} {
		_, err := st.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName})
		if err == nil {
			continue
		}
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			return fmt.Errorf("describe %s: %w", *in.TableName, err)
		}
		if _, err := st.DB.CreateTable(ctx, in); err != nil {
			return fmt.Errorf("create %s: %w", *in.TableName, err)
		}
		if err := st.waitActive(ctx, *in.TableName); err != nil {
			return err
		}
	}
	return nil
}

// waitActive polls until a new table is usable: real DynamoDB creates
// tables asynchronously. minidyn reports no status at all, which means
// ready.
func (st *Store) waitActive(ctx context.Context, table string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, err := st.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
		if err != nil {
			return fmt.Errorf("describe %s: %w", table, err)
		}
		if s := out.Table.TableStatus; s == "" || s == types.TableStatusActive {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("table %s still %s after 5 minutes", table, out.Table.TableStatus)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

func (st *Store) eventsSchema() *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(st.Events),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("stream"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("version"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("tenant"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("logsk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("stream"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("version"), KeyType: types.KeyTypeRange},
		},
		// A tenant's log, newest first by logsk (Events). ALL: a page
		// is whole events, and a KEYS_ONLY index would cost a read of
		// the table per event.
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(logIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("tenant"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("logsk"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}

func (st *Store) viewsSchema() *dynamodb.CreateTableInput {
	str := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	gsi := func(name string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName: aws.String(name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(name + "pk"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(name + "sk"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(st.Views),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{str("pk"), str("sk"), str("gsi1pk"), str("gsi1sk"), str("gsi2pk"), str("gsi2sk")},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{gsi("gsi1"), gsi("gsi2")},
	}
}

// Empty reports an event table without a single event: a fresh install
// that still needs its bootstrap tenant.
func (st *Store) Empty(ctx context.Context) (bool, error) {
	res, err := st.DB.Scan(ctx, &dynamodb.ScanInput{TableName: &st.Events, Limit: aws.Int32(1)})
	if err != nil {
		return false, storeErr(err)
	}
	return len(res.Items) == 0, nil
}

// Tenants returns the ids of every tenant that is not deleted, in no
// particular order. It scans the views table, so it is for operator
// tools (admin key recovery), never for a request path.
func (st *Store) Tenants(ctx context.Context) ([]string, error) {
	in := &dynamodb.ScanInput{
		TableName:                 &st.Views,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("#k = :kind AND sk = :sk AND #d = :no"),
		ExpressionAttributeNames:  map[string]string{"#k": "kind", "#d": "deleted"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":kind": s(domain.KindTenant), ":sk": s(skState), ":no": &types.AttributeValueMemberBOOL{Value: false}},
		ProjectionExpression:      aws.String("pk"),
	}
	var ids []string
	for {
		res, err := st.DB.Scan(ctx, in)
		if err != nil {
			return nil, storeErr(err)
		}
		for _, it := range res.Items {
			if pk, ok := it["pk"].(*types.AttributeValueMemberS); ok {
				ids = append(ids, strings.TrimPrefix(pk.Value, domain.KindTenant+"#"))
			}
		}
		if res.LastEvaluatedKey == nil {
			return ids, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// OnlyTenant picks the tenant an operator tool acts on: want when it
// names an existing tenant, else the store's only tenant. Several tenants
// and no choice is an error that lists them.
func (st *Store) OnlyTenant(ctx context.Context, want string) (string, error) {
	ids, err := st.Tenants(ctx)
	if err != nil {
		return "", err
	}
	return domain.ChooseTenant(ids, want)
}
