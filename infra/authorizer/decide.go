package authorizer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
)

// ErrUnauthorized is the answer for credentials that are missing, malformed
// or not good. Its text is exactly what API Gateway needs from a Lambda
// authorizer to answer 401, so adapters return it as is.
var ErrUnauthorized = errors.New("Unauthorized")

// BoundAuthenticator is an Authenticator that can weigh a key against
// the applications an API is bound to alone (a key reaches every
// application mapping its account's directory): *domain.KeyAuthenticator
// implements it, so a bound API never reads the tenant's applications.
type BoundAuthenticator interface {
	AuthenticateIn(ctx context.Context, id, secret string, apps []string) (domain.Principal, error)
}

// Authenticator checks an API key id and secret. *domain.KeyAuthenticator
// implements it. Errors: domain.ErrUnauthenticated for every kind of bad
// credential; anything else means the decision could not be made.
type Authenticator interface {
	Authenticate(ctx context.Context, id, secret string) (domain.Principal, error)
}

// BearerAuthenticator checks an access token. *domain.TokenAuthenticator
// implements it: the signature and claims, then revocation and key and
// account status, once per TTL per token (never past its exp). Errors:
// domain.ErrUnauthenticated for every kind of bad token; anything else
// means the decision could not be made.
type BearerAuthenticator interface {
	Authenticate(ctx context.Context, token string) (domain.Principal, domain.AccessToken, error)
}

// Decision is a positive authorization decision, independent of how it is
// delivered.
type Decision struct {
	Principal domain.Principal
	// AuthType is authctx.AuthBasic or authctx.AuthBearer.
	AuthType string
	// Scope is the access token's space-delimited scope; empty for API
	// keys, which carry their rights in Principal.Admin.
	Scope string
}

// Identity is the authorizer context for the decision. accountHref is the
// account's absolute href, which only the transport can build.
func (d Decision) Identity(accountHref string) authctx.Identity {
	return authctx.Identity{
		AccountHref:    accountHref,
		AccountID:      d.Principal.AccountID,
		APIKeyID:       d.Principal.KeyID,
		TenantID:       d.Principal.TenantID,
		ApplicationID:  d.Principal.ApplicationID,
		AuthType:       d.AuthType,
		Admin:          d.Principal.Admin,
		Scope:          d.Scope,
		Username:       d.Principal.Username,
		RefreshTokenID: d.Principal.Session,
	}
}

// UsageIdentifierKey is what the authorizer returns as
// usageIdentifierKey on REST APIs: the value of the API Gateway API key
// in the usage plan of the key's effective rate limit (kept in step by
// the projector), so that API Gateway throttles each key in its own
// bucket. Empty when the key has no limit (or the caller is a session).
func (d Decision) UsageIdentifierKey() string {
	if d.Principal.KeyID == "" || d.Principal.RateLimit.IsZero() {
		return ""
	}
	return domain.UsageIdentifier(d.Principal.KeyID)
}

// Decider is the transport-independent core of the authorizer, shared by
// the Lambda authorizer and the authenticate endpoint for backends outside
// API Gateway, so that both make exactly the same decision.
type Decider struct {
	Keys Authenticator
	// Tokens checks Bearer tokens; when nil, Bearer is refused like any
	// unknown scheme.
	Tokens BearerAuthenticator
	// Throttle slows down a source address that keeps failing Basic
	// authentication (see domain.Throttle); nil throttles nothing.
	Throttle *domain.Throttle
}

// ErrForbidden is the answer for good credentials that may not call this
// API: a developer's key or client credentials token on the management
// API (403). A password grant's token passes: it may manage its own
// account's keys there, and the functions answer 404 to everything else
// (domain.Caller.Session).
var ErrForbidden = errors.New("forbidden")

// Binding says which credentials an API accepts.
type Binding struct {
	// Management marks Keystorm's own management API: only admin keys
	// and tokens, and password grant tokens (self service), of any
	// tenant (the functions then act inside the caller's tenant, and
	// for a session inside its account), and Applications is ignored.
	Management bool
	// Applications are the ids of the applications whose keys and tokens
	// the API accepts. Empty accepts none; AnyApplication accepts every
	// application of every tenant, which is only for an API that checks
	// the applicationId in the context itself.
	Applications []string
}

// AnyApplication, as the only entry of Binding.Applications, binds an
// API to every application.
const AnyApplication = "*"

