package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/embedded"
)

var (
	workloadSeed = flag.Uint64("rebuild.seed", 0, "seed of the rebuild test's random workload (0: time-based)")
	workloadSize = flag.Int("rebuild.commands", 1200, "commands in the rebuild test's random workload")
)

// TestProjectEmptyLog: nothing in, nothing out.
func TestProjectEmptyLog(t *testing.T) {
	for _, streams := range []map[string][]events.Envelope{nil, {}} {
		items, err := dynamo.Project(streams)
		if err != nil || len(items) != 0 {
			t.Fatalf("Project(%v) = %d items, %v", streams, len(items), err)
		}
	}
	h := embedded.New(t)
	stats, err := h.Store.Rebuild(context.Background())
	if err != nil || stats.Streams != 0 || stats.Events != 0 || stats.Items != 0 || stats.Deleted != 0 {
		t.Fatalf("rebuild of an empty store: %+v %v", stats, err)
	}
	if v := views(t, h.Store); len(v) != 0 {
		t.Fatalf("views after rebuilding nothing: %v", v)
	}
}

// TestRebuildRefusesBrokenLog: a stream with a version gap stops the
// rebuild before it touches the views table.
func TestRebuildRefusesBrokenLog(t *testing.T) {
	w := newWorkload(t, 1)
	w.run(40)
	before := views(t, w.h.Store)
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	env, err := events.Encode(domain.KindAPIKey+"#ORPHAN", 2, at, events.Meta{}, events.APIKeyDeleted{})
	if err != nil {
		t.Fatal(err)
	}
	item, err := attributevalue.MarshalMap(map[string]any{"stream": env.Stream, "version": env.Version, "type": env.Type, "at": at.Format(time.RFC3339Nano), "data": string(env.Data), "meta": env.Meta})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.h.Store.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(w.h.Store.Events), Item: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.h.Store.Rebuild(context.Background()); err == nil || !strings.Contains(err.Error(), "version 2 after 0") {
		t.Fatalf("rebuild of a log with a gap: %v", err)
	}
	if after := views(t, w.h.Store); diffViews(before, after, 5) != "" {
		t.Fatalf("a refused rebuild changed the views:\n%s", diffViews(before, after, 5))
	}
}

