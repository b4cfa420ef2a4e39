package domain

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"
	"unsafe"
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
	// Session is the refresh token id of a password grant's access
	// token: the credential acts for its account alone (KeyID is then
	// empty and Admin false).
	Session string
	// Expires is when the credential shown stops authenticating by
	// itself: the key's expiry, or the end of the grace of a rerolled
	// secret, whichever is first; zero when neither applies. Tokens
	// issued on it end by then.
	Expires time.Time
	// SecretGeneration is the generation (APIKey.Generation) of the
	// secret shown: the key's current one, or the one before it in its
	// grace.
	SecretGeneration int
	// RateLimit is the key's effective rate limit (EffectiveRateLimit);
	// zero for sessions and keys without one.
	RateLimit RateLimit
	// Reach lists, for a key, every application that reaches its
	// account (reach.go), the first being ApplicationID's: a key works
	// wherever its account's directory is mapped. In picks one. (A
	// pointer keeps Principal comparable: authorizers key caches by
	// their decisions, made with Reach gone.)
	Reach *Reach
}

// Reach is what a key reaches (Principal.Reach).
type Reach []AppReach

// AppReach is one application a key reaches, with the key's effective
// rate limit there.
type AppReach struct {
	ApplicationID string
	RateLimit     RateLimit
}

// In returns the principal acting for application id, which must be
// one it reaches: a key authenticated at an application's endpoint, or
// by an authorizer bound to it, acts for that application. A principal
// without Reach (a session, a token) reaches only its own.
func (p Principal) In(id string) (Principal, bool) {
	if id == "" {
		return p, false
	}
	if p.Reach == nil {
		return p, id == p.ApplicationID
	}
	for _, r := range *p.Reach {
		if r.ApplicationID == id {
			p.ApplicationID, p.RateLimit = r.ApplicationID, r.RateLimit
			return p, true
		}
	}
	return p, false
}

// KeyAuthenticator checks API key id/secret pairs. It keeps the key and
// account states it read for TTL, so a busy key costs no store call; the
// secret is still hashed and compared on every call. A key or account that
// is disabled or deleted therefore stops authenticating within TTL. With
// a TTL of 0 every call reads afresh.
type KeyAuthenticator struct {
	Store Store
	Clock Clock
	TTL   time.Duration
	// Usage, when set, counts each verification of a key that exists
	// (lastUsedAt and the usage endpoint). It must not block: it is
	// called on the request path (infra/usage.Recorder aggregates in
	// memory and writes later).
	Usage UsageSink

	entries keyCache
	// shared, when set, is used instead of entries (see clientHints).
	shared *keyCache
}

// UsageSink counts verifications per key. ok is false for a key that
// exists but was refused (wrong secret, disabled, expired...); a key id
// that does not exist is never counted, so a flood of made-up ids adds
// nothing.
type UsageSink interface {
	Record(tenant, keyID string, ok bool)
}

// keyCache is a KeyAuthenticator's entries, by key id.
type keyCache struct {
	mu sync.RWMutex
	m  map[string]cachedKey
	// apps are the tenants' applications (KeyAuthenticator.applications).
	apps map[string]tenantApps
}

func (a *KeyAuthenticator) cache() *keyCache {
	if a.shared != nil {
		return a.shared
	}
	return &a.entries
}

type cachedKey struct {
	// sum is the stored secret hash, decoded once when the key is read
	// so that a hit compares without decoding; ok is false when the key
	// id is unknown or its hash is not one (then nothing matches).
	sum [sha256.Size]byte
	ok  bool
	// prev is the hash of the secret the last reroll replaced, and
	// prevOK whether there is one in grace (as of the read).
	prev   [sha256.Size]byte
	prevOK bool
	key    *APIKey // nil when the key id is unknown
	// account and the applications that reach it (reach.go) are loaded
	// only after a secret matched, so a wrong secret costs exactly what
	// an unknown key id costs: one read.
	account *Account
	// apps are applications read with the account, by id (a missing one
	// as deleted), and reached whether each reaches the account; reach,
	// once read (non-nil), every application that reaches it.
	apps    map[string]*Application
	reached map[string]bool
	reach   []*Application
	expires time.Time
}

