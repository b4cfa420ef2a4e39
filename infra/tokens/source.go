package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/keystorm/keystorm/domain"
)

// PublicKeySource gives verifiers the public key for a kid. It returns
// ErrUnknownKey (possibly wrapped) when it knows no such key, and any
// other error when it cannot tell (the keys are unavailable).
type PublicKeySource interface {
	PublicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error)
}

// ErrUnknownKey is a PublicKeySource's answer for a kid it does not know.
var ErrUnknownKey = errors.New("tokens: unknown key id")

// StoreKeys is a PublicKeySource over a KeyStore, for processes that may
// read the private keys anyway (the local server, the token function).
// The store's own cache decides how soon rotation is seen.
type StoreKeys struct{ Store KeyStore }

// PublicKey implements PublicKeySource.
func (s StoreKeys) PublicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	ring, err := s.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	return ring.PublicKey(ctx, kid)
}

// Default timings of a JWKSSource.
const (
	DefaultJWKSTTL = 5 * time.Minute
	// MinRefresh bounds refetches on unknown kids, which anyone can send.
	MinRefresh = time.Minute
	// DefaultMaxStale is how long a source keeps answering from its last
	// good document while refetches fail.
	DefaultMaxStale = time.Hour
)

// JWKSSource is a PublicKeySource over a JWKS document, fetched on first
// use and cached for TTL. An unknown kid triggers a refetch at most once
// per MinRefresh, so a verifier picks up a new key with its first token.
// When a refetch fails the last good document keeps answering for up to
// MaxStale past its TTL (keys are only ever added or expire, so a stale
// set never accepts a token a fresh one would refuse for its key); after
// that, and before the first success, the fetch error is returned.
//
// The hit path takes no lock and allocates nothing.
type JWKSSource struct {
	fetch    func(ctx context.Context) ([]byte, error)
	ttl      time.Duration
	maxStale time.Duration
	clock    domain.Clock

	cur atomic.Pointer[jwksSnapshot]
	mu  sync.Mutex // serialises fetches
}

type jwksSnapshot struct {
	keys      map[string]*ecdsa.PublicKey
	fetchedAt time.Time // of the document
	triedAt   time.Time // of the last attempt, successful or not
	err       error     // of the last attempt
}

// JWKSOption configures a JWKSSource.
type JWKSOption func(*JWKSSource)

// WithTTL sets how long a fetched document is used before refetching.
func WithTTL(d time.Duration) JWKSOption { return func(s *JWKSSource) { s.ttl = d } }

// WithMaxStale sets how long past its TTL a document serves while
// refetches fail.
func WithMaxStale(d time.Duration) JWKSOption { return func(s *JWKSSource) { s.maxStale = d } }

// NewJWKSSource returns a source reading JWKS documents from fetch; the
// clock (required) decides when a document is due for a refetch.
func NewJWKSSource(fetch func(ctx context.Context) ([]byte, error), clock domain.Clock, opts ...JWKSOption) *JWKSSource {
	if clock == nil {
		panic("tokens: NewJWKSSource needs a clock")
	}
	s := &JWKSSource{fetch: fetch, ttl: DefaultJWKSTTL, maxStale: DefaultMaxStale, clock: clock}
	for _, o := range opts {
		o(s)
	}
	return s
}

// FetchURL returns a fetch function for NewJWKSSource that GETs url with
// client (http.DefaultClient when nil). Documents above 1 MiB are refused.
func FetchURL(client *http.Client, url string) func(ctx context.Context) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/jwk-set+json, application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("tokens: fetch JWKS: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("tokens: fetch JWKS: %s", resp.Status)
		}
		const limit = 1 << 20
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if err != nil {
			return nil, fmt.Errorf("tokens: fetch JWKS: %w", err)
		}
		if len(b) > limit {
			return nil, errors.New("tokens: fetch JWKS: document too large")
		}
		return b, nil
	}
}

// EmptyJWKS is the JWK Set without keys.
const EmptyJWKS = `{"keys":[]}`

