package rotation

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/tokens"
)

// FirstKeySigner signs with the key ring, and when the provisioned secret
// is still empty (a fresh deployment, before the rotation function first
// ran) creates the first key and publishes it before signing with it. It
// never rotates (every = 0): the rotation function is the one rotator.
type FirstKeySigner struct {
	Signer  *tokens.Signer
	Keys    tokens.KeyStore
	Publish func(ctx context.Context, doc []byte, at time.Time) error
	Clock   domain.Clock

	mu sync.Mutex
}

// Sign implements domain.TokenSigner.
func (s *FirstKeySigner) Sign(ctx context.Context, t domain.AccessToken) (string, error) {
	signed, err := s.Signer.Sign(ctx, t)
	if !errors.Is(err, tokens.ErrNoSigningKey) {
		return signed, err
	}
	s.mu.Lock()
	now := s.Clock.Now()
	_, rerr := Run(ctx, s.Keys, func(ctx context.Context, doc []byte) error { return s.Publish(ctx, doc, now) }, now, 0)
	s.mu.Unlock()
	if rerr != nil {
		return "", rerr
	}
	return s.Signer.Sign(ctx, t)
}
