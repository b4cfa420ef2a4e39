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
	"path/filepath"
	"syscall"
	"time"

	"github.com/keystorm/keystorm/infra/awsdefault"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/sqlite"
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
	store := fs.String("store", "dynamodb", "`store` to rebuild: dynamodb (the tables of the environment) or sqlite (the local server's -data DIR)")
	data := fs.String("data", "", "with -store sqlite, the local server's data `directory`: DIR/keystorm.db is rebuilt")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rebuild: unexpected arguments %v\n", fs.Args())
		return 2
	}
	switch {
	case *store == "sqlite" && *data == "":
		fmt.Fprintln(stderr, "rebuild: -store sqlite needs -data DIR")
		return 2
	case *store == "sqlite":
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		if _, err := rebuildSQLite(ctx, filepath.Join(*data, "keystorm.db"), stdout); err != nil {
			fmt.Fprintf(stderr, "rebuild: %v\n", err)
			return 1
		}
		return 0
	case *store != "dynamodb":
		fmt.Fprintf(stderr, "rebuild: unknown store %q (want dynamodb or sqlite)\n", *store)
		return 2
	case *data != "":
		fmt.Fprintln(stderr, "rebuild: -data is for -store sqlite")
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
	db, err := awsdefault.NewDynamoClient(ctx, cfg)
	if err != nil {
		return dynamo.RebuildStats{}, err
	}
	// Rebuild also gives events written before the events table's log
	// index their tenant and logsk (stats.Backfilled), so running this
	// once after deploying the index puts the old log in the audit log.
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

// rebuildSQLite replays the local server's database file into its read
// models, in one transaction, and reports as rebuild does. The file must
// exist: opening a mistyped path would create an empty database and
// "rebuild" it, hiding the mistake.
func rebuildSQLite(ctx context.Context, path string, out io.Writer) (sqlite.RebuildStats, error) {
	if _, err := os.Stat(path); err != nil {
		return sqlite.RebuildStats{}, err
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return sqlite.RebuildStats{}, err
	}
	defer st.Close()
	stats, err := st.Rebuild(ctx)
	if err != nil {
		return stats, fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(out, "rebuilt %s: %d streams, %d events; %d rows deleted, %d written in %v\n",
		path, stats.Streams, stats.Events, stats.Deleted, stats.Items, stats.Duration.Round(time.Millisecond))
	line, err := json.Marshal(map[string]any{
		"database": path,
		"streams":  stats.Streams, "events": stats.Events, "deleted": stats.Deleted, "items": stats.Items,
		"durationMs": stats.Duration.Milliseconds(),
	})
	if err != nil {
		return stats, err
	}
	fmt.Fprintf(out, "%s\n", line)
	return stats, nil
}