// mismatchRefresh is how old a cache entry must be for a secret it does
// not match to be checked against a fresh read (see authenticate).
const mismatchRefresh = time.Second

// maxCacheEntries bounds memory: a flood of random key ids must not grow
// the cache without limit.
const maxCacheEntries = 10000

// sum256 is the SHA-256 of s, hashed in place: a []byte copy of a secret
// or a token (up to 8 KB) would be the largest allocation of a cache hit,
// and Sum256 only reads its input.
func sum256(s string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// dummySum is compared against when a key id is unknown.
var dummySum, _ = decodeHash(dummyHash)

// decodeHash decodes a stored secret hash (HashSecret's hex SHA-256).
// Anything else (a corrupt item) decodes as not ok, and matches nothing.
func decodeHash(h string) (sum [sha256.Size]byte, ok bool) {
	if len(h) != hex.EncodedLen(sha256.Size) {
		return sum, false // hex.Decode would write past sum
	}
	n, err := hex.Decode(sum[:], []byte(h))
	return sum, err == nil && n == sha256.Size
}

// match compares a presented secret's SHA-256 with the entry's current
// hash and with the previous secret's, each replaced by dummySum when
// the entry has none: both compares always run, so an unknown id, a
// wrong secret and either secret of a rerolled key cost the same.
func (e *cachedKey) match(sum *[sha256.Size]byte) (current, previous bool) {
	want, ok := &e.sum, e.ok
	if !ok {
		want = &dummySum
	}
	old, oldOK := &e.prev, e.prevOK
	if !oldOK {
		old = &dummySum
	}
	c := subtle.ConstantTimeCompare(sum[:], want[:]) == 1
	p := subtle.ConstantTimeCompare(sum[:], old[:]) == 1
	return c && ok, p && oldOK
}

// Authenticate returns the principal for id:secret, or
// ErrUnauthenticated for every kind of failure alike. Store failures are
// returned as they are, so callers can tell "deny" from "could not
// decide"; both must deny.
//
// An unknown key id and a wrong secret cost the same: one hash, the
// constant-time compares, and (on a cache miss, or at most once a second
// per id on a mismatch) one read of the key item. Only the usage count
// of a key that exists (KeyAuthenticator.Usage, an in-memory increment)
// tells them apart, by well under a microsecond: key ids are not
// secrets, the secret is.
// Only a matching secret leads to reading the account and application:
// on the first miss in a second read; when the entry that expired had
// already matched this same secret, together with the key in one read,
// since its ids are known and the caller has shown the secret again.
func (a *KeyAuthenticator) Authenticate(ctx context.Context, id, secret string) (Principal, error) {
	p, _, _, err := a.authenticate(ctx, id, secret, nil)
	return p, err
}

// AuthenticateIn is Authenticate for an API bound to the applications
// apps: only they are weighed (the principal reaches those of them its
// account reaches, in that order, and acts for the first), so a key
// costs the reads of its own, never a listing of the tenant's.
func (a *KeyAuthenticator) AuthenticateIn(ctx context.Context, id, secret string, apps []string) (Principal, error) {
	if len(apps) == 0 {
		return Principal{}, ErrUnauthenticated
	}
	p, _, _, err := a.authenticate(ctx, id, secret, apps)
	return p, err
}

// authenticate is Authenticate, also returning the key and application
// states the answer was decided on (nil unless it succeeded), so that
// TokenService.Issue reads neither again. They may be shared with the
// cache: callers must not modify them.
//
// want, when set, are the applications the caller asks about (an
// application's token endpoint, an authorizer's binding): only they are
// read. Without, a key reaches its own application, or when it has none
// (an account of a shared directory), every one mapping its account's
// directory.
func (a *KeyAuthenticator) authenticate(ctx context.Context, id, secret string, want []string) (Principal, *APIKey, *Application, error) {
	// Only a secret that could be some key's is worth a read: a kss_
	// secret with a wrong checksum, or anything else that breaks the
	// import rule (CandidateSecret), is refused unread. Any other
	// secret, ours or imported, takes the same read and compare.
	if id == "" || len(id) > 64 || !CandidateSecret(secret) {
		if len(secret) > MaxImportedSecretLen {
			secret = secret[:MaxImportedSecretLen] // hash no more than a real check does
		}
		SecretMatches(secret, dummyHash) // same work as a real check
		return Principal{}, nil, nil, ErrUnauthenticated
	}
	sum := sum256(secret)
	now := a.Clock.Now()
	c := a.cache()
	c.mu.RLock()
	e, hit := c.m[id]
	c.mu.RUnlock()
	// With no TTL an entry is never served, whatever the clock says: it
	// only lets the next read of a caller showing the same secret batch
	// the key with its account and application.
	cur, prev := e.match(&sum)
	// A secret the entry does not match is read afresh once the entry is
	// a second old, even within TTL: it may be the new secret of a key
	// rerolled since, which must work at once. Unknown ids and wrong
	// secrets both take this path alike, so a guess costs at most one
	// read per key id a second, whichever it is.
	stale := !hit || a.TTL <= 0 || !now.Before(e.expires) ||
		(!cur && !prev && !now.Before(e.expires.Add(mismatchRefresh-a.TTL)))
	if stale {
		// The expired entry (or none: then dummySum) was compared with in
		// every case, so this compare costs the same for unknown ids and
		// wrong secrets; only the right secret reads more in one go.
		var (
			owners *APIKey
			err    error
		)
		if cur || prev {
			owners = e.key
		}
		if e, err = a.load(ctx, id, owners, want); err != nil {
			return Principal{}, nil, nil, err
		}
		e.expires = now.Add(a.TTL)
		a.store(id, e, now)
		cur, prev = e.match(&sum)
	}
	p, k, app, err := a.decide(ctx, id, e, cur, prev, now, want)
	if a.Usage != nil && e.key != nil && !e.key.Deleted() && (err == nil || errors.Is(err, ErrUnauthenticated)) {
		a.Usage.Record(e.key.TenantID(), e.key.ID, err == nil)
	}
	return p, k, app, err
}

// decide finishes authenticate once the entry is read: the key's state,
// which secret matched, then its account and application.
func (a *KeyAuthenticator) decide(ctx context.Context, id string, e cachedKey, cur, prev bool, now time.Time, want []string) (Principal, *APIKey, *Application, error) {
	if e.key == nil || e.key.Deleted() || e.key.Status != StatusEnabled || e.key.Expired(now) {
		return Principal{}, nil, nil, ErrUnauthenticated
	}
	gen, expires := e.key.Generation, e.key.ExpiresAt
	switch {
	case cur:
	case prev && e.key.InGrace(now):
		gen--
		if expires.IsZero() || e.key.PreviousValidUntil.Before(expires) {
			expires = e.key.PreviousValidUntil
		}
	default:
		return Principal{}, nil, nil, ErrUnauthenticated
	}
	loaded := e.account == nil
	if loaded {
		acc, apps, err := loadOwners(ctx, a.Store, e.key.AccountID, append([]string{e.key.ApplicationID}, want...)...)
		if err != nil {
			return Principal{}, nil, nil, err
		}
		e.account, e.apps = acc, apps
	}
	reach, changed, err := a.reach(ctx, &e, now, want)
	if err != nil {
		return Principal{}, nil, nil, err
	}
	// Stored only when this call read something: a cache hit, the
	// authorizer's hot path, takes no write lock.
	if loaded || changed {
		a.store(id, e, now)
	}
	acc := e.account
	if acc.Deleted() || acc.Status != StatusEnabled || acc.TenantID() != e.key.TenantID() || len(reach) == 0 {
		return Principal{}, nil, nil, ErrUnauthenticated
	}
	k, app := e.key, reach[0]
	p := Principal{TenantID: k.TenantID(), ApplicationID: app.ID, AccountID: k.AccountID, KeyID: k.ID, Admin: k.Admin, Username: acc.Username,
		Expires: expires, SecretGeneration: gen, RateLimit: EffectiveRateLimit(k, app)}
	rs := make(Reach, 0, len(reach))
	for _, r := range reach {
		rs = append(rs, AppReach{ApplicationID: r.ID, RateLimit: EffectiveRateLimit(k, r)})
	}
	p.Reach = &rs
	return p, k, app, nil
}

// loadOwners reads a key's account and the named applications (those
// given, "" skipped) with one LoadMany. A missing one comes back
// deleted, so callers refuse it.
func loadOwners(ctx context.Context, store Store, accountID string, appIDs ...string) (*Account, map[string]*Application, error) {
	refs := []Ref{{KindAccount, accountID}}
	for _, id := range appIDs {
		if id != "" && len(id) <= 64 {
			refs = append(refs, Ref{KindApplication, id})
		}
	}
	states, err := store.LoadMany(ctx, refs)
	if err != nil {
		return nil, nil, err
	}
	acc, apps := &Account{Base: Base{Gone: true}}, map[string]*Application{}
	for _, r := range refs[1:] {
		apps[r.ID] = &Application{Base: Base{Gone: true}} // missing reads as deleted
	}
	for _, st := range states {
		switch st := st.(type) {
		case *Account:
			if st.ID == accountID {
				acc = st
			}
		case *Application:
			apps[st.ID] = st
		}
	}
	return acc, apps, nil
}

// reach lists the applications e's account reaches, first the one the
// principal acts for: of want when it is set, else the key's own
// application when it has one, else every one of the tenant's that maps
// the account's directory (their list kept for TTL). Applications read
// and verdicts reached are kept in e (copied on write: entries are
// shared).
func (a *KeyAuthenticator) reach(ctx context.Context, e *cachedKey, now time.Time, want []string) (out []*Application, changed bool, err error) {
	targets := want
	if len(targets) == 0 && e.key.ApplicationID != "" {
		targets = []string{e.key.ApplicationID}
	}
	if len(targets) == 0 {
		if e.reach == nil {
			apps, listed, err := a.applications(ctx, e.key.TenantID(), now)
			if err != nil {
				return nil, false, err
			}
			// The reach is no fresher than the list it was read from.
			if listed.Before(e.expires) {
				e.expires = listed
			}
			reach, err := reachOf(ctx, a.Store, apps, e.account)
			if err != nil {
				return nil, false, err
			}
			if reach == nil {
				reach = []*Application{} // non-nil: read
			}
			e.reach, changed = reach, true
		}
		return e.reach, changed, nil
	}
	var missing []Ref
	for _, id := range targets {
		if _, ok := e.apps[id]; !ok && id != "" && len(id) <= 64 {
			missing = append(missing, Ref{KindApplication, id})
		}
	}
	if len(missing) > 0 {
		states, err := a.Store.LoadMany(ctx, missing)
		if err != nil {
			return nil, false, err
		}
		apps := maps.Clone(e.apps)
		if apps == nil {
			apps = map[string]*Application{}
		}
		for _, r := range missing {
			apps[r.ID] = &Application{Base: Base{Gone: true}} // missing reads as deleted
		}
		for _, st := range states {
			if app, ok := st.(*Application); ok {
				apps[app.ID] = app
			}
		}
		e.apps, changed = apps, true
	}
	copied := false
	usable := -1 // whether the account's directory lets it in: read once
	for _, id := range targets {
		app := e.apps[id]
		if app == nil || !app.Usable() || slices.Contains(out, app) {
			continue
		}
		ok, seen := e.reached[id]
		if !seen {
			if usable < 0 {
				own := e.apps[e.account.ApplicationID]
				if own == nil && e.account.ApplicationID == app.ID {
					own = app
				}
				u, err := storeUsable(ctx, a.Store, e.account, own)
				if err != nil {
					return nil, false, err
				}
				usable = map[bool]int{false: 0, true: 1}[u]
			}
			var err error
			if ok, err = mapped(ctx, a.Store, app, e.account); err != nil {
				return nil, false, err
			}
			ok = ok && usable == 1 && !e.account.Deleted() && app.TenantID() == e.account.TenantID()
			if !copied {
				e.reached, copied, changed = maps.Clone(e.reached), true, true
				if e.reached == nil {
					e.reached = map[string]bool{}
				}
			}
			e.reached[id] = ok
		}
		if ok {
			out = append(out, app)
		}
	}
	return out, changed, nil
}

// applications returns a tenant's applications, kept for TTL as keys
// are: every key of the tenant weighs its reach against them.
// It also returns when the list expires.
func (a *KeyAuthenticator) applications(ctx context.Context, tenant string, now time.Time) ([]*Application, time.Time, error) {
	c := a.cache()
	c.mu.RLock()
	t, ok := c.apps[tenant]
	c.mu.RUnlock()
	if ok && a.TTL > 0 && now.Before(t.expires) {
		return t.apps, t.expires, nil
	}
	apps, err := listApplications(ctx, a.Store, tenant)
	if err != nil {
		return nil, time.Time{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.apps == nil || len(c.apps) >= maxCacheEntries {
		c.apps = map[string]tenantApps{}
	}
	exp := now.Add(a.TTL)
	c.apps[tenant] = tenantApps{apps: apps, expires: exp}
	return apps, exp, nil
}

// tenantApps is a tenant's applications as last read.
type tenantApps struct {
	apps    []*Application
	expires time.Time
}

// load reads key id. When prev is the key as last read and the caller
// presented its secret, its account and applications (its own, and
// want) are read in the same LoadMany; they are kept only if the key
// still names the account.
func (a *KeyAuthenticator) load(ctx context.Context, id string, prev *APIKey, want []string) (cachedKey, error) {
	if prev == nil {
		k := &APIKey{}
		err := a.Store.Load(ctx, Ref{KindAPIKey, id}, k)
		if errors.Is(err, ErrNotFound) {
			return cachedKey{}, nil
		}
		if err != nil {
			return cachedKey{}, err
		}
		return newCachedKey(k), nil
	}
	refs := []Ref{{KindAPIKey, id}, {KindAccount, prev.AccountID}}
	for _, app := range append([]string{prev.ApplicationID}, want...) {
		if app != "" && len(app) <= 64 && !slices.Contains(refs, Ref{KindApplication, app}) {
			refs = append(refs, Ref{KindApplication, app})
		}
	}
	states, err := a.Store.LoadMany(ctx, refs)
	if err != nil {
		return cachedKey{}, err
	}
	var k *APIKey
	acc, apps := &Account{Base: Base{Gone: true}}, map[string]*Application{}
	for _, r := range refs[2:] {
		apps[r.ID] = &Application{Base: Base{Gone: true}} // missing reads as deleted
	}
	for _, st := range states {
		switch st := st.(type) {
		case *APIKey:
			if st.ID == id {
				k = st
			}
		case *Account:
			if st.ID == prev.AccountID {
				acc = st
			}
		case *Application:
			apps[st.ID] = st
		}
	}
	if k == nil {
		return cachedKey{}, nil
	}
	e := newCachedKey(k)
	if k.AccountID == prev.AccountID {
		e.account, e.apps = acc, apps
	}
	return e, nil
}

func newCachedKey(k *APIKey) cachedKey {
	e := cachedKey{key: k}
	e.sum, e.ok = decodeHash(k.SecretHash)
	if k.PreviousSecretHash != "" {
		e.prev, e.prevOK = decodeHash(k.PreviousSecretHash)
	}
	return e
}

func (a *KeyAuthenticator) store(id string, e cachedKey, now time.Time) {
	c := a.cache()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]cachedKey)
	}
	if len(c.m) >= maxCacheEntries {
		for k, v := range c.m {
			if now.After(v.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCacheEntries {
			clear(c.m)
		}
	}
	c.m[id] = e
}
