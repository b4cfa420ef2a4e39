package dynamo

import (
	"context"
	"errors"
	"fmt"

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
	}
	return nil
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
