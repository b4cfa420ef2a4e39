package domain

import (
	"time"

	"github.com/keystorm/keystorm/events"
)

// KindDirectory is the kind of a directory created on its own: an
// account store that applications share through their mappings.
const KindDirectory = "directory"

// Directory is a shared account store: accounts and groups live in it,
// and every application that maps it reaches them (see
// AccountStoreMapping). Each application also has a directory of its
// own, fixed when it was created (Application.DirectoryID); that one has
// no stream, and is shown as a directory named after its application.
type Directory struct {
	Base
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	// Custom is the directory's customData (see customdata.go).
	Custom
	// OwnerID, set only on the view of an application's own directory
	// (OwnDirectory), is that application; never stored.
	OwnerID string `json:"-"`
	// children is the Parent child count the Store loaded.
	children int64
}

// Ref implements State.
func (d *Directory) Ref() Ref { return Ref{KindDirectory, d.ID} }

// Collections implements State.
func (d *Directory) Collections() []string {
	if d.Gone {
		return nil
	}
	return []string{"tenant/" + d.Tenant + "/directories"}
}

// UniqueKeys implements State: names are unique within a tenant, as
// application names are.
func (d *Directory) UniqueKeys() []Unique {
	if d.Gone {
		return nil
	}
	return []Unique{{Key: "tenant/" + d.Tenant + "/directory-name/" + nameKey(d.Name), Field: "name"}}
}

// Apply implements State.
func (d *Directory) Apply(env events.Envelope) error {
	return fold(d, env, &d.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.DirectoryCreated:
			d.ID, d.Tenant = e.ID, e.TenantID
			d.Name, d.Description, d.Status = e.Name, e.Description, e.Status
			d.CustomDataModifiedAt = env.At
		case *events.DirectoryUpdated:
			d.Name, d.Description, d.Status = e.Name, e.Description, e.Status
		case *events.DirectoryDeleted:
			d.Gone = true
		case *events.DirectoryCustomDataChanged:
			d.changeCustomData(events.CustomDataChanged(*e), env.At)
		case *events.DirectoryCustomDataCleared:
			d.clearCustomData(env.At)
		case *events.DirectoryImported:
			d.imported(&d.Custom, events.Imported(*e))
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (d *Directory) clone() *Directory { c := *d; c.Custom = d.Custom.cloned(); return &c }

// Children implements Parent: the accounts and groups that live in it.
func (d *Directory) Children() int64 { return d.children }

// SetChildren implements Parent.
func (d *Directory) SetChildren(n int64) { d.children = n }

// imported gives a resource landed from another system its own times
// there, in place of when Keystorm recorded it; its customData counts
// as modified when the resource last was (the export keeps no other
// time for it).
func (b *Base) imported(c *Custom, e events.Imported) {
	b.CreatedAt, b.ModifiedAt = e.CreatedAt.UTC(), e.ModifiedAt.UTC()
	if c != nil {
		c.CustomDataModifiedAt = b.ModifiedAt
	}
}

// MaxAccountStores bounds an application's mappings: they live in its
// state, which must stay small (Stormpath's applications mapped a few).
const MaxAccountStores = 32

// AccountStoreMapping maps an account store (a directory, or a group)
// to an application: the application reaches the accounts in it.
// Mappings live in their application's state, in listIndex order; an
// application that never set them maps its own directory alone.
type AccountStoreMapping struct {
	ID        string `json:"id"`
	StoreKind string `json:"storeKind"`
	StoreID   string `json:"storeId"`
	// DefaultAccountStore and DefaultGroupStore mark where the
	// application creates accounts and groups.
	DefaultAccountStore bool      `json:"defaultAccountStore,omitempty"`
	DefaultGroupStore   bool      `json:"defaultGroupStore,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`
	ModifiedAt          time.Time `json:"modifiedAt"`
	// ApplicationID and ListIndex are filled in when the mapping is
	// read out of its application (MappingsOf); they are not stored.
	ApplicationID string `json:"-"`
	ListIndex     int    `json:"-"`
}

// event is the mapping as AccountStoresSet stores it.
func (m AccountStoreMapping) event() events.AccountStoreMapping {
	return events.AccountStoreMapping{ID: m.ID, StoreKind: m.StoreKind, StoreID: m.StoreID,
		DefaultAccountStore: m.DefaultAccountStore, DefaultGroupStore: m.DefaultGroupStore}
}

// setStores applies AccountStoresSet: a mapping keeps its createdAt, and
// its modifiedAt moves only when it changed.
func (a *Application) setStores(ms []events.AccountStoreMapping, at time.Time) {
	old := map[string]AccountStoreMapping{}
	for i, m := range a.Mappings {
		m.ListIndex = i
		old[m.ID] = m
	}
	out := make([]AccountStoreMapping, 0, len(ms))
	for i, e := range ms {
		m := AccountStoreMapping{ID: e.ID, StoreKind: e.StoreKind, StoreID: e.StoreID,
			DefaultAccountStore: e.DefaultAccountStore, DefaultGroupStore: e.DefaultGroupStore, CreatedAt: at, ModifiedAt: at}
		if was, ok := old[e.ID]; ok {
			m.CreatedAt, m.ModifiedAt = was.CreatedAt, was.ModifiedAt
			if was.event() != e || was.ListIndex != i {
				m.ModifiedAt = at
			}
		}
		out = append(out, m)
	}
	a.Mappings = out
}

// MappingsOf returns an application's mappings with their application
// and listIndex filled in.
func MappingsOf(a *Application) []AccountStoreMapping {
	out := make([]AccountStoreMapping, len(a.Mappings))
	for i, m := range a.Mappings {
		m.ApplicationID, m.ListIndex = a.ID, i
		out[i] = m
	}
	return out
}

// mapsDirectory reports whether the application maps directory id.
func (a *Application) mapsDirectory(id string) bool {
	for _, m := range a.Mappings {
		if m.StoreKind == events.StoreDirectory && m.StoreID == id {
			return true
		}
	}
	return false
}

// mappedGroups lists the groups the application maps as account stores.
func (a *Application) mappedGroups() []string {
	var out []string
	for _, m := range a.Mappings {
		if m.StoreKind == events.StoreGroup {
			out = append(out, m.StoreID)
		}
	}
	return out
}
