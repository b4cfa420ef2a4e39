// Command hello is the baseline of scripts/coldstart: the smallest
// aws-lambda-go function, which answers every event with a constant.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