// ParseApplications reads a binding list: ids separated by commas or
// spaces, or "*".
func ParseApplications(v string) []string {
	ids := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// Decide authorizes one Authorization header value for an API with the
// given binding. Errors: an error wrapping ErrUnauthorized (test with
// errors.Is) when the header is missing or malformed, the credentials are
// not good, or they belong to an application the API is not bound to (the
// same answer as an unknown key, so the binding is no oracle); one
// wrapping ErrForbidden for a developer credential on the management API;
// any other error when the decision could not be made, which callers must
// also treat as a denial.
//
// source is the client's address ("" when unknown): a source that keeps
// failing Basic authentication is refused for a while, as if its
// credentials were wrong, and no other source notices.
func (d *Decider) Decide(ctx context.Context, authorization, source string, b Binding) (Decision, error) {
	dec, err := d.authenticate(ctx, authorization, source, b)
	if err != nil {
		return Decision{}, err
	}
	switch {
	case b.Management && !dec.Principal.Admin && dec.Principal.Session == "":
		return Decision{}, fmt.Errorf("%w: a developer credential on the management API", ErrForbidden)
	case !b.Management:
		p, ok := b.choose(dec.Principal)
		if !ok {
			return Decision{}, fmt.Errorf("%w: the API is not bound to the credential's application", ErrUnauthorized)
		}
		dec.Principal = p
	}
	// The application is chosen: what else the key reaches is no
	// business of the API's (and a Decision is a cache key).
	dec.Principal.Reach = nil
	return dec, nil
}

// authenticateKey checks a key for an API with binding b: against its
// bound applications when the authenticator can, else as such.
func (d *Decider) authenticateKey(ctx context.Context, id, secret string, b Binding) (domain.Principal, error) {
	if ba, ok := d.Keys.(BoundAuthenticator); ok && !b.Management && len(b.Applications) > 0 && !slices.Equal(b.Applications, []string{AnyApplication}) {
		return ba.AuthenticateIn(ctx, id, secret, b.Applications)
	}
	return d.Keys.Authenticate(ctx, id, secret)
}

// choose picks the application the credential acts for on an API with
// this binding: the first bound application it reaches (a key reaches
// every application mapping its account's directory), or its own for
// an API bound to any.
func (b Binding) choose(p domain.Principal) (domain.Principal, bool) {
	if slices.Equal(b.Applications, []string{AnyApplication}) {
		return p, p.ApplicationID != ""
	}
	for _, app := range b.Applications {
		if q, ok := p.In(app); ok {
			return q, true
		}
	}
	return p, false
}

func (d *Decider) authenticate(ctx context.Context, authorization, source string, b Binding) (Decision, error) {
	c, err := ParseAuthorization(authorization)
	if err != nil {
		return Decision{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	switch c.Scheme {
	case SchemeBasic:
		// Secrets that could be no key's (a kss_ secret failing its
		// checksum, or another breaking the import rule) cost
		// nothing and are not counted, as at the token endpoint; every
		// other secret, imported ones included, is a guess.
		counted := domain.CandidateSecret(c.Secret)
		if counted {
			if wait := d.Throttle.Wait(c.ID, source); wait > 0 {
				return Decision{}, fmt.Errorf("%w: source throttled for %v", ErrUnauthorized, wait)
			}
		}
		p, err := d.authenticateKey(ctx, c.ID, c.Secret, b)
		switch {
		case err == nil:
			d.Throttle.Succeeded(c.ID, source)
			return Decision{Principal: p, AuthType: authctx.AuthBasic}, nil
		case errors.Is(err, domain.ErrUnauthenticated):
			if counted {
				d.Throttle.Fail(c.ID, source)
			}
			return Decision{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
		default:
			return Decision{}, fmt.Errorf("authorizer: could not authenticate API key: %w", err)
		}
	case SchemeBearer:
		if d.Tokens == nil {
			return Decision{}, fmt.Errorf("%w: no token verifier configured", ErrUnauthorized)
		}
		p, tok, err := d.Tokens.Authenticate(ctx, c.Token)
		switch {
		case err == nil:
			return Decision{Principal: p, AuthType: authctx.AuthBearer, Scope: tok.Scope()}, nil
		case errors.Is(err, domain.ErrUnauthenticated):
			return Decision{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
		default:
			return Decision{}, fmt.Errorf("authorizer: could not authenticate access token: %w", err)
		}
	default:
		return Decision{}, fmt.Errorf("%w: unsupported scheme", ErrUnauthorized)
	}
}
