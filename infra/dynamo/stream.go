package dynamo

import (
	"fmt"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/events"
)

// EnvelopeFromImage decodes an events table item as a DynamoDB stream
// record carries it (NewImage): the projector's input. The item is read
// exactly as Store reads events, so a stream and a Query agree.
func EnvelopeFromImage(image map[string]lambdaevents.DynamoDBAttributeValue) (events.Envelope, error) {
	item := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		av, err := fromStream(v)
		if err != nil {
			return events.Envelope{}, fmt.Errorf("stream image %s: %w", k, err)
		}
		item[k] = av
	}
	var it eventItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return events.Envelope{}, fmt.Errorf("stream image: %w", err)
	}
	if it.Stream == "" || it.Version < 1 || it.Type == "" {
		return events.Envelope{}, fmt.Errorf("stream image is not an event (stream %q, version %d)", it.Stream, it.Version)
	}
	return it.envelope()
}

// fromStream converts the Lambda library's attribute value to the SDK's.
// Only the types an event item holds need to be exact; the others are
// converted for completeness so that an unexpected item fails to decode
// as an event rather than here.
func fromStream(v lambdaevents.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case lambdaevents.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case lambdaevents.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case lambdaevents.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case lambdaevents.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case lambdaevents.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case lambdaevents.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case lambdaevents.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case lambdaevents.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case lambdaevents.DataTypeMap:
		m := map[string]types.AttributeValue{}
		for k, e := range v.Map() {
			av, err := fromStream(e)
			if err != nil {
				return nil, err
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case lambdaevents.DataTypeList:
		var l []types.AttributeValue
		for _, e := range v.List() {
			av, err := fromStream(e)
			if err != nil {
				return nil, err
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %d", v.DataType())
}
