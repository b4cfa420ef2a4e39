package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/store"
)

// Result is the function's answer: how many deleted parents it finished
// sweeping.
type Result struct {
	Finished int `json:"finished"`
}

func main() {
	runtime.SetupLogging()
	svc := domain.NewService(store.FromEnv())
	// The scheduled event carries nothing the sweep needs.
	lambda.Start(func(ctx context.Context, _ json.RawMessage) (Result, error) {
		n, err := svc.Sweep(ctx)
		if err != nil {
			// The next run carries on where this one stopped.
			slog.Error("sweep failed", "err", err, "finished", n)
			return Result{Finished: n}, err
		}
		if n > 0 {
			slog.Info("finished large cascades", "parents", n)
		}
		return Result{Finished: n}, nil
	})
}
