package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// Ids as Stormpath made them: 22 base62 characters.
const (
	spDir    = "2SKhstu8PlaekcaEXampLE"
	spApp    = "1gk4Dxzi6o4PbdleXaMPLE"
	spGroup  = "3pJpnzjdBRpKZ0Ms0EXAMP"
	spAcc    = "4qV6w0aT0dGZnNqT3EXAMP"
	spKeyID  = "7NQ3C0RZ5Z6BHBDKKO1EXAMP1"
	spKey2ID = "7NQ3C0RZ5Z6BHBDKKO1EXAMP2"
)

var (
	spCreated  = time.Date(2015, 6, 1, 10, 0, 0, 123_000_000, time.UTC)
	spModified = time.Date(2016, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
)

func origin(kind, id string) domain.Origin {
	return domain.Origin{Href: "https://api.stormpath.com/v1/" + kind + "/" + id, CreatedAt: spCreated, ModifiedAt: spModified}
}

func rawJSON(m map[string]string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range m {
		out[k] = json.RawMessage(v)
	}
	return out
}

// importTree imports one of each kind and fails on anything but want.
func (e *env) importTree(t *testing.T, ir *domain.ImportRun, want domain.ImportOutcome, hash string) domain.AccountImportResult {
	t.Helper()
	ctx := context.Background()
	check := func(what string, got domain.ImportOutcome, err error) {
		t.Helper()
		if err != nil || got != want {
			t.Fatalf("%s: %q %v, want %q", what, got, err, want)
		}
	}
	got, err := e.svc.ImportDirectory(ctx, e.admin, domain.DirectoryImport{ID: spDir, Origin: origin("directories", spDir), Name: "Rebels",
		Status: "ENABLED", CustomData: rawJSON(map[string]string{"region": `"outer rim"`})}, ir)
	check("directory", got, err)
	got, err = e.svc.ImportGroup(ctx, e.admin, domain.GroupImport{ID: spGroup, Origin: origin("groups", spGroup), DirectoryID: spDir, Name: "jedi"}, ir)
	check("group", got, err)
	got, err = e.svc.ImportApplication(ctx, e.admin, domain.ApplicationImport{ID: spApp, Origin: origin("applications", spApp), Name: "Rebel Command",
		Status: "ENABLED", Mappings: []domain.MappingImport{
			{ID: "5mapDirEXAMPLE", StoreKind: events.StoreDirectory, StoreID: spDir, DefaultAccountStore: true, DefaultGroupStore: true},
			{ID: "6mapGroupEXAMPLE", StoreKind: events.StoreGroup, StoreID: spGroup},
		}}, ir)
	check("application", got, err)
	acc, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: spAcc, Origin: origin("accounts", spAcc), DirectoryID: spDir,
		Username: "han", Email: "han@rebels.example", GivenName: "Han", Surname: "Solo", Status: "DISABLED", PasswordHash: hash,
		CustomData: rawJSON(map[string]string{"ship": `{"name":"Millennium Falcon","crew":["Chewbacca",{"droid":null}]}`})}, ir)
	check("account", acc.Outcome, err)
	for _, k := range []domain.APIKeyImport{
		{AccountID: spAcc, ID: spKeyID, Secret: stormpathSecret("one"), Status: "DISABLED"},
		{AccountID: spAcc, ID: spKey2ID, Secret: stormpathSecret("two")},
	} {
		got, err = e.svc.ImportAPIKey(ctx, e.admin, k, ir)
		check("key "+k.ID, got, err)
	}
	got, err = e.svc.ImportMembership(ctx, e.admin, domain.MembershipImport{AccountID: spAcc, GroupID: spGroup}, ir)
	check("membership", got, err)
	return acc
}

