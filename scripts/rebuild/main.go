package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/keystorm/keystorm/infra/dynamo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], dynamo.ConfigFromEnv(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags and rebuilds; it returns the exit status.
func run(ctx context.Context, args []string, cfg dynamo.Config, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	yes := fs.Bool("yes", false, "allow rebuilding tables on real AWS (no DYNAMODB_ENDPOINT)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rebuild: unexpected arguments %v\n", fs.Args())
		return 2
	}
	if cfg.Endpoint == "" && !*yes {
		fmt.Fprintf(stderr, "rebuild: DYNAMODB_ENDPOINT is not set, so this would rewrite %s on AWS; stop the writers and pass -yes\n", cfg.ViewsTable)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if _, err := rebuild(ctx, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "rebuild: %v\n", err)
		return 1
	}
	return 0
}

// rebuild replays cfg's event table into its views table and reports the
// figures on out.
func rebuild(ctx context.Context, cfg dynamo.Config, out io.Writer) (dynamo.RebuildStats, error) {
	if cfg.EventsTable == "" || cfg.ViewsTable == "" {
		return dynamo.RebuildStats{}, errors.New("both table names are required")
	}
	db, err := dynamo.NewClient(ctx, cfg, nil)
	if err != nil {
		return dynamo.RebuildStats{}, err
	}
	stats, err := dynamo.New(db, cfg).Rebuild(ctx)
	if err != nil {
		return stats, fmt.Errorf("%s → %s: %w", cfg.EventsTable, cfg.ViewsTable, err)
	}
	fmt.Fprintf(out, "rebuilt %s from %s: %d streams, %d events; %d items deleted, %d written in %v\n",
		cfg.ViewsTable, cfg.EventsTable, stats.Streams, stats.Events, stats.Deleted, stats.Items, stats.Duration.Round(time.Millisecond))
	line, err := json.Marshal(map[string]any{
		"eventsTable": cfg.EventsTable, "viewsTable": cfg.ViewsTable,
		"streams": stats.Streams, "events": stats.Events, "deleted": stats.Deleted, "items": stats.Items,
		"durationMs": stats.Duration.Milliseconds(),
	})
	if err != nil {
		return stats, err
	}
	fmt.Fprintf(out, "%s\n", line)
	return stats, nil
}
