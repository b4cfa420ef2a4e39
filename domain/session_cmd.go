package domain

import (
	"context"

	"github.com/keystorm/keystorm/events"
)

// The accessTokens and refreshTokens collections of an account: admin
// keys read them and delete their items (signing an account out of one
// session, or ending one token). A session's own token may not, but for
// ending its own session (sign-out, DeleteRefreshToken).

// ListAccessTokens lists the access tokens an account's sessions gave
// and that were not deleted, expired ones included (each says when it
// expires).
func (s *Service) ListAccessTokens(ctx context.Context, c Caller, accountID string, p Page) (List[*IssuedToken], error) {
	return listOfAccount[*IssuedToken](ctx, s, c, accountID, "accessTokens", p)
}

// ListRefreshTokens lists an account's sessions that were not revoked.
func (s *Service) ListRefreshTokens(ctx context.Context, c Caller, accountID string, p Page) (List[*RefreshToken], error) {
	return listOfAccount[*RefreshToken](ctx, s, c, accountID, "refreshTokens", p)
}

func listOfAccount[T State](ctx context.Context, s *Service, c Caller, accountID, name string, p Page) (List[T], error) {
	if err := requireAdmin(c); err != nil {
		return List[T]{}, err
	}
	if _, err := s.GetAccount(ctx, c, accountID); err != nil {
		return List[T]{}, err
	}
	if err := refuseQuery(p); err != nil {
		return List[T]{}, err
	}
	return list[T](ctx, s, "account/"+accountID+"/"+name, p)
}

// GetAccessToken returns an access token's record.
func (s *Service) GetAccessToken(ctx context.Context, c Caller, id string) (*IssuedToken, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	return load[*IssuedToken](ctx, s, c, KindAccessToken, id)
}

// GetRefreshToken returns a session.
func (s *Service) GetRefreshToken(ctx context.Context, c Caller, id string) (*RefreshToken, error) {
	if err := requireAdmin(c); err != nil {
		return nil, err
	}
	return load[*RefreshToken](ctx, s, c, KindRefreshToken, id)
}

// DeleteAccessToken ends one access token: the authorizer refuses it
// within its cache TTL, introspection and the authenticate endpoint at
// once.
func (s *Service) DeleteAccessToken(ctx context.Context, c Caller, id string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	_, err := run(ctx, s, c, func(r *recorder) (*IssuedToken, error) {
		cur, err := load[*IssuedToken](ctx, s, c, KindAccessToken, id)
		if err != nil {
			return nil, err
		}
		next := *cur
		return &next, r.record(cur.Ref(), cur, &next, &events.AccessTokenRevoked{Reason: events.RevokedByRequest})
	})
	return err
}

// DeleteRefreshToken ends a session: its refresh token is refused from
// now on, and so are the access tokens it gave (within the authorizer's
// cache TTL). A session's caller may end its own session (the console's
// sign-out), no other: any other id is ErrNotFound for it.
func (s *Service) DeleteRefreshToken(ctx context.Context, c Caller, id string) error {
	self := c.Session != ""
	if self {
		if id != c.Session || c.TenantID == "" || c.AccountID == "" {
			return ErrNotFound
		}
	} else if err := requireAdmin(c); err != nil {
		return err
	}
	_, err := run(ctx, s, c, func(r *recorder) (*RefreshToken, error) {
		cur, err := load[*RefreshToken](ctx, s, c, KindRefreshToken, id)
		if err != nil {
			return nil, err
		}
		if self && cur.AccountID != c.AccountID {
			return nil, ErrNotFound
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, &events.RefreshTokenRevoked{Reason: events.RevokedByRequest})
	})
	return err
}
