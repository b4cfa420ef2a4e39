package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/stack"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "keystorm:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3000", "listen address")
	data := fs.String("data", "", "directory that keeps the event log across restarts (embedded store only)")
	ttl := fs.Duration("auth-cache-ttl", 5*time.Second, "authorizer cache TTL: the bound within which a disabled key stops working")
	quiet := fs.Bool("quiet", false, "log only warnings and errors")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	opts := stack.Options{DataDir: *data, AuthCacheTTL: *ttl, Log: log}
	if ep := os.Getenv("DYNAMODB_ENDPOINT"); ep != "" {
		opts.Endpoint, opts.Tables = ep, dynamo.ConfigFromEnv()
	}
	s, err := stack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer s.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	printBanner(stdout, base, s, *data)
	srv := &http.Server{Handler: s.Gateway, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

func printBanner(w io.Writer, base string, s *stack.Stack, data string) {
	fmt.Fprintf(w, "Keystorm is serving on %s\n", base)
	switch {
	case s.Embedded != nil && data == "":
		fmt.Fprintln(w, "Store: embedded DynamoDB, in memory (use -data DIR to keep data)")
	case s.Embedded != nil:
		fmt.Fprintf(w, "Store: embedded DynamoDB, event log in %s (%d events replayed)\n", data, s.Replayed)
	default:
		fmt.Fprintf(w, "Store: DynamoDB at %s\n", os.Getenv("DYNAMODB_ENDPOINT"))
	}
	if s.Boot == nil {
		fmt.Fprintln(w, "Existing tenant: its admin key was printed when it was created.")
		return
	}
	b := s.Boot.Credentials(base)
	fmt.Fprintf(w, `
First start: created a tenant, an application and an admin API key.
The secret is shown only now; keep it.

  tenant        %s
  application   %s
  apiKeyId      %s
  apiKeySecret  %s

Try: curl --user %s:%s %s/v1/tenants/current -L

`, b.Tenant, b.Application, b.APIKeyID, b.APIKeySecret, b.APIKeyID, b.APIKeySecret, base)
	line, _ := json.Marshal(b)
	fmt.Fprintf(w, "%s\n", line)
}
