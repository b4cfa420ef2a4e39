package tokens

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

const (
	testIssuer   = "https://keystorm.test"
	testAudience = "https://api.keystorm.test"
)

// appAudience is the aud of sampleToken's application, app_1.
var appAudience = domain.ApplicationAudience(testAudience, "app_1")

// t0 is the fixed clock of the fixtures.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// sampleToken is a token issued at iat for an hour.
func sampleToken(iat time.Time) domain.AccessToken {
	return domain.AccessToken{
		JTI:           "tok_6f3c1f0c0d9a4b1e",
		Issuer:        testIssuer,
		Audience:      appAudience,
		Subject:       "https://keystorm.test/v1/accounts/acc_1",
		ClientID:      "KEY1ABCDEFGHIJKLMNOP",
		TenantID:      "ten_1",
		ApplicationID: "app_1",
		AccountID:     "acc_1",
		Scopes:        []string{"view_others_equipment", "read"},
		Admin:         false,
		IssuedAt:      iat,
		ExpiresAt:     iat.Add(time.Hour),
	}
}

// fixture is a ring, signer and verifier on one clock.
type fixture struct {
	clock    *clock
	store    *FileStore
	ring     Keyring
	signer   *Signer
	verifier *Verifier
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	c := newClock(t0)
	store := NewFileStore("", c)
	ring, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(ring, testIssuer, testAudience, c)
	return &fixture{clock: c, store: store, ring: ring, signer: NewSigner(store, c), verifier: v}
}

func (f *fixture) sign(t testing.TB, at domain.AccessToken) string {
	t.Helper()
	s, err := f.signer.Sign(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantInvalid checks that err is a rejection.
func wantInvalid(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("token accepted")
	}
	if !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
}

// segments splits a compact JWS.
func segments(t testing.TB, tok string) (header, payload map[string]any, sig string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1]), parts[2]
}

// b64json base64url-encodes v as JSON, for hand-built hostile tokens.
func b64json(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
