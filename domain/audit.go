package domain

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/keystorm/keystorm/events"
)

// AuditQuery selects a tenant's audit log entries. Stream is an
// aggregate's stream (Ref.Stream()); Actor as entries name it
// ("apikey/<id>", "session/<id>"). Zero values do not filter.
type AuditQuery struct {
	Stream string
	Types  []string
	Actor  string
	From   time.Time
	To     time.Time
	After  string
	Limit  int
}

// AuditEntry is one event as the audit log shows it.
type AuditEntry struct {
	Type      string
	At        time.Time
	Actor     string
	RequestID string
	Resource  Ref
	// Changes are the event's fields, with every secret, hash, password
	// and token left out (Redact).
	Changes map[string]any
}

// AuditPage is a page of entries, newest first, and the cursor of the
// next ("" at the end).
type AuditPage struct {
	Entries []AuditEntry
	Next    string
	Limit   int
}

// AuditLog lists a tenant's events for an admin of that tenant (any
// other tenant id is not found).
// Errors: KindInvalid (a bad cursor), ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) AuditLog(ctx context.Context, c Caller, tenantID string, q AuditQuery) (AuditPage, error) {
	if err := requireAdmin(c); err != nil {
		return AuditPage{}, err
	}
	if tenantID != c.TenantID {
		return AuditPage{}, ErrNotFound
	}
	return s.audit(ctx, c.TenantID, q)
}

// APIKeyHistory lists one key's entries, newest first: to an admin of
// its tenant, or a session of its account; a deleted key's too, to an
// admin. Errors: KindInvalid, ErrNotFound, ErrUnavailable.
func (s *Service) APIKeyHistory(ctx context.Context, c Caller, id string, q AuditQuery) (AuditPage, error) {
	if _, err := s.keyStream(ctx, c, id); err != nil {
		return AuditPage{}, err
	}
	q.Stream = Ref{KindAPIKey, id}.Stream()
	page, err := s.audit(ctx, c.TenantID, q)
	if err == nil && c.Session != "" {
		// A developer sees who acted only when it was themselves: the
		// provider's admin key ids are not theirs to collect.
		own := "session/" + c.Session
		for i := range page.Entries {
			if page.Entries[i].Actor != own {
				page.Entries[i].Actor = ""
			}
		}
	}
	return page, err
}

func (s *Service) audit(ctx context.Context, tenant string, q AuditQuery) (AuditPage, error) {
	if s.Log == nil {
		return AuditPage{}, ErrUnavailable
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		return AuditPage{}, invalid(CodeInvalidQuery, "limit", "limit must be from 1 to %d.", MaxLimit)
	}
	page, err := s.Log.Events(ctx, EventQuery{Tenant: tenant, Stream: q.Stream, Types: q.Types, Actor: q.Actor,
		From: q.From, To: q.To, After: q.After, Limit: limit})
	if errors.Is(err, ErrBadCursor) {
		return AuditPage{}, invalid(CodeInvalidQuery, "after", "after is not a position this server gave out.")
	}
	if err != nil {
		return AuditPage{}, err
	}
	out := AuditPage{Next: page.Next, Limit: limit, Entries: make([]AuditEntry, 0, len(page.Events))}
	for _, env := range page.Events {
		kind, id, _ := strings.Cut(env.Stream, "#")
		out.Entries = append(out.Entries, AuditEntry{Type: env.Type, At: env.At, Actor: env.Meta.Actor, RequestID: env.Meta.RequestID,
			Resource: Ref{kind, id}, Changes: Redact(env.Data)})
	}
	return out, nil
}

// Redact returns an event's fields without anything secret: any field,
// at any depth, whose name holds "hash", "secret", "password" or
// "token" (a token's lifetime, "…TokenTtl", is kept) is left out. It
// errs on the side of leaving out: an audit log must never become a
// place to harvest credentials. Data that is not a JSON object gives
// nil.
func Redact(data json.RawMessage) map[string]any {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	redactMap(m)
	return m
}

func redactMap(m map[string]any) {
	for k, v := range m {
		if secretField(k) {
			delete(m, k)
			continue
		}
		switch v := v.(type) {
		case map[string]any:
			redactMap(v)
		case []any:
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					redactMap(em)
				}
			}
		}
	}
}

func secretField(name string) bool {
	n := strings.ToLower(name)
	if strings.Contains(n, "hash") || strings.Contains(n, "secret") || strings.Contains(n, "password") {
		return true
	}
	return strings.Contains(n, "token") && !strings.HasSuffix(n, "tokenttl")
}

// keyStream reads a key's whole stream and checks the caller may see
// it: the key as it is now (a tombstone if deleted) of the caller's
// tenant, and for a session, of its own account and not deleted.
func (s *Service) keyStream(ctx context.Context, c Caller, id string) ([]events.Envelope, error) {
	if err := selfOrAdmin(c, c.AccountID); err != nil {
		return nil, err
	}
	if s.Log == nil {
		return nil, ErrUnavailable
	}
	envs, err := s.Log.Stream(ctx, Ref{KindAPIKey, id}.Stream())
	if err != nil {
		return nil, err
	}
	k := &APIKey{}
	if len(envs) == 0 || foldAll(k, envs) != nil || k.TenantID() != c.TenantID {
		return nil, ErrNotFound
	}
	if c.Session != "" && (k.Deleted() || k.AccountID != c.AccountID) {
		return nil, ErrNotFound
	}
	return envs, nil
}

// foldAll applies envs to st in order.
func foldAll(st State, envs []events.Envelope) error {
	for _, env := range envs {
		if err := st.Apply(env); err != nil {
			return err
		}
	}
	return nil
}

// foldUntil applies the events of envs that happened at or before at,
// and reports whether there was any (the aggregate existed then).
func foldUntil(st State, envs []events.Envelope, at time.Time) (bool, error) {
	n := 0
	for _, env := range envs {
		if env.At.After(at) {
			break
		}
		if err := st.Apply(env); err != nil {
			return false, err
		}
		n++
	}
	return n > 0, nil
}
