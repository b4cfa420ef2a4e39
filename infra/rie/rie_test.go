package rie_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/infra/rie"
)

// echoPkg is a tiny lambda.Start main that returns {"event": <input>, "env":
// <its environment>} and fails with the message in {"fail": "..."}.
const echoPkg = "./infra/rie/testdata/echo"

// buildDir holds the echo bootstrap for the whole test binary.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rie-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildEcho builds the echo function once per test binary.
var buildEcho = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return rie.Build(ctx, echoPkg, buildDir)
})

func echoBootstrap(t *testing.T) string {
	t.Helper()
	p, err := buildEcho()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type echoResponse struct {
	Event json.RawMessage   `json:"event"`
	Env   map[string]string `json:"env"`
}

func start(t *testing.T, ctx context.Context, bootstrap string, env []string) *rie.Emulator {
	t.Helper()
	em, err := rie.Start(ctx, bootstrap, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("emulator output:\n%s", em.Output())
		}
		if err := em.Close(); err != nil {
			t.Error(err)
		}
	})
	return em
}

func TestInvokeEcho(t *testing.T) {
	bootstrap := echoBootstrap(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	em := start(t, ctx, bootstrap, []string{
		"KEYSTORM_ECHO_MARK=reached-the-function",
		"DYNAMODB_ENDPOINT=http://127.0.0.1:8000",
		"AWS_LAMBDA_FUNCTION_NAME=echo",
	})

	if _, err := em.InitDurationMs(); err == nil {
		t.Error("InitDurationMs before any invoke: want error")
	}

	payload := []byte(`{"hello":"world","n":[1,2,3],"nested":{"ok":true}}`)
	body, err := em.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp echoResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("response %q: %v", body, err)
	}
	var got, want any
	if err := json.Unmarshal(resp.Event, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("echoed event = %s, want %s", resp.Event, payload)
	}

	for k, v := range map[string]string{
		"KEYSTORM_ECHO_MARK":       "reached-the-function",
		"DYNAMODB_ENDPOINT":        "http://127.0.0.1:8000",
		"AWS_LAMBDA_FUNCTION_NAME": "echo",
		"AWS_REGION":               "us-east-1", // package default
		"AWS_LAMBDA_RUNTIME_API":   em.RuntimeAPIAddr(),
	} {
		if resp.Env[k] != v {
			t.Errorf("function env %s = %q, want %q", k, resp.Env[k], v)
		}
	}

	ms, err := em.InitDurationMs()
	if err != nil {
		t.Fatal(err)
	}
	if ms <= 0 {
		t.Errorf("InitDurationMs = %v, want > 0", ms)
	}
	t.Logf("INIT REPORT durationMs = %.3f", ms)

	// A warm invoke, and a handler error: the emulator answers 200 with the
	// error document.
	body, err = em.Invoke(ctx, []byte(`{"fail":"boom"}`))
	if err != nil {
		t.Fatal(err)
	}
	var fnErr struct{ ErrorMessage, ErrorType string }
	if err := json.Unmarshal(body, &fnErr); err != nil || fnErr.ErrorMessage != "boom" {
		t.Errorf("handler error response = %s (%v), want errorMessage boom", body, err)
	}
	if again, err := em.InitDurationMs(); err != nil || again != ms {
		t.Errorf("InitDurationMs after warm invoke = %v, %v; want %v", again, err, ms)
	}
}

// TestConcurrentStartsSerialize checks that two emulators started at once
// both work, one after the other, instead of the second failing.
func TestConcurrentStartsSerialize(t *testing.T) {
	bootstrap := echoBootstrap(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	type span struct{ started, closing time.Time }
	var (
		wg    sync.WaitGroup
		spans [2]span
		errs  [2]error
	)
	for i := range 2 {
		wg.Go(func() {
			errs[i] = func() error {
				em, err := rie.Start(ctx, bootstrap, nil)
				if err != nil {
					return err
				}
				spans[i].started = time.Now()
				defer em.Close()
				body, err := em.Invoke(ctx, []byte(`{"i":1}`))
				if err != nil {
					return err
				}
				var resp echoResponse
				if err := json.Unmarshal(body, &resp); err != nil {
					return err
				}
				time.Sleep(300 * time.Millisecond) // widen the window for overlap
				spans[i].closing = time.Now()
				return nil
			}()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("emulator %d: %v", i, err)
		}
	}
	a, b := spans[0], spans[1]
	if a.started.Before(b.closing) && b.started.Before(a.closing) {
		t.Errorf("emulators overlapped: %v..%v and %v..%v", a.started, a.closing, b.started, b.closing)
	}
}

// TestStartWaitsForLockWithinContext checks that a Start queued behind a
// running emulator gives up when its context ends.
func TestStartWaitsForLockWithinContext(t *testing.T) {
	bootstrap := echoBootstrap(t)
	start(t, t.Context(), bootstrap, nil)

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	em, err := rie.Start(ctx, bootstrap, nil)
	if err == nil {
		em.Close()
		t.Fatal("second Start succeeded while the first emulator holds the lock")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Start: %v, want context.DeadlineExceeded", err)
	}
}

func TestStartRejectsMissingBootstrap(t *testing.T) {
	if _, err := rie.Start(t.Context(), "/nonexistent/bootstrap", nil); err == nil {
		t.Fatal("Start with a missing bootstrap succeeded")
	}
}
