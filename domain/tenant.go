package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keystorm/keystorm/events"
)

// Tenant is the top of the hierarchy: every other resource belongs to
// exactly one tenant, and admin keys act only inside their own.
type Tenant struct {
	Base
	Name string `json:"name"`
	// Custom is the tenant's customData (see customdata.go).
	Custom
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
		case *events.TenantCustomDataChanged:
			t.changeCustomData(events.CustomDataChanged(*e), env.At)
		case *events.TenantCustomDataCleared:
			t.clearCustomData(env.At)
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (t *Tenant) clone() *Tenant { c := *t; c.Custom = t.Custom.cloned(); return &c }

// ChooseTenant picks the tenant an operator tool (admin key recovery, the
// local server's binding) acts on, among the ids a store holds: want when
// it names one of them, else the only one. Several tenants and no choice
// is an error that lists them, naming the tools' -tenant-id flag. Every
// store's OnlyTenant calls it, so they cannot drift apart.
func ChooseTenant(ids []string, want string) (string, error) {
	switch {
	case want != "":
		if slices.Contains(ids, want) {
			return want, nil
		}
		return "", fmt.Errorf("no tenant %q in this store", want)
	case len(ids) == 0:
		return "", errors.New("the store holds no tenant")
	case len(ids) > 1:
		sorted := slices.Sorted(slices.Values(ids))
		return "", fmt.Errorf("the store holds %d tenants; choose one with -tenant-id (%s)", len(ids), strings.Join(sorted, ", "))
	}
	return ids[0], nil
}
