package tokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keystorm/keystorm/domain"
)

// DefaultLeeway is the clock skew a Verifier tolerates on exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// MaxTokenSize bounds the tokens a Verifier parses.
const MaxTokenSize = 8 << 10

// allowed is the algorithm allow-list, handed to go-jose's parser.
var allowed = []jose.SignatureAlgorithm{Algorithm}

// Verifier implements domain.TokenVerifier for tokens of a Signer, with
// the public keys of a PublicKeySource. Every rejection wraps
// domain.ErrInvalidToken; a key source that cannot answer, or a Verifier
// without Issuer or Audience, gives another error.
type Verifier struct {
	Keys   PublicKeySource
	Issuer string // "iss" must equal it exactly
	// Audience is the deployment's audience prefix: "aud" must hold
	// domain.ApplicationAudience(Audience, application_id) exactly, so a
	// token is only ever good for the application it was issued for.
	Audience string
	// Leeway is the tolerated clock skew; NewVerifier sets DefaultLeeway.
	Leeway time.Duration
	// Clock (required) is what exp and nbf are checked against.
	Clock domain.Clock
}

var _ domain.TokenVerifier = (*Verifier)(nil)

// NewVerifier returns a Verifier with the default leeway.
func NewVerifier(keys PublicKeySource, issuer, audience string, clock domain.Clock) *Verifier {
	return &Verifier{Keys: keys, Issuer: issuer, Audience: audience, Leeway: DefaultLeeway, Clock: clock}
}

func invalid(reason string, err error) error {
	if err != nil {
		return fmt.Errorf("%w: %s: %w", domain.ErrInvalidToken, reason, err)
	}
	return fmt.Errorf("%w: %s", domain.ErrInvalidToken, reason)
}

// Verify implements domain.TokenVerifier: one signature check, against the
// key the header's kid names, then the claims.
func (v *Verifier) Verify(ctx context.Context, token string) (domain.AccessToken, error) {
	if v.Issuer == "" || v.Audience == "" || v.Keys == nil || v.Clock == nil {
		return domain.AccessToken{}, errors.New("tokens: verifier needs keys, an issuer, an audience and a clock")
	}
	if len(token) > MaxTokenSize {
		return domain.AccessToken{}, invalid("token too large", nil)
	}
	// The allow-list makes "none", HS256 (HMAC confusion), RS256, ES384…
	// parse errors, before any key is looked at.
	tok, err := jwt.ParseSigned(token, allowed)
	if err != nil {
		return domain.AccessToken{}, invalid("malformed or disallowed algorithm", err)
	}
	if len(tok.Headers) != 1 {
		return domain.AccessToken{}, invalid("want one signature", nil)
	}
	h := tok.Headers[0]
	if h.Algorithm != string(Algorithm) {
		return domain.AccessToken{}, invalid("algorithm not allowed", nil)
	}
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	if !strings.EqualFold(typ, TokenType) && !strings.EqualFold(typ, "application/"+TokenType) {
		return domain.AccessToken{}, invalid("typ is not at+jwt", nil)
	}
	if h.KeyID == "" {
		return domain.AccessToken{}, invalid("no kid", nil)
	}
	key, err := v.Keys.PublicKey(ctx, h.KeyID)
	if errors.Is(err, ErrUnknownKey) {
		return domain.AccessToken{}, invalid("unknown kid", nil)
	}
	if err != nil {
		return domain.AccessToken{}, fmt.Errorf("tokens: verification key: %w", err)
	}
	var c accessClaims
	if err := tok.Claims(key, &c); err != nil {
		return domain.AccessToken{}, invalid("bad signature or claims", err)
	}
	return v.check(&c)
}

func (v *Verifier) check(c *accessClaims) (domain.AccessToken, error) {
	switch {
	case c.Issuer != v.Issuer:
		return domain.AccessToken{}, invalid("wrong issuer", nil)
	case c.Subject == "", c.ClientID == "", c.ID == "", c.TenantID == "", c.ApplicationID == "":
		return domain.AccessToken{}, invalid("missing sub, client_id, jti, tenant_id or application_id", nil)
	case !c.Audience.Contains(domain.ApplicationAudience(v.Audience, c.ApplicationID)):
		return domain.AccessToken{}, invalid("wrong audience", nil)
	case c.Expiry == nil || c.IssuedAt == nil:
		return domain.AccessToken{}, invalid("missing exp or iat", nil)
	}
	exp, iat := c.Expiry.Time(), c.IssuedAt.Time()
	if life := exp.Sub(iat); life <= 0 || life > domain.MaxAccessTokenTTL {
		return domain.AccessToken{}, invalid("lifetime out of bounds", nil)
	}
	now := v.Clock.Now()
	leeway := max(v.Leeway, 0)
	if err := c.ValidateWithLeeway(jwt.Expected{Time: now}, leeway); err != nil {
		return domain.AccessToken{}, invalid("time", err)
	}
	var scopes []string
	if c.Scope != "" {
		scopes = strings.Fields(c.Scope)
	}
	return domain.AccessToken{
		JTI:           c.ID,
		Issuer:        c.Issuer,
		Audience:      domain.ApplicationAudience(v.Audience, c.ApplicationID),
		Subject:       c.Subject,
		ClientID:      c.ClientID,
		TenantID:      c.TenantID,
		ApplicationID: c.ApplicationID,
		AccountID:     c.AccountID,
		Scopes:        scopes,
		Admin:         c.Admin,
		IssuedAt:      iat.UTC(),
		ExpiresAt:     exp.UTC(),
	}, nil
}
