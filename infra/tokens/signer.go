package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keystorm/keystorm/domain"
)

// Signer implements domain.TokenSigner with the current key of a
// KeyStore's ring. It never rotates: see RotateStore.
type Signer struct {
	keys  KeyStore
	clock domain.Clock

	// mu is read-locked on every Sign (the kid is almost always cached)
	// and write-locked only to add a kid's signer.
	mu      sync.RWMutex
	signers map[string]jose.Signer // by kid
}

var _ domain.TokenSigner = (*Signer)(nil)

// NewSigner returns a signer over keys. The clock (required) picks the
// current key; the token's own times come from the AccessToken.
func NewSigner(keys KeyStore, clock domain.Clock) *Signer {
	if clock == nil {
		panic("tokens: NewSigner needs a clock")
	}
	return &Signer{keys: keys, clock: clock}
}

// Sign implements domain.TokenSigner. It refuses a token that lacks a
// claim the Verifier requires, or whose lifetime is not within
// (0, domain.MaxAccessTokenTTL]: the keys' verification window relies on
// that bound.
func (s *Signer) Sign(ctx context.Context, t domain.AccessToken) (string, error) {
	if err := checkIssuable(t); err != nil {
		return "", err
	}
	ring, err := s.keys.Load(ctx)
	if err != nil {
		return "", err
	}
	key, err := ring.Current(s.clock.Now())
	if err != nil {
		return "", err
	}
	js, err := s.joseSigner(key)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(newSignedClaims(t))
	if err != nil {
		return "", fmt.Errorf("tokens: sign: %w", err)
	}
	obj, err := js.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("tokens: sign: %w", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("tokens: sign: %w", err)
	}
	return out, nil
}

// signedClaims is accessClaims as Sign writes them: the same members,
// in the order go-jose's jwt builder writes them (sorted, since it goes
// through a map), so tokens keep their exact bytes. Sign marshals it
// once and signs that: the builder would marshal the claims, decode them
// into a map and marshal the map again, which cost about as much as the
// ES256 signature itself. TestSignedClaimsAsBuilder keeps the two equal.
type signedClaims struct {
	AccountID     string           `json:"account_id,omitempty"`
	Admin         bool             `json:"admin"`
	ApplicationID string           `json:"application_id,omitempty"`
	Audience      jwt.Audience     `json:"aud,omitempty"`
	ClientID      string           `json:"client_id"`
	Expiry        *jwt.NumericDate `json:"exp,omitempty"`
	IssuedAt      *jwt.NumericDate `json:"iat,omitempty"`
	Issuer        string           `json:"iss,omitempty"`
	ID            string           `json:"jti,omitempty"`
	KeySecretGen  int              `json:"ksg,omitempty"`
	NotBefore     *jwt.NumericDate `json:"nbf,omitempty"`
	RefreshToken  string           `json:"rti,omitempty"`
	Scope         string           `json:"scope,omitempty"`
	Subject       string           `json:"sub,omitempty"`
	TenantID      string           `json:"tenant_id"`
}

func newSignedClaims(t domain.AccessToken) signedClaims {
	iat := jwt.NewNumericDate(t.IssuedAt)
	return signedClaims{
		AccountID:     t.AccountID,
		Admin:         t.Admin,
		ApplicationID: t.ApplicationID,
		Audience:      jwt.Audience{t.Audience},
		ClientID:      t.ClientID,
		Expiry:        jwt.NewNumericDate(t.ExpiresAt),
		IssuedAt:      iat,
		Issuer:        t.Issuer,
		ID:            t.JTI,
		KeySecretGen:  t.SecretGeneration,
		NotBefore:     iat,
		RefreshToken:  t.RefreshTokenID,
		Scope:         t.Scope(),
		Subject:       t.Subject,
		TenantID:      t.TenantID,
	}
}

func checkIssuable(t domain.AccessToken) error {
	for _, f := range []struct{ name, v string }{
		{"iss", t.Issuer}, {"aud", t.Audience}, {"sub", t.Subject}, {"client_id", t.ClientID}, {"jti", t.JTI}, {"tenant_id", t.TenantID}, {"application_id", t.ApplicationID},
	} {
		if f.v == "" {
			return fmt.Errorf("tokens: cannot sign a token without %s", f.name)
		}
	}
	for _, sc := range t.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\r\n") {
			return fmt.Errorf("tokens: invalid scope %q", sc)
		}
	}
	if t.IssuedAt.IsZero() || t.ExpiresAt.IsZero() {
		return errors.New("tokens: cannot sign a token without iat and exp")
	}
	life := t.ExpiresAt.Sub(t.IssuedAt)
	if life < time.Second || life > domain.MaxAccessTokenTTL {
		return fmt.Errorf("tokens: token lifetime %v is outside (0, %v]", life, domain.MaxAccessTokenTTL)
	}
	return nil
}

// joseSigner returns the cached go-jose signer of key: a jose.Signer is
// safe for concurrent use once built.
func (s *Signer) joseSigner(key SigningKey) (jose.Signer, error) {
	s.mu.RLock()
	js, ok := s.signers[key.KID]
	s.mu.RUnlock()
	if ok {
		return js, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if js, ok := s.signers[key.KID]; ok {
		return js, nil
	}
	js, err := jose.NewSigner(
		jose.SigningKey{Algorithm: Algorithm, Key: jose.JSONWebKey{Key: key.Private, KeyID: key.KID, Algorithm: string(Algorithm)}},
		(&jose.SignerOptions{}).WithType(TokenType),
	)
	if err != nil {
		return nil, fmt.Errorf("tokens: signer: %w", err)
	}
	if s.signers == nil || len(s.signers) >= 8 {
		s.signers = make(map[string]jose.Signer) // old kids are retired anyway
	}
	s.signers[key.KID] = js
	return js, nil
}
