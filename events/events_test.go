package events_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/events"
)

// TestFrozenFixtures decodes the frozen JSON of every event version. The
// files are never edited: if this test fails, a change broke old events.
// A file is named for its type; <type>+<variant>.json is one more of the
// same type, frozen when an optional field was added to it.
func TestFrozenFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env events.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".json"), "+")
		if env.Type != want {
			t.Errorf("%s: type %q, file named for %q", f, env.Type, want)
		}
		if env.Stream == "" || env.Version < 1 || env.At.IsZero() || env.Meta.Tenant == "" {
			t.Errorf("%s: incomplete envelope %+v", f, env)
		}
		e, err := events.DecodeStrict(env)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if e.EventType() != env.Type {
			t.Errorf("%s: decoded %T reports %q", f, e, e.EventType())
		}
		// Re-encoding must give back the fixture's data: every field the
		// fixture has is read into the struct and written out again (a
		// field omitted as empty must be empty in the fixture).
		again, err := events.Encode(env.Stream, env.Version, env.At, env.Meta, e)
		if err != nil {
			t.Fatal(err)
		}
		if diff := jsonDiff(env.Data, again.Data); diff != "" {
			t.Errorf("%s: re-encoding changed the data: %s", f, diff)
		}
		seen[env.Type] = true
	}
	for _, typ := range events.Types() {
		if !seen[typ] {
			t.Errorf("event type %s has no frozen fixture in testdata/", typ)
		}
	}
}

func TestDecodeRejectsUnknownType(t *testing.T) {
	_, err := events.Decode(events.Envelope{Type: "apikey.created.v0", Data: []byte(`{}`)})
	if err == nil {
		t.Fatal("unknown type decoded")
	}
}

func TestDecodeToleratesNewFieldsButStrictDoesNot(t *testing.T) {
	env := events.Envelope{Type: events.TypeAPIKeyUpdated, Data: []byte(`{"name":"n","status":"ENABLED","future":1}`)}
	e, err := events.Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.(*events.APIKeyUpdated).Name; got != "n" {
		t.Fatalf("name %q", got)
	}
	if _, err := events.DecodeStrict(env); err == nil {
		t.Fatal("strict decode accepted an unknown field")
	}
}

func ExampleEncode() {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	env, _ := events.Encode("apikey#K1", 2, at, events.Meta{Tenant: "t1"},
		events.APIKeyUpdated{Name: "laptop", Status: "DISABLED"})
	e, _ := events.Decode(env)
	fmt.Println(env.Type, string(env.Data))
	fmt.Println(e.(*events.APIKeyUpdated).Status)
	// Output:
	// apikey.updated.v1 {"name":"laptop","description":"","status":"DISABLED"}
	// DISABLED
}

// jsonDiff compares two JSON objects, treating an absent field like a
// zero value (false, 0, "", null, empty object or array).
func jsonDiff(a, b []byte) string {
	var x, y map[string]any
	if err := json.Unmarshal(a, &x); err != nil {
		return err.Error()
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return err.Error()
	}
	zero := func(v any) bool {
		switch v := v.(type) {
		case nil:
			return true
		case bool:
			return !v
		case float64:
			return v == 0
		case string:
			return v == ""
		case []any:
			return len(v) == 0
		case map[string]any:
			return len(v) == 0
		}
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if (ok && !reflect.DeepEqual(v, w)) || (!ok && !zero(v)) {
			return fmt.Sprintf("field %s: %v became %v", k, v, w)
		}
	}
	for k, w := range y {
		if _, ok := x[k]; !ok && !zero(w) {
			return fmt.Sprintf("field %s appeared: %v", k, w)
		}
	}
	return ""
}