// TestStormpathImportKeepsIdsTimesAndData: each kind lands under its
// Stormpath id with Stormpath's times and customData; the application
// maps the directory and the group in order; the keys keep their
// status; a second run finds everything present and writes nothing.
func TestStormpathImportKeepsIdsTimesAndData(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	hash := bcryptOf(t, "Kessel-Run-12", "$2a$")
	acc := e.importTree(t, nil, domain.ImportCreated, hash)
	if acc.Password != domain.PasswordKept {
		t.Fatalf("password %q", acc.Password)
	}
	a, err := e.svc.GetAccount(ctx, e.admin, spAcc)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != spAcc || !a.CreatedAt.Equal(spCreated) || !a.ModifiedAt.Equal(spModified) || a.DirectoryID != spDir || a.ApplicationID != "" ||
		a.Status != domain.StatusDisabled || a.PasswordHash != hash || a.Username != "han" {
		// (Not %+v: that would print the password hash.)
		t.Fatalf("account %s %v %v %s %q %s", a.ID, a.CreatedAt, a.ModifiedAt, a.DirectoryID, a.ApplicationID, a.Status)
	}
	if got := string(a.CustomData["ship"]); got != `{"name":"Millennium Falcon","crew":["Chewbacca",{"droid":null}]}` {
		t.Fatalf("customData %s", got)
	}
	cd, err := e.svc.GetCustomData(ctx, e.admin, domain.Ref{Kind: domain.KindAccount, ID: spAcc})
	if err != nil || !cd.ModifiedAt.Equal(spModified) || !cd.CreatedAt.Equal(spCreated) {
		t.Fatalf("customData resource %v %+v", err, cd)
	}
	g, err := e.svc.GetGroup(ctx, e.admin, spGroup)
	if err != nil || g.DirectoryID != spDir || !g.CreatedAt.Equal(spCreated) || !g.ModifiedAt.Equal(spModified) {
		t.Fatalf("group %v %+v", err, g)
	}
	app, err := e.svc.GetApplication(ctx, e.admin, spApp)
	if err != nil || app.DirectoryID != "" || !app.CreatedAt.Equal(spCreated) || len(app.Mappings) != 2 {
		t.Fatalf("application %v %+v", err, app)
	}
	ms := domain.MappingsOf(app)
	if ms[0].ID != "5mapDirEXAMPLE" || ms[0].StoreID != spDir || !ms[0].DefaultAccountStore || !ms[0].DefaultGroupStore ||
		ms[1].ID != "6mapGroupEXAMPLE" || ms[1].StoreKind != events.StoreGroup || ms[1].ListIndex != 1 || ms[1].DefaultAccountStore {
		t.Fatalf("mappings %+v", ms)
	}
	var d domain.Directory
	if err := e.h.Store.Load(ctx, domain.Ref{Kind: domain.KindDirectory, ID: spDir}, &d); err != nil ||
		d.Name != "Rebels" || !d.CreatedAt.Equal(spCreated) || string(d.CustomData["region"]) != `"outer rim"` || d.Children() != 2 {
		t.Fatalf("directory %v %+v (children %d)", err, d, d.Children())
	}
	keys, err := e.svc.ListAPIKeys(ctx, e.admin, spAcc, domain.Page{})
	if err != nil || keys.Size != 2 {
		t.Fatalf("keys %v %+v", err, keys)
	}
	for _, k := range keys.Items {
		want := map[string]string{spKeyID: domain.StatusDisabled, spKey2ID: domain.StatusEnabled}[k.ID]
		if k.Status != want || !k.Imported || k.AccountID != spAcc {
			t.Fatalf("key %+v", k)
		}
	}
	if k := keys.Items[0]; k.SecretHash != domain.HashSecret(stormpathSecret("one")) && k.SecretHash != domain.HashSecret(stormpathSecret("two")) {
		t.Fatal("key secret not stored as its hash")
	}
	mem, err := e.svc.ListAccountMemberships(ctx, e.admin, spAcc, domain.Page{})
	if err != nil || mem.Size != 1 || mem.Items[0].GroupID != spGroup || mem.Items[0].ID != domain.MembershipImportID(spAcc, spGroup) {
		t.Fatalf("memberships %v %+v", err, mem)
	}
	types := e.streamTypes(t, spAcc)
	if strings.Join(types, " ") != events.TypeAccountCreated+" "+events.TypeCustomDataChanged+" "+events.TypeAccountImported {
		t.Fatalf("account stream %v", types)
	}

	before := e.eventCount(t)
	e.importTree(t, nil, domain.ImportPresent, hash)
	// Present even with another hash: nothing is overwritten.
	e.importTree(t, nil, domain.ImportPresent, vector)
	if after := e.eventCount(t); after != before {
		t.Fatalf("a second run wrote %d events", after-before)
	}
}

