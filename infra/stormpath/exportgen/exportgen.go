package exportgen

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Generation is an export's layout.
type Generation int

const (
	// Embedded is the first generation: accounts in a folder per
	// directory, each holding its API keys and group links.
	Embedded Generation = 1
	// Folders is the later one: accounts flat, API keys in apiKeys/,
	// memberships in groupMemberships/.
	Folders Generation = 2
)

// Spec says what to write.
type Spec struct {
	Generation Generation
	// BigKeys is how many keys the one account with many keys gets.
	BigKeys int
	Seed    uint64
}

// VectorHash is Stormpath's published stormpath2 test vector: the hash
// of the password VectorPassword.
const (
	VectorHash     = "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg=="
	VectorPassword = "123456"
)

// Key is an API key as written.
type Key struct {
	ID, Secret string
	Enabled    bool
}

// Account is an account as written, with the plain texts behind it.
type Account struct {
	ID, Username, Email, Directory string
	Status                         string
	// Password is the plain text; empty when it cannot be known (a
	// stormpath1 hash, whose format no public document gives).
	Password string
	// Format is the hash's MCF kind: bcrypt, stormpath2 or stormpath1.
	Format string
	Keys   []Key
	Groups []string
	// CustomData is the account's customData as written.
	CustomData map[string]any
}

// Fixture is what Write wrote.
type Fixture struct {
	Tenant string
	// Shared is the directory mapped to both applications; Second the
	// one mapped to the second application only.
	Shared, Second string
	Apps           [2]string
	// Groups by name.
	Groups   map[string]string
	Accounts []Account
	// Broken is the account file that is not JSON, relative to the
	// export.
	Broken string
}

// Account finds a written account by username.
func (f *Fixture) Account(username string) *Account {
	for i := range f.Accounts {
		if f.Accounts[i].Username == username {
			return &f.Accounts[i]
		}
	}
	return nil
}

const base = "https://api.stormpath.com/v1/"

type gen struct {
	dir string
	rnd *rand.Rand
	at  time.Time
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// id is a Stormpath resource id: 22 base62 characters.
func (g *gen) id() string { return g.pick(alnum, 22) }

// keyID is a Stormpath API key id: 25 upper-case letters and digits.
func (g *gen) keyID() string { return g.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 25) }

func (g *gen) pick(from string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = from[g.rnd.IntN(len(from))]
	}
	return string(b)
}

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.rnd.UintN(256))
	}
	return b
}

// secret is a Stormpath-style key secret: 32 random bytes in unpadded
// standard base64 (43 characters, + and / included).
func (g *gen) secret() string { return base64.RawStdEncoding.EncodeToString(g.bytes(32)) }

// when is the next timestamp: a minute after the last.
func (g *gen) when() time.Time {
	g.at = g.at.Add(time.Minute)
	return g.at
}

func ref(collection, id string) map[string]string {
	return map[string]string{"href": base + collection + "/" + id, "id": id}
}

func (g *gen) resource(collection, id string, fields map[string]any) map[string]any {
	t := g.when()
	out := map[string]any{"href": base + collection + "/" + id, "id": id,
		"createdAt": t.Format("2006-01-02T15:04:05.000Z"), "modifiedAt": t.Add(time.Hour).Format("2006-01-02T15:04:05.000Z")}
	for k, v := range fields {
		out[k] = v
	}
	return out
}

