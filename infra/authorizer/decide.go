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

// Decision is a positive authorization decision, independent of how it is
// delivered.
type Decision struct {
	Principal domain.Principal
	// AuthType is authctx.AuthBasic or, later, authctx.AuthBearer.
	AuthType string
	// Scope is space-delimited; empty for API keys, which carry their
	// rights in Principal.Admin.
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
	}
}

// Decider is the transport-independent core of the authorizer.
type Decider struct {
	Keys Authenticator
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
	default:
		return Decision{}, fmt.Errorf("%w: unsupported scheme", ErrUnauthorized)
	}
}
