package store

import (
	"context"

	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/runtime"
)

// FromEnv connects to the tables named in the environment
// (dynamo.ConfigFromEnv). It makes no network call: credentials and the
// endpoint resolve on first use, so init stays fast. A client that cannot
// be configured is fatal (runtime.Fatal).
func FromEnv() *dynamo.Store {
	cfg := dynamo.ConfigFromEnv()
	db, err := dynamo.NewClient(context.Background(), cfg, nil)
	if err != nil {
		runtime.Fatal("dynamodb client", err)
	}
	return dynamo.New(db, cfg)
}
