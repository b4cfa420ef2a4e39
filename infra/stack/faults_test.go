package stack_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	miniserver "github.com/truora/minidyn/server"
)

func TestIdempotencyKey(t *testing.T) {
	c := start(t)
	body := map[string]any{"email": "tk421@galacticempire.co", "password": "Changeme1"}
	first := c.must(201, c.do("POST", c.app+"/accounts", body, "Idempotency-Key", "create-tk421"))
	again := c.must(201, c.do("POST", c.app+"/accounts", body, "Idempotency-Key", "create-tk421"))
	if first["href"] != again["href"] {
		t.Fatalf("retry created another account: %v vs %v", first["href"], again["href"])
	}
	// The same key for a different request is refused.
	body["email"] = "tk422@galacticempire.co"
	if r := c.do("POST", c.app+"/accounts", body, "Idempotency-Key", "create-tk421"); r.Status != 422 || code(t, r) != 8303 {
		t.Fatalf("reused key: %d %s", r.Status, r.Body)
	}
	l := c.must(200, c.do("GET", c.app+"/accounts", nil))
	if l["size"].(float64) != 1 {
		t.Fatalf("accounts: %v", l["size"])
	}
}

// TestStoreFailureLeavesNoPartialState fails DynamoDB during a command:
// the read succeeds, the transaction fails. The client gets a 503 in the
// error format, nothing is stored, and a retry with the same
// Idempotency-Key after recovery creates exactly one resource.
func TestStoreFailureLeavesNoPartialState(t *testing.T) {
	c := startDynamo(t, 0)
	acc := c.newAccount("tk421")
	events, views := c.eventCount(), c.viewCount()
	ms := c.s.Embedded.Server
	ms.EmulateFailureForTable(c.s.Dynamo.Events, miniserver.FailureConditionInternalServerError)
	r := c.do("POST", href(acc, "apiKeys"), nil, "Idempotency-Key", "key-1")
	if r.Status != 503 || code(t, r) != 8501 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("during failure: %d %s", r.Status, r.Body)
	}
	r = c.do("POST", c.app+"/accounts", map[string]any{"email": "tk422@galacticempire.co", "password": "Changeme1"})
	if r.Status != 503 {
		t.Fatalf("account during failure: %d %s", r.Status, r.Body)
	}
	ms.EmulateFailureForTable(c.s.Dynamo.Events, miniserver.FailureConditionNone)
	if c.eventCount() != events || c.viewCount() != views {
		t.Fatal("partial state after a failed command")
	}
	// Fail everything, reads included: the authorizer cannot decide, so
	// it denies (never allows because of an error).
	ms.EmulateFailure(miniserver.FailureConditionInternalServerError)
	if r := c.do("GET", acc["href"].(string), nil); r.Status != 403 || code(t, r) != 8200 {
		t.Fatalf("read during failure: %d %s", r.Status, r.Body)
	}
	ms.EmulateFailure(miniserver.FailureConditionNone)
	first := c.must(201, c.do("POST", href(acc, "apiKeys"), nil, "Idempotency-Key", "key-1"))
	again := c.must(201, c.do("POST", href(acc, "apiKeys"), nil, "Idempotency-Key", "key-1"))
	if first["id"] != again["id"] || again["secret"] != nil {
		t.Fatalf("retries: %v / %v", first, again)
	}
	l := c.must(200, c.do("GET", href(acc, "apiKeys"), nil))
	if l["size"].(float64) != 1 {
		t.Fatalf("keys after retries: %v", l["size"])
	}
}

func TestConcurrentRegistrationsOfOneUsername(t *testing.T) {
	c := start(t)
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.do("POST", c.app+"/accounts", map[string]any{"username": "tk421",
				"email": fmt.Sprintf("tk421-%d@galacticempire.co", i), "password": "Changeme1"})
			statuses[i] = r.Status
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses %v", count)
	}
}

func TestConcurrentKeyCreationsAcrossAccounts(t *testing.T) {
	c := start(t)
	var accounts []map[string]any
	for i := range 10 {
		accounts = append(accounts, c.newAccount(fmt.Sprintf("trooper%d", i)))
	}
	const n = 500
	statuses := make([]int, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			statuses[i] = c.do("POST", href(accounts[i%len(accounts)], "apiKeys"), nil).Status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 201 {
			t.Fatalf("creation %d: %d", i, s)
		}
	}
	streams, err := c.s.Store.ReadEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	keyEvents := 0
	for _, envs := range streams {
		for _, e := range envs {
			if e.Type == "apikey.created.v1" {
				keyEvents++
			}
		}
	}
	total := 0
	for _, a := range accounts {
		l := c.must(200, c.do("GET", href(a, "apiKeys")+"?limit=1", nil))
		total += int(l["size"].(float64))
	}
	// One bootstrap admin key exists besides the 500.
	if keyEvents != n+1 || total != n {
		t.Fatalf("events %d, listed %d", keyEvents, total)
	}
}

// A store failure while the command reads its references is a 503, not a
// client error. The authorizer's cache is warm, so only the command's own
// reads meet the failure.
func TestMembershipDuringOutageIs503(t *testing.T) {
	c := startDynamo(t, time.Hour)
	acc := c.newAccount("tk421")
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "officers"}))
	ms := c.s.Embedded.Server
	ms.EmulateFailureForTable(c.s.Dynamo.Views, miniserver.FailureConditionInternalServerError)
	r := c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}})
	ms.EmulateFailureForTable(c.s.Dynamo.Views, miniserver.FailureConditionNone)
	if r.Status != 503 || code(t, r) != 8501 {
		t.Fatalf("membership during outage: %d %s", r.Status, r.Body)
	}
}
