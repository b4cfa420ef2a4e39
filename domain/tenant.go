package domain

import "github.com/keystorm/keystorm/events"

// Tenant is the top of the hierarchy: every other resource belongs to
// exactly one tenant, and admin keys act only inside their own.
type Tenant struct {
	Base
	Name string `json:"name"`
}

// Ref implements State.
func (t *Tenant) Ref() Ref { return Ref{KindTenant, t.ID} }

// Collections implements State.
func (t *Tenant) Collections() []string { return nil }

// UniqueKeys implements State.
func (t *Tenant) UniqueKeys() []Unique { return nil }

// Apply implements State.
func (t *Tenant) Apply(env events.Envelope) error {
	return fold(t, env, &t.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.TenantCreated:
			t.ID, t.Tenant, t.Name = e.ID, e.ID, e.Name
		default:
			return unexpected(e)
		}
		return nil
	})
}
