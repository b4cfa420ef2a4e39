package sample

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"os"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/tokens"
)

// The sample vocabulary: the ids and secrets the events under
// functions/*/testdata are written with. Fill maps each to the seeded
// counterpart.
const (
	TenantID           = "tnt_sample"
	ApplicationID      = "app_sample" // the developers' application
	AdminAccountID     = "acc_sample"
	AdminKeyID         = "ak_sample"
	AdminSecret        = "kss_sample_admin_secret"
	DeveloperAccountID = "acc_dev_sample"
	DeveloperKeyID     = "ak_dev_sample"
	DeveloperSecret    = "kss_sample_developer_secret"
)

// DeveloperUsername is the developer account's username, the one the
// samples' authorizer contexts and example routes name.
const DeveloperUsername = "tk421"

// Scope is the scope the samples request and carry (the example API's
// infra/example.ScopeViewOthers); the developer is in a group of that
// name, so it is granted.
const Scope = "view_others_equipment"

// Issuer and Audience are the TOKEN_ISSUER and TOKEN_AUDIENCE a World
// uses unless told otherwise: what template.yaml gives a stack named
// "local".
const (
	Issuer   = "urn:keystorm:local"
	Audience = "urn:keystorm:local:api"
)

// Dummy AWS credentials for the functions: the embedded DynamoDB checks no
// signature, and a developer's own credentials have no business in a
// local run.
const (
	AccessKeyID     = "AKIDKEYSTORMLOCAL"
	SecretAccessKey = "keystorm-local-dummy"
)

// cheapHasher hashes the developer's password at seeding. The store is
// throwaway and the password is never used, so the production cost
// (domain.DefaultArgon2id) would only slow every run; the hash records its
// parameters, so it still verifies.
var cheapHasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}

// Options configure Start. Zero values mean the defaults named.
type Options struct {
	// Clock (required) stamps the seeded records, the signing key and
	// the tokens Fill issues.
	Clock domain.Clock
	// EventsTable and ViewsTable name the tables (default: those of
	// embedded.Server.Config).
	EventsTable, ViewsTable string
	// KeysDir is the signing key file's directory, shared with the
	// functions through TOKEN_KEYS_DIR. An existing key file is used (and
	// gets a key if none can sign); empty means a fresh temporary
	// directory that Close removes.
	KeysDir string
	// Issuer and Audience go into the tokens Fill issues; default Issuer
	// and Audience.
	Issuer, Audience string
	// Hasher hashes the developer's password (default: a cheap argon2id).
	Hasher domain.PasswordHasher
}

// World is a seeded embedded DynamoDB and signing key: the real
// counterparts of the sample vocabulary.
type World struct {
	Server  *embedded.Server
	Store   *dynamo.Store
	Config  dynamo.Config // tables and endpoint
	Service *domain.Service
	Boot    domain.Bootstrapped
	// Admin is the bootstrapped admin key as a caller.
	Admin          domain.Caller
	Developer      *domain.Account
	DeveloperKey   domain.CreatedAPIKey
	ScopeGroup     *domain.Group
	KeysDir        string
	Issuer         string
	Audience       string
	tokens         *domain.TokenService
	keys           *tokens.FileStore
	ownKeysDir     bool
	ids, secrets   map[string]string
	keyOfSampleKey map[string]domain.CreatedAPIKey
}

// Start serves a fresh embedded DynamoDB on a loopback port, creates the
// tables and seeds it (see the package doc). The caller must Close the
// World.
func Start(ctx context.Context, o Options) (_ *World, err error) {
	if o.Clock == nil {
		return nil, errors.New("sample: Options.Clock is required")
	}
	if o.Issuer == "" {
		o.Issuer = Issuer
	}
	if o.Audience == "" {
		o.Audience = Audience
	}
	if o.Hasher == nil {
		o.Hasher = cheapHasher
	}
	srv, err := embedded.Start("")
	if err != nil {
		return nil, err
	}
	w := &World{Server: srv, KeysDir: o.KeysDir, Issuer: o.Issuer, Audience: o.Audience}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	w.Config = srv.Config()
	if o.EventsTable != "" {
		w.Config.EventsTable = o.EventsTable
	}
	if o.ViewsTable != "" {
		w.Config.ViewsTable = o.ViewsTable
	}
	db, err := dynamo.NewClient(ctx, w.Config, nil)
	if err != nil {
		return nil, err
	}
	w.Store = dynamo.New(db, w.Config)
	if err := w.Store.EnsureTables(ctx); err != nil {
		return nil, fmt.Errorf("sample: tables: %w", err)
	}
	if err := w.seed(ctx, o); err != nil {
		return nil, fmt.Errorf("sample: seed: %w", err)
	}
	if err := w.signingKey(ctx, o.Clock); err != nil {
		return nil, fmt.Errorf("sample: signing key: %w", err)
	}
	w.tokens = &domain.TokenService{Store: w.Store, Signer: tokens.NewSigner(w.keys, o.Clock), Clock: o.Clock,
		IDs: w.Service.IDs, Issuer: w.Issuer, Audience: w.Audience}
	return w, nil
}

