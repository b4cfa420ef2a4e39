package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
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
