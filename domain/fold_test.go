package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

func keyEvents(t *testing.T, stream string, versions ...int64) []events.Envelope {
	t.Helper()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var out []events.Envelope
	for _, v := range versions {
		var e events.Event = events.APIKeyUpdated{Name: "n", Status: domain.StatusEnabled}
		if v == 1 {
			e = events.APIKeyCreated{ID: "K1", TenantID: "t", AccountID: "a", Status: domain.StatusEnabled}
		}
		env, err := events.Encode(stream, v, at.Add(time.Duration(v)*time.Second), events.Meta{}, e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, env)
	}
	return out
}

// TestFoldRejectsGaps: a rebuild never papers over a stream read wrongly —
// a missing, repeated or out-of-order version is an error, as are an
// empty stream and mixed streams.
func TestFoldRejectsGaps(t *testing.T) {
	st, err := domain.Fold(keyEvents(t, "apikey#K1", 1, 2, 3))
	if err != nil || st.Version() != 3 || st.Ref() != (domain.Ref{Kind: domain.KindAPIKey, ID: "K1"}) {
		t.Fatalf("gapless fold: %v %+v", err, st)
	}
	for name, envs := range map[string][]events.Envelope{
		"gap":           keyEvents(t, "apikey#K1", 1, 2, 4),
		"starts late":   keyEvents(t, "apikey#K1", 2, 3),
		"repeated":      keyEvents(t, "apikey#K1", 1, 2, 2),
		"out of order":  keyEvents(t, "apikey#K1", 1, 3, 2),
		"empty":         nil,
		"mixed streams": append(keyEvents(t, "apikey#K1", 1), keyEvents(t, "apikey#K2", 2)...),
		"unknown kind":  keyEvents(t, "widget#K1", 1),
	} {
		if _, err := domain.Fold(envs); err == nil {
			t.Errorf("%s: folded without error", name)
		} else if name == "gap" && !strings.Contains(err.Error(), "version 4 after 2") {
			t.Errorf("gap: unhelpful error %v", err)
		}
	}
}
