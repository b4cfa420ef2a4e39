package secretsmanager

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// The fixtures of infra/tokens' own tests, which a package of its own
// cannot reach.
const (
	testIssuer   = "https://keystorm.test"
	testAudience = "https://api.keystorm.test"
)

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
		Audience:      domain.ApplicationAudience(testAudience, "app_1"),
		Subject:       "https://keystorm.test/v1/accounts/acc_1",
		ClientID:      "KEY1ABCDEFGHIJKLMNOP",
		TenantID:      "ten_1",
		ApplicationID: "app_1",
		AccountID:     "acc_1",
		Scopes:        []string{"read"},
		IssuedAt:      iat,
		ExpiresAt:     iat.Add(time.Hour),
	}
}

// segments decodes the header and payload of a compact JWS.
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
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return dec(parts[0]), dec(parts[1]), parts[2]
}
