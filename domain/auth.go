package domain

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Principal is who an API key authenticates as.
type Principal struct {
	TenantID      string
	ApplicationID string
	AccountID     string
	KeyID         string
	Admin         bool
}

// KeyAuthenticator checks API key id/secret pairs. It keeps the key and
// account states it read for TTL, so a busy key costs no store call; the
// secret is still hashed and compared on every call. A key or account that
// is disabled or deleted therefore stops authenticating within TTL.
type KeyAuthenticator struct {
	Store Store
	Clock Clock
	TTL   time.Duration

	mu    sync.RWMutex
	cache map[string]cachedKey
}

type cachedKey struct {
	hash    string
	p       Principal
	ok      bool // false: known to be unusable (missing, disabled, ...)
	expires time.Time
}

// maxCacheEntries bounds memory: a flood of random key ids must not grow
// the cache without limit.
const maxCacheEntries = 10000

// Authenticate returns the principal for id:secret, or
// ErrUnauthenticated for every kind of failure alike. Store failures are
// returned as they are, so callers can tell "deny" from "could not
// decide"; both must deny.
func (a *KeyAuthenticator) Authenticate(ctx context.Context, id, secret string) (Principal, error) {
	if id == "" || len(id) > 64 || !WellFormedSecret(secret) {
		SecretMatches(secret, dummyHash) // same work as a real check
		return Principal{}, ErrUnauthenticated
	}
	now := a.Clock.Now()
	a.mu.RLock()
	e, hit := a.cache[id]
	a.mu.RUnlock()
	if !hit || !now.Before(e.expires) {
		var err error
		if e, err = a.lookup(ctx, id); err != nil {
			SecretMatches(secret, dummyHash)
			return Principal{}, err
		}
		e.expires = now.Add(a.TTL)
		a.store(id, e, now)
	}
	hash := e.hash
	if hash == "" {
		hash = dummyHash
	}
	if !SecretMatches(secret, hash) || !e.ok {
		return Principal{}, ErrUnauthenticated
	}
	return e.p, nil
}

func (a *KeyAuthenticator) lookup(ctx context.Context, id string) (cachedKey, error) {
	k := &APIKey{}
	err := a.Store.Load(ctx, Ref{KindAPIKey, id}, k)
	if errors.Is(err, ErrNotFound) {
		return cachedKey{}, nil
	}
	if err != nil {
		return cachedKey{}, err
	}
	e := cachedKey{hash: k.SecretHash}
	if k.Deleted() || k.Status != StatusEnabled {
		return e, nil
	}
	acc := &Account{}
	err = a.Store.Load(ctx, Ref{KindAccount, k.AccountID}, acc)
	if errors.Is(err, ErrNotFound) {
		return e, nil
	}
	if err != nil {
		return cachedKey{}, err
	}
	if acc.Deleted() || acc.Status != StatusEnabled || acc.TenantID() != k.TenantID() {
		return e, nil
	}
	e.ok = true
	e.p = Principal{TenantID: k.TenantID(), ApplicationID: k.ApplicationID, AccountID: k.AccountID, KeyID: k.ID, Admin: k.Admin}
	return e, nil
}

func (a *KeyAuthenticator) store(id string, e cachedKey, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cache == nil {
		a.cache = make(map[string]cachedKey)
	}
	if len(a.cache) >= maxCacheEntries {
		for k, v := range a.cache {
			if now.After(v.expires) {
				delete(a.cache, k)
			}
		}
		if len(a.cache) >= maxCacheEntries {
			clear(a.cache)
		}
	}
	a.cache[id] = e
}
