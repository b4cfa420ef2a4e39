package domain

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/big"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Importing a Stormpath tenant (README "Coming from Stormpath").
//
// Each command below lands one exported item whole, in one commit, under
// the id Stormpath gave it, through the recorder like every other
// command: the log says what was imported and when. A resource with
// times of its own ends its commit with an *Imported event that gives it
// Stormpath's createdAt and modifiedAt (Base.imported), so lists keep
// Stormpath's order and clients filtering by date see the dates they
// knew.
//
// Why item by item: an export holds many thousands of accounts, some of
// which will not fit (a username our rules refuse, customData over the
// limit). One bad item must cost that item alone, and a run cut short
// must be resumable: so an item whose id exists already is "present"
// and left as it is, never overwritten, and running the import again
// changes nothing that landed.

// ImportSource is the Source of the *Imported events the importer writes.
const ImportSource = "stormpath"

// ImportOutcome is what became of one item an import command was given.
// A refused item is an error (an *Error), never an outcome.
type ImportOutcome string

// Import outcomes.
const (
	// ImportCreated: the item was written (in a dry run: would be).
	ImportCreated ImportOutcome = "imported"
	// ImportPresent: its id exists already in the tenant (an earlier
	// run, or an earlier item of this one): nothing was written.
	ImportPresent ImportOutcome = "present"
)

// What an imported account's password became (AccountImportResult).
const (
	// PasswordKept: a bcrypt or $stormpath2$ hash, kept as an imported
	// hash; the first login re-hashes it with argon2id.
	PasswordKept = "kept"
	// PasswordNone: the export held no password (accounts of social or
	// LDAP directories, or never set): none is set, as before.
	PasswordNone = "none"
	// PasswordReset: a hash Keystorm cannot check ($stormpath1$, whose
	// format was never published, or any other): the account has no
	// usable password until its owner resets it.
	PasswordReset = "reset"
)

// ImportRun carries one import's mode across its items. Nil, or a run
// with DryRun false, writes.
//
// A dry run validates every item and reads what each would need (its id
// free, its directory, account or group there, its username and email
// unclaimed), but commits nothing. So that the items after one that would
// be created can still be judged (an account in a directory the run
// would create, a second account claiming the same username), the run
// remembers what it would have written, in memory.
type ImportRun struct {
	DryRun bool
	// planned are the states a dry run would have created, customData
	// left out; guards the uniqueness guards they would hold.
	planned map[Ref]State
	guards  map[string]Ref
}

// NewImportRun starts an import; dryRun commits nothing.
func NewImportRun(dryRun bool) *ImportRun {
	return &ImportRun{DryRun: dryRun, planned: map[Ref]State{}, guards: map[string]Ref{}}
}

func (ir *ImportRun) dry() bool { return ir != nil && ir.DryRun }

// PlanTenant lets a dry run on an empty store judge the items as if the
// tenant id existed: the real run creates it first (Bootstrap), and a
// dry run writes nothing, that tenant included.
func (ir *ImportRun) PlanTenant(id string) {
	if ir.dry() {
		ir.planned[Ref{KindTenant, id}] = &Tenant{Base: Base{ID: id, Tenant: id, Ver: 1}}
	}
}

