package storetest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// workloadClock is the workload's manual clock: it moves only when the
// workload says so, so a seed replays the very same history.
type workloadClock struct{ now time.Time }

func (c *workloadClock) Now() time.Time { return c.now }

// Workload drives domain.Service with a seeded random mix of every
// command: refused ones, cascades and idempotent retries. Everything
// random (choices, ids, secrets, time) comes from one seed, so a failing
// seed replays exactly. The rebuild-equals-live tests of every store run
// it; it lives here, beside the contract, so that they share one.
type Workload struct {
	// Svc is the service the workload drives; a test may point its Store
	// elsewhere (a reopened store) and carry on.
	Svc *domain.Service
	// Admin is the bootstrap admin key as a caller.
	Admin domain.Caller
	// Outcomes counts what happened, by "Command outcome".
	Outcomes map[string]int

	t        testing.TB
	rng      *rand.Rand
	clock    *workloadClock
	apps     []string
	accounts []*domain.Account
	groups   []*domain.Group
	members  []string
	keys     []string
	idem     []domain.Caller
}

// NewWorkload bootstraps a tenant on st and returns a workload over it.
func NewWorkload(t testing.TB, st domain.Store, seed uint64) *Workload {
	t.Helper()
	var key [32]byte
	for i := range 4 {
		key[i*8] = byte(seed >> (8 * i))
		key[i*8+1] = byte(seed >> (8 * (i + 4)))
	}
	src := rand.NewChaCha8(key)
	svc := domain.NewService(st)
	c := &workloadClock{now: Epoch}
	svc.Clock, svc.IDs, svc.Rand = c, domain.RandomIDs{Rand: src}, src
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(context.Background(), domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	return &Workload{
		t: t, Svc: svc, clock: c, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		Admin:    domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true},
		apps:     []string{boot.Application.ID, boot.AdminApp.ID},
		accounts: []*domain.Account{boot.Admin},
		keys:     []string{boot.AdminKey.ID},
		Outcomes: map[string]int{},
	}
}

func pick[T any](r *rand.Rand, xs []T) (T, int) {
	var zero T
	if len(xs) == 0 {
		return zero, -1
	}
	i := r.IntN(len(xs))
	return xs[i], i
}

func drop[T any](xs []T, i int) []T {
	if i < 0 {
		return xs
	}
	xs[i] = xs[len(xs)-1]
	return xs[:len(xs)-1]
}

func (w *Workload) p(s string) *string { return &s }

func (w *Workload) maybe(pct int, v string) *string {
	if w.rng.IntN(100) < pct {
		return &v
	}
	return nil
}

func (w *Workload) status(choices ...string) *string {
	s, _ := pick(w.rng, choices)
	return &s
}

func (w *Workload) customData() map[string]json.RawMessage {
	cd := map[string]json.RawMessage{}
	for range 1 + w.rng.IntN(3) {
		k := fmt.Sprintf("f%d", w.rng.IntN(6))
		switch w.rng.IntN(4) {
		case 0:
			cd[k] = json.RawMessage(fmt.Sprintf("%d", w.rng.Int64()))
		case 1:
			cd[k] = json.RawMessage(`123456789012345678901234567890.50`)
		case 2:
			cd[k] = json.RawMessage(fmt.Sprintf(`{"rank":"tk%d","tags":["a","<b>"],"ok":%v}`, w.rng.IntN(1000), w.rng.IntN(2) == 0))
		default:
			cd[k] = json.RawMessage(fmt.Sprintf(`"value %d é"`, w.rng.IntN(100)))
		}
	}
	return cd
}

// customDataOwner picks a resource whose customData a command changes:
// mostly an account, else the tenant, an application or a group.
func (w *Workload) customDataOwner() domain.Ref {
	switch r := w.rng.IntN(10); {
	case r == 0:
		return domain.Ref{Kind: domain.KindTenant, ID: w.Admin.TenantID}
	case r < 3:
		id, _ := pick(w.rng, w.apps)
		return domain.Ref{Kind: domain.KindApplication, ID: id}
	case r < 5:
		g, _ := pick(w.rng, w.groups)
		return domain.Ref{Kind: domain.KindGroup, ID: groupID(g)}
	}
	a, _ := pick(w.rng, w.accounts)
	return domain.Ref{Kind: domain.KindAccount, ID: accID(a)}
}

// customDataDone counts a customData command that succeeded by its
// owner's kind ("customData on group"), so that tests can require every
// kind to have been exercised.
func (w *Workload) customDataDone(owner domain.Ref, err error) error {
	if err == nil {
		w.Outcomes["customData on "+owner.Kind]++
	}
	return err
}

// caller sometimes carries an Idempotency-Key, and sometimes repeats an
// earlier request's key and fingerprint (a client retry).
func (w *Workload) caller(op string) (c domain.Caller, replay bool) {
	switch r := w.rng.IntN(100); {
	case r < 5 && len(w.idem) > 0:
		c, _ := pick(w.rng, w.idem)
		return c, true
	case r < 15:
		c := w.Admin
		c.IdempotencyKey = fmt.Sprintf("idem-%d", w.rng.Int64())
		c.Fingerprint = op
		w.idem = append(w.idem, c)
		return c, false
	}
	return w.Admin, false
}