// TestRebuildEqualsLive runs a random (seeded, reproducible) workload of
// domain commands — creates, updates and deletes of every resource,
// cascades, duplicates and other refused commands, idempotent retries —
// then replays the event table into fresh read models and checks they
// equal the live ones item for item: every state item, guard and
// collection index entry the commands projected in their transactions is
// exactly what the log folds to.
func TestRebuildEqualsLive(t *testing.T) {
	seed := *workloadSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -rebuild.seed=%d)", seed, seed)
	start := time.Now()
	w := newWorkload(t, seed)
	w.run(*workloadSize)
	t.Logf("%d commands in %v: %v", *workloadSize, time.Since(start).Round(time.Millisecond), w.outcomes)
	for _, op := range []string{"DeleteAccount ok", "DeleteGroup ok", "CreateAccount conflict", "CreateMembership ok", "UpdateCustomData ok", "replay ok"} {
		if w.outcomes[op] == 0 {
			t.Errorf("the workload never had %q; it does not exercise what it should", op)
		}
	}

	ctx := context.Background()
	live := views(t, w.h.Store)
	idemBefore := countIdem(t, w.h.Store)
	streams, err := w.h.Store.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nEvents, cascades := 0, 0
	for _, envs := range streams {
		nEvents += len(envs)
		for _, env := range envs {
			if strings.Contains(string(env.Data), events.ReasonCascade) {
				cascades++
			}
		}
	}
	if cascades == 0 {
		t.Error("the workload deleted nothing by cascade")
	}

	stats, err := w.h.Store.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuild: %+v", stats)
	rebuilt := views(t, w.h.Store)
	if d := diffViews(live, rebuilt, 10); d != "" {
		t.Fatalf("rebuilt views differ from live ones (%d live, %d rebuilt items):\n%s", len(live), len(rebuilt), d)
	}
	if stats.Streams != len(streams) || stats.Events != nEvents || stats.Items != len(live) || stats.Deleted != len(live) {
		t.Fatalf("stats %+v: want %d streams, %d events, %d items written and deleted", stats, len(streams), nEvents, len(live))
	}
	if n := countIdem(t, w.h.Store); n != idemBefore || n == 0 {
		t.Fatalf("idempotency records: %d before, %d after the rebuild", idemBefore, n)
	}
	// The service works on the rebuilt views: a second rebuild is a no-op
	// and the next command continues every stream where it was.
	w.run(50)
	live = views(t, w.h.Store)
	if _, err := w.h.Store.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if d := diffViews(live, views(t, w.h.Store), 10); d != "" {
		t.Fatalf("second rebuild differs:\n%s", d)
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

func countIdem(t *testing.T, st *dynamo.Store) int {
	t.Helper()
	items, err := st.ScanViews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range items {
		var row struct {
			PK string `dynamodbav:"pk"`
		}
		_ = attributevalue.UnmarshalMap(it, &row)
		if strings.HasPrefix(row.PK, "idem#") {
			n++
		}
	}
	return n
}

// clock is a manual clock for the workload.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// workload drives domain.Service with random commands. Everything random
// (choices, ids, secrets, time) comes from one seed.
type workload struct {
	t        *testing.T
	h        *embedded.Harness
	svc      *domain.Service
	admin    domain.Caller
	rng      *rand.Rand
	clock    *clock
	apps     []string
	accounts []*domain.Account
	groups   []*domain.Group
	members  []string
	keys     []string
	idem     []domain.Caller
	outcomes map[string]int
}

func newWorkload(t *testing.T, seed uint64) *workload {
	t.Helper()
	h := embedded.New(t)
	var key [32]byte
	for i := range 4 {
		key[i*8] = byte(seed >> (8 * i))
		key[i*8+1] = byte(seed >> (8 * (i + 4)))
	}
	src := rand.NewChaCha8(key)
	svc := domain.NewService(h.Store)
	c := &clock{now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	svc.Clock, svc.IDs, svc.Rand = c, domain.RandomIDs{Rand: src}, src
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(context.Background(), domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	return &workload{
		t: t, h: h, svc: svc, clock: c, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		admin:    domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true},
		apps:     []string{boot.Application.ID, boot.AdminApp.ID},
		accounts: []*domain.Account{boot.Admin},
		keys:     []string{boot.AdminKey.ID},
		outcomes: map[string]int{},
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

func (w *workload) p(s string) *string { return &s }

func (w *workload) maybe(pct int, v string) *string {
	if w.rng.IntN(100) < pct {
		return &v
	}
	return nil
}

func (w *workload) status(choices ...string) *string {
	s, _ := pick(w.rng, choices)
	return &s
}

func (w *workload) customData() map[string]json.RawMessage {
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

// caller sometimes carries an Idempotency-Key, and sometimes repeats an
// earlier request's key and fingerprint (a client retry).
func (w *workload) caller(op string) (c domain.Caller, replay bool) {
	switch r := w.rng.IntN(100); {
	case r < 5 && len(w.idem) > 0:
		c, _ := pick(w.rng, w.idem)
		return c, true
	case r < 15:
		c := w.admin
		c.IdempotencyKey = fmt.Sprintf("idem-%d", w.rng.Int64())
		c.Fingerprint = op
		w.idem = append(w.idem, c)
		return c, false
	}
	return w.admin, false
}

func (w *workload) run(n int) {
	ctx := context.Background()
	type op struct {
		weight int
		name   string
		do     func(c domain.Caller) error
	}
	ops := []op{
		{3, "CreateApplication", func(c domain.Caller) error {
			a, err := w.svc.CreateApplication(ctx, c, domain.ApplicationInput{Name: w.p(fmt.Sprintf("App %d", w.rng.IntN(12))), Description: w.maybe(50, "about")})
			if err == nil {
				w.apps = append(w.apps, a.ID)
			}
			return err
		}},
		{3, "UpdateApplication", func(c domain.Caller) error {
			id, _ := pick(w.rng, w.apps)
			_, err := w.svc.UpdateApplication(ctx, c, id, domain.ApplicationInput{Name: w.maybe(50, fmt.Sprintf("App %d", w.rng.IntN(12))), Status: w.status("ENABLED", "DISABLED"), Description: w.maybe(30, fmt.Sprint(w.rng.IntN(9)))})
			return err
		}},
		{2, "DeleteApplication", func(c domain.Caller) error {
			id, i := pick(w.rng, w.apps)
			err := w.svc.DeleteApplication(ctx, c, id)
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
			a, err := w.svc.CreateAccount(ctx, c, app, in)
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
			_, err := w.svc.UpdateAccount(ctx, c, id(a), in)
			return err
		}},
		{6, "UpdateCustomData", func(c domain.Caller) error {
			a, _ := pick(w.rng, w.accounts)
			_, err := w.svc.UpdateCustomData(ctx, c, id(a), w.customData())
			return err
		}},
		{3, "DeleteCustomDataField", func(c domain.Caller) error {
			a, _ := pick(w.rng, w.accounts)
			return w.svc.DeleteCustomDataField(ctx, c, id(a), fmt.Sprintf("f%d", w.rng.IntN(6)))
		}},
		{2, "DeleteCustomData", func(c domain.Caller) error {
			a, _ := pick(w.rng, w.accounts)
			return w.svc.DeleteCustomData(ctx, c, id(a))
		}},
		{4, "DeleteAccount", func(c domain.Caller) error {
			a, i := pick(w.rng, w.accounts[1:]) // keep the admin
			err := w.svc.DeleteAccount(ctx, c, id(a))
			if err == nil {
				w.accounts = drop(w.accounts, i+1)
			}
			return err
		}},
		{6, "CreateGroup", func(c domain.Caller) error {
			app, _ := pick(w.rng, w.apps)
			g, err := w.svc.CreateGroup(ctx, c, app, domain.GroupInput{Name: w.p(fmt.Sprintf("group%d", w.rng.IntN(20))), Description: w.maybe(30, "d")})
			if err == nil {
				w.groups = append(w.groups, g)
			}
			return err
		}},
		{3, "UpdateGroup", func(c domain.Caller) error {
			g, _ := pick(w.rng, w.groups)
			_, err := w.svc.UpdateGroup(ctx, c, gid(g), domain.GroupInput{Name: w.maybe(50, fmt.Sprintf("group%d", w.rng.IntN(20))), Status: w.status("ENABLED", "DISABLED")})
			return err
		}},
		{2, "DeleteGroup", func(c domain.Caller) error {
			g, i := pick(w.rng, w.groups)
			err := w.svc.DeleteGroup(ctx, c, gid(g))
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
			m, err := w.svc.CreateMembership(ctx, c, id(a), gid(g))
			if err == nil {
				w.members = append(w.members, m.ID)
			}
			return err
		}},
		{3, "DeleteMembership", func(c domain.Caller) error {
			m, i := pick(w.rng, w.members)
			err := w.svc.DeleteMembership(ctx, c, m)
			if err == nil {
				w.members = drop(w.members, i)
			}
			return err
		}},
		{14, "CreateAPIKey", func(c domain.Caller) error {
			a, _ := pick(w.rng, w.accounts)
			k, err := w.svc.CreateAPIKey(ctx, c, id(a), domain.APIKeyInput{Name: w.maybe(50, "laptop"), Status: w.maybe(20, "DISABLED")})
			if err == nil {
				w.keys = append(w.keys, k.Key.ID)
			}
			return err
		}},
		{6, "UpdateAPIKey", func(c domain.Caller) error {
			k, _ := pick(w.rng, w.keys[1:])
			_, err := w.svc.UpdateAPIKey(ctx, c, k, domain.APIKeyInput{Name: w.maybe(60, fmt.Sprint("k", w.rng.IntN(7))), Status: w.status("ENABLED", "DISABLED")})
			return err
		}},
		{3, "DeleteAPIKey", func(c domain.Caller) error {
			k, i := pick(w.rng, w.keys[1:])
			err := w.svc.DeleteAPIKey(ctx, c, k)
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
		c, replay := w.admin, false
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
			default:
				w.t.Fatalf("%s: unexpected %v", o.name, err)
			}
		}
		w.outcomes[o.name+" "+outcome]++
		if replay {
			w.outcomes["replay "+outcome]++
		}
	}
}

func id(a *domain.Account) string {
	if a == nil {
		return "missing"
	}
	return a.ID
}

func gid(g *domain.Group) string {
	if g == nil {
		return "missing"
	}
	return g.ID
}
