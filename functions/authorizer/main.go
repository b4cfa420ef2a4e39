package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/dynamo"
)

func main() {
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		slog.Error("authorizer: bad configuration", "err", err)
		os.Exit(1)
	}
	dcfg := dynamo.ConfigFromEnv()
	// NewClient makes no network call: credentials and the endpoint are
	// resolved on the first request, keeping init fast.
	db, err := dynamo.NewClient(context.Background(), dcfg, nil)
	if err != nil {
		slog.Error("authorizer: dynamodb client", "err", err)
		os.Exit(1)
	}
	h := authorizer.New(dynamo.New(db, dcfg), nil, cfg)
	lambda.Start(h.HandleRequest)
}