// TestStormpathImportDryRun: a dry run judges every item as the real run
// would (an account in a directory the run would create passes; a
// second account with the same username does not), and writes nothing.
func TestStormpathImportDryRun(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	before := e.eventCount(t)
	ir := domain.NewImportRun(true)
	e.importTree(t, ir, domain.ImportCreated, vector)
	e.importTree(t, ir, domain.ImportPresent, vector)
	_, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: "twin", DirectoryID: spDir, Username: "HAN", Email: "twin@rebels.example"}, ir)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeNotUnique || de.Field != "username" {
		t.Fatalf("same username in a dry run: %v", err)
	}
	_, err = e.svc.ImportAPIKey(ctx, e.admin, domain.APIKeyImport{AccountID: "twin", ID: spKeyID, Secret: stormpathSecret("one")}, ir)
	wantKind(t, err, domain.KindConflict)
	if after := e.eventCount(t); after != before {
		t.Fatalf("a dry run wrote %d events", after-before)
	}
	if _, err := e.svc.GetAccount(ctx, e.admin, spAcc); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("dry-run account readable: %v", err)
	}
	// A dry run on an empty store plans the tenant the real run makes.
	ir = domain.NewImportRun(true)
	ir.PlanTenant("newtenant")
	c := domain.Caller{TenantID: "newtenant", Admin: true}
	if got, err := e.svc.ImportDirectory(ctx, c, domain.DirectoryImport{ID: spDir, Name: "Rebels"}, ir); err != nil || got != domain.ImportCreated {
		t.Fatalf("planned tenant: %q %v", got, err)
	}
}

// TestStormpathImportPasswords: bcrypt and stormpath2 are kept; a
// stormpath1 hash, or any other, leaves no usable password and asks for a
// reset; no password stays none.
func TestStormpathImportPasswords(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, err := e.svc.ImportDirectory(ctx, e.admin, domain.DirectoryImport{ID: spDir, Name: "Rebels"}, nil); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ hash, want, stored string }{
		{vector, domain.PasswordKept, vector},
		{"$stormpath1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==", domain.PasswordReset, ""},
		{"$2x$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234", domain.PasswordReset, ""},
		{"plaintext", domain.PasswordReset, ""},
		{"", domain.PasswordNone, ""},
	} {
		id := "acc" + string(rune('A'+i))
		res, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: id, DirectoryID: spDir, Email: id + "@rebels.example", PasswordHash: c.hash}, nil)
		if err != nil || res.Password != c.want || res.Outcome != domain.ImportCreated {
			t.Fatalf("%d: %+v %v", i, res, err)
		}
		a, err := e.svc.GetAccount(ctx, e.admin, id)
		if err != nil || a.PasswordHash != c.stored || a.Username != id+"@rebels.example" {
			t.Fatalf("%d: %v %q %q", i, err, a.PasswordHash, a.Username)
		}
	}
}

