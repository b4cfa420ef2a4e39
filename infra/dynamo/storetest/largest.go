package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// longest is n characters in their longest stored form: encoding/json
// writes "<" as the six bytes \u003c, more than any character the rules
// let through takes (at most 4 bytes of UTF-8, or the same 6 for the
// other escaped characters).
func longest(n int) string { return strings.Repeat("<", n) }

// FullCustomData is customData of exactly domain.MaxCustomDataBytes as
// stored, in escaped characters.
func FullCustomData(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	const frame = len(`{"big":""}`)
	cd := map[string]json.RawMessage{"big": json.RawMessage(`"` + longest((domain.MaxCustomDataBytes-frame)/6) + `"`)}
	if b, _ := json.Marshal(cd); len(b) != domain.MaxCustomDataBytes {
		t.Fatalf("full customData is %d bytes, want %d", len(b), domain.MaxCustomDataBytes)
	}
	return cd
}

// LargestStates returns the largest states the domain can produce of
// each kind that carries customData: every text property at its maximum
// length in its longest stored form, and a full customData. Each state's
// events come with it. They need no store: DynamoDB's item-size test
// measures them, and the contract commits them.
func LargestStates(t testing.TB, tenant string, at time.Time) map[string]LargestState {
	t.Helper()
	name, desc := longest(domain.MaxNameLen), longest(domain.MaxDescriptionLen)
	cd := events.CustomDataChanged{Set: FullCustomData(t)}
	app := "app" + strings.Repeat("A", 22)
	out := map[string]LargestState{}
	for kind, evs := range map[string][]events.Event{
		domain.KindTenant: {events.TenantCreated{ID: tenant, Name: name}, events.TenantCustomDataChanged(cd)},
		domain.KindApplication: {events.ApplicationCreated{ID: app, TenantID: tenant, DirectoryID: "dir" + strings.Repeat("D", 22),
			Name: name, Description: desc, Status: domain.StatusEnabled}, events.ApplicationCustomDataChanged(cd), mostStores()},
		domain.KindDirectory: {events.DirectoryCreated{ID: "dir" + strings.Repeat("E", 22), TenantID: tenant,
			Name: name, Description: desc, Status: domain.StatusEnabled}, events.DirectoryCustomDataChanged(cd)},
		domain.KindAccount: {events.AccountCreated{ID: "acc" + strings.Repeat("C", 22), TenantID: tenant, ApplicationID: app, DirectoryID: "dir" + strings.Repeat("D", 22),
			Username: name, Email: longest(domain.MaxEmailLen), GivenName: name, MiddleName: name, Surname: name, Status: domain.StatusUnverified,
			PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$" + strings.Repeat("s", 22) + "$" + strings.Repeat("h", 43)},
			// Both live token hashes, each also a guard.
			events.ResetTokenIssued{TokenHash: strings.Repeat("f", 64), ExpiresAt: at.Add(domain.DefaultResetTokenTTL)},
			events.VerificationTokenIssued{TokenHash: strings.Repeat("e", 64), ExpiresAt: at.Add(domain.VerificationTokenTTL)}, cd},
		domain.KindGroup: {events.GroupCreated{ID: "grp" + strings.Repeat("G", 22), TenantID: tenant, ApplicationID: app, DirectoryID: "dir" + strings.Repeat("D", 22),
			Name: name, Description: desc, Status: domain.StatusEnabled}, events.GroupCustomDataChanged(cd)},
	} {
		st, err := domain.NewState(kind)
		if err != nil {
			t.Fatal(err)
		}
		var ls LargestState
		for i, e := range evs {
			var ref domain.Ref
			switch c := evs[0].(type) {
			case events.TenantCreated:
				ref = domain.Ref{Kind: kind, ID: c.ID}
			case events.ApplicationCreated:
				ref = domain.Ref{Kind: kind, ID: c.ID}
			case events.AccountCreated:
				ref = domain.Ref{Kind: kind, ID: c.ID}
			case events.GroupCreated:
				ref = domain.Ref{Kind: kind, ID: c.ID}
			case events.DirectoryCreated:
				ref = domain.Ref{Kind: kind, ID: c.ID}
			}
			env, err := events.Encode(ref.Stream(), int64(i+1), at, events.Meta{Tenant: tenant, Actor: "storetest"}, e)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Apply(env); err != nil {
				t.Fatal(err)
			}
			ls.Events = append(ls.Events, env)
		}
		ls.State = st
		out[kind] = ls
	}
	return out
}

// mostStores maps as many account stores as an application may have,
// with ids as long as an imported one may be.
func mostStores() events.AccountStoresSet {
	var e events.AccountStoresSet
	for i := range domain.MaxAccountStores {
		id := fmt.Sprintf("%064d", i)
		e.Mappings = append(e.Mappings, events.AccountStoreMapping{ID: id, StoreKind: events.StoreDirectory, StoreID: id,
			DefaultAccountStore: i == 0, DefaultGroupStore: i == 0})
	}
	return e
}

// LargestState is one of LargestStates: the state and the events that
// made it.
type LargestState struct {
	State  domain.State
	Events []events.Envelope
}

// testLargestStates: the largest state of every kind with customData
// commits and loads back unchanged, in one transaction with its events.
func testLargestStates(t *testing.T, f *fixture) {
	all := LargestStates(t, f.tenant, f.at)
	// Parents first: the account and the group count under the
	// application.
	for _, kind := range domain.CustomDataKinds {
		ls := all[kind]
		f.commitChanges(domain.Change{After: ls.State, Events: ls.Events})
		sameState(t, ls.State, f.load(ls.State.Ref()))
	}
}
