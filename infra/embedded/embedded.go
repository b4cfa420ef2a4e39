package embedded

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	miniserver "github.com/truora/minidyn/server"

	"github.com/keystorm/keystorm/infra/dynamo"
)

// Server is an in-process minidyn listening on a loopback port.
type Server struct {
	*miniserver.Server
	URL  string
	http *http.Server
	ln   net.Listener
}

// Start serves a fresh, empty minidyn on 127.0.0.1 (addr "" picks a free
// port).
func Start(addr string) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("embedded dynamodb: %w", err)
	}
	ms := miniserver.NewServer()
	s := &Server{Server: ms, URL: "http://" + ln.Addr().String(), ln: ln,
		http: &http.Server{Handler: ms, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error { return s.http.Close() }

// Config returns a store configuration for this server.
func (s *Server) Config() dynamo.Config {
	return dynamo.Config{EventsTable: "keystorm-events", ViewsTable: "keystorm-views", Endpoint: s.URL, Region: "us-east-1"}
}

// NewStore connects a Store to the server and creates the tables.
func (s *Server) NewStore(ctx context.Context, counter *dynamo.Counter) (*dynamo.Store, error) {
	cfg := s.Config()
	db, err := dynamo.NewClient(ctx, cfg, counter)
	if err != nil {
		return nil, err
	}
	st := dynamo.New(db, cfg)
	if err := st.EnsureTables(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// Harness bundles what a test needs.
type Harness struct {
	Server  *Server
	Store   *dynamo.Store
	Counter *dynamo.Counter
}

// New starts a server and store for a test and stops it at cleanup.
func New(t testing.TB) *Harness {
	t.Helper()
	srv, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	counter := &dynamo.Counter{}
	st, err := srv.NewStore(context.Background(), counter)
	if err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	return &Harness{Server: srv, Store: st, Counter: counter}
}
