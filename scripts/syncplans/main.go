package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/apigw"
	"github.com/keystorm/keystorm/infra/awsdefault"
	"github.com/keystorm/keystorm/infra/dynamo"
)

// store is what a sync reads: the read model, and the tenants to walk.
type store interface {
	domain.Store
	Tenants(ctx context.Context) ([]string, error)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], connect, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// connect opens the tables of the environment and API Gateway, through
// the default chain.
func connect(ctx context.Context, stages []apigw.Stage) (store, domain.UsagePlans, error) {
	cfg := dynamo.ConfigFromEnv()
	db, err := awsdefault.NewDynamoClient(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("aws config: %w", err)
	}
	return dynamo.New(db, cfg), apigw.New(apigw.NewClient(awsCfg, ""), stages, nil), nil
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// run parses the flags and syncs; it returns the exit status.
func run(ctx context.Context, args []string, open func(context.Context, []apigw.Stage) (store, domain.UsagePlans, error), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("syncplans", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stagesFlag := fs.String("stages", os.Getenv(apigw.StagesEnv), "the `apiId:stage,...` every plan applies to (the projector function's "+apigw.StagesEnv+")")
	timeout := fs.Duration("timeout", time.Hour, "give up after this long")
	var keys, tenants list
	fs.Var(&keys, "key", "sync this API key `id` only (repeat for more)")
	fs.Var(&tenants, "tenant", "sync the keys of this tenant `id` only (repeat for more)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	stages, err := apigw.ParseStages(*stagesFlag)
	switch {
	case fs.NArg() > 0:
		err = fmt.Errorf("unexpected arguments %v", fs.Args())
	case err == nil && len(stages) == 0:
		err = errors.New("-stages (or " + apigw.StagesEnv + ") is required: the projector function's value")
	case len(keys) > 0 && len(tenants) > 0:
		err = errors.New("-key and -tenant do not mix")
	}
	if err != nil {
		fmt.Fprintf(stderr, "syncplans: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	st, plans, err := open(ctx, stages)
	if err != nil {
		fmt.Fprintf(stderr, "syncplans: %v\n", err)
		return 1
	}
	sync := &domain.PlanSync{Store: st, Plans: plans}
	if len(keys) > 0 {
		for _, k := range keys {
			if err := sync.SyncKey(ctx, k); err != nil {
				fmt.Fprintf(stderr, "syncplans: key %s: %v\n", k, err)
				return 1
			}
		}
		fmt.Fprintf(stdout, "synced %d keys\n", len(keys))
		return 0
	}
	if len(tenants) == 0 {
		if tenants, err = st.Tenants(ctx); err != nil {
			fmt.Fprintf(stderr, "syncplans: list tenants: %v\n", err)
			return 1
		}
	}
	if err := sync.SyncAll(ctx, tenants); err != nil {
		fmt.Fprintf(stderr, "syncplans: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "synced every key of %d tenants\n", len(tenants))
	return 0
}
