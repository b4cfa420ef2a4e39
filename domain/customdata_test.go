package domain_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// owners returns one resource of every kind that carries customData.
func (e *env) owners(t *testing.T) map[string]domain.Ref {
	t.Helper()
	g, err := e.svc.CreateGroup(context.Background(), e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr("troopers")})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]domain.Ref{
		domain.KindTenant:      e.boot.Tenant.Ref(),
		domain.KindApplication: e.boot.Application.Ref(),
		domain.KindAccount:     e.account(t, "tk421").Ref(),
		domain.KindGroup:       g.Ref(),
	}
}

func raw(m map[string]string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range m {
		out[k] = json.RawMessage(v)
	}
	return out
}

func fieldsOf(t *testing.T, cd domain.CustomData) string {
	t.Helper()
	b, err := json.Marshal(cd.Fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCustomDataOnEveryKind: tenants, applications, accounts and groups
// share one customData: merge, remove one field, clear, with DELETE a
// no-op when there is nothing to remove.
func TestCustomDataOnEveryKind(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for kind, owner := range e.owners(t) {
		t.Run(kind, func(t *testing.T) {
			cd, err := e.svc.GetCustomData(ctx, e.admin, owner)
			if err != nil || len(cd.Fields) != 0 || cd.Owner != owner || cd.CreatedAt.IsZero() || cd.ModifiedAt.Before(cd.CreatedAt) {
				t.Fatalf("empty: %v %+v", err, cd)
			}
			if cd, err = e.svc.UpdateCustomData(ctx, e.admin, owner, raw(map[string]string{"rank": `"trooper"`, "post": `{"ship":"Death Star"}`})); err != nil {
				t.Fatal(err)
			}
			if cd, err = e.svc.UpdateCustomData(ctx, e.admin, owner, raw(map[string]string{"rank": `"sergeant"`})); err != nil {
				t.Fatal(err)
			}
			if got := fieldsOf(t, cd); got != `{"post":{"ship":"Death Star"},"rank":"sergeant"}` || !cd.ModifiedAt.After(cd.CreatedAt) {
				t.Fatalf("merged: %s %+v", got, cd)
			}
			if err := e.svc.DeleteCustomDataField(ctx, e.admin, owner, "post"); err != nil {
				t.Fatal(err)
			}
			before := e.eventCount(t)
			if err := e.svc.DeleteCustomDataField(ctx, e.admin, owner, "absent"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.UpdateCustomData(ctx, e.admin, owner, raw(map[string]string{"rank": `"sergeant"`})); err != nil {
				t.Fatal(err)
			}
			if n := e.eventCount(t); n != before {
				t.Fatalf("no-op changes stored %d events", n-before)
			}
			wantCode(t, e.svc.DeleteCustomDataField(ctx, e.admin, owner, "href"), domain.KindInvalid, domain.CodeInvalidValue, "field")
			if cd, _ = e.svc.GetCustomData(ctx, e.admin, owner); fieldsOf(t, cd) != `{"rank":"sergeant"}` {
				t.Fatalf("after removing post: %s", fieldsOf(t, cd))
			}
			if err := e.svc.DeleteCustomData(ctx, e.admin, owner); err != nil {
				t.Fatal(err)
			}
			if cd, _ = e.svc.GetCustomData(ctx, e.admin, owner); len(cd.Fields) != 0 {
				t.Fatalf("after clearing: %s", fieldsOf(t, cd))
			}
			if err := e.svc.DeleteCustomData(ctx, e.admin, owner); err != nil {
				t.Fatalf("clearing again: %v", err)
			}
		})
	}
}

// TestCustomDataIsolation: another tenant's resource, a kind without
// customData and a non-admin caller are refused, and nothing is stored.
func TestCustomDataIsolation(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	owners := e.owners(t)
	before := e.eventCount(t)
	other := e.admin
	other.TenantID = "tnt_other"
	dev := e.admin
	dev.Admin = false
	set := raw(map[string]string{"x": "1"})
	for _, owner := range owners {
		_, err := e.svc.GetCustomData(ctx, other, owner)
		wantKind(t, err, domain.KindNotFound)
		_, err = e.svc.UpdateCustomData(ctx, other, owner, set)
		wantKind(t, err, domain.KindNotFound)
		wantKind(t, e.svc.DeleteCustomData(ctx, other, owner), domain.KindNotFound)
		wantKind(t, e.svc.DeleteCustomDataField(ctx, other, owner, "x"), domain.KindNotFound)
		_, err = e.svc.UpdateCustomData(ctx, dev, owner, set)
		wantKind(t, err, domain.KindForbidden)
		wantKind(t, e.svc.DeleteCustomDataField(ctx, dev, owner, "x"), domain.KindForbidden)
	}
	_, err := e.svc.UpdateCustomData(ctx, e.admin, e.boot.AdminKey.Ref(), set)
	wantKind(t, err, domain.KindNotFound)
	if n := e.eventCount(t); n != before {
		t.Fatalf("refused commands stored %d events", n-before)
	}
}

// TestCustomDataSizeLimit: 64 KiB as stored, on every kind, counted after
// the merge; one byte more is refused and nothing is stored.
func TestCustomDataSizeLimit(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	const frame = len(`{"big":""}`)
	big := func(n int) map[string]json.RawMessage {
		return map[string]json.RawMessage{"big": json.RawMessage(`"` + strings.Repeat("x", n) + `"`)}
	}
	for kind, owner := range e.owners(t) {
		t.Run(kind, func(t *testing.T) {
			if _, err := e.svc.UpdateCustomData(ctx, e.admin, owner, big(domain.MaxCustomDataBytes-frame)); err != nil {
				t.Fatalf("exactly 64 KiB: %v", err)
			}
			before := e.eventCount(t)
			_, err := e.svc.UpdateCustomData(ctx, e.admin, owner, big(domain.MaxCustomDataBytes-frame+1))
			wantCode(t, err, domain.KindInvalid, domain.CodeCustomDataTooLarge, "customData")
			_, err = e.svc.UpdateCustomData(ctx, e.admin, owner, raw(map[string]string{"more": "1"}))
			wantCode(t, err, domain.KindInvalid, domain.CodeCustomDataTooLarge, "customData")
			if n := e.eventCount(t); n != before {
				t.Fatalf("refused updates stored %d events", n-before)
			}
		})
	}
	// Measured as stored: "<" is kept as \u003c, six bytes.
	_, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr("angle"),
		CustomData: map[string]json.RawMessage{"a": json.RawMessage(`"` + strings.Repeat("<", domain.MaxCustomDataBytes/6+1) + `"`)}})
	wantCode(t, err, domain.KindInvalid, domain.CodeCustomDataTooLarge, "customData")
}

// TestInlineCustomData: applications and groups take customData on
// create and update, as accounts do; an unchanged value stores nothing,
// and bad customData refuses the whole request.
func TestInlineCustomData(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	app, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Imperial"), CustomData: raw(map[string]string{"tier": `"gold"`})})
	if err != nil || fieldsOf(t, domain.CustomDataOf(app)) != `{"tier":"gold"}` || app.Version() != 2 {
		t.Fatalf("create application: %v %+v", err, app)
	}
	g, err := e.svc.CreateGroup(ctx, e.admin, app.ID, domain.GroupInput{Name: ptr("officers"), CustomData: raw(map[string]string{"level": "5"})})
	if err != nil || fieldsOf(t, domain.CustomDataOf(g)) != `{"level":5}` {
		t.Fatalf("create group: %v %+v", err, g)
	}
	if app, err = e.svc.UpdateApplication(ctx, e.admin, app.ID, domain.ApplicationInput{Description: ptr("d"), CustomData: raw(map[string]string{"seats": "25"})}); err != nil {
		t.Fatal(err)
	}
	if got := fieldsOf(t, domain.CustomDataOf(app)); got != `{"seats":25,"tier":"gold"}` || app.Description != "d" || app.Version() != 4 {
		t.Fatalf("update application: %s %+v", got, app)
	}
	if g, err = e.svc.UpdateGroup(ctx, e.admin, g.ID, domain.GroupInput{CustomData: raw(map[string]string{"level": "6"})}); err != nil || fieldsOf(t, domain.CustomDataOf(g)) != `{"level":6}` {
		t.Fatalf("update group: %v %+v", err, g)
	}
	before := e.eventCount(t)
	if _, err := e.svc.UpdateGroup(ctx, e.admin, g.ID, domain.GroupInput{CustomData: raw(map[string]string{"level": "6.0"})}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Rebel"), CustomData: raw(map[string]string{"modifiedAt": "1"})})
	wantCode(t, err, domain.KindInvalid, domain.CodeInvalidValue, "modifiedAt")
	_, err = e.svc.UpdateApplication(ctx, e.admin, app.ID, domain.ApplicationInput{Name: ptr("Renamed"), CustomData: raw(map[string]string{"d": string(nested(40)["d"])})})
	wantCode(t, err, domain.KindInvalid, domain.CodeTooComplex, "customData")
	_, err = e.svc.CreateGroup(ctx, e.admin, app.ID, domain.GroupInput{Name: ptr("x"), CustomData: raw(map[string]string{"": "1"})})
	wantCode(t, err, domain.KindInvalid, domain.CodeInvalidValue, "customData")
	if n := e.eventCount(t); n != before {
		t.Fatalf("no-op and refused requests stored %d events", n-before)
	}
}