// Origin is an imported resource's address and times in the system it
// comes from.
type Origin struct {
	Href       string
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// event is the Imported event for a resource recorded at at: a missing
// createdAt is when Keystorm recorded it, and modifiedAt is never before
// createdAt (Stormpath's never was; an export edited by hand may be).
func (o Origin) event(at time.Time) events.Imported {
	created, modified := o.CreatedAt.UTC(), o.ModifiedAt.UTC()
	if o.CreatedAt.IsZero() {
		created = at
	}
	if o.ModifiedAt.IsZero() || modified.Before(created) {
		modified = created
	}
	return events.Imported{Source: ImportSource, Href: o.Href, CreatedAt: created, ModifiedAt: modified}
}

// DirectoryImport is a Stormpath directory: it becomes a Directory with
// the same id.
type DirectoryImport struct {
	ID string
	Origin
	Name, Description, Status string
	CustomData                map[string]json.RawMessage
}

// MappingImport is one account store mapping of an application.
type MappingImport struct {
	ID string
	// StoreKind is events.StoreDirectory or events.StoreGroup.
	StoreKind, StoreID                     string
	DefaultAccountStore, DefaultGroupStore bool
}

// ApplicationImport is a Stormpath application: an Application with the
// same id and no directory of its own, reaching its accounts through
// Mappings, in listIndex order.
type ApplicationImport struct {
	ID string
	Origin
	Name, Description, Status string
	CustomData                map[string]json.RawMessage
	Mappings                  []MappingImport
}

// GroupImport is a group of a directory.
type GroupImport struct {
	ID string
	Origin
	DirectoryID               string
	Name, Description, Status string
	CustomData                map[string]json.RawMessage
}

// AccountImport is an account of a directory, without its keys and
// groups (ImportAPIKey, ImportMembership).
type AccountImport struct {
	ID string
	Origin
	DirectoryID                    string
	Username, Email                string
	GivenName, MiddleName, Surname string
	Status                         string
	// PasswordHash is the exported hash in Modular Crypt Format, "" when
	// the account had none.
	PasswordHash string
	CustomData   map[string]json.RawMessage
	// EmailVerificationStatus is kept: VERIFIED, UNVERIFIED, UNKNOWN,
	// or "" when the export has none.
	EmailVerificationStatus string
}

// AccountImportResult is what became of an account and of its password
// (PasswordKept, PasswordNone, PasswordReset).
type AccountImportResult struct {
	Outcome  ImportOutcome
	Password string
}

// APIKeyImport is an account's API key with its plaintext secret. Status
// is ENABLED or DISABLED; "" (the first export generation, which wrote
// none) is ENABLED.
type APIKeyImport struct {
	AccountID, ID, Secret, Status string
}

// MembershipImport puts an account into a group. ID is Stormpath's
// membership id when the export has one; "" derives one from the pair
// (MembershipImportID), so that a second run finds it.
type MembershipImport struct {
	ID, AccountID, GroupID string
}

// errImportPresent ends a command's build when its id exists already.
var errImportPresent = errors.New("present")

// ValidImportID reports whether a Stormpath id can be a Keystorm id:
// 1 to 64 letters and digits, as routes, paging positions (ValidSortKey)
// and stream ids take them.
func ValidImportID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func checkImportID(field, id string) error {
	if !ValidImportID(id) {
		return invalid(CodeInvalidValue, field, "%s must be 1 to 64 letters and digits to be kept as a Keystorm id.", field)
	}
	return nil
}

// MembershipImportID is the id of a membership the export gave none: 22
// base62 characters of SHA-256 over the pair, as long as the ids
// Keystorm draws, and the same at every run.
func MembershipImportID(accountID, groupID string) string {
	sum := sha256.Sum256([]byte("stormpath-membership\x00" + accountID + "\x00" + groupID))
	n := new(big.Int).SetBytes(sum[:])
	out := make([]byte, idLen)
	sixtyTwo := big.NewInt(62)
	m := new(big.Int)
	for i := range out {
		n.DivMod(n, sixtyTwo, m)
		out[i] = base62[m.Int64()]
	}
	return string(out)
}

// importPresence reports whether ref exists already: present in the
// caller's tenant, or an error for an id Keystorm cannot take (another
// tenant's, or one deleted since an earlier run, which is not made anew
// since its stream exists).
//
// same judges an existing state of the tenant: only what an import
// made (a shared directory's resource, where the item would be) is
// present; anything else with the id is a conflict, so that an export
// naming a Keystorm id (the administrators' account, say) never gets
// keys or memberships hung on it.
func (s *Service) importPresence(ctx context.Context, c Caller, ir *ImportRun, ref Ref, same func(State) bool) error {
	if ir.dry() && ir.planned[ref] != nil {
		return errImportPresent
	}
	st, err := NewState(ref.Kind)
	if err != nil {
		return err
	}
	err = s.Store.Load(ctx, ref, st)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	case st.TenantID() != c.TenantID:
		return E(KindConflict, CodeNotUnique, "id", "The id is taken by a resource of another tenant.")
	case st.Deleted():
		return E(KindConflict, CodeNotUnique, "id", "A resource with this id was deleted in Keystorm; it is not created again.")
	case same != nil && !same(st):
		return E(KindConflict, CodeNotUnique, "id", "The id is taken by a Keystorm resource that is not this item's import.")
	}
	return errImportPresent
}

