package domain

import (
	"context"
	"time"
)

// UsageWindow is how far back the usage endpoint answers.
const UsageWindow = 30 * 24 * time.Hour

// KeyUsage is a key's verifications per hour over UsageWindow: hours
// without any are left out. Counts reach the store in batches
// (infra/usage.Recorder flushes a key at most once a minute), so the
// last minute may not be in them yet.
type KeyUsage struct {
	Key *APIKey
	// From and To bound the hours, From ≤ hour < To: the 30 days up to
	// the end of the current hour.
	From, To  time.Time
	Hours     []UsageHour
	Succeeded int64
	Failed    int64
	// LastUsedAt is the key's last successful verification; zero when
	// none is known.
	LastUsedAt time.Time
}

// APIKeyUsage returns a key's usage, to an admin of its tenant or a
// session of its account. Errors: ErrNotFound, ErrUnavailable.
func (s *Service) APIKeyUsage(ctx context.Context, c Caller, id string) (KeyUsage, error) {
	k, err := s.loadKey(ctx, c, id)
	if err != nil {
		return KeyUsage{}, err
	}
	to := s.Clock.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	out := KeyUsage{Key: k, From: to.Add(-UsageWindow), To: to}
	if s.Usage == nil {
		return out, nil
	}
	if out.Hours, err = s.Usage.Usage(ctx, id, out.From, out.To); err != nil {
		return KeyUsage{}, err
	}
	for _, h := range out.Hours {
		out.Succeeded += h.Succeeded
		out.Failed += h.Failed
	}
	last, err := s.Usage.LastUsed(ctx, []string{id})
	if err != nil {
		return KeyUsage{}, err
	}
	out.LastUsedAt = last[id]
	return out, nil
}

// LastUsed returns when each of keys (which the caller has read) last
// verified successfully; keys never used are left out. Errors:
// ErrUnavailable.
func (s *Service) LastUsed(ctx context.Context, keys []*APIKey) (map[string]time.Time, error) {
	if s.Usage == nil || len(keys) == 0 {
		return map[string]time.Time{}, nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return s.Usage.LastUsed(ctx, ids)
}
