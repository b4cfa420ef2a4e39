package rotation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/tokens"
)

// DefaultEvery is how long a key signs before the next one takes over
// when ROTATE_EVERY is not set.
const DefaultEvery = 30 * 24 * time.Hour

// MinEvery is the shortest rotation period ROTATE_EVERY accepts: a key
// must sign for longer than it is published ahead.
const MinEvery = time.Hour

// EveryEnv names the environment variable holding the rotation period.
const EveryEnv = "ROTATE_EVERY"

// Result says what a Run did. It names keys by kid only.
type Result struct {
	// Rotated is true when the ring changed (a key was added or pruned)
	// and was saved.
	Rotated bool `json:"rotated"`
	// Current is the kid that signs now.
	Current string `json:"current"`
	// Next is the kid published ahead of its first signature, if any,
	// and NextFrom when it starts signing.
	Next     string     `json:"next,omitempty"`
	NextFrom *time.Time `json:"nextFrom,omitempty"`
	// Published are the kids of the published JWKS, oldest first.
	Published []string `json:"published"`
}

// Run brings the ring in keys up to date at now, publishes its public JWK
// Set with publish, and then saves the ring if it changed (see the
// package doc for why in that order). every is the rotation period;
// every <= 0 never rotates and only creates a key when none can sign (an
// empty ring) and prunes expired ones.
func Run(ctx context.Context, keys tokens.KeyStore, publish func(ctx context.Context, doc []byte) error, now time.Time, every time.Duration) (Result, error) {
	ring, err := keys.Load(ctx)
	if err != nil {
		return Result{}, err
	}
	changed, err := ring.Rotate(now, every)
	if err != nil {
		return Result{}, err
	}
	cur, err := ring.Current(now)
	if err != nil {
		return Result{}, fmt.Errorf("rotation: after rotating: %w", err)
	}
	doc, err := tokens.JWKS(ring)
	if err != nil {
		return Result{}, err
	}
	if err := publish(ctx, doc); err != nil {
		return Result{}, fmt.Errorf("rotation: publish JWKS: %w", err)
	}
	if changed {
		if err := keys.Save(ctx, ring); err != nil {
			return Result{}, fmt.Errorf("rotation: save keys (the published JWKS may hold a key that will never sign): %w", err)
		}
	}
	res := Result{Rotated: changed, Current: cur.KID, Published: make([]string, len(ring.Keys))}
	for i, k := range ring.Keys {
		res.Published[i] = k.KID
		if k.SignFrom.After(now) {
			from := k.SignFrom
			res.Next, res.NextFrom = k.KID, &from
		}
	}
	return res, nil
}

// ParseEvery reads a rotation period: "" means DefaultEvery; otherwise a
// whole number of days ("30d") or a Go duration ("720h"), at least
// MinEvery.
func ParseEvery(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultEvery, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3650 {
			return 0, fmt.Errorf("%s=%q: want whole days from 1 to 3650, or a Go duration", EveryEnv, v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("%s=%q: want whole days (30d) or a Go duration (720h)", EveryEnv, v)
		}
	}
	if d < MinEvery {
		return 0, fmt.Errorf("%s=%q: shorter than %v", EveryEnv, v, MinEvery)
	}
	return d, nil
}

// Handler is the scheduled rotation function.
type Handler struct {
	// Keys returns the key store for one invocation. The function gives
	// a fresh Secrets Manager store each time, so no cached ring from an
	// earlier invocation is ever rotated.
	Keys func() tokens.KeyStore
	// Publish stores the public JWKS document as of at (infra/dynamo
	// Store.PutJWKS).
	Publish func(ctx context.Context, doc []byte, at time.Time) error
	// Every is the rotation period (> 0).
	Every time.Duration
	// Clock (required) decides whether the current key is due.
	Clock domain.Clock
}

// Invoke handles an EventBridge scheduled event (any event, in fact: a
// manual invoke with {} rotates the same way). Its answer names kids only.
func (h *Handler) Invoke(ctx context.Context, ev events.CloudWatchEvent) (Result, error) {
	if h.Every <= 0 || h.Clock == nil {
		return Result{}, errors.New("rotation: no rotation period or no clock")
	}
	now := h.Clock.Now().UTC()
	res, err := Run(ctx, h.Keys(), func(ctx context.Context, doc []byte) error { return h.Publish(ctx, doc, now) }, now, h.Every)
	if err != nil {
		slog.ErrorContext(ctx, "key rotation failed", "err", err, "event", ev.ID, "detailType", ev.DetailType)
		return Result{}, err
	}
	slog.InfoContext(ctx, "signing keys checked", "rotated", res.Rotated, "current", res.Current, "next", res.Next, "published", res.Published, "event", ev.ID, "detailType", ev.DetailType)
	return res, nil
}

// KeysDirEnv names the environment variable that, for local runs and
// tests only, replaces the Secrets Manager secret by a key file directory
// (tokens.FileStore). template.yaml never sets it.
const KeysDirEnv = "TOKEN_KEYS_DIR"

// KeySourceFromEnv tells where the function keeps the keys: the directory
// of $TOKEN_KEYS_DIR, or the secret of $TOKEN_KEYS_SECRET; exactly one
// must be set.
func KeySourceFromEnv() (dir, secret string, err error) {
	dir, secret = strings.TrimSpace(os.Getenv(KeysDirEnv)), strings.TrimSpace(os.Getenv(tokens.SecretsEnv))
	if (dir == "") == (secret == "") {
		return "", "", fmt.Errorf("set exactly one of %s (AWS) and %s (local runs and tests)", tokens.SecretsEnv, KeysDirEnv)
	}
	return dir, secret, nil
}
