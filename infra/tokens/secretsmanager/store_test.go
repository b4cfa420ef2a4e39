package secretsmanager

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keystorm/keystorm/infra/tokens"
)

// fakeSecretsManager speaks the Secrets Manager JSON 1.1 protocol for
// GetSecretValue and PutSecretValue, enough for the real SDK client.
type fakeSecretsManager struct {
	mu      sync.Mutex
	secrets map[string]string
	calls   []string
	bodies  []string
}

func (f *fakeSecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
	f.bodies = append(f.bodies, string(body))
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fail := func(code int, typ, msg string) {
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(400, "InvalidRequestException", "not a signed JSON 1.1 request")
		return
	}
	var in struct{ SecretId, SecretString string }
	if err := json.Unmarshal(body, &in); err != nil {
		fail(400, "InvalidRequestException", err.Error())
		return
	}
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + in.SecretId + "-AbCdEf"
	switch op {
	case "GetSecretValue":
		v, ok := f.secrets[in.SecretId]
		if !ok {
			fail(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"ARN": arn, "Name": in.SecretId, "SecretString": v, "VersionId": "v1",
			"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.7e9,
		})
	case "PutSecretValue":
		if _, ok := f.secrets[in.SecretId]; !ok {
			fail(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		f.secrets[in.SecretId] = in.SecretString
		json.NewEncoder(w).Encode(map[string]any{"ARN": arn, "Name": in.SecretId, "VersionId": "v2", "VersionStages": []string{"AWSCURRENT"}})
	default:
		fail(400, "UnknownOperationException", op)
	}
}

func (f *fakeSecretsManager) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func newSecretsClient(t *testing.T, f *fakeSecretsManager) *sm.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return sm.New(sm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:   srv.Client(),
	})
}