func (g *gen) write(rel string, v any) error {
	p := filepath.Join(g.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(p, append(b, '\n'), 0o644)
}

// Stormpath2 hashes a password as Stormpath's stormpath2 format does:
// the digest of the salt's bytes followed by the password, then digested
// again iterations-1 more times.
func Stormpath2(alg string, iterations int, salt []byte, password string) string {
	var h func() hash.Hash
	switch alg {
	case "MD5":
		h = md5.New
	case "SHA-256":
		h = sha256.New
	case "SHA-512":
		h = sha512.New
	default:
		panic("exportgen: no " + alg)
	}
	d := h()
	d.Write(salt)
	d.Write([]byte(password))
	sum := d.Sum(nil)
	for range iterations - 1 {
		d = h()
		d.Write(sum)
		sum = d.Sum(nil)
	}
	return "$stormpath2$" + alg + "$" + strconv.Itoa(iterations) + "$" + base64.StdEncoding.EncodeToString(salt) + "$" + base64.StdEncoding.EncodeToString(sum)
}

// Write writes an export into dir (which must be empty or missing).
func Write(dir string, s Spec) (*Fixture, error) {
	if s.Generation != Embedded && s.Generation != Folders {
		return nil, fmt.Errorf("exportgen: unknown generation %d", s.Generation)
	}
	g := &gen{dir: dir, rnd: rand.New(rand.NewPCG(s.Seed, 0x5707)), at: time.Date(2016, 3, 1, 9, 0, 0, 0, time.UTC)}
	f := &Fixture{Tenant: g.id(), Shared: g.id(), Second: g.id(), Groups: map[string]string{}}
	f.Apps = [2]string{g.id(), g.id()}
	if err := g.write("meta.json", g.resource("tenants", f.Tenant, map[string]any{
		"name": "Rebel Alliance", "key": "rebel-alliance", "customData": map[string]any{"href": base + "tenants/" + f.Tenant + "/customData", "plan": "pro"}})); err != nil {
		return nil, err
	}
	policy := g.id()
	if err := g.write("passwordPolicies/"+policy+".json", g.resource("passwordPolicies", policy, map[string]any{
		"strength": map[string]any{"minLength": 8, "maxLength": 100, "minLowerCase": 1, "minUpperCase": 1, "minNumeric": 1, "minSymbol": 0}})); err != nil {
		return nil, err
	}
	for _, d := range []struct{ id, name string }{{f.Shared, "Rebels"}, {f.Second, "Partners"}} {
		if err := g.write("directories/"+d.id+".json", g.resource("directories", d.id, map[string]any{
			"name": d.name, "description": "", "status": "ENABLED", "passwordPolicy": ref("passwordPolicies", policy),
			"provider": map[string]string{"href": base + "directories/" + d.id + "/provider"}})); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"smugglers", "jedi"} {
		id := g.id()
		f.Groups[name] = id
		if err := g.write("groups/"+f.Shared+"/"+id+".json", g.resource("groups", id, map[string]any{
			"name": name, "description": "", "status": "ENABLED", "directory": ref("directories", f.Shared),
			"customData": map[string]any{"href": base + "groups/" + id + "/customData"}})); err != nil {
			return nil, err
		}
	}
	// The shared directory is mapped to both applications, first and
	// default; the second application also reaches the partners.
	mappings := []struct {
		app, store string
		index      int
		def        bool
	}{{f.Apps[0], f.Shared, 0, true}, {f.Apps[1], f.Shared, 0, true}, {f.Apps[1], f.Second, 1, false}}
	mapIDs := make([]string, len(mappings))
	for i, m := range mappings {
		mapIDs[i] = g.id()
		if err := g.write("accountStoreMappings/"+mapIDs[i]+".json", g.resource("accountStoreMappings", mapIDs[i], map[string]any{
			"application": ref("applications", m.app), "accountStore": ref("directories", m.store),
			"listIndex": m.index, "isDefaultAccountStore": m.def, "isDefaultGroupStore": m.def})); err != nil {
			return nil, err
		}
	}
	for i, name := range []string{"Rebel Command", "Partner Portal"} {
		if err := g.write("applications/"+f.Apps[i]+".json", g.resource("applications", f.Apps[i], map[string]any{
			"name": name, "description": "", "status": "ENABLED",
			"defaultAccountStoreMapping": ref("accountStoreMappings", mapIDs[i]), "defaultGroupStoreMapping": ref("accountStoreMappings", mapIDs[i]),
			"customData": map[string]any{"href": base + "applications/" + f.Apps[i] + "/customData"}})); err != nil {
			return nil, err
		}
	}

	bcryptOf := func(pw string) (string, error) {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		return string(h), err
	}
	type plan struct {
		username, dir, status, format, password string
		keys                                    int
		groups                                  []string
		custom                                  map[string]any
	}
	plans := []plan{
		{"han", f.Shared, "ENABLED", "bcrypt", "Kessel-Run-12", 2, []string{"smugglers"},
			map[string]any{"ship": map[string]any{"name": "Millennium Falcon", "parsecs": 12, "crew": []any{"Chewbacca", map[string]any{"droid": "none"}}}}},
		{"luke", f.Shared, "ENABLED", "stormpath2/SHA-256/1000", "Red-Five-Standing-By", 1, []string{"jedi"}, nil},
		{"vector", f.Shared, "ENABLED", "stormpath2/vector", VectorPassword, 0, nil, nil},
		{"leia", f.Shared, "ENABLED", "stormpath1", "", 1, nil, nil},
		{"vader", f.Shared, "DISABLED", "bcrypt", "Dark-Side-77", 1, nil, nil},
		{"rey", f.Second, "ENABLED", "stormpath2/SHA-512/3", "Jakku-Scavenger-9", 1, nil, map[string]any{"staff": "quarterstaff"}},
		{"bigco", f.Shared, "ENABLED", "bcrypt", "Many-Keys-2500", s.BigKeys, nil, nil},
	}
	for _, p := range plans {
		a := Account{ID: g.id(), Username: p.username, Email: p.username + "@rebels.example", Directory: p.dir, Status: p.status, Password: p.password, CustomData: p.custom}
		var mcf string
		var err error
		switch p.format {
		case "bcrypt":
			a.Format = "bcrypt"
			mcf, err = bcryptOf(p.password)
		case "stormpath2/SHA-256/1000":
			a.Format, mcf = "stormpath2", Stormpath2("SHA-256", 1000, g.bytes(16), p.password)
		case "stormpath2/SHA-512/3":
			a.Format, mcf = "stormpath2", Stormpath2("SHA-512", 3, g.bytes(16), p.password)
		case "stormpath2/vector":
			a.Format, mcf = "stormpath2", VectorHash
		case "stormpath1":
			a.Format = "stormpath1"
			mcf = "$stormpath1$" + base64.StdEncoding.EncodeToString(g.bytes(16)) + "$" + base64.StdEncoding.EncodeToString(g.bytes(32))
		}
		if err != nil {
			return nil, err
		}
		for i := range p.keys {
			a.Keys = append(a.Keys, Key{ID: g.keyID(), Secret: g.secret(), Enabled: i%7 != 6})
		}
		for _, gr := range p.groups {
			a.Groups = append(a.Groups, f.Groups[gr])
		}
		custom := map[string]any{"href": base + "accounts/" + a.ID + "/customData"}
		for k, v := range p.custom {
			custom[k] = v
		}
		fields := map[string]any{"username": a.Username, "email": a.Email, "givenName": p.username, "middleName": nil, "surname": "Rebel",
			"fullName": p.username + " Rebel", "status": a.Status, "emailVerificationStatus": "VERIFIED", "externalId": nil,
			"password": mcf, "directory": ref("directories", a.Directory), "tenant": ref("tenants", f.Tenant), "customData": custom}
		rel := "accounts/" + a.ID + ".json"
		if s.Generation == Embedded {
			// The first generation: in the directory's folder, keys
			// and groups inside (each embedded key was enabled).
			rel = "accounts/" + a.Directory + "/" + a.ID + ".json"
			var keys, groups []any
			for i := range a.Keys {
				a.Keys[i].Enabled = true
				keys = append(keys, map[string]string{"href": base + "apiKeys/" + a.Keys[i].ID, "id": a.Keys[i].ID, "secret": a.Keys[i].Secret})
			}
			for _, gid := range a.Groups {
				groups = append(groups, ref("groups", gid))
			}
			fields["apiKeys"], fields["groups"] = keys, groups
		} else {
			for _, k := range a.Keys {
				status := "ENABLED"
				if !k.Enabled {
					status = "DISABLED"
				}
				if err := g.write("apiKeys/"+k.ID+".json", map[string]any{"href": base + "apiKeys/" + k.ID, "id": k.ID, "secret": k.Secret,
					"status": status, "account": ref("accounts", a.ID)}); err != nil {
					return nil, err
				}
			}
			for _, gid := range a.Groups {
				m := g.id()
				if err := g.write("groupMemberships/"+m+".json", map[string]any{"href": base + "groupMemberships/" + m, "id": m,
					"account": ref("accounts", a.ID), "group": ref("groups", gid)}); err != nil {
					return nil, err
				}
			}
		}
		if err := g.write(rel, g.resource("accounts", a.ID, fields)); err != nil {
			return nil, err
		}
		f.Accounts = append(f.Accounts, a)
	}
	// One account file that is not JSON: reported, never the end.
	f.Broken = "accounts/" + g.id() + ".json"
	if err := os.WriteFile(filepath.Join(dir, f.Broken), []byte("{\"id\": \"truncated"), 0o644); err != nil {
		return nil, err
	}
	return f, nil
}