// TestStormpathImportRefusals: each refusal is a domain error naming the
// fault, and writes nothing.
func TestStormpathImportRefusals(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, err := e.svc.ImportDirectory(ctx, e.admin, domain.DirectoryImport{ID: spDir, Name: "Rebels"}, nil); err != nil {
		t.Fatal(err)
	}
	before := e.eventCount(t)
	big := map[string]json.RawMessage{"blob": json.RawMessage(`"` + strings.Repeat("x", domain.MaxCustomDataBytes) + `"`)}
	acc := func(in domain.AccountImport) error {
		if in.ID == "" {
			in.ID = spAcc
		}
		if in.DirectoryID == "" {
			in.DirectoryID = spDir
		}
		if in.Email == "" {
			in.Email = "han@rebels.example"
		}
		_, err := e.svc.ImportAccount(ctx, e.admin, in, nil)
		return err
	}
	for name, c := range map[string]struct {
		err  error
		code int
	}{
		"oversize customData": {acc(domain.AccountImport{CustomData: big}), domain.CodeCustomDataTooLarge},
		"id with a dash":      {acc(domain.AccountImport{ID: "not-an-id"}), domain.CodeInvalidValue},
		"id too long":         {acc(domain.AccountImport{ID: strings.Repeat("a", 65)}), domain.CodeInvalidValue},
		"missing directory":   {acc(domain.AccountImport{DirectoryID: "nosuchdirectory"}), domain.CodeInvalidValue},
		"bad email":           {acc(domain.AccountImport{Email: "han"}), domain.CodeInvalidEmail},
		"bad status":          {acc(domain.AccountImport{Status: "LOCKED"}), domain.CodeInvalidStatus},
		"bad key id": {func() error {
			_, err := e.svc.ImportAPIKey(ctx, e.admin, domain.APIKeyImport{AccountID: spAcc, ID: "short", Secret: stormpathSecret("x")}, nil)
			return err
		}(), domain.CodeInvalidValue},
		"weak secret": {func() error {
			_, err := e.svc.ImportAPIKey(ctx, e.admin, domain.APIKeyImport{AccountID: spAcc, ID: spKeyID, Secret: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, nil)
			return err
		}(), domain.CodeWeakSecret},
		"key of a missing account": {func() error {
			_, err := e.svc.ImportAPIKey(ctx, e.admin, domain.APIKeyImport{AccountID: spAcc, ID: spKeyID, Secret: stormpathSecret("x")}, nil)
			return err
		}(), domain.CodeInvalidValue},
		"mapping of a missing store": {func() error {
			_, err := e.svc.ImportApplication(ctx, e.admin, domain.ApplicationImport{ID: spApp, Name: "x",
				Mappings: []domain.MappingImport{{ID: "m1", StoreKind: events.StoreGroup, StoreID: spGroup}}}, nil)
			return err
		}(), domain.CodeInvalidValue},
		"two default account stores": {func() error {
			_, err := e.svc.ImportApplication(ctx, e.admin, domain.ApplicationImport{ID: spApp, Name: "x",
				Mappings: []domain.MappingImport{{ID: "m1", StoreKind: events.StoreDirectory, StoreID: spDir, DefaultAccountStore: true},
					{ID: "m2", StoreKind: events.StoreDirectory, StoreID: "other", DefaultAccountStore: true}}}, nil)
			return err
		}(), domain.CodeInvalidValue},
		"a group as default account store": {func() error {
			_, err := e.svc.ImportApplication(ctx, e.admin, domain.ApplicationImport{ID: spApp, Name: "x",
				Mappings: []domain.MappingImport{{ID: "m1", StoreKind: events.StoreGroup, StoreID: spGroup, DefaultAccountStore: true}}}, nil)
			return err
		}(), domain.CodeInvalidValue},
		"33 mappings": {func() error {
			ms := make([]domain.MappingImport, domain.MaxAccountStores+1)
			for i := range ms {
				ms[i] = domain.MappingImport{ID: "m" + strings.Repeat("x", i+1), StoreKind: events.StoreDirectory, StoreID: spDir}
			}
			_, err := e.svc.ImportApplication(ctx, e.admin, domain.ApplicationImport{ID: spApp, Name: "x", Mappings: ms}, nil)
			return err
		}(), domain.CodeInvalidValue},
	} {
		var de *domain.Error
		if !errors.As(c.err, &de) || de.Code != c.code {
			t.Errorf("%s: %v, want code %d", name, c.err, c.code)
		}
		if de != nil && strings.Contains(de.Message, "xxxx") {
			t.Errorf("%s: the message quotes the input", name)
		}
	}
	if after := e.eventCount(t); after != before {
		t.Fatalf("refusals wrote %d events", after-before)
	}
	// A developer's key, or a session, imports nothing.
	dev := domain.Caller{TenantID: e.boot.Tenant.ID, KeyID: "K", AccountID: "A"}
	if _, err := e.svc.ImportDirectory(ctx, dev, domain.DirectoryImport{ID: "d2", Name: "x"}, nil); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("developer: %v", err)
	}
}

