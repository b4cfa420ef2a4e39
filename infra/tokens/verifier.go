package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/keystorm/keystorm/domain"
)

// DefaultLeeway is the clock skew a Verifier tolerates on exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// MaxTokenSize bounds the tokens a Verifier parses.
const MaxTokenSize = 8 << 10

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

	// headers holds the protected headers (their base64url text) of
	// tokens that verified: a Signer writes one header per key, so
	// nearly every token repeats one, and its parse is skipped. Only
	// headers a signature covered get in, and at most maxHeaders.
	headers  sync.Map // string → jwsHeader
	nheaders atomic.Int32
}

// maxHeaders bounds the header cache: a ring holds a few keys at a time.
const maxHeaders = 16

// split is splitJWS, with the header's parse taken from the cache when
// a verified token had the very same header text.
func (v *Verifier) split(token string) (jwsHeader, []byte, []byte, error) {
	if hb, rest, ok := strings.Cut(token, "."); ok {
		if cached, ok := v.headers.Load(hb); ok {
			return splitBody(cached.(jwsHeader), rest)
		}
	}
	return splitJWS(token)
}

// remember caches the header of a token whose signature verified.
func (v *Verifier) remember(token string, h jwsHeader) {
	hb, _, _ := strings.Cut(token, ".")
	if _, ok := v.headers.Load(hb); ok || v.nheaders.Load() >= maxHeaders {
		return
	}
	if _, loaded := v.headers.LoadOrStore(hb, h); !loaded {
		v.nheaders.Add(1)
	}
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
	// A strict compact-JWS parse, then one ES256 check with the key the
	// kid names. go-jose's parser would decode header and claims with its
	// own JSON package and allocate about 150 times, half again the cost
	// of the signature check; this path keeps a Bearer miss near the
	// bare ECDSA floor. FuzzVerifyAgreesWithJose holds it to go-jose's
	// answers, and FuzzVerify to accepting only what the ring signed.
	h, payload, sig, err := v.split(token)
	if err != nil {
		return domain.AccessToken{}, err
	}
	key, err := v.Keys.PublicKey(ctx, h.Kid)
	if errors.Is(err, ErrUnknownKey) {
		return domain.AccessToken{}, invalid("unknown kid", nil)
	}
	if err != nil {
		return domain.AccessToken{}, fmt.Errorf("tokens: verification key: %w", err)
	}
	dot := strings.LastIndexByte(token, '.')
	digest := sha256.Sum256([]byte(token[:dot]))
	if !ecdsa.Verify(key, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return domain.AccessToken{}, invalid("bad signature", nil)
	}
	v.remember(token, h)
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return domain.AccessToken{}, invalid("claims", err)
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
		JTI:              c.ID,
		Issuer:           c.Issuer,
		Audience:         domain.ApplicationAudience(v.Audience, c.ApplicationID),
		Subject:          c.Subject,
		ClientID:         c.ClientID,
		TenantID:         c.TenantID,
		ApplicationID:    c.ApplicationID,
		AccountID:        c.AccountID,
		Scopes:           scopes,
		Admin:            c.Admin,
		IssuedAt:         iat.UTC(),
		ExpiresAt:        exp.UTC(),
		RefreshTokenID:   c.RefreshTokenID,
		SecretGeneration: c.SecretGeneration,
	}, nil
}

// jwsHeader is the protected header members Keystorm reads. Crit and B64
// are read only to refuse them: no extension is understood, and an
// unencoded payload (RFC 7797) is never one of ours.
type jwsHeader struct {
	Alg  string           `json:"alg"`
	Kid  string           `json:"kid"`
	Typ  string           `json:"typ"`
	Crit *json.RawMessage `json:"crit"`
	B64  *json.RawMessage `json:"b64"`
}

// strictB64 is unpadded base64url that refuses non-zero trailing bits, so
// each token has one encoding.
var strictB64 = base64.RawURLEncoding.Strict()

// splitJWS parses a compact JWS: exactly three base64url parts, a header
// naming ES256, a typ of at+jwt, a kid, and a 64-byte signature. It
// returns the header, the decoded payload and the signature; the caller
// checks the signature over the token's first two parts.
func splitJWS(token string) (jwsHeader, []byte, []byte, error) {
	var h jwsHeader
	hb, rest, ok := strings.Cut(token, ".")
	if !ok {
		return h, nil, nil, invalid("not a compact JWS", nil)
	}
	header, err := strictB64.DecodeString(hb)
	if err != nil {
		return h, nil, nil, invalid("header encoding", err)
	}
	if err := json.Unmarshal(header, &h); err != nil {
		return h, nil, nil, invalid("header", err)
	}
	switch {
	case h.Alg != string(Algorithm):
		// The allow-list: "none", HS256 (HMAC confusion), RS256, ES384…
		// are refused before any key is looked at.
		return h, nil, nil, invalid("algorithm not allowed", nil)
	case h.Crit != nil || h.B64 != nil:
		return h, nil, nil, invalid("unsupported header", nil)
	case !strings.EqualFold(h.Typ, TokenType) && !strings.EqualFold(h.Typ, "application/"+TokenType):
		return h, nil, nil, invalid("typ is not at+jwt", nil)
	case h.Kid == "":
		return h, nil, nil, invalid("no kid", nil)
	}
	return splitBody(h, rest)
}

// splitBody decodes the payload and signature parts ("payload.sig").
func splitBody(h jwsHeader, rest string) (jwsHeader, []byte, []byte, error) {
	pb, sb, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sb, ".") {
		return h, nil, nil, invalid("not a compact JWS", nil)
	}
	sig, err := strictB64.DecodeString(sb)
	if err != nil || len(sig) != 64 {
		return h, nil, nil, invalid("signature encoding", err)
	}
	payload, err := strictB64.DecodeString(pb)
	if err != nil {
		return h, nil, nil, invalid("payload encoding", err)
	}
	return h, payload, sig, nil
}
