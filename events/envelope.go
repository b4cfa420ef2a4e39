package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Event is implemented by every persisted event payload.
type Event interface {
	// EventType is the explicit, versioned name stored with the event.
	EventType() string
}

// Meta describes who caused an event and under which request, so that the
// log can answer audit questions without joining anything else.
type Meta struct {
	Tenant    string `json:"tenant,omitempty"`
	Actor     string `json:"actor,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// Envelope is one stored event: the stream it belongs to, its position in
// that stream (1-based, gapless), its type name, when it happened, its JSON
// payload and metadata.
type Envelope struct {
	Stream  string          `json:"stream"`
	Version int64           `json:"version"`
	Type    string          `json:"type"`
	At      time.Time       `json:"at"`
	Data    json.RawMessage `json:"data"`
	Meta    Meta            `json:"meta"`
}

// Encode wraps an event into an envelope.
func Encode(stream string, version int64, at time.Time, meta Meta, e Event) (Envelope, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return Envelope{Stream: stream, Version: version, Type: e.EventType(), At: at.UTC(), Data: data, Meta: meta}, nil
}

// Decode returns the typed payload of an envelope. Unknown fields are
// tolerated so that an older binary can still read events written by a newer
// one during a rolling deploy; unknown event types are an error.
func Decode(env Envelope) (Event, error) {
	mk, ok := registry[env.Type]
	if !ok {
		return nil, fmt.Errorf("events: unknown event type %q", env.Type)
	}
	e := mk()
	if err := json.Unmarshal(env.Data, e); err != nil {
		return nil, fmt.Errorf("events: decode %s: %w", env.Type, err)
	}
	return e, nil
}

// DecodeStrict is Decode with unknown fields rejected. Tests use it on the
// frozen fixtures to catch a field that was renamed by accident.
func DecodeStrict(env Envelope) (Event, error) {
	mk, ok := registry[env.Type]
	if !ok {
		return nil, fmt.Errorf("events: unknown event type %q", env.Type)
	}
	e := mk()
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		return nil, fmt.Errorf("events: decode %s: %w", env.Type, err)
	}
	return e, nil
}

// Types lists every registered event type name, sorted.
func Types() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// New returns a zero value of the named event type, or false.
func New(typ string) (Event, bool) {
	mk, ok := registry[typ]
	if !ok {
		return nil, false
	}
	return mk(), true
}

var registry = map[string]func() Event{}

func register(mk func() Event) {
	name := mk().EventType()
	if _, dup := registry[name]; dup {
		panic("events: duplicate type " + name)
	}
	registry[name] = mk
}