func TestStoreLazyCachedAndRefreshed(t *testing.T) {
	ctx := context.Background()
	ring, _ := tokens.NewKeyring(t0)
	stored, _ := json.Marshal(ring)
	fake := &fakeSecretsManager{secrets: map[string]string{"keystorm/token-keys": string(stored)}}
	c := newClock(t0)

	t.Setenv(tokens.SecretsEnv, "keystorm/token-keys")
	s, err := StoreFromEnv(newSecretsClient(t, fake), time.Minute, c)
	if err != nil {
		t.Fatal(err)
	}
	signer := tokens.NewSigner(s, c)
	verifier := tokens.NewVerifier(tokens.StoreKeys{Store: s}, testIssuer, testAudience, c)
	if calls := fake.callLog(); len(calls) != 0 {
		t.Fatalf("calls before first use: %v", calls)
	}

	// First use reads the secret; further use within the period does not.
	tok, err := signer.Sign(ctx, sampleToken(t0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := signer.Sign(ctx, sampleToken(t0)); err != nil {
		t.Fatal(err)
	}
	if calls := fake.callLog(); len(calls) != 1 || calls[0] != "GetSecretValue" {
		t.Fatalf("calls = %v", calls)
	}

	// A rotation elsewhere is seen once the cache period is over.
	other := NewStore(newSecretsClient(t, fake), "keystorm/token-keys", time.Minute, c)
	rotated, changed, err := tokens.RotateStore(ctx, other, t0.Add(time.Hour), 30*time.Minute)
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	newKID := rotated.Keys[1].KID
	c.Add(30 * time.Second)
	r, _ := s.Load(ctx)
	if len(r.Keys) != 1 {
		t.Fatal("cache ignored")
	}
	c.Add(31 * time.Second)
	c.Set(t0.Add(time.Hour + tokens.PublishAhead)) // the new key signs from here
	tok2, err := signer.Sign(ctx, sampleToken(c.Now()))
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := segments(t, tok2)
	if h["kid"] != newKID {
		t.Fatalf("signed with %v, want the rotated key %s", h["kid"], newKID)
	}
	// The new token verifies, and the old key is still there for its own.
	if _, err := verifier.Verify(ctx, tok2); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Load(ctx); len(r.Keys) != 2 {
		t.Fatalf("ring %v", r)
	}

	// What was put is a valid ring and nothing but the ring.
	var back tokens.Keyring
	if err := json.Unmarshal([]byte(fake.secrets["keystorm/token-keys"]), &back); err != nil || len(back.Keys) != 2 {
		t.Fatal(back, err)
	}
	want := []string{"GetSecretValue", "GetSecretValue", "PutSecretValue", "GetSecretValue"}
	if got := fake.callLog(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("calls = %v, want %v", got, want)
	}
}

func TestStoreEmptySecretThenBootstrap(t *testing.T) {
	ctx := context.Background()
	for _, v := range []string{"", "{}", `{"keys":[]}`} {
		fake := &fakeSecretsManager{secrets: map[string]string{"k": v}}
		s := NewStore(newSecretsClient(t, fake), "k", 0, newClock(t0))
		r, err := s.Load(ctx)
		if err != nil || len(r.Keys) != 0 {
			t.Fatalf("%q: %v %v", v, r, err)
		}
		if _, err := tokens.NewSigner(s, newClock(t0)).Sign(ctx, sampleToken(t0)); !errors.Is(err, tokens.ErrNoSigningKey) {
			t.Fatalf("sign with empty ring: %v", err)
		}
		r, changed, err := tokens.RotateStore(ctx, s, t0, 30*24*time.Hour)
		if err != nil || !changed || len(r.Keys) != 1 {
			t.Fatal(r, changed, err)
		}
		if _, err := tokens.NewSigner(s, newClock(t0)).Sign(ctx, sampleToken(t0)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStoreErrorsNeverQuoteTheSecret(t *testing.T) {
	ctx := context.Background()
	ring, _ := tokens.NewKeyring(t0)
	good, _ := json.Marshal(ring)
	var k struct {
		Keys []struct {
			D string `json:"d"`
		} `json:"keys"`
	}
	json.Unmarshal(good, &k)
	broken := strings.Replace(string(good), `"meta"`, `"m"`, 1) // valid JSON, bad ring
	truncated := string(good[:len(good)-10])                    // invalid JSON
	for _, v := range []string{broken, truncated} {
		fake := &fakeSecretsManager{secrets: map[string]string{"k": v}}
		_, err := NewStore(newSecretsClient(t, fake), "k", 0, newClock(t0)).Load(ctx)
		if err == nil {
			t.Fatal("bad secret loaded")
		}
		if strings.Contains(err.Error(), k.Keys[0].D) {
			t.Fatalf("error quotes the private key: %v", err)
		}
	}
	// A missing secret is an infrastructure error with the service's word.
	fake := &fakeSecretsManager{secrets: map[string]string{}}
	_, err := NewStore(newSecretsClient(t, fake), "nope", 0, newClock(t0)).Load(ctx)
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("err = %v", err)
	}
}

func TestStoreFromEnvNeedsSecret(t *testing.T) {
	t.Setenv(tokens.SecretsEnv, "")
	if _, err := StoreFromEnv(nil, 0, newClock(t0)); err == nil {
		t.Fatal("no error without " + tokens.SecretsEnv)
	}
}

// An empty ring is reread on every Load, so a first key saved by another
// process is seen at once (no second first key from a stale cache).
func TestStoreDoesNotCacheEmptyRing(t *testing.T) {
	ctx := context.Background()
	fake := &fakeSecretsManager{secrets: map[string]string{"k": `{"keys":[],"meta":{}}`}}
	s := NewStore(newSecretsClient(t, fake), "k", time.Hour, newClock(t0))
	if r, err := s.Load(ctx); err != nil || len(r.Keys) != 0 {
		t.Fatal(r, err)
	}
	other := NewStore(newSecretsClient(t, fake), "k", time.Hour, newClock(t0))
	created, changed, err := tokens.RotateStore(ctx, other, t0, 30*24*time.Hour)
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	r, err := s.Load(ctx)
	if err != nil || len(r.Keys) != 1 || r.Keys[0].KID != created.Keys[0].KID {
		t.Fatalf("after another process created the first key: %v %v", r, err)
	}
	// A ring with keys is cached as before.
	n := len(fake.callLog())
	if _, err := s.Load(ctx); err != nil || len(fake.callLog()) != n {
		t.Fatalf("non-empty ring not cached: %v", fake.callLog())
	}
}
