package tokens

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/keystorm/keystorm/domain"
)

// Algorithm is the one signature algorithm tokens are signed and verified
// with.
const Algorithm = jose.ES256

// VerifyWindow is how long a retired key stays published: long enough for
// every token it signed to expire (domain.MaxAccessTokenTTL), plus a
// minute for verifiers' clock leeway.
const VerifyWindow = domain.MaxAccessTokenTTL + time.Minute

// PublishAhead is how long a new key is published in the JWKS before it
// signs: longer than the JWKS can sit in caches on its way to a verifier
// (DefaultSecretCache behind the JWKS endpoint, its max-age, then
// DefaultJWKSTTL: 5 + 5 + 5 minutes), so a verifier knows a kid before
// it sees the first token.
const PublishAhead = 20 * time.Minute

// SigningKey is one ES256 key of a Keyring. Its KID is the RFC 7638
// thumbprint of the public key. The key is published from Created, signs
// from SignFrom (Created when zero) until RetireAt (never when zero), and
// stays available for verification until RetireAt + VerifyWindow.
//
// SigningKey formats and logs as its KID and times only: the private key
// never reaches fmt or slog output.
type SigningKey struct {
	KID      string
	Private  *ecdsa.PrivateKey
	Created  time.Time
	SignFrom time.Time
	RetireAt time.Time
}

// NewSigningKey makes a fresh P-256 key created at now.
func NewSigningKey(now time.Time) (SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("tokens: generate key: %w", err)
	}
	return KeyFromPrivate(priv, now)
}

// KeyFromPrivate wraps an existing P-256 private key.
func KeyFromPrivate(priv *ecdsa.PrivateKey, created time.Time) (SigningKey, error) {
	if priv == nil || priv.Curve != elliptic.P256() {
		return SigningKey{}, errors.New("tokens: signing key must be ECDSA P-256")
	}
	kid, err := thumbprint(&priv.PublicKey)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{KID: kid, Private: priv, Created: created.UTC()}, nil
}