// imported reports a state an import may have made: one of a shared
// directory (never an application's own, nor the administrators').
func importedState(st State) bool {
	switch v := st.(type) {
	case *Directory:
		return true
	case *Application:
		return v.DirectoryID == "" && !v.Admin
	case *Group:
		return v.ApplicationID == ""
	case *Account:
		return v.ApplicationID == "" && !v.Admin
	}
	return false
}

// importLoad loads an aggregate an item needs, or in a dry run the one
// an earlier item would have created.
func importLoad[T State](ctx context.Context, s *Service, c Caller, ir *ImportRun, kind, id string) (T, error) {
	if ir.dry() {
		if st, ok := ir.planned[Ref{kind, id}].(T); ok {
			return st, nil
		}
	}
	return load[T](ctx, s, c, kind, id)
}

// importOne runs one item's command: build records it (after the
// presence check of ref, repeated on each retry); a dry run stops short
// of the commit, judging the uniqueness guards by reading them instead.
func importOne(ctx context.Context, s *Service, c Caller, ir *ImportRun, ref Ref, same func(State) bool, build func(r *recorder) (State, error)) (ImportOutcome, error) {
	if err := requireAdmin(c); err != nil {
		return "", err
	}
	b := func(r *recorder) (State, error) {
		if err := s.importPresence(ctx, c, ir, ref, same); err != nil {
			return nil, err
		}
		return build(r)
	}
	var err error
	if ir.dry() {
		err = s.dryImport(ctx, c, ir, b)
	} else {
		_, err = run(ctx, s, c, b)
	}
	switch {
	case errors.Is(err, errImportPresent):
		return ImportPresent, nil
	case err != nil:
		return "", err
	}
	return ImportCreated, nil
}

