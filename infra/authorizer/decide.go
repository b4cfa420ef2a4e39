package authorizer

import (
	"context"
	"errors"
	"fmt"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
)

// ErrUnauthorized is the answer for credentials that are missing, malformed
// or not good. Its text is exactly what API Gateway needs from a Lambda
// authorizer to answer 401, so adapters return it as is.
var ErrUnauthorized = errors.New("Unauthorized")

// Authenticator checks an API key id and secret. *domain.KeyAuthenticator
// implements it. Errors: domain.ErrUnauthenticated for every kind of bad
// credential; anything else means the decision could not be made.
type Authenticator interface {
	Authenticate(ctx context.Context, id, secret string) (domain.Principal, error)
}

// BearerAuthenticator checks an access token. *domain.TokenAuthenticator
// implements it: the signature and claims on every call, revocation and
// key and account status once per TTL per token. Errors:
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
		AccountHref:   accountHref,
		AccountID:     d.Principal.AccountID,
		APIKeyID:      d.Principal.KeyID,
		TenantID:      d.Principal.TenantID,
		ApplicationID: d.Principal.ApplicationID,
		AuthType:      d.AuthType,
		Admin:         d.Principal.Admin,
		Scope:         d.Scope,
		Username:      d.Principal.Username,
	}
}

// Decider is the transport-independent core of the authorizer.
type Decider struct {
	Keys Authenticator
	// Tokens checks Bearer tokens; when nil, Bearer is refused like any
	// unknown scheme.
	Tokens BearerAuthenticator
}

// Decide authorizes one Authorization header value. Errors: an error
// wrapping ErrUnauthorized (test with errors.Is) when the header is
// missing or malformed or the credentials are not good; any other error
// when the decision could not be made, which callers must also treat as a
// denial.
func (d *Decider) Decide(ctx context.Context, authorization string) (Decision, error) {
	c, err := ParseAuthorization(authorization)
	if err != nil {
		return Decision{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	switch c.Scheme {
	case SchemeBasic:
		p, err := d.Keys.Authenticate(ctx, c.ID, c.Secret)
		switch {
		case err == nil:
			return Decision{Principal: p, AuthType: authctx.AuthBasic}, nil
		case errors.Is(err, domain.ErrUnauthenticated):
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
