package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("stream"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("version"), KeyType: types.KeyTypeRange},
		},
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