// TestStormpathImportConflicts: a username taken in the directory, a
// key id another account holds, and a membership across directories are
// refused per item; an id another tenant holds is not taken over.
func TestStormpathImportConflicts(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.importTree(t, nil, domain.ImportCreated, vector)
	_, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: "twin", DirectoryID: spDir, Username: "han", Email: "twin@rebels.example"}, nil)
	wantKind(t, err, domain.KindConflict)
	if _, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: "other", DirectoryID: spDir, Email: "other@rebels.example"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ImportAPIKey(ctx, e.admin, domain.APIKeyImport{AccountID: "other", ID: spKeyID, Secret: stormpathSecret("one")}, nil)
	wantKind(t, err, domain.KindConflict)
	if _, err := e.svc.ImportDirectory(ctx, e.admin, domain.DirectoryImport{ID: "second", Name: "Partners"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: "rey", DirectoryID: "second", Email: "rey@rebels.example"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ImportMembership(ctx, e.admin, domain.MembershipImport{ID: "m9", AccountID: "rey", GroupID: spGroup}, nil)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeCrossDirectoryLink {
		t.Fatalf("cross-directory membership: %v", err)
	}
	// Another membership id for a pair already joined is present.
	if got, err := e.svc.ImportMembership(ctx, e.admin, domain.MembershipImport{ID: "m10", AccountID: spAcc, GroupID: spGroup}, nil); err != nil || got != domain.ImportPresent {
		t.Fatalf("joined pair: %q %v", got, err)
	}
	other, err := e.svc.Bootstrap(ctx, domain.BootstrapInput{TenantName: "other"})
	if err != nil {
		t.Fatal(err)
	}
	oc := domain.Caller{TenantID: other.Tenant.ID, Admin: true}
	_, err = e.svc.ImportDirectory(ctx, oc, domain.DirectoryImport{ID: spDir, Name: "Rebels"}, nil)
	wantKind(t, err, domain.KindConflict)
}

// TestStormpathImportTenantCustomData: the export's tenant customData
// goes to a tenant without any; again it is present; a tenant with other
// customData keeps its own.
func TestStormpathImportTenantCustomData(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	data := rawJSON(map[string]string{"plan": `"pro"`})
	for _, want := range []domain.ImportOutcome{domain.ImportCreated, domain.ImportPresent} {
		if got, err := e.svc.ImportTenantCustomData(ctx, e.admin, data, nil); err != nil || got != want {
			t.Fatalf("%q %v, want %q", got, err, want)
		}
	}
	_, err := e.svc.ImportTenantCustomData(ctx, e.admin, rawJSON(map[string]string{"plan": `"free"`}), nil)
	wantKind(t, err, domain.KindConflict)
	cd, err := e.svc.GetCustomData(ctx, e.admin, domain.Ref{Kind: domain.KindTenant, ID: e.boot.Tenant.ID})
	if err != nil || string(cd.Fields["plan"]) != `"pro"` {
		t.Fatalf("%v %+v", err, cd)
	}
}

// TestImportMapsNoOwnGroup: an imported application may map groups of
// imported (shared) directories only: a group of an application's own
// directory, the administrators' above all, is refused.
func TestImportMapsNoOwnGroup(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	g, err := e.svc.CreateGroup(ctx, e.admin, e.boot.AdminApp.ID, domain.GroupInput{Name: ptr("admins")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ImportApplication(ctx, e.admin, domain.ApplicationImport{ID: "spApp1", Name: "x",
		Mappings: []domain.MappingImport{{ID: "m1", StoreKind: events.StoreGroup, StoreID: g.ID}}}, nil)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeInvalidValue {
		t.Fatalf("mapping the administrators' group: %v", err)
	}
}

// TestImportNeverTakesKeystormsOwn: an export that names Keystorm's own
// ids gets nothing of them: not the administrators' directory (whose id
// looks free, having no stream), not their account (no key is hung on
// it, and it is no "present" import), not a native group.
func TestImportNeverTakesKeystormsOwn(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	code := func(err error) int {
		var de *domain.Error
		if errors.As(err, &de) {
			return de.Code
		}
		return 0
	}
	_, err := e.svc.ImportDirectory(ctx, e.admin, domain.DirectoryImport{ID: e.boot.AdminApp.DirectoryID, Name: "mallory"}, nil)
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("a directory under the administrators' directory id: %v", err)
	}
	if _, err := e.svc.ImportDirectory(ctx, e.admin, domain.DirectoryImport{ID: "spDirX", Name: "imported"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: e.boot.Admin.ID, DirectoryID: "spDirX", Username: "mallory", Email: "mallory@example.com"}, nil)
	if domain.KindOf(err) != domain.KindConflict {
		t.Fatalf("an account under the administrator's id: %v", err)
	}
	_, err = e.svc.ImportAPIKey(ctx, e.admin, domain.APIKeyImport{AccountID: e.boot.Admin.ID, ID: "4M1QDS6GJ8XRQ3WH2P0KZ5LTB", Secret: stormpathSecret("mallory")}, nil)
	if code(err) != domain.CodeInvalidValue {
		t.Fatalf("a key on the administrator's account: %v", err)
	}
	dev := e.account(t, "tk421")
	g, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr("officers")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ImportMembership(ctx, e.admin, domain.MembershipImport{AccountID: dev.ID, GroupID: g.ID}, nil)
	if code(err) != domain.CodeInvalidValue {
		t.Fatalf("a membership of Keystorm's own: %v", err)
	}
	if ms, err := e.svc.ListAccountMemberships(ctx, e.admin, dev.ID, domain.Page{}); err != nil || len(ms.Items) != 0 {
		t.Fatalf("memberships of the developer: %v %v", ms.Items, err)
	}
}

// TestImportKeepsEmailVerificationStatus: an imported account keeps
// Stormpath's emailVerificationStatus beside its status (an ENABLED
// account with an unverified address still signs in, as there); a
// Keystorm account's is UNKNOWN until it waits for, or passes, a
// verification.
func TestImportKeepsEmailVerificationStatus(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, err := e.svc.ImportDirectory(ctx, e.admin, domain.DirectoryImport{ID: "spDirV", Name: "imported"}, nil); err != nil {
		t.Fatal(err)
	}
	for id, v := range map[string]string{"spAccV1": "UNVERIFIED", "spAccV2": "VERIFIED", "spAccV3": ""} {
		if _, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: id, DirectoryID: "spDirV", Username: id, Email: id + "@example.com",
			Status: "ENABLED", EmailVerificationStatus: v}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]string{"spAccV1": "UNVERIFIED", "spAccV2": "VERIFIED", "spAccV3": "UNKNOWN"} {
		acc, err := e.svc.GetAccount(ctx, e.admin, id)
		if err != nil || acc.VerificationStatus() != want || acc.Status != domain.StatusEnabled {
			t.Fatalf("%s: %v %q %s, want %s", id, err, acc.VerificationStatus(), acc.Status, want)
		}
	}
	_, err := e.svc.ImportAccount(ctx, e.admin, domain.AccountImport{ID: "spAccV4", DirectoryID: "spDirV", Username: "v4", Email: "v4@example.com",
		EmailVerificationStatus: "MAYBE"}, nil)
	if domain.KindOf(err) != domain.KindInvalid {
		t.Fatalf("a status Stormpath never had: %v", err)
	}
	if got := e.account(t, "native").VerificationStatus(); got != "UNKNOWN" {
		t.Fatalf("a native account: %s", got)
	}
}
