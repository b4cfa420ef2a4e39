package domain

import (
	"strings"

	"github.com/keystorm/keystorm/events"
)

// Group is a named set of accounts in a directory. Group names double as
// OAuth scopes: membership of group "x" lets a token carry scope "x".
type Group struct {
	Base
	ApplicationID string `json:"applicationId"`
	DirectoryID   string `json:"directoryId"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Status        string `json:"status"`
	// Custom is the group's customData (see customdata.go).
	Custom
	// children is the Parent child count the Store loaded: kept beside
	// the state, not in it (unexported, so never in its JSON).
	children int64
}

// Ref implements State.
func (g *Group) Ref() Ref { return Ref{KindGroup, g.ID} }

// Collections implements State.
func (g *Group) Collections() []string {
	if g.Gone {
		return nil
	}
	return []string{storeCollection(g.ApplicationID, g.DirectoryID, "groups")}
}

// UniqueKeys implements State: names are unique within a directory,
// compared as RFC 8266 nicknames (see nameKey).
func (g *Group) UniqueKeys() []Unique {
	if g.Gone {
		return nil
	}
	return []Unique{{Key: "directory/" + g.DirectoryID + "/group-name/" + nameKey(g.Name), Field: "name"}}
}

// Apply implements State.
func (g *Group) Apply(env events.Envelope) error {
	return fold(g, env, &g.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.GroupCreated:
			g.ID, g.Tenant, g.ApplicationID, g.DirectoryID = e.ID, e.TenantID, e.ApplicationID, e.DirectoryID
			g.Name, g.Description, g.Status = e.Name, e.Description, e.Status
		case *events.GroupUpdated:
			g.Name, g.Description, g.Status = e.Name, e.Description, e.Status
		case *events.GroupDeleted:
			g.Gone = true
		case *events.GroupCustomDataChanged:
			g.changeCustomData(events.CustomDataChanged(*e), env.At)
		case *events.GroupCustomDataCleared:
			g.clearCustomData(env.At)
		case *events.GroupImported:
			g.imported(&g.Custom, events.Imported(*e))
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (g *Group) clone() *Group { c := *g; c.Custom = g.Custom.cloned(); return &c }

// Membership links an account to a group. It is its own aggregate so that
// adding members never contends on the group's or account's stream.
type Membership struct {
	Base
	AccountID string `json:"accountId"`
	GroupID   string `json:"groupId"`
}

// Ref implements State.
func (m *Membership) Ref() Ref { return Ref{KindMembership, m.ID} }

// Collections implements State: listed under both ends.
func (m *Membership) Collections() []string {
	if m.Gone {
		return nil
	}
	return []string{"account/" + m.AccountID + "/memberships", "group/" + m.GroupID + "/memberships"}
}

// UniqueKeys implements State: an account is in a group at most once.
func (m *Membership) UniqueKeys() []Unique {
	if m.Gone {
		return nil
	}
	return []Unique{{Key: "membership/" + m.AccountID + "/" + m.GroupID, Field: "group"}}
}

// Apply implements State.
func (m *Membership) Apply(env events.Envelope) error {
	return fold(m, env, &m.Base, func(e events.Event) error {
		switch e := e.(type) {
		case *events.MembershipCreated:
			m.ID, m.Tenant, m.AccountID, m.GroupID = e.ID, e.TenantID, e.AccountID, e.GroupID
		case *events.MembershipDeleted:
			m.Gone = true
		default:
			return unexpected(e)
		}
		return nil
	})
}

func (m *Membership) clone() *Membership { c := *m; return &c }

// CollectionSlot tells the store which of an aggregate's collections a
// collection name is: 0 for the first entry of Collections(), 1 for the
// second. Only memberships are listed twice; their group-side listing is
// the second slot.
func CollectionSlot(collection string) int {
	if strings.HasPrefix(collection, "group/") && strings.HasSuffix(collection, "/memberships") {
		return 1
	}
	return 0
}
