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
	// Username is the account's username, for backends that key their
	// own data by it (the guide's trooper ids).
	Username string
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
	hash string // "" when the key id is unknown
	key  *APIKey
	// account and application are loaded only after a secret matched, so
	// a wrong secret costs exactly what an unknown key id costs: one read.
	account     *Account
	application *Application
	expires     time.Time
}

// maxCacheEntries bounds memory: a flood of random key ids must not grow
// the cache without limit.
const maxCacheEntries = 10000

// Authenticate returns the principal for id:secret, or
// ErrUnauthenticated for every kind of failure alike. Store failures are
// returned as they are, so callers can tell "deny" from "could not
// decide"; both must deny.
//
// An unknown key id and a wrong secret cost the same: one hash, one
// constant-time compare, and (on a cache miss) one read of the key item.
// Only a matching secret leads to the second read, of the account.
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
		if e, err = a.loadKey(ctx, id); err != nil {
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
	if !SecretMatches(secret, hash) || e.key == nil || e.key.Deleted() || e.key.Status != StatusEnabled {
		return Principal{}, ErrUnauthenticated
	}
	if e.account == nil {
		// One BatchGetItem for both: a missing one reads as deleted.
		acc, app, err := loadOwners(ctx, a.Store, e.key.AccountID, e.key.ApplicationID)
		if err != nil {
			return Principal{}, err
		}
		e.account, e.application = acc, app
		a.store(id, e, now)
	}
	acc, app := e.account, e.application
	if acc.Deleted() || acc.Status != StatusEnabled || acc.TenantID() != e.key.TenantID() ||
		!app.Usable() || app.TenantID() != e.key.TenantID() || acc.ApplicationID != app.ID {
		return Principal{}, ErrUnauthenticated
	}
	k := e.key
	return Principal{TenantID: k.TenantID(), ApplicationID: k.ApplicationID, AccountID: k.AccountID, KeyID: k.ID, Admin: k.Admin, Username: acc.Username}, nil
}

// loadOwners reads a key's account and application with one LoadMany. A
// missing one comes back as a deleted state, so callers refuse it.
func loadOwners(ctx context.Context, store Store, accountID, applicationID string) (*Account, *Application, error) {
	acc, app := &Account{Base: Base{Gone: true}}, &Application{Base: Base{Gone: true}}
	states, err := store.LoadMany(ctx, []Ref{{KindAccount, accountID}, {KindApplication, applicationID}})
	if err != nil {
		return nil, nil, err
	}
	for _, st := range states {
		switch st := st.(type) {
		case *Account:
			if st.ID == accountID {
				acc = st
			}
		case *Application:
			if st.ID == applicationID {
				app = st
			}
		}
	}
	return acc, app, nil
}

func (a *KeyAuthenticator) loadKey(ctx context.Context, id string) (cachedKey, error) {
	k := &APIKey{}
	err := a.Store.Load(ctx, Ref{KindAPIKey, id}, k)
	if errors.Is(err, ErrNotFound) {
		return cachedKey{}, nil
	}
	if err != nil {
		return cachedKey{}, err
	}
	return cachedKey{hash: k.SecretHash, key: k}, nil
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