func thumbprint(pub *ecdsa.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("tokens: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// signs reports whether the key may sign at now.
func (k SigningKey) signs(now time.Time) bool {
	return !now.Before(k.signFrom()) && (k.RetireAt.IsZero() || now.Before(k.RetireAt))
}

func (k SigningKey) signFrom() time.Time {
	if k.SignFrom.IsZero() {
		return k.Created
	}
	return k.SignFrom
}

// verifies reports whether tokens of the key may still be unexpired at now.
func (k SigningKey) verifies(now time.Time) bool {
	return k.RetireAt.IsZero() || now.Before(k.RetireAt.Add(VerifyWindow))
}

// String describes the key without its private part.
func (k SigningKey) String() string {
	s := "SigningKey{kid=" + k.KID + " created=" + k.Created.Format(time.RFC3339)
	if !k.SignFrom.IsZero() {
		s += " signFrom=" + k.SignFrom.Format(time.RFC3339)
	}
	if !k.RetireAt.IsZero() {
		s += " retireAt=" + k.RetireAt.Format(time.RFC3339)
	}
	return s + "}"
}

// Format makes every fmt verb (%v, %+v, %#v, %s) print String.
func (k SigningKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue keeps the private key out of slog output.
func (k SigningKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.KID), slog.Time("created", k.Created), slog.Time("signFrom", k.SignFrom), slog.Time("retireAt", k.RetireAt))
}

// Keyring is the ordered set of signing keys, oldest first. Treat it as a
// value: Rotate replaces Keys rather than editing it in place, so a ring
// shared through a store's cache is never changed under a reader.
type Keyring struct {
	Keys []SigningKey
}

// NewKeyring returns a ring holding one fresh key.
func NewKeyring(now time.Time) (Keyring, error) {
	k, err := NewSigningKey(now)
	if err != nil {
		return Keyring{}, err
	}
	return Keyring{Keys: []SigningKey{k}}, nil
}

// ErrNoSigningKey is returned when no key of the ring may sign.
var ErrNoSigningKey = errors.New("tokens: no current signing key")

// Current returns the newest key that may sign at now.
func (r Keyring) Current(now time.Time) (SigningKey, error) {
	for i := len(r.Keys) - 1; i >= 0; i-- {
		if r.Keys[i].signs(now) {
			return r.Keys[i], nil
		}
	}
	return SigningKey{}, ErrNoSigningKey
}

// Key returns the key with the given kid.
func (r Keyring) Key(kid string) (SigningKey, bool) {
	for _, k := range r.Keys {
		if k.KID == kid {
			return k, true
		}
	}
	return SigningKey{}, false
}

// PublicKey makes a Keyring a PublicKeySource (for a process that holds
// the ring anyway, such as the local server).
func (r Keyring) PublicKey(_ context.Context, kid string) (*ecdsa.PublicKey, error) {
	if k, ok := r.Key(kid); ok {
		return &k.Private.PublicKey, nil
	}
	return nil, ErrUnknownKey
}

// Rotate brings the ring up to date at now and reports whether it changed
// (and so must be saved):
//
//   - with no key able to sign (a new ring), a new key signs at once;
//   - once the current key is within PublishAhead of being every old, a
//     new key is added that signs from max(due, now+PublishAhead), and
//     every older key retires at that instant: the new key is in the JWKS
//     for at least PublishAhead before its first token, and the switch
//     happens by itself, without another Rotate;
//   - keys past their verification window are dropped.
//
// every <= 0 means never rotate, only prune.
func (r *Keyring) Rotate(now time.Time, every time.Duration) (bool, error) {
	now = now.UTC()
	keys := slices.Clone(r.Keys)
	changed := false
	cur, err := r.Current(now)
	pending := err == nil && slices.ContainsFunc(r.Keys, func(k SigningKey) bool { return k.signFrom().After(now) })
	var due time.Time
	if err == nil {
		due = cur.signFrom().Add(every)
	}
	if err != nil || (every > 0 && !pending && !now.Before(due.Add(-PublishAhead))) {
		k, kerr := NewSigningKey(now)
		if kerr != nil {
			return false, kerr
		}
		if err == nil { // a current key: publish ahead, switch later
			k.SignFrom = due
			if ahead := now.Add(PublishAhead); due.Before(ahead) {
				k.SignFrom = ahead
			}
		}
		for i := range keys {
			if keys[i].RetireAt.IsZero() || keys[i].RetireAt.After(k.signFrom()) {
				keys[i].RetireAt = k.signFrom()
			}
		}
		keys = append(keys, k)
		changed = true
	}
	kept := keys[:0]
	for _, k := range keys {
		if k.verifies(now) {
			kept = append(kept, k)
		} else {
			changed = true
		}
	}
	if changed {
		r.Keys = kept
	}
	return changed, nil
}

// keyringJSON is the stored form: "keys" is a private JWK Set (RFC 7517
// §5) that any JOSE tool can read, and "meta" holds what a JWK cannot.
type keyringJSON struct {
	Keys []jose.JSONWebKey      `json:"keys"`
	Meta map[string]keyMetaJSON `json:"meta"`
}

type keyMetaJSON struct {
	Created  time.Time  `json:"created"`
	SignFrom *time.Time `json:"signFrom,omitempty"`
	RetireAt *time.Time `json:"retireAt,omitempty"`
}

// MarshalJSON encodes the ring, private keys included, for a KeyStore.
func (r Keyring) MarshalJSON() ([]byte, error) {
	out := keyringJSON{Keys: make([]jose.JSONWebKey, 0, len(r.Keys)), Meta: make(map[string]keyMetaJSON, len(r.Keys))}
	for _, k := range r.Keys {
		if k.Private == nil || k.KID == "" {
			return nil, errors.New("tokens: incomplete signing key")
		}
		out.Keys = append(out.Keys, jose.JSONWebKey{Key: k.Private, KeyID: k.KID, Algorithm: string(Algorithm), Use: "sig"})
		m := keyMetaJSON{Created: k.Created.UTC()}
		if !k.SignFrom.IsZero() {
			t := k.SignFrom.UTC()
			m.SignFrom = &t
		}
		if !k.RetireAt.IsZero() {
			t := k.RetireAt.UTC()
			m.RetireAt = &t
		}
		out.Meta[k.KID] = m
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes and checks a stored ring: every key must be a
// P-256 private key whose kid is its thumbprint. Its errors never quote
// the input, which holds private keys.
func (r *Keyring) UnmarshalJSON(b []byte) error {
	var in keyringJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return errors.New("tokens: keyring is not a valid private JWK set")
	}
	keys := make([]SigningKey, 0, len(in.Keys))
	for i, jwk := range in.Keys {
		priv, ok := jwk.Key.(*ecdsa.PrivateKey)
		if !ok || !jwk.Valid() || priv.Curve != elliptic.P256() {
			return fmt.Errorf("tokens: keyring key %d is not an EC P-256 private key", i)
		}
		if jwk.Algorithm != "" && jwk.Algorithm != string(Algorithm) {
			return fmt.Errorf("tokens: keyring key %d has alg %q, want ES256", i, jwk.Algorithm)
		}
		k, err := KeyFromPrivate(priv, time.Time{})
		if err != nil {
			return err
		}
		if k.KID != jwk.KeyID {
			return fmt.Errorf("tokens: keyring key %d: kid %q is not the key's thumbprint", i, jwk.KeyID)
		}
		if slices.ContainsFunc(keys, func(o SigningKey) bool { return o.KID == k.KID }) {
			return fmt.Errorf("tokens: keyring key %d: duplicate kid %q", i, k.KID)
		}
		m, ok := in.Meta[k.KID]
		if !ok {
			return fmt.Errorf("tokens: keyring key %q has no meta", k.KID)
		}
		k.Created = m.Created.UTC()
		if m.SignFrom != nil {
			k.SignFrom = m.SignFrom.UTC()
		}
		if m.RetireAt != nil {
			k.RetireAt = m.RetireAt.UTC()
		}
		keys = append(keys, k)
	}
	slices.SortStableFunc(keys, func(a, b SigningKey) int { return a.Created.Compare(b.Created) })
	r.Keys = keys
	return nil
}

// String describes the ring without private keys.
func (r Keyring) String() string {
	s := "Keyring["
	for i, k := range r.Keys {
		if i > 0 {
			s += " "
		}
		s += k.String()
	}
	return s + "]"
}

// Format makes every fmt verb print String.
func (r Keyring) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// LogValue keeps private keys out of slog output.
func (r Keyring) LogValue() slog.Value {
	kids := make([]string, len(r.Keys))
	for i, k := range r.Keys {
		kids[i] = k.KID
	}
	return slog.GroupValue(slog.Any("kids", kids))
}

// JWKS returns the ring's public JWK Set, the document served at
// /.well-known/jwks.json: for every key kty EC, crv P-256, x, y, kid,
// alg ES256 and use sig, and nothing private.
func JWKS(ring Keyring) ([]byte, error) {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(ring.Keys))}
	for _, k := range ring.Keys {
		if k.Private == nil {
			return nil, errors.New("tokens: incomplete signing key")
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.Private.PublicKey, KeyID: k.KID, Algorithm: string(Algorithm), Use: "sig"})
	}
	return json.Marshal(set)
}
