package stormpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Ref is a link to another resource, as Stormpath wrote them: an href,
// and in exports usually the id too.
type Ref struct {
	Href string `json:"href"`
	ID   string `json:"id,omitempty"`
}

// Key is the referenced resource's id: the id when the export gave one,
// else the last segment of the href.
func (r *Ref) Key() string {
	if r == nil {
		return ""
	}
	if r.ID != "" {
		return r.ID
	}
	if i := strings.LastIndexByte(r.Href, '/'); i >= 0 {
		return r.Href[i+1:]
	}
	return ""
}

// Collection is the resource type an href names ("directories",
// "groups", …): the segment before the id.
func (r *Ref) Collection() string {
	if r == nil {
		return ""
	}
	parts := strings.Split(strings.TrimRight(r.Href, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

// CustomData is a resource's customData as exported, without the fields
// that are the customData resource's own (href, createdAt, modifiedAt),
// which Stormpath wrote into the same object.
type CustomData map[string]json.RawMessage

// UnmarshalJSON drops the resource's own fields.
func (c *CustomData) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for _, k := range []string{"href", "createdAt", "modifiedAt"} {
		delete(m, k)
	}
	*c = m
	return nil
}

// Resource is what every exported resource has.
type Resource struct {
	Href       string    `json:"href"`
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"createdAt"`
	ModifiedAt time.Time `json:"modifiedAt"`
}

// Tenant is meta.json.
type Tenant struct {
	Resource
	Name       string     `json:"name"`
	Key        string     `json:"key"`
	CustomData CustomData `json:"customData"`
}

// Directory is a Stormpath directory: a store of accounts and groups that
// applications reach through account store mappings.
type Directory struct {
	Resource
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	Status         string     `json:"status"`
	PasswordPolicy *Ref       `json:"passwordPolicy"`
	Provider       *Ref       `json:"provider"`
	CustomData     CustomData `json:"customData"`
}

// Application is a Stormpath application.
type Application struct {
	Resource
	Name                       string     `json:"name"`
	Description                string     `json:"description"`
	Status                     string     `json:"status"`
	DefaultAccountStoreMapping *Ref       `json:"defaultAccountStoreMapping"`
	DefaultGroupStoreMapping   *Ref       `json:"defaultGroupStoreMapping"`
	CustomData                 CustomData `json:"customData"`
}

// Group is a group of a directory.
type Group struct {
	Resource
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Status      string     `json:"status"`
	Directory   *Ref       `json:"directory"`
	CustomData  CustomData `json:"customData"`
}

// Mapping is an account store mapping: an application reaches the
// accounts of a directory, or of a group, in listIndex order.
type Mapping struct {
	Resource
	Application           *Ref `json:"application"`
	AccountStore          *Ref `json:"accountStore"`
	ListIndex             int  `json:"listIndex"`
	IsDefaultAccountStore bool `json:"isDefaultAccountStore"`
	IsDefaultGroupStore   bool `json:"isDefaultGroupStore"`
}

// PasswordPolicy is a directory's password policy; only its strength
// rules carry over.
type PasswordPolicy struct {
	Resource
	Strength struct {
		MinLength    int `json:"minLength"`
		MaxLength    int `json:"maxLength"`
		MinLowerCase int `json:"minLowerCase"`
		MinUpperCase int `json:"minUpperCase"`
		MinNumeric   int `json:"minNumeric"`
		MinSymbol    int `json:"minSymbol"`
	} `json:"strength"`
}

// APIKey is an account's API key, with its secret in plain text as the
// export holds it.
type APIKey struct {
	Href   string `json:"href"`
	ID     string `json:"id"`
	Secret string `json:"secret"`
	// Status is ENABLED or DISABLED; the first generation wrote none
	// (every embedded key was enabled).
	Status  string `json:"status,omitempty"`
	Account *Ref   `json:"account,omitempty"`
}

// Membership links an account to a group (groupMemberships/).
type Membership struct {
	Href    string `json:"href"`
	ID      string `json:"id"`
	Account *Ref   `json:"account"`
	Group   *Ref   `json:"group"`
}

// Account is an exported account, with its keys and groups from either
// generation of the export.
type Account struct {
	Resource
	Username                string `json:"username"`
	Email                   string `json:"email"`
	GivenName               string `json:"givenName"`
	MiddleName              string `json:"middleName"`
	Surname                 string `json:"surname"`
	Status                  string `json:"status"`
	EmailVerificationStatus string `json:"emailVerificationStatus"`
	ExternalID              string `json:"externalId"`
	// Password is the account's password hash in Modular Crypt Format
	// ($2a$…, $stormpath2$…, $stormpath1$…); empty when it had none.
	Password   string     `json:"password"`
	Directory  *Ref       `json:"directory"`
	CustomData CustomData `json:"customData"`
	Groups     []Ref      `json:"groups"`
	APIKeys    []APIKey   `json:"apiKeys"`
	// MembershipIDs names, by group id, the membership of groupMemberships/
	// that put the account there: the later generation's own ids, which
	// the importer keeps. Groups of the first generation have none.
	MembershipIDs map[string]string `json:"-"`
	// File is where the account was read, for reports.
	File string `json:"-"`
}

// Problem is an item that could not be read: its file, and why.
type Problem struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Export is an opened export: everything but the accounts, which
// Accounts streams.
type Export struct {
	Dir              string
	Tenant           Tenant
	Directories      []Directory
	Applications     []Application
	Groups           []Group
	Mappings         []Mapping
	PasswordPolicies map[string]PasswordPolicy
	// Problems are the items read so far that could not be used.
	Problems []Problem
	// keys and groups are the later generation's apiKeys/ and
	// groupMemberships/, by account id.
	keys    map[string][]APIKey
	groups  map[string][]Ref
	members map[string]map[string]string
}

// Open reads an export's tenant (meta.json, required) and every folder
// but accounts/.
func Open(dir string) (*Export, error) {
	e := &Export{Dir: dir, PasswordPolicies: map[string]PasswordPolicy{}, keys: map[string][]APIKey{}, groups: map[string][]Ref{}, members: map[string]map[string]string{}}
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, fmt.Errorf("stormpath export: %w", err)
	}
	if err := json.Unmarshal(b, &e.Tenant); err != nil {
		return nil, fmt.Errorf("stormpath export: meta.json: %w", err)
	}
	if e.Tenant.ID == "" {
		e.Tenant.ID = (&Ref{Href: e.Tenant.Href}).Key()
	}
	if err := readAll(e, "directories", func(d Directory) string { return d.ID }, &e.Directories); err != nil {
		return nil, err
	}
	if err := readAll(e, "applications", func(a Application) string { return a.ID }, &e.Applications); err != nil {
		return nil, err
	}
	if err := readAll(e, "groups", func(g Group) string { return g.ID }, &e.Groups); err != nil {
		return nil, err
	}
	if err := readAll(e, "accountStoreMappings", func(m Mapping) string { return m.ID }, &e.Mappings); err != nil {
		return nil, err
	}
	var policies []PasswordPolicy
	if err := readAll(e, "passwordPolicies", func(p PasswordPolicy) string { return p.ID }, &policies); err != nil {
		return nil, err
	}
	for _, p := range policies {
		e.PasswordPolicies[p.ID] = p
	}
	var keys []APIKey
	if err := readAll(e, "apiKeys", func(k APIKey) string {
		if k.Account.Key() == "" {
			return ""
		}
		return k.ID
	}, &keys); err != nil {
		return nil, err
	}
	for _, k := range keys {
		e.keys[k.Account.Key()] = append(e.keys[k.Account.Key()], k)
	}
	var members []Membership
	if err := readAll(e, "groupMemberships", func(m Membership) string {
		if m.Account.Key() == "" || m.Group.Key() == "" {
			return ""
		}
		return m.ID
	}, &members); err != nil {
		return nil, err
	}
	for _, m := range members {
		acc := m.Account.Key()
		e.groups[acc] = append(e.groups[acc], *m.Group)
		if e.members[acc] == nil {
			e.members[acc] = map[string]string{}
		}
		e.members[acc][m.Group.Key()] = m.ID
	}
	return e, nil
}

// files lists the .json files under dir/name, at any depth, in a stable
// order; a missing folder is an empty one (not every export has all).
func (e *Export) files(name string) ([]string, error) {
	root := filepath.Join(e.Dir, name)
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return err
		}
		if !d.IsDir() && strings.EqualFold(path.Ext(d.Name()), ".json") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stormpath export: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// readAll decodes every file of a folder; one that does not decode, or
// has no id, is a Problem.
func readAll[T any](e *Export, name string, id func(T) string, into *[]T) error {
	files, err := e.files(name)
	if err != nil {
		return err
	}
	for _, f := range files {
		var v T
		if err := e.decode(f, &v); err != nil {
			continue
		}
		if id(v) == "" {
			e.problem(f, "no id, or a missing reference")
			continue
		}
		*into = append(*into, v)
	}
	return nil
}

func (e *Export) decode(file string, v any) error {
	b, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		e.problem(file, "not valid JSON: "+err.Error())
	}
	return err
}

func (e *Export) problem(file, reason string) {
	rel, err := filepath.Rel(e.Dir, file)
	if err != nil {
		rel = file
	}
	e.Problems = append(e.Problems, Problem{File: filepath.ToSlash(rel), Reason: reason})
}

// Accounts calls fn with each account, in file order, with the keys and
// group links of both generations merged (a key or group in both is
// given once). A file that cannot be read is a Problem and is skipped;
// an error from fn stops the walk and is returned.
func (e *Export) Accounts(fn func(Account) error) error {
	files, err := e.files("accounts")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range files {
		var a Account
		if err := e.decode(f, &a); err != nil {
			continue
		}
		if a.ID == "" {
			e.problem(f, "no id")
			continue
		}
		seen[a.ID] = true
		a.File = f
		for _, k := range e.keys[a.ID] {
			if !slices.ContainsFunc(a.APIKeys, func(x APIKey) bool { return x.ID == k.ID }) {
				a.APIKeys = append(a.APIKeys, k)
			}
		}
		a.MembershipIDs = e.members[a.ID]
		for _, g := range e.groups[a.ID] {
			if !slices.ContainsFunc(a.Groups, func(x Ref) bool { return x.Key() == g.Key() }) {
				a.Groups = append(a.Groups, g)
			}
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	// Keys and memberships of the later folders whose account has no
	// readable file land nowhere: say so, rather than drop them unseen.
	for _, id := range slices.Sorted(maps.Keys(e.keys)) {
		if !seen[id] {
			for _, k := range e.keys[id] {
				e.Problems = append(e.Problems, Problem{File: "apiKeys/" + k.ID + ".json", Reason: "its account has no readable file in accounts/"})
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.groups)) {
		if !seen[id] {
			for _, g := range e.groups[id] {
				file := "groupMemberships/" + e.members[id][g.Key()] + ".json"
				if e.members[id][g.Key()] == "" {
					file = "groupMemberships/"
				}
				e.Problems = append(e.Problems, Problem{File: file, Reason: "its account has no readable file in accounts/"})
			}
		}
	}
	return nil
}

// CountAccounts counts the account files, for progress reports.
func (e *Export) CountAccounts() (int, error) {
	files, err := e.files("accounts")
	return len(files), err
}