// PublishedJWKS adapts the read of a published JWKS document (such as
// infra/dynamo's Store.GetJWKS) for NewJWKSSource and the JWKS endpoint:
// a document not published yet (domain.ErrNotFound) reads as EmptyJWKS.
// Keys are published before they sign, so when nothing is published no
// token can be valid: Bearer tokens are then refused as signed by an
// unknown key, not taken for an outage. Other errors pass through.
func PublishedJWKS(get func(ctx context.Context) ([]byte, error)) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		doc, err := get(ctx)
		if errors.Is(err, domain.ErrNotFound) {
			return []byte(EmptyJWKS), nil
		}
		return doc, err
	}
}

// StaticJWKS returns a source over a fixed document.
func StaticJWKS(doc []byte) (PublicKeySource, error) {
	keys, err := ParseJWKS(doc)
	if err != nil {
		return nil, err
	}
	return staticKeys(keys), nil
}

type staticKeys map[string]*ecdsa.PublicKey

func (s staticKeys) PublicKey(_ context.Context, kid string) (*ecdsa.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// ParseJWKS reads the ES256 verification keys of a JWK Set by kid. Keys
// of other types or algorithms, for encryption, or without a kid are
// skipped; of a private key only the public part is kept.
func ParseJWKS(doc []byte) (map[string]*ecdsa.PublicKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("tokens: invalid JWKS: %w", err)
	}
	keys := make(map[string]*ecdsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.KeyID == "" || (k.Algorithm != "" && k.Algorithm != string(Algorithm)) || (k.Use != "" && k.Use != "sig") || !k.Valid() {
			continue
		}
		var pub *ecdsa.PublicKey
		switch key := k.Key.(type) {
		case *ecdsa.PublicKey:
			pub = key
		case *ecdsa.PrivateKey:
			pub = &key.PublicKey
		default:
			continue
		}
		if pub.Curve != elliptic.P256() {
			continue
		}
		if _, dup := keys[k.KeyID]; dup {
			return nil, fmt.Errorf("tokens: invalid JWKS: duplicate kid %q", k.KeyID)
		}
		keys[k.KeyID] = pub
	}
	return keys, nil
}

// PublicKey implements PublicKeySource.
func (s *JWKSSource) PublicKey(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	now := s.clock.Now()
	snap := s.cur.Load()
	if snap != nil && now.Before(snap.fetchedAt.Add(s.ttl)) {
		if k, ok := snap.keys[kid]; ok {
			return k, nil
		}
		if now.Before(snap.triedAt.Add(MinRefresh)) {
			return nil, ErrUnknownKey
		}
	}
	snap, err := s.refresh(ctx, now, snap)
	if err != nil {
		return nil, err
	}
	if k, ok := snap.keys[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// refresh fetches a new document unless another caller did since seen was
// loaded, or the last attempt is too recent.
func (s *JWKSSource) refresh(ctx context.Context, now time.Time, seen *jwksSnapshot) (*jwksSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	if cur != seen && cur != nil {
		return cur, nil // someone else refreshed meanwhile
	}
	if cur != nil && now.Before(cur.triedAt.Add(MinRefresh)) {
		if now.Before(cur.fetchedAt.Add(s.ttl + s.maxStale)) {
			return cur, nil
		}
		if cur.err != nil {
			return nil, cur.err
		}
		return nil, errors.New("tokens: JWKS unavailable")
	}
	doc, err := s.fetch(ctx)
	var keys map[string]*ecdsa.PublicKey
	if err == nil {
		keys, err = ParseJWKS(doc)
	}
	if err != nil {
		stale := &jwksSnapshot{triedAt: now, err: err}
		if cur != nil {
			stale.keys, stale.fetchedAt = cur.keys, cur.fetchedAt
		}
		s.cur.Store(stale)
		if cur == nil {
			return nil, err
		}
		if now.Before(cur.fetchedAt.Add(s.ttl + s.maxStale)) {
			return stale, nil
		}
		return nil, err
	}
	next := &jwksSnapshot{keys: keys, fetchedAt: now, triedAt: now}
	s.cur.Store(next)
	return next, nil
}