// seed creates the tenant, the admin, the developer with a key, and the
// scope group, all through the domain service.
func (w *World) seed(ctx context.Context, o Options) error {
	w.Service = domain.NewService(w.Store)
	w.Service.Clock = o.Clock
	w.Service.Hasher = o.Hasher
	boot, err := w.Service.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		return err
	}
	w.Boot = boot
	w.Admin = domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}
	// A random password: nothing uses it, and a fixed one would be a
	// habit worth not teaching. rand.Text has no lower case, and only
	// usually a digit, both of which the default policy asks for.
	pw := "tk-" + rand.Text() + "-1"
	username, email, given, surname := DeveloperUsername, DeveloperUsername+"@example.com", "Trooper", "TK-421"
	w.Developer, err = w.Service.CreateAccount(ctx, w.Admin, boot.Application.ID, domain.AccountInput{
		Username: &username, Email: &email, GivenName: &given, Surname: &surname, Password: &pw})
	if err != nil {
		return err
	}
	name := "sample developer key"
	if w.DeveloperKey, err = w.Service.CreateAPIKey(ctx, w.Admin, w.Developer.ID, domain.APIKeyInput{Name: &name}); err != nil {
		return err
	}
	scope := Scope
	if w.ScopeGroup, err = w.Service.CreateGroup(ctx, w.Admin, boot.Application.ID, domain.GroupInput{Name: &scope}); err != nil {
		return err
	}
	if _, err := w.Service.CreateMembership(ctx, w.Admin, w.Developer.ID, w.ScopeGroup.ID); err != nil {
		return err
	}
	w.ids = map[string]string{
		TenantID:           boot.Tenant.ID,
		ApplicationID:      boot.Application.ID,
		AdminAccountID:     boot.Admin.ID,
		AdminKeyID:         boot.AdminKey.ID,
		DeveloperAccountID: w.Developer.ID,
		DeveloperKeyID:     w.DeveloperKey.Key.ID,
	}
	w.secrets = map[string]string{AdminSecret: boot.AdminSecret, DeveloperSecret: w.DeveloperKey.Secret}
	w.keyOfSampleKey = map[string]domain.CreatedAPIKey{
		AdminKeyID:     {Key: boot.AdminKey, Secret: boot.AdminSecret},
		DeveloperKeyID: w.DeveloperKey,
	}
	return nil
}

// signingKey makes sure the key file holds a key that signs now, and
// publishes the ring's JWKS where the authorizer and the JWKS endpoint
// read it.
func (w *World) signingKey(ctx context.Context, clock domain.Clock) error {
	if w.KeysDir == "" {
		dir, err := os.MkdirTemp("", "keystorm-sample-keys-")
		if err != nil {
			return err
		}
		w.KeysDir, w.ownKeysDir = dir, true
	}
	w.keys = tokens.NewFileStore(w.KeysDir, clock)
	// Load first: a missing file gets a key created at the clock's now,
	// which must not be later than the now RotateStore checks it at, or
	// the key would not sign yet and a second one would be added.
	if _, err := w.keys.Load(ctx); err != nil {
		return err
	}
	now := clock.Now()
	// every 0: create a key only when none can sign, never rotate; the
	// rotation function stays the one rotator of a directory it shares.
	ring, _, err := tokens.RotateStore(ctx, w.keys, now, 0)
	if err != nil {
		return err
	}
	doc, err := tokens.JWKS(ring)
	if err != nil {
		return err
	}
	return w.Store.PutJWKS(ctx, doc, now)
}

// IDs maps each sample id to its seeded counterpart.
func (w *World) IDs() map[string]string {
	return maps.Clone(w.ids)
}

// Vars is every environment variable a function may need to run against
// the world, by name: the store's (DYNAMODB_ENDPOINT, EVENTS_TABLE,
// VIEWS_TABLE, dummy AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and the
// tokens' (TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_KEYS_DIR, and
// TOKEN_JWKS_SOURCE=dynamodb for the authorizer) and the authorizer's
// binding (KEYSTORM_APPLICATIONS: the seeded application and the
// administrators application, so both kinds of sample key pass), and the
// console's application (CONSOLE_APPLICATION_ID, the seeded one). Which of
// them a given
// function reads is its own business (see scripts/invoke).
func (w *World) Vars() map[string]string {
	return map[string]string{
		"DYNAMODB_ENDPOINT":     w.Config.Endpoint,
		"EVENTS_TABLE":          w.Config.EventsTable,
		"VIEWS_TABLE":           w.Config.ViewsTable,
		"AWS_ACCESS_KEY_ID":     AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": SecretAccessKey,
		"TOKEN_ISSUER":          w.Issuer,
		"TOKEN_AUDIENCE":        w.Audience,
		"TOKEN_KEYS_DIR":        w.KeysDir,
		"TOKEN_JWKS_SOURCE":     "dynamodb",
		"KEYSTORM_APPLICATIONS": w.Boot.Application.ID + "," + w.Boot.AdminApp.ID,
		// The developer console serves the seeded application.
		"CONSOLE_APPLICATION_ID": w.Boot.Application.ID,
	}
}

// Env returns names as K=V entries from Vars, in the order given; a name
// Vars does not know is an error, so a typo cannot leave a variable unset
// without notice.
func (w *World) Env(names ...string) ([]string, error) {
	vars := w.Vars()
	out := make([]string, 0, len(names))
	for _, n := range names {
		v, ok := vars[n]
		if !ok {
			return nil, fmt.Errorf("sample: no value for %s", n)
		}
		out = append(out, n+"="+v)
	}
	return out, nil
}

// StoreVars are the names of Vars that point a function at the store.
var StoreVars = []string{"DYNAMODB_ENDPOINT", "EVENTS_TABLE", "VIEWS_TABLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}

// Close stops the embedded DynamoDB and removes the key directory if
// Start made it.
func (w *World) Close() error {
	var errs []error
	if w.Server != nil {
		errs = append(errs, w.Server.Close())
	}
	if w.ownKeysDir {
		errs = append(errs, os.RemoveAll(w.KeysDir))
	}
	return errors.Join(errs...)
}