// Run runs n random commands, moving the clock a little before each; a
// refused command is an outcome, not a failure, while an unexpected error
// fails the test.
func (w *Workload) Run(n int) {
	ctx := context.Background()
	type op struct {
		weight int
		name   string
		do     func(c domain.Caller) error
	}
	ops := []op{
		{3, "CreateApplication", func(c domain.Caller) error {
			in := domain.ApplicationInput{Name: w.p(fmt.Sprintf("App %d", w.rng.IntN(12))), Description: w.maybe(50, "about")}
			if w.rng.IntN(3) == 0 {
				in.CustomData = w.customData()
			}
			a, err := w.Svc.CreateApplication(ctx, c, in)
			if err == nil {
				w.apps = append(w.apps, a.ID)
			}
			return err
		}},
		{3, "UpdateApplication", func(c domain.Caller) error {
			id, _ := pick(w.rng, w.apps)
			in := domain.ApplicationInput{Name: w.maybe(50, fmt.Sprintf("App %d", w.rng.IntN(12))), Status: w.status("ENABLED", "DISABLED"), Description: w.maybe(30, fmt.Sprint(w.rng.IntN(9)))}
			if w.rng.IntN(5) == 0 {
				in.CustomData = w.customData()
			}
			_, err := w.Svc.UpdateApplication(ctx, c, id, in)
			return err
		}},
		{2, "DeleteApplication", func(c domain.Caller) error {
			id, i := pick(w.rng, w.apps)
			err := w.Svc.DeleteApplication(ctx, c, id)
			if err == nil {
				w.apps = drop(w.apps, i)
			}
			return err
		}},
		{14, "CreateAccount", func(c domain.Caller) error {
			app, _ := pick(w.rng, w.apps)
			u := fmt.Sprintf("user%d", w.rng.IntN(90))
			in := domain.AccountInput{Username: &u, Email: w.p(fmt.Sprintf("%s.%d@example.com", u, w.rng.IntN(2))), Password: w.p("Changeme1"),
				GivenName: w.maybe(50, "Given"), Surname: w.maybe(50, u), Status: w.maybe(20, "UNVERIFIED")}
			if w.rng.IntN(3) == 0 {
				in.CustomData = w.customData()
			}
			a, err := w.Svc.CreateAccount(ctx, c, app, in)
			if err == nil {
				w.accounts = append(w.accounts, a)
			}
			return err
		}},
		{8, "UpdateAccount", func(c domain.Caller) error {
			a, _ := pick(w.rng, w.accounts)
			in := domain.AccountInput{Username: w.maybe(30, fmt.Sprintf("user%d", w.rng.IntN(90))), Surname: w.maybe(40, fmt.Sprint("S", w.rng.IntN(5))),
				Status: w.maybe(30, *w.status("ENABLED", "DISABLED", "UNVERIFIED")), Email: w.maybe(10, fmt.Sprintf("moved%d@example.com", w.rng.IntN(50)))}
			if w.rng.IntN(10) == 0 {
				in.Password = w.p(fmt.Sprintf("Changeme%d", w.rng.IntN(9)))
			}
			if w.rng.IntN(5) == 0 {
				in.CustomData = w.customData()
			}
			_, err := w.Svc.UpdateAccount(ctx, c, accID(a), in)
			return err
		}},
		{8, "UpdateCustomData", func(c domain.Caller) error {
			owner := w.customDataOwner()
			_, err := w.Svc.UpdateCustomData(ctx, c, owner, w.customData())
			return w.customDataDone(owner, err)
		}},
		{4, "DeleteCustomDataField", func(c domain.Caller) error {
			owner := w.customDataOwner()
			return w.customDataDone(owner, w.Svc.DeleteCustomDataField(ctx, c, owner, fmt.Sprintf("f%d", w.rng.IntN(6))))
		}},
		{2, "DeleteCustomData", func(c domain.Caller) error {
			owner := w.customDataOwner()
			return w.customDataDone(owner, w.Svc.DeleteCustomData(ctx, c, owner))
		}},
		{4, "DeleteAccount", func(c domain.Caller) error {
			a, i := pick(w.rng, w.accounts[1:]) // keep the admin
			err := w.Svc.DeleteAccount(ctx, c, accID(a))
			if err == nil {
				w.accounts = drop(w.accounts, i+1)
			}
			return err
		}},
		{6, "CreateGroup", func(c domain.Caller) error {
			app, _ := pick(w.rng, w.apps)
			in := domain.GroupInput{Name: w.p(fmt.Sprintf("group%d", w.rng.IntN(20))), Description: w.maybe(30, "d")}
			if w.rng.IntN(3) == 0 {
				in.CustomData = w.customData()
			}
			g, err := w.Svc.CreateGroup(ctx, c, app, in)
			if err == nil {
				w.groups = append(w.groups, g)
			}
			return err
		}},
		{3, "UpdateGroup", func(c domain.Caller) error {
			g, _ := pick(w.rng, w.groups)
			in := domain.GroupInput{Name: w.maybe(50, fmt.Sprintf("group%d", w.rng.IntN(20))), Status: w.status("ENABLED", "DISABLED")}
			if w.rng.IntN(5) == 0 {
				in.CustomData = w.customData()
			}
			_, err := w.Svc.UpdateGroup(ctx, c, groupID(g), in)
			return err
		}},
		{2, "DeleteGroup", func(c domain.Caller) error {
			g, i := pick(w.rng, w.groups)
			err := w.Svc.DeleteGroup(ctx, c, groupID(g))
			if err == nil {
				w.groups = drop(w.groups, i)
			}
			return err
		}},
		{12, "CreateMembership", func(c domain.Caller) error {
			a, _ := pick(w.rng, w.accounts)
			g, _ := pick(w.rng, w.groups)
			// Mostly the same directory; sometimes across (refused).
			if g != nil && w.rng.IntN(8) > 0 {
				var same []*domain.Account
				for _, x := range w.accounts {
					if x.DirectoryID == g.DirectoryID {
						same = append(same, x)
					}
				}
				if len(same) > 0 {
					a, _ = pick(w.rng, same)
				}
			}
			m, err := w.Svc.CreateMembership(ctx, c, accID(a), groupID(g))
			if err == nil {
				w.members = append(w.members, m.ID)
			}
			return err
		}},
		{3, "DeleteMembership", func(c domain.Caller) error {
			m, i := pick(w.rng, w.members)
			err := w.Svc.DeleteMembership(ctx, c, m)
			if err == nil {
				w.members = drop(w.members, i)
			}
			return err
		}},
		{14, "CreateAPIKey", func(c domain.Caller) error {
			a, _ := pick(w.rng, w.accounts)
			k, err := w.Svc.CreateAPIKey(ctx, c, accID(a), domain.APIKeyInput{Name: w.maybe(50, "laptop"), Status: w.maybe(20, "DISABLED")})
			if err == nil {
				w.keys = append(w.keys, k.Key.ID)
			}
			return err
		}},
		{6, "UpdateAPIKey", func(c domain.Caller) error {
			k, _ := pick(w.rng, w.keys[1:])
			_, err := w.Svc.UpdateAPIKey(ctx, c, k, domain.APIKeyInput{Name: w.maybe(60, fmt.Sprint("k", w.rng.IntN(7))), Status: w.status("ENABLED", "DISABLED")})
			return err
		}},
		{6, "Login", func(c domain.Caller) error {
			// Logins append events (successes, and refusals of disabled or
			// unverified accounts with the right password), so the rebuild
			// must fold them too. Passwords and names are sometimes wrong;
			// three sources, so the throttle sometimes answers.
			a, _ := pick(w.rng, w.accounts)
			user, pw := "nobody", "Changeme1"
			if a != nil {
				user = a.Username
				if w.rng.IntN(3) == 0 {
					user = a.Email
				}
			}
			if w.rng.IntN(4) == 0 {
				pw = fmt.Sprintf("Changeme%d", w.rng.IntN(9))
			}
			src := fmt.Sprintf("192.0.2.%d", w.rng.IntN(3))
			value := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
			app := w.apps[0]
			if a != nil {
				app = a.ApplicationID
			}
			_, err := w.Svc.Login(ctx, c, app, domain.LoginAttempt{Type: "basic", Value: value, Source: src})
			return err
		}},
		{3, "DeleteAPIKey", func(c domain.Caller) error {
			k, i := pick(w.rng, w.keys[1:])
			err := w.Svc.DeleteAPIKey(ctx, c, k)
			if err == nil {
				w.keys = drop(w.keys, i+1)
			}
			return err
		}},
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	for range n {
		// Mostly distinct times; sometimes the same instant, so that
		// collections order ties by id.
		if w.rng.IntN(10) > 0 {
			w.clock.now = w.clock.now.Add(time.Duration(1+w.rng.IntN(5000)) * time.Microsecond)
		}
		r := w.rng.IntN(total)
		var o op
		for _, o = range ops {
			if r < o.weight {
				break
			}
			r -= o.weight
		}
		c, replay := w.Admin, false
		if strings.HasPrefix(o.name, "Create") {
			c, replay = w.caller(o.name)
		}
		err := o.do(c)
		outcome := "ok"
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) {
				w.t.Fatalf("%s: %v", o.name, err)
			}
			switch de.Kind {
			case domain.KindConflict:
				outcome = "conflict"
			case domain.KindNotFound:
				outcome = "not found"
			case domain.KindInvalid:
				outcome = "invalid"
			case domain.KindUnprocessable:
				outcome = "idempotency reuse"
			case domain.KindThrottled:
				outcome = "throttled"
			default:
				w.t.Fatalf("%s: unexpected %v", o.name, err)
			}
		}
		w.Outcomes[o.name+" "+outcome]++
		if replay {
			w.Outcomes["replay "+outcome]++
		}
	}
}

func accID(a *domain.Account) string {
	if a == nil {
		return "missing"
	}
	return a.ID
}

func groupID(g *domain.Group) string {
	if g == nil {
		return "missing"
	}
	return g.ID
}
