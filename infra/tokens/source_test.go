package tokens

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// jwksServer serves the JWKS of whatever ring it holds, and counts.
type jwksServer struct {
	mu    sync.Mutex
	ring  Keyring
	down  bool
	fetch atomic.Int32
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fetch.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	doc, err := JWKS(s.ring)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(doc)
}

func (s *jwksServer) set(r Keyring, down bool) {
	s.mu.Lock()
	s.ring, s.down = r, down
	s.mu.Unlock()
}

func TestJWKSSourceCachesAndPicksUpRotationOnUnknownKid(t *testing.T) {
	ctx := context.Background()
	c := newClock(t0)
	ring, _ := NewKeyring(t0)
	js := &jwksServer{ring: ring}
	srv := httptest.NewServer(js)
	defer srv.Close()
	src := NewJWKSSource(FetchURL(srv.Client(), srv.URL), c, WithTTL(10*time.Minute))
	if js.fetch.Load() != 0 {
		t.Fatal("fetched before first use")
	}
	k1 := ring.Keys[0].KID
	for range 3 {
		if _, err := src.PublicKey(ctx, k1); err != nil {
			t.Fatal(err)
		}
	}
	if n := js.fetch.Load(); n != 1 {
		t.Fatalf("%d fetches", n)
	}

	// Unknown kids: no refetch right after a fetch; a minute later one
	// refetch, then none for a minute, however many.
	if _, err := src.PublicKey(ctx, "unknown"); !errors.Is(err, ErrUnknownKey) {
		t.Fatal(err)
	}
	if n := js.fetch.Load(); n != 1 {
		t.Fatalf("%d fetches", n)
	}
	c.Add(MinRefresh)
	for range 5 {
		if _, err := src.PublicKey(ctx, "unknown"); !errors.Is(err, ErrUnknownKey) {
			t.Fatal(err)
		}
	}
	if n := js.fetch.Load(); n != 2 {
		t.Fatalf("%d fetches", n)
	}

	// Rotation: the new kid is unknown until the next allowed refetch.
	rotated := ring
	rotated.Rotate(t0.Add(time.Hour), time.Minute)
	js.set(rotated, false)
	k2 := rotated.Keys[1].KID
	if _, err := src.PublicKey(ctx, k2); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("refetched within MinRefresh: %v", err)
	}
	c.Add(MinRefresh)
	if _, err := src.PublicKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if _, err := src.PublicKey(ctx, k1); err != nil {
		t.Fatal("old key gone:", err)
	}
	if n := js.fetch.Load(); n != 3 {
		t.Fatalf("%d fetches", n)
	}

	// TTL expiry refetches even for known kids.
	c.Add(10 * time.Minute)
	src.PublicKey(ctx, k1)
	if n := js.fetch.Load(); n != 4 {
		t.Fatalf("%d fetches", n)
	}
}

func TestJWKSSourceServesStaleWhileDownThenFails(t *testing.T) {
	ctx := context.Background()
	c := newClock(t0)
	ring, _ := NewKeyring(t0)
	js := &jwksServer{ring: ring}
	srv := httptest.NewServer(js)
	defer srv.Close()
	src := NewJWKSSource(FetchURL(srv.Client(), srv.URL), c, WithTTL(time.Minute), WithMaxStale(10*time.Minute))
	kid := ring.Keys[0].KID
	if _, err := src.PublicKey(ctx, kid); err != nil {
		t.Fatal(err)
	}
	js.set(ring, true)
	c.Add(5 * time.Minute)
	if _, err := src.PublicKey(ctx, kid); err != nil {
		t.Fatalf("stale not served: %v", err)
	}
	// Retries are rate limited while down.
	n := js.fetch.Load()
	src.PublicKey(ctx, kid)
	if js.fetch.Load() != n {
		t.Fatal("refetched within MinRefresh while down")
	}
	c.Add(10 * time.Minute)
	_, err := src.PublicKey(ctx, kid)
	if err == nil || errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want unavailable", err)
	}
	// Recovery.
	js.set(ring, false)
	c.Add(MinRefresh)
	if _, err := src.PublicKey(ctx, kid); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSSourceFirstFetchFailsRateLimited(t *testing.T) {
	c := newClock(t0)
	var n int
	src := NewJWKSSource(func(context.Context) ([]byte, error) { n++; return nil, errors.New("no route") }, c)
	for range 3 {
		if _, err := src.PublicKey(context.Background(), "k"); err == nil || errors.Is(err, ErrUnknownKey) {
			t.Fatalf("err = %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("%d fetches", n)
	}
}

func TestJWKSSourceConcurrentUse(t *testing.T) {
	ring, _ := NewKeyring(t0)
	doc, _ := JWKS(ring)
	var n atomic.Int32
	src := NewJWKSSource(func(context.Context) ([]byte, error) { n.Add(1); return doc, nil }, newClock(t0))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if _, err := src.PublicKey(context.Background(), ring.Keys[0].KID); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("%d fetches", n.Load())
	}
}

func TestParseJWKSSkipsForeignKeys(t *testing.T) {
	ring, _ := NewKeyring(t0)
	doc, _ := JWKS(ring)
	kid := ring.Keys[0].KID
	mixed := `{"keys":[` +
		`{"kty":"oct","k":"c2VjcmV0","kid":"hmac","alg":"HS256"},` +
		`{"kty":"RSA","n":"sXch","e":"AQAB","kid":"rsa"},` +
		string(doc[len(`{"keys":[`):len(doc)-2]) + `]}`
	keys, err := ParseJWKS([]byte(mixed))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[kid] == nil {
		t.Fatalf("keys %v", keys)
	}
	for _, bad := range []string{"", "{", `{"keys":{}}`} {
		if _, err := ParseJWKS([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFetchURLChecksStatusAndSize(t *testing.T) {
	big := make([]byte, 1<<20+1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		default:
			w.Write(big)
		}
	}))
	defer srv.Close()
	for _, p := range []string{"/404", "/big"} {
		if _, err := FetchURL(nil, srv.URL+p)(context.Background()); err == nil {
			t.Errorf("%s: no error", p)
		}
	}
}

// Nothing published yet reads as the empty set: a kid is unknown (a bad
// token), not an outage; the key is found once it is published; other
// errors stay errors.
func TestPublishedJWKS(t *testing.T) {
	ctx := context.Background()
	ring, _ := NewKeyring(t0)
	doc, _ := JWKS(ring)
	var published atomic.Pointer[[]byte]
	outage := errors.New("store down")
	var down atomic.Bool
	get := func(context.Context) ([]byte, error) {
		if down.Load() {
			return nil, outage
		}
		if p := published.Load(); p != nil {
			return *p, nil
		}
		return nil, fmt.Errorf("get: %w", domain.ErrNotFound)
	}
	c := newClock(t0)
	src := NewJWKSSource(PublishedJWKS(get), c)
	kid := ring.Keys[0].KID
	if _, err := src.PublicKey(ctx, kid); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("before publication: %v, want ErrUnknownKey", err)
	}
	published.Store(&doc)
	c.Add(MinRefresh)
	if k, err := src.PublicKey(ctx, kid); err != nil || !k.Equal(&ring.Keys[0].Private.PublicKey) {
		t.Fatalf("after publication: %v", err)
	}
	down.Store(true)
	if _, err := PublishedJWKS(get)(ctx); !errors.Is(err, outage) {
		t.Fatalf("outage: %v", err)
	}
}
