package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], setting{Dynamo: dynamo.ConfigFromEnv(), Clock: domain.SystemClock}, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
