package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Resource status values.
const (
	StatusEnabled    = "ENABLED"
	StatusDisabled   = "DISABLED"
	StatusUnverified = "UNVERIFIED"
)

// Base holds what every aggregate state has. It is embedded, so its JSON
// fields sit flat in the stored read model.
type Base struct {
	ID         string    `json:"id"`
	Tenant     string    `json:"tenantId"`
	Ver        int64     `json:"version"`
	CreatedAt  time.Time `json:"createdAt"`
	ModifiedAt time.Time `json:"modifiedAt"`
	Gone       bool      `json:"deleted,omitempty"`
}

// Version implements State.
func (b *Base) Version() int64 { return b.Ver }

// TenantID implements State.
func (b *Base) TenantID() string { return b.Tenant }

// Deleted implements State.
func (b *Base) Deleted() bool { return b.Gone }

// SortKey implements State. The fixed-width UTC timestamp sorts
// lexically in time order; the id breaks ties.
func (b *Base) SortKey() string {
	return b.CreatedAt.UTC().Format(sortKeyTime) + "#" + b.ID
}

// sortKeyTime is fixed width, so that keys sort lexically in time order.
const sortKeyTime = "2006-01-02T15:04:05.000000000Z"

// ValidSortKey reports whether s has the shape SortKey gives: the time in
// sortKeyTime, "#", and an id of letters and digits. Clients hand sort
// keys back as paging positions, so they are checked before any store
// sees them.
func ValidSortKey(s string) bool {
	ts, id, ok := strings.Cut(s, "#")
	if !ok || len(ts) != len(sortKeyTime) || len(id) == 0 || len(id) > 64 {
		return false
	}
	if _, err := time.Parse(sortKeyTime, ts); err != nil {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// advance checks stream continuity and stamps the version and time. A gap
// means the stream was read wrongly, which must never be papered over.
func (b *Base) advance(env events.Envelope) error {
	if env.Version != b.Ver+1 {
		return fmt.Errorf("%s: event version %d after %d", env.Stream, env.Version, b.Ver)
	}
	b.Ver = env.Version
	if b.Ver == 1 {
		b.CreatedAt = env.At
	}
	b.ModifiedAt = env.At
	return nil
}

func fold(s State, env events.Envelope, base *Base, apply func(events.Event) error) error {
	e, err := events.Decode(env)
	if err != nil {
		return err
	}
	if err := base.advance(env); err != nil {
		return err
	}
	if err := apply(e); err != nil {
		return fmt.Errorf("%s v%d: %w", s.Ref().Stream(), env.Version, err)
	}
	return nil
}

func unexpected(e events.Event) error { return fmt.Errorf("unexpected event %s", e.EventType()) }

// NewState returns an empty state of the given aggregate kind.
func NewState(kind string) (State, error) {
	switch kind {
	case KindTenant:
		return &Tenant{}, nil
	case KindApplication:
		return &Application{}, nil
	case KindAccount:
		return &Account{}, nil
	case KindGroup:
		return &Group{}, nil
	case KindDirectory:
		return &Directory{}, nil
	case KindMembership:
		return &Membership{}, nil
	case KindAPIKey:
		return &APIKey{}, nil
	case KindToken:
		return &RevokedToken{}, nil
	case KindRefreshToken:
		return &RefreshToken{}, nil
	case KindAccessToken:
		return &IssuedToken{}, nil
	}
	return nil, fmt.Errorf("unknown aggregate kind %q", kind)
}

// ParseStream splits "kind#id".
func ParseStream(stream string) (Ref, error) {
	kind, id, ok := strings.Cut(stream, "#")
	if !ok || kind == "" || id == "" {
		return Ref{}, fmt.Errorf("bad stream id %q", stream)
	}
	return Ref{Kind: kind, ID: id}, nil
}

// Fold replays one stream's events, in version order, into a fresh state.
// Rebuilding the read models uses it; commands never do.
func Fold(envs []events.Envelope) (State, error) {
	if len(envs) == 0 {
		return nil, fmt.Errorf("fold: no events")
	}
	ref, err := ParseStream(envs[0].Stream)
	if err != nil {
		return nil, err
	}
	s, err := NewState(ref.Kind)
	if err != nil {
		return nil, err
	}
	for _, env := range envs {
		if env.Stream != envs[0].Stream {
			return nil, fmt.Errorf("fold: mixed streams %s and %s", envs[0].Stream, env.Stream)
		}
		if err := s.Apply(env); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func lower(s string) string { return strings.ToLower(s) }
