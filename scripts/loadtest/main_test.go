package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

func TestLoadCountsEveryRequest(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if id, secret, ok := r.BasicAuth(); !ok || id != "K" || secret != "S" || r.FormValue("grant_type") != "client_credentials" {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	res, err := Load(context.Background(), Target{URL: srv.URL, Method: "POST", User: "K:S", Form: "grant_type=client_credentials"}, 300, 8)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 300 || res.Statuses["200"] != 300 || hits.Load() != 300 || res.PerSecond <= 0 {
		t.Fatalf("%+v, %d hits", res, hits.Load())
	}
}

func TestLoadRefusesRemoteTargets(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "ftp://127.0.0.1/"} {
		if _, err := Load(context.Background(), Target{URL: u}, 1, 1); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// TestSuiteAgainstTheLocalStack runs the suite, as the README shows it,
// against the whole API in process: every target must answer 200 and the
// table must carry the four rows with their ratios.
func TestSuiteAgainstTheLocalStack(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	s, err := stack.Start(context.Background(), stack.Options{Hasher: domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1},
		PublicURL: "http://" + srv.Listener.Addr().String(), Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	defer s.Close()
	srv.Config.Handler = s.Gateway
	srv.Start()
	defer srv.Close()
	line, _ := json.Marshal(s.Boot.Credentials(srv.URL))
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-suite", srv.URL, "-admin", string(line), "-n", "40", "-c", "4"}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{"| no-auth baseline", "| 1.00 |", "| token issue", "| protected API, Basic", "| protected API, Bearer"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// With an id:secret instead of the JSON line, the suite finds the
	// developer application itself.
	out.Reset()
	if err := run(context.Background(), []string{"-suite", srv.URL, "-admin", s.Boot.AdminKey.ID + ":" + s.Boot.AdminSecret, "-n", "10", "-c", "2"}, &out); err != nil {
		t.Fatalf("id:secret: %v", err)
	}
}
