package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/stormpath"
)

// Options say where and how to import.
type Options struct {
	Service *domain.Service
	// Caller is an admin of the tenant the export lands in.
	Caller domain.Caller
	// Run is the import's mode (domain.NewImportRun); nil writes.
	Run *domain.ImportRun
	// Progress receives a line per phase and every ProgressEvery
	// accounts (default 1,000); nil discards them.
	Progress      io.Writer
	ProgressEvery int
}

// Counts is what became of the items of one kind.
type Counts struct {
	Imported int `json:"imported"`
	Present  int `json:"present"`
	Skipped  int `json:"skipped"`
}

// AllCounts are the counts per kind.
type AllCounts struct {
	TenantCustomData Counts `json:"tenantCustomData"`
	Directories      Counts `json:"directories"`
	Groups           Counts `json:"groups"`
	Applications     Counts `json:"applications"`
	// Mappings follow their application: imported, present or skipped
	// with it (or alone, when their application is not in the export).
	Mappings    Counts `json:"accountStoreMappings"`
	Accounts    Counts `json:"accounts"`
	APIKeys     Counts `json:"apiKeys"`
	Memberships Counts `json:"memberships"`
}

// Skip is one item that did not land: its kind, its file when the
// export's reader knows it, its id, and why. A reason never holds a
// secret or a password hash: it is a domain error's message (which
// never quotes one) or the reader's.
type Skip struct {
	Kind   string `json:"kind"`
	File   string `json:"file,omitempty"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// MaxListed bounds Summary.Skipped: an export refused wholesale (the
// wrong tenant's ids, say) would otherwise make a summary line of
// megabytes; the counts stay exact.
const MaxListed = 1000

// Summary is what the import did, as the command prints it.
type Summary struct {
	Tenant string `json:"tenant"`
	DryRun bool   `json:"dryRun"`
	// NewAdminKey is set when the command created the tenant: its admin
	// key, with the secret, shown this once.
	NewAdminKey *domain.Credentials `json:"newAdminKey,omitempty"`
	Counts      AllCounts           `json:"counts"`
	// Passwords counts the imported accounts' passwords by what became
	// of them (domain.PasswordKept, PasswordNone, PasswordReset).
	Passwords             map[string]int `json:"passwords"`
	PasswordsNeedingReset int            `json:"passwordsNeedingReset"`
	// NotMapped counts what the export holds that Keystorm does not
	// take (README "Coming from Stormpath").
	NotMapped map[string]int `json:"notMapped"`
	Skipped   []Skip         `json:"skipped"`
	// SkippedNotListed counts the skips past MaxListed.
	SkippedNotListed int `json:"skippedNotListed,omitempty"`
	// Stopped is set when the import stopped short (the store failed,
	// or it was interrupted): counts are then empty, and running it
	// again goes on where it stopped. The summary is still printed, so
	// that a new tenant's admin key is never lost.
	Stopped string `json:"stopped,omitempty"`
}

// read are the export's folders the reader reads; any other folder is
// counted in NotMapped under its name (organizations, accountLinks, …).
var read = []string{"directories", "applications", "groups", "accountStoreMappings", "passwordPolicies", "accounts", "apiKeys", "groupMemberships"}

type importer struct {
	o   Options
	e   *stormpath.Export
	sum *Summary
	// seen is how many of the reader's problems are reported.
	seen int
}

// Import lands the export. Items that cannot land are in the summary;
// the error is for what ends the run: the store failing, the context
// ending, or a caller that may not import.
func Import(ctx context.Context, e *stormpath.Export, o Options) (*Summary, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 1000
	}
	im := &importer{o: o, e: e, sum: &Summary{Tenant: o.Caller.TenantID, DryRun: o.Run != nil && o.Run.DryRun,
		Passwords: map[string]int{}, NotMapped: map[string]int{}, Skipped: []Skip{}}}
	im.problems()
	steps := []func(context.Context) error{im.tenant, im.directories, im.groups, im.applications, im.accounts}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	if err := im.unread(); err != nil {
		return nil, err
	}
	return im.sum, nil
}

// fatal reports an error that ends the run rather than an item: the
// store failing, the context ending, a caller refused, anything that is
// not the domain judging the item.
func fatal(err error) bool {
	var de *domain.Error
	if !errors.As(err, &de) {
		return true
	}
	switch de.Kind {
	case domain.KindUnavailable, domain.KindInternal, domain.KindForbidden, domain.KindUnauthorized:
		return true
	}
	return false
}

// reason is a refusal's text for the summary: the domain's message,
// which names the property and never quotes a secret or a hash.
func reason(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}

func (im *importer) skip(c *Counts, s Skip) {
	c.Skipped++
	if len(im.sum.Skipped) >= MaxListed {
		im.sum.SkippedNotListed++
		return
	}
	im.sum.Skipped = append(im.sum.Skipped, s)
}

// outcome counts one item's outcome, or its refusal; fatal errors are
// returned.
func (im *importer) outcome(c *Counts, kind, file, id string, out domain.ImportOutcome, err error) (bool, error) {
	switch {
	case err != nil && fatal(err):
		return false, fmt.Errorf("%s %s: %w", kind, id, err)
	case err != nil:
		im.skip(c, Skip{Kind: kind, File: file, ID: id, Reason: reason(err)})
		return false, nil
	case out == domain.ImportPresent:
		c.Present++
	default:
		c.Imported++
	}
	return true, nil
}

// problems reports the files the reader could not use since the last
// call, under the kind of their folder.
func (im *importer) problems() {
	ps := im.e.Problems[im.seen:]
	im.seen = len(im.e.Problems)
	for _, p := range ps {
		folder, _, _ := strings.Cut(p.File, "/")
		var c *Counts
		kind := folder
		switch folder {
		case "directories":
			c, kind = &im.sum.Counts.Directories, "directory"
		case "applications":
			c, kind = &im.sum.Counts.Applications, "application"
		case "groups":
			c, kind = &im.sum.Counts.Groups, "group"
		case "accountStoreMappings":
			c, kind = &im.sum.Counts.Mappings, "accountStoreMapping"
		case "accounts":
			c, kind = &im.sum.Counts.Accounts, "account"
		case "apiKeys":
			c, kind = &im.sum.Counts.APIKeys, "apiKey"
		case "groupMemberships":
			c, kind = &im.sum.Counts.Memberships, "membership"
		default:
			c = &Counts{}
		}
		im.skip(c, Skip{Kind: kind, File: p.File, Reason: p.Reason})
	}
}

func (im *importer) phase(name string, c Counts) {
	verb := "imported"
	if im.sum.DryRun {
		verb = "would import"
	}
	fmt.Fprintf(im.o.Progress, "import-stormpath: %s: %s %d, present %d, skipped %d\n", name, verb, c.Imported, c.Present, c.Skipped)
}

// tenant gives the tenant the export's tenant customData, if it has
// none of its own (domain.ImportTenantCustomData).
func (im *importer) tenant(ctx context.Context) error {
	if len(im.e.Tenant.CustomData) == 0 {
		return nil
	}
	c := &im.sum.Counts.TenantCustomData
	out, err := im.o.Service.ImportTenantCustomData(ctx, im.o.Caller, im.e.Tenant.CustomData, im.o.Run)
	if _, err := im.outcome(c, "tenantCustomData", "meta.json", im.e.Tenant.ID, out, err); err != nil {
		return err
	}
	im.phase("tenant customData", *c)
	return nil
}

func origin(r stormpath.Resource) domain.Origin {
	return domain.Origin{Href: r.Href, CreatedAt: r.CreatedAt, ModifiedAt: r.ModifiedAt}
}

func (im *importer) directories(ctx context.Context) error {
	c := &im.sum.Counts.Directories
	for _, d := range im.e.Directories {
		if d.PasswordPolicy != nil {
			// Keystorm's password policy is the service's, not a
			// directory's.
			im.sum.NotMapped["passwordPolicies"]++
		}
		out, err := im.o.Service.ImportDirectory(ctx, im.o.Caller, domain.DirectoryImport{ID: d.ID, Origin: origin(d.Resource),
			Name: d.Name, Description: d.Description, Status: d.Status, CustomData: d.CustomData}, im.o.Run)
		if _, err := im.outcome(c, "directory", "", d.ID, out, err); err != nil {
			return err
		}
	}
	im.phase("directories", *c)
	return nil
}

func (im *importer) groups(ctx context.Context) error {
	c := &im.sum.Counts.Groups
	for _, g := range im.e.Groups {
		out, err := im.o.Service.ImportGroup(ctx, im.o.Caller, domain.GroupImport{ID: g.ID, Origin: origin(g.Resource), DirectoryID: g.Directory.Key(),
			Name: g.Name, Description: g.Description, Status: g.Status, CustomData: g.CustomData}, im.o.Run)
		if _, err := im.outcome(c, "group", "", g.ID, out, err); err != nil {
			return err
		}
	}
	im.phase("groups", *c)
	return nil
}

// storeKinds maps the collection of a mapping's account store to the
// kind of store Keystorm has; organizations have none.
var storeKinds = map[string]string{"directories": events.StoreDirectory, "groups": events.StoreGroup}

func (im *importer) applications(ctx context.Context) error {
	c, mc := &im.sum.Counts.Applications, &im.sum.Counts.Mappings
	apps := map[string]bool{}
	for _, a := range im.e.Applications {
		apps[a.ID] = true
	}
	byApp := map[string][]stormpath.Mapping{}
	for _, m := range im.e.Mappings {
		switch app := m.Application.Key(); {
		case !apps[app]:
			im.skip(mc, Skip{Kind: "accountStoreMapping", ID: m.ID, Reason: "Its application is not in the export."})
		case storeKinds[m.AccountStore.Collection()] == "":
			// An organization (or anything else) as an account store.
			im.sum.NotMapped["organizationMappings"]++
		default:
			byApp[app] = append(byApp[app], m)
		}
	}
	for _, a := range im.e.Applications {
		ms := byApp[a.ID]
		slices.SortStableFunc(ms, func(x, y stormpath.Mapping) int { return cmp.Compare(x.ListIndex, y.ListIndex) })
		in := domain.ApplicationImport{ID: a.ID, Origin: origin(a.Resource), Name: a.Name, Description: a.Description, Status: a.Status, CustomData: a.CustomData}
		for _, m := range ms {
			in.Mappings = append(in.Mappings, domain.MappingImport{ID: m.ID, StoreKind: storeKinds[m.AccountStore.Collection()], StoreID: m.AccountStore.Key(),
				DefaultAccountStore: m.IsDefaultAccountStore, DefaultGroupStore: m.IsDefaultGroupStore})
		}
		out, err := im.o.Service.ImportApplication(ctx, im.o.Caller, in, im.o.Run)
		landed, err := im.outcome(c, "application", "", a.ID, out, err)
		switch {
		case err != nil:
			return err
		case !landed:
			mc.Skipped += len(ms) // with their application, listed once
		case out == domain.ImportPresent:
			mc.Present += len(ms)
		default:
			mc.Imported += len(ms)
		}
	}
	im.phase("applications", *c)
	im.phase("account store mappings", *mc)
	return nil
}

// rel is an account's file relative to the export, as problems are.
func (im *importer) rel(file string) string {
	if r, err := filepath.Rel(im.e.Dir, file); err == nil {
		return filepath.ToSlash(r)
	}
	return file
}

func (im *importer) accounts(ctx context.Context) error {
	total, err := im.e.CountAccounts()
	if err != nil {
		return err
	}
	n := 0
	err = im.e.Accounts(func(a stormpath.Account) error {
		if err := im.account(ctx, a); err != nil {
			return err
		}
		if n++; n%im.o.ProgressEvery == 0 {
			fmt.Fprintf(im.o.Progress, "import-stormpath: accounts: %d of %d files read (accounts imported %d, API keys %d, memberships %d)\n",
				n, total, im.sum.Counts.Accounts.Imported, im.sum.Counts.APIKeys.Imported, im.sum.Counts.Memberships.Imported)
		}
		return nil
	})
	if err != nil {
		return err
	}
	im.problems() // the account files that were not JSON
	im.phase("accounts", im.sum.Counts.Accounts)
	im.phase("API keys", im.sum.Counts.APIKeys)
	im.phase("memberships", im.sum.Counts.Memberships)
	return nil
}

// account lands one account, then its keys and memberships: each its
// own commit. A refused account takes its keys and memberships with it.
func (im *importer) account(ctx context.Context, a stormpath.Account) error {
	file := im.rel(a.File)
	if a.ExternalID != "" {
		im.sum.NotMapped["externalId"]++
	}
	res, err := im.o.Service.ImportAccount(ctx, im.o.Caller, domain.AccountImport{ID: a.ID, Origin: origin(a.Resource), DirectoryID: a.Directory.Key(),
		Username: a.Username, Email: a.Email, GivenName: a.GivenName, MiddleName: a.MiddleName, Surname: a.Surname, Status: a.Status,
		PasswordHash: a.Password, CustomData: a.CustomData, EmailVerificationStatus: a.EmailVerificationStatus}, im.o.Run)
	landed, err := im.outcome(&im.sum.Counts.Accounts, "account", file, a.ID, res.Outcome, err)
	if err != nil {
		return err
	}
	if !landed {
		for _, k := range a.APIKeys {
			im.skip(&im.sum.Counts.APIKeys, Skip{Kind: "apiKey", File: file, ID: k.ID, Reason: "Its account was not imported."})
		}
		for _, g := range a.Groups {
			im.skip(&im.sum.Counts.Memberships, Skip{Kind: "membership", File: file, ID: a.MembershipIDs[g.Key()], Reason: "Its account was not imported."})
		}
		return nil
	}
	if res.Outcome == domain.ImportCreated {
		im.sum.Passwords[res.Password]++
		if res.Password == domain.PasswordReset {
			im.sum.PasswordsNeedingReset++
		}
	}
	for _, k := range a.APIKeys {
		out, err := im.o.Service.ImportAPIKey(ctx, im.o.Caller, domain.APIKeyImport{AccountID: a.ID, ID: k.ID, Secret: k.Secret, Status: k.Status}, im.o.Run)
		if _, err := im.outcome(&im.sum.Counts.APIKeys, "apiKey", file, k.ID, out, err); err != nil {
			return err
		}
	}
	for _, g := range a.Groups {
		id := a.MembershipIDs[g.Key()]
		out, err := im.o.Service.ImportMembership(ctx, im.o.Caller, domain.MembershipImport{ID: id, AccountID: a.ID, GroupID: g.Key()}, im.o.Run)
		if id == "" && err == nil {
			id = domain.MembershipImportID(a.ID, g.Key())
		}
		if _, err := im.outcome(&im.sum.Counts.Memberships, "membership", file, id, out, err); err != nil {
			return err
		}
	}
	return nil
}

// unread counts the files of the export's folders nothing reads.
func (im *importer) unread() error {
	entries, err := os.ReadDir(im.e.Dir)
	if err != nil {
		return err
	}
	for _, d := range entries {
		if !d.IsDir() || slices.Contains(read, d.Name()) {
			continue
		}
		n := 0
		err := filepath.WalkDir(filepath.Join(im.e.Dir, d.Name()), func(p string, f os.DirEntry, err error) error {
			if err == nil && !f.IsDir() && strings.EqualFold(filepath.Ext(p), ".json") {
				n++
			}
			return err
		})
		if err != nil {
			return err
		}
		if n > 0 {
			im.sum.NotMapped[d.Name()] += n
		}
	}
	return nil
}