// dryImport is run without the commit: what the commit would check
// (the size, every guard free) is read instead, and what it would
// create is remembered for the items after.
func (s *Service) dryImport(ctx context.Context, c Caller, ir *ImportRun, build func(r *recorder) (State, error)) error {
	r := s.newRecorder(c)
	if _, err := build(r); err != nil {
		return err
	}
	if r.size() > MaxCommitItems {
		return E(KindConflict, CodeHasDependents, "", "This change touches too many resources at once; remove dependent resources first.")
	}
	for _, ch := range r.commit.Changes {
		ref := ch.After.Ref()
		for _, u := range ch.After.UniqueKeys() {
			if owner, ok := ir.guards[u.Key]; ok && owner != ref {
				return uniqueError(r.commit, u.Key)
			}
			owner, err := s.Store.Owner(ctx, u.Key)
			if err == nil && owner != ref {
				return uniqueError(r.commit, u.Key)
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	for _, ch := range r.commit.Changes {
		for _, u := range ch.After.UniqueKeys() {
			ir.guards[u.Key] = ch.After.Ref()
		}
		ir.planned[ch.After.Ref()] = withoutCustomData(ch.After)
	}
	return nil
}

// withoutCustomData is what a dry run keeps of a state it would have
// created: enough to judge the items under it, without the customData
// (up to 64 KiB each, for every account of the export).
func withoutCustomData(st State) State {
	switch v := st.(type) {
	case *Account:
		c := *v
		c.CustomData = nil
		return &c
	case *Group:
		c := *v
		c.CustomData = nil
		return &c
	case *Directory:
		c := *v
		c.CustomData = nil
		return &c
	case *Application:
		c := *v
		c.CustomData = nil
		return &c
	}
	return st
}

// importStatus checks a status among allowed; "" is ENABLED.
func importStatus(v string, allowed ...string) (string, error) {
	if v == "" {
		return StatusEnabled, nil
	}
	return status(&v, allowed...)
}

// importText is text for an optional property given as a plain string.
func importText(field, v string, max int, required bool) (string, error) {
	return text(field, &v, max, required)
}

// importNamed checks an imported directory's, application's or group's
// name, description, status ("" is ENABLED) and customData.
func importNamed(name, desc, st string, cd map[string]json.RawMessage) (string, string, string, error) {
	var err error
	if name, err = importText("name", name, MaxNameLen, true); err != nil {
		return "", "", "", err
	}
	if desc, err = importText("description", desc, MaxDescriptionLen, false); err != nil {
		return "", "", "", err
	}
	if st, err = importStatus(st, StatusEnabled, StatusDisabled); err != nil {
		return "", "", "", err
	}
	return name, desc, st, checkNewCustomData(cd)
}

// ImportDirectory lands a Stormpath directory as a Directory of the
// caller's tenant with the same id: created, its customData, then
// DirectoryImported with its times.
// Errors: KindInvalid, KindConflict (name taken, id taken elsewhere),
// ErrForbidden, ErrUnavailable.
func (s *Service) ImportDirectory(ctx context.Context, c Caller, in DirectoryImport, ir *ImportRun) (ImportOutcome, error) {
	if err := requireAdmin(c); err != nil {
		return "", err
	}
	ev := events.DirectoryCreated{ID: in.ID, TenantID: c.TenantID}
	var err error
	if err = checkImportID("id", in.ID); err != nil {
		return "", err
	}
	if ev.Name, ev.Description, ev.Status, err = importNamed(in.Name, in.Description, in.Status, in.CustomData); err != nil {
		return "", err
	}
	return importOne(ctx, s, c, ir, Ref{KindDirectory, in.ID}, importedState, func(r *recorder) (State, error) {
		if _, err := importLoad[*Tenant](ctx, s, c, ir, KindTenant, c.TenantID); err != nil {
			return nil, err
		}
		// An application's own directory has no stream: its id would
		// look free, and a directory taking it would share its
		// accounts' names and reach its application.
		if _, err := s.directoryOwner(ctx, c.TenantID, in.ID); err == nil {
			return nil, E(KindConflict, CodeNotUnique, "id", "The id is an application's own directory's.")
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		d := &Directory{}
		evs := append([]events.Event{ev}, initialCustomData(d, in.CustomData)...)
		evs = append(evs, events.DirectoryImported(in.Origin.event(r.at)))
		return d, r.record(Ref{KindDirectory, in.ID}, nil, d, evs...)
	})
}

// ImportApplication lands a Stormpath application with the same id, no
// directory of its own, and its account store mappings as one
// AccountStoresSet in the order given. Every mapped store must exist in
// the tenant (directories and groups are imported first).
// Errors: KindInvalid, KindConflict, ErrForbidden, ErrUnavailable.
func (s *Service) ImportApplication(ctx context.Context, c Caller, in ApplicationImport, ir *ImportRun) (ImportOutcome, error) {
	if err := requireAdmin(c); err != nil {
		return "", err
	}
	ev := events.ApplicationCreated{ID: in.ID, TenantID: c.TenantID}
	var err error
	if err = checkImportID("id", in.ID); err != nil {
		return "", err
	}
	if ev.Name, ev.Description, ev.Status, err = importNamed(in.Name, in.Description, in.Status, in.CustomData); err != nil {
		return "", err
	}
	mappings, err := importMappings(in.Mappings)
	if err != nil {
		return "", err
	}
	return importOne(ctx, s, c, ir, Ref{KindApplication, in.ID}, importedState, func(r *recorder) (State, error) {
		if _, err := importLoad[*Tenant](ctx, s, c, ir, KindTenant, c.TenantID); err != nil {
			return nil, err
		}
		for _, m := range mappings {
			kind := KindDirectory
			if m.StoreKind == events.StoreGroup {
				kind = KindGroup
			}
			st, err := importLoad[State](ctx, s, c, ir, kind, m.StoreID)
			if errors.Is(err, ErrNotFound) {
				return nil, invalid(CodeInvalidValue, "accountStore", "The mapping %s names a %s that is not in this tenant.", m.ID, m.StoreKind)
			}
			if err != nil {
				return nil, err
			}
			if g, ok := st.(*Group); ok && g.ApplicationID != "" {
				// Only a group of a shared directory: one of an
				// application's own (the administrators' among them)
				// is no Stormpath store, and mapping it would let its
				// members in.
				return nil, invalid(CodeInvalidValue, "accountStore", "The mapping %s names a group that is not in an imported directory.", m.ID)
			}
			if !ir.dry() {
				// The store must still be there when the mapping lands.
				r.check(st)
			}
		}
		a := &Application{}
		evs := append([]events.Event{ev}, initialCustomData(a, in.CustomData)...)
		if len(mappings) > 0 {
			evs = append(evs, events.AccountStoresSet{Mappings: mappings})
		}
		evs = append(evs, events.ApplicationImported(in.Origin.event(r.at)))
		return a, r.record(Ref{KindApplication, in.ID}, nil, a, evs...)
	})
}

// importMappings checks an application's mappings as Stormpath held
// them: at most MaxAccountStores, each id and store once, at most one
// default account store and one default group store, each a directory
// (accounts and groups are created in directories).
func importMappings(in []MappingImport) ([]events.AccountStoreMapping, error) {
	if len(in) > MaxAccountStores {
		return nil, invalid(CodeInvalidValue, "accountStoreMappings", "An application maps at most %d account stores.", MaxAccountStores)
	}
	ids, stores := map[string]bool{}, map[string]bool{}
	var defAccount, defGroup bool
	out := make([]events.AccountStoreMapping, 0, len(in))
	for _, m := range in {
		if err := checkImportID("accountStoreMapping", m.ID); err != nil {
			return nil, err
		}
		if m.StoreKind != events.StoreDirectory && m.StoreKind != events.StoreGroup {
			return nil, invalid(CodeInvalidValue, "accountStore", "The mapping %s maps neither a directory nor a group.", m.ID)
		}
		if err := checkImportID("accountStore", m.StoreID); err != nil {
			return nil, err
		}
		if ids[m.ID] || stores[m.StoreKind+"/"+m.StoreID] {
			return nil, invalid(CodeNotUnique, "accountStoreMapping", "The mapping %s repeats a mapping id or an account store.", m.ID)
		}
		ids[m.ID], stores[m.StoreKind+"/"+m.StoreID] = true, true
		if (m.DefaultAccountStore && defAccount) || (m.DefaultGroupStore && defGroup) {
			return nil, invalid(CodeInvalidValue, "accountStoreMapping", "Only one mapping may be the default account store, and one the default group store.")
		}
		if (m.DefaultAccountStore || m.DefaultGroupStore) && m.StoreKind != events.StoreDirectory {
			// Accounts and groups are created in directories, as
			// CreateMapping holds too.
			return nil, invalid(CodeInvalidValue, "accountStoreMapping", "A group cannot be the default account or group store: map its directory for that.")
		}
		defAccount, defGroup = defAccount || m.DefaultAccountStore, defGroup || m.DefaultGroupStore
		out = append(out, events.AccountStoreMapping{ID: m.ID, StoreKind: m.StoreKind, StoreID: m.StoreID,
			DefaultAccountStore: m.DefaultAccountStore, DefaultGroupStore: m.DefaultGroupStore})
	}
	return out, nil
}

// ImportGroup lands a group of an imported directory with the same id.
// Errors: KindInvalid (its directory is not in the tenant), KindConflict
// (name taken in the directory), ErrForbidden, ErrUnavailable.
func (s *Service) ImportGroup(ctx context.Context, c Caller, in GroupImport, ir *ImportRun) (ImportOutcome, error) {
	if err := requireAdmin(c); err != nil {
		return "", err
	}
	ev := events.GroupCreated{ID: in.ID, TenantID: c.TenantID, DirectoryID: in.DirectoryID}
	var err error
	if err = checkImportID("id", in.ID); err != nil {
		return "", err
	}
	if err = checkImportID("directory", in.DirectoryID); err != nil {
		return "", err
	}
	if ev.Name, ev.Description, ev.Status, err = importNamed(in.Name, in.Description, in.Status, in.CustomData); err != nil {
		return "", err
	}
	return importOne(ctx, s, c, ir, Ref{KindGroup, in.ID}, func(st State) bool {
		return importedState(st) && st.(*Group).DirectoryID == in.DirectoryID
	}, func(r *recorder) (State, error) {
		if err := importDirectoryThere(ctx, s, c, ir, in.DirectoryID); err != nil {
			return nil, err
		}
		// Counted under the directory, which the store does only while
		// it is not deleted: no separate check.
		g := &Group{}
		evs := append([]events.Event{ev}, initialCustomData(g, in.CustomData)...)
		evs = append(evs, events.GroupImported(in.Origin.event(r.at)))
		return g, r.record(Ref{KindGroup, in.ID}, nil, g, evs...)
	})
}

// importDirectoryThere checks that an item's directory is in the tenant.
func importDirectoryThere(ctx context.Context, s *Service, c Caller, ir *ImportRun, id string) error {
	_, err := importLoad[*Directory](ctx, s, c, ir, KindDirectory, id)
	if errors.Is(err, ErrNotFound) {
		return invalid(CodeInvalidValue, "directory", "The directory is not in this tenant (not imported, or refused).")
	}
	return err
}

// importPassword judges an exported hash: kept when Keystorm can check
// it (bcrypt, $stormpath2$, within the bounds of mcf.go), else none.
func importPassword(hash string) (stored, outcome string) {
	if hash == "" {
		return "", PasswordNone
	}
	if _, err := parseImportedHash(hash); err != nil {
		return "", PasswordReset
	}
	return hash, PasswordKept
}

// ImportAccount lands an account of an imported directory with the same
// id, its customData and its times, in one commit. Its status is kept
// (ENABLED, DISABLED, UNVERIFIED; "" is ENABLED); an UNVERIFIED account
// gets no verification token (no mail is sent): its owner asks for one.
// The password hash is kept when Keystorm can check it, else the
// account has none (AccountImportResult.Password says which).
// Errors: KindInvalid, KindConflict (username or email taken in the
// directory), ErrForbidden, ErrUnavailable.
func (s *Service) ImportAccount(ctx context.Context, c Caller, in AccountImport, ir *ImportRun) (AccountImportResult, error) {
	if err := requireAdmin(c); err != nil {
		return AccountImportResult{}, err
	}
	ev := events.AccountCreated{ID: in.ID, TenantID: c.TenantID, DirectoryID: in.DirectoryID}
	var err error
	if err = checkImportID("id", in.ID); err != nil {
		return AccountImportResult{}, err
	}
	if err = checkImportID("directory", in.DirectoryID); err != nil {
		return AccountImportResult{}, err
	}
	if ev.Email, err = email(&in.Email); err != nil {
		return AccountImportResult{}, err
	}
	u := &in.Username
	if in.Username == "" {
		u = nil // Stormpath defaulted it to the email too
	}
	if ev.Username, err = username(u, ev.Email); err != nil {
		return AccountImportResult{}, err
	}
	if ev.GivenName, err = importText("givenName", in.GivenName, MaxNameLen, false); err != nil {
		return AccountImportResult{}, err
	}
	if ev.MiddleName, err = importText("middleName", in.MiddleName, MaxNameLen, false); err != nil {
		return AccountImportResult{}, err
	}
	if ev.Surname, err = importText("surname", in.Surname, MaxNameLen, false); err != nil {
		return AccountImportResult{}, err
	}
	if ev.Status, err = importStatus(in.Status, accountStatuses...); err != nil {
		return AccountImportResult{}, err
	}
	if err := checkNewCustomData(in.CustomData); err != nil {
		return AccountImportResult{}, err
	}
	if in.EmailVerificationStatus != "" {
		if _, err := importStatus(in.EmailVerificationStatus, EmailVerified, EmailUnverified, EmailUnknown); err != nil {
			return AccountImportResult{}, invalid(CodeInvalidStatus, "emailVerificationStatus", "emailVerificationStatus must be VERIFIED, UNVERIFIED or UNKNOWN.")
		}
	}
	var password string
	ev.PasswordHash, password = importPassword(in.PasswordHash)
	out, err := importOne(ctx, s, c, ir, Ref{KindAccount, in.ID}, func(st State) bool {
		return importedState(st) && st.(*Account).DirectoryID == in.DirectoryID
	}, func(r *recorder) (State, error) {
		if err := importDirectoryThere(ctx, s, c, ir, in.DirectoryID); err != nil {
			return nil, err
		}
		// Counted under the directory, which the store does only while
		// it is not deleted: no separate check.
		a := &Account{}
		evs := append([]events.Event{ev}, initialCustomData(a, in.CustomData)...)
		imp := in.Origin.event(r.at)
		imp.EmailVerificationStatus = in.EmailVerificationStatus
		evs = append(evs, events.AccountImported(imp))
		return a, r.record(Ref{KindAccount, in.ID}, nil, a, evs...)
	})
	if err != nil {
		return AccountImportResult{}, err
	}
	return AccountImportResult{Outcome: out, Password: password}, nil
}

// ImportAPIKey lands one API key of an imported account, with its id,
// secret and status, by the rules of an admin's key import (KeyImport):
// the id of a key's shape and free in every tenant, the secret meeting
// ImportedSecretRule, stored as its SHA-256. A key whose id this
// account holds already is present; any other holder is a conflict.
// Errors: KindInvalid, KindConflict, ErrForbidden, ErrUnavailable.
func (s *Service) ImportAPIKey(ctx context.Context, c Caller, in APIKeyImport, ir *ImportRun) (ImportOutcome, error) {
	if err := requireAdmin(c); err != nil {
		return "", err
	}
	imp := &KeyImport{ID: in.ID, Secret: in.Secret}
	if err := imp.check(c); err != nil {
		return "", err
	}
	if err := checkImportID("account", in.AccountID); err != nil {
		return "", err
	}
	st, err := importStatus(in.Status, StatusEnabled, StatusDisabled)
	if err != nil {
		return "", err
	}
	ref := Ref{KindAPIKey, in.ID}
	build := func(r *recorder) (State, error) {
		var cur APIKey
		err := s.Store.Load(ctx, ref, &cur)
		switch {
		case err == nil && cur.TenantID() == c.TenantID && cur.AccountID == in.AccountID && !cur.Deleted():
			return nil, errImportPresent
		case err == nil:
			return nil, E(KindConflict, CodeNotUnique, "id", "An API key with this id exists already.")
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
		if ir.dry() {
			if p, ok := ir.planned[ref].(*APIKey); ok && p.AccountID == in.AccountID {
				return nil, errImportPresent
			} else if ok {
				return nil, E(KindConflict, CodeNotUnique, "id", "An API key with this id exists already.")
			}
		}
		acc, err := importLoad[*Account](ctx, s, c, ir, KindAccount, in.AccountID)
		if errors.Is(err, ErrNotFound) || err == nil && !importedState(acc) {
			// Only an account of a shared directory: a key hung on
			// one of Keystorm's own (the administrators') would be
			// theirs, with a secret the export's author knows.
			return nil, invalid(CodeInvalidValue, "account", "The key's account is not an imported account of this tenant (not imported, or refused).")
		}
		if err != nil {
			return nil, err
		}
		k := &APIKey{}
		e := events.APIKeyCreated{ID: in.ID, TenantID: c.TenantID, AccountID: acc.ID, ApplicationID: acc.ApplicationID,
			SecretHash: HashSecret(in.Secret), Status: st, Imported: true}
		return k, r.record(ref, nil, k, e)
	}
	var out error
	if ir.dry() {
		out = s.dryImport(ctx, c, ir, build)
	} else {
		_, out = run(ctx, s, c, build)
	}
	switch {
	case errors.Is(out, errImportPresent):
		return ImportPresent, nil
	case out != nil:
		return "", out
	}
	return ImportCreated, nil
}

// ImportMembership puts an imported account into an imported group of
// the same directory, under the export's membership id or one derived
// from the pair. An account already in the group is present, whatever
// the id of its membership.
// Errors: KindInvalid (a missing end, different directories),
// ErrForbidden, ErrUnavailable.
func (s *Service) ImportMembership(ctx context.Context, c Caller, in MembershipImport, ir *ImportRun) (ImportOutcome, error) {
	if err := requireAdmin(c); err != nil {
		return "", err
	}
	if err := checkImportID("account", in.AccountID); err != nil {
		return "", err
	}
	if err := checkImportID("group", in.GroupID); err != nil {
		return "", err
	}
	id := in.ID
	if id == "" {
		id = MembershipImportID(in.AccountID, in.GroupID)
	}
	if err := checkImportID("id", id); err != nil {
		return "", err
	}
	return importOne(ctx, s, c, ir, Ref{KindMembership, id}, func(st State) bool {
		m := st.(*Membership)
		return m.AccountID == in.AccountID && m.GroupID == in.GroupID
	}, func(r *recorder) (State, error) {
		pair := "membership/" + in.AccountID + "/" + in.GroupID
		if ir.dry() && ir.guards[pair] != (Ref{}) {
			return nil, errImportPresent
		}
		if _, err := s.Store.Owner(ctx, pair); err == nil {
			return nil, errImportPresent
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		acc, err := importLoad[*Account](ctx, s, c, ir, KindAccount, in.AccountID)
		if errors.Is(err, ErrNotFound) {
			return nil, invalid(CodeInvalidValue, "account", "The membership's account is not in this tenant (not imported, or refused).")
		}
		if err != nil {
			return nil, err
		}
		g, err := importLoad[*Group](ctx, s, c, ir, KindGroup, in.GroupID)
		if errors.Is(err, ErrNotFound) {
			return nil, invalid(CodeInvalidValue, "group", "The membership's group is not in this tenant (not imported, or refused).")
		}
		if err != nil {
			return nil, err
		}
		if !importedState(acc) || !importedState(g) {
			// Keystorm's own accounts and groups (scope groups among
			// them) are not the export's to change.
			return nil, invalid(CodeInvalidValue, "account", "The membership's account and group must be imported ones, of a shared directory.")
		}
		if acc.DirectoryID != g.DirectoryID {
			return nil, E(KindInvalid, CodeCrossDirectoryLink, "group", "The account and the group must be in the same directory.")
		}
		m := &Membership{}
		return m, r.record(Ref{KindMembership, id}, nil, m, events.MembershipCreated{ID: id, TenantID: c.TenantID, AccountID: acc.ID, GroupID: g.ID})
	})
}

// ImportTenantCustomData gives the caller's tenant the export's tenant
// customData (meta.json), only while the tenant has none of its own:
// customData is the tenant's, and merging two would decide for its
// owner which fields win. The same fields already there are present;
// other fields are a KindConflict the importer reports.
// Errors: KindInvalid, KindConflict, ErrForbidden, ErrUnavailable.
func (s *Service) ImportTenantCustomData(ctx context.Context, c Caller, data map[string]json.RawMessage, ir *ImportRun) (ImportOutcome, error) {
	if err := requireAdmin(c); err != nil {
		return "", err
	}
	if err := checkNewCustomData(data); err != nil {
		return "", err
	}
	if len(data) == 0 {
		return ImportPresent, nil
	}
	build := func(r *recorder) (State, error) {
		cur, err := importLoad[*Tenant](ctx, s, c, ir, KindTenant, c.TenantID)
		if err != nil {
			return nil, err
		}
		if len(cur.CustomData) > 0 {
			if len(customDataEvents(cur, data)) == 0 && len(cur.CustomData) == len(data) {
				return nil, errImportPresent
			}
			return nil, E(KindConflict, CodeNotUnique, "customData", "The tenant has customData of its own; the export's is not merged into it.")
		}
		next := cur.clone()
		return next, r.record(cur.Ref(), cur, next, initialCustomData(next, data)...)
	}
	var err error
	if ir.dry() {
		r := s.newRecorder(c)
		_, err = build(r)
	} else {
		_, err = run(ctx, s, c, build)
	}
	switch {
	case errors.Is(err, errImportPresent):
		return ImportPresent, nil
	case err != nil:
		return "", err
	}
	return ImportCreated, nil
}
