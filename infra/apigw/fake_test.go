package apigw_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeGateway is an in-memory stand-in for the API Gateway REST API (v1)
// control plane: exactly the endpoints package apigw calls, in the
// service's wire format (see the package doc for why a fake).
type fakeGateway struct {
	mu     sync.Mutex
	seq    int
	plans  map[string]*fakePlan
	keys   map[string]*fakeKey
	calls  map[string]int // by route, e.g. "POST /usageplans"
	writes int
	// fail makes the next n calls of a route answer 429.
	fail map[string]int
	// raceKeyCreate makes the next CreateApiKey lose a race: another
	// instance creates the same key just before, so this one gets 409.
	raceKeyCreate bool
}

type fakeThrottle struct {
	BurstLimit int32   `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

type fakeStage struct {
	APIID string `json:"apiId"`
	Stage string `json:"stage"`
}

type fakePlan struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Throttle    *fakeThrottle `json:"throttle,omitempty"`
	APIStages   []fakeStage   `json:"apiStages"`
	keys        []string
}

type fakeKey struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Value       string `json:"value,omitempty"`
	Description string `json:"description,omitempty"`
	Enabled     bool   `json:"enabled"`
}

func newFake(t *testing.T) (*fakeGateway, *httptest.Server) {
	f := &fakeGateway{plans: map[string]*fakePlan{}, keys: map[string]*fakeKey{}, calls: map[string]int{}, fail: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGateway) id() string {
	f.seq++
	return fmt.Sprintf("id%04d", f.seq)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError answers as API Gateway does: the type in x-amzn-ErrorType,
// the message in the body.
func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	writeJSON(w, status, map[string]string{"message": msg})
}

func (f *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		apiError(w, 403, "UnrecognizedClientException", "not signed")
		return
	}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	route := r.Method + " /" + seg[0]
	switch len(seg) {
	case 2:
		route += "/{id}"
	case 3:
		route += "/{id}/" + seg[2]
	case 4:
		route += "/{id}/" + seg[2] + "/{keyId}"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[route]++
	if r.Method != http.MethodGet {
		f.writes++
	}
	if f.fail[route] > 0 {
		f.fail[route]--
		apiError(w, 429, "TooManyRequestsException", "Too Many Requests")
		return
	}
	var body map[string]any
	if r.Body != nil && r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			apiError(w, 400, "BadRequestException", "bad JSON")
			return
		}
	}
	q := r.URL.Query()
	switch route {
	case "GET /usageplans":
		items := []*fakePlan{}
		for _, p := range f.sortedPlans() {
			if k := q.Get("keyId"); k == "" || slices.Contains(p.keys, k) {
				items = append(items, p)
			}
		}
		writeJSON(w, 200, map[string]any{"item": items})
	case "POST /usageplans":
		var in fakePlan
		remarshal(body, &in)
		if in.Name == "" {
			apiError(w, 400, "BadRequestException", "name is required")
			return
		}
		in.ID = f.id()
		f.plans[in.ID] = &in
		writeJSON(w, 201, &in)
	case "PATCH /usageplans/{id}":
		p := f.plans[seg[1]]
		if p == nil {
			apiError(w, 404, "NotFoundException", "Invalid Usage Plan ID specified")
			return
		}
		var in struct {
			PatchOperations []struct{ Op, Path, Value string } `json:"patchOperations"`
		}
		remarshal(body, &in)
		for _, op := range in.PatchOperations {
			api, stage, _ := strings.Cut(op.Value, ":")
			if op.Op != "add" || op.Path != "/apiStages" {
				apiError(w, 400, "BadRequestException", "unsupported patch")
				return
			}
			p.APIStages = append(p.APIStages, fakeStage{api, stage})
		}
		writeJSON(w, 200, p)
	case "POST /usageplans/{id}/keys":
		p := f.plans[seg[1]]
		var in struct{ KeyID, KeyType string }
		remarshal(body, &in)
		k := f.keys[in.KeyID]
		switch {
		case p == nil || k == nil:
			apiError(w, 404, "NotFoundException", "Invalid Usage Plan ID or API Key ID specified")
		case in.KeyType != "API_KEY":
			apiError(w, 400, "BadRequestException", "keyType must be API_KEY")
		case slices.Contains(p.keys, k.ID):
			apiError(w, 409, "ConflictException", "Usage Plan already contains the key")
		case f.sharesStage(p, k.ID):
			apiError(w, 409, "ConflictException", "API Key cannot reference multiple Usage Plans with the same API Stage")
		default:
			p.keys = append(p.keys, k.ID)
			writeJSON(w, 201, map[string]any{"id": k.ID, "type": "API_KEY", "name": k.Name, "value": k.Value})
		}
	case "DELETE /usageplans/{id}/keys/{keyId}":
		p := f.plans[seg[1]]
		if p == nil || !slices.Contains(p.keys, seg[3]) {
			apiError(w, 404, "NotFoundException", "Invalid Usage Plan Key")
			return
		}
		p.keys = slices.DeleteFunc(p.keys, func(k string) bool { return k == seg[3] })
		w.WriteHeader(202)
	case "GET /apikeys":
		items := []fakeKey{}
		for _, k := range f.keys {
			if strings.HasPrefix(k.Name, q.Get("name")) {
				c := *k
				if q.Get("includeValues") != "true" {
					c.Value = ""
				}
				items = append(items, c)
			}
		}
		writeJSON(w, 200, map[string]any{"item": items})
	case "POST /apikeys":
		var in fakeKey
		remarshal(body, &in)
		if len(in.Value) < 20 {
			apiError(w, 400, "BadRequestException", "API Key value should be at least 20 characters")
			return
		}
		if f.raceKeyCreate {
			f.raceKeyCreate = false
			other := in
			other.ID = f.id()
			f.keys[other.ID] = &other
		}
		for _, k := range f.keys {
			if k.Value == in.Value {
				apiError(w, 409, "ConflictException", "API Key value already exists")
				return
			}
		}
		in.ID = f.id()
		f.keys[in.ID] = &in
		writeJSON(w, 201, &in)
	case "DELETE /apikeys/{id}":
		if f.keys[seg[1]] == nil {
			apiError(w, 404, "NotFoundException", "Invalid API Key identifier specified")
			return
		}
		delete(f.keys, seg[1])
		for _, p := range f.plans {
			p.keys = slices.DeleteFunc(p.keys, func(k string) bool { return k == seg[1] })
		}
		w.WriteHeader(202)
	default:
		apiError(w, 404, "NotFoundException", "no such route in the fake: "+route)
	}
}

// sharesStage: keyID is in another plan with a stage of p.
func (f *fakeGateway) sharesStage(p *fakePlan, keyID string) bool {
	for _, o := range f.plans {
		if o != p && slices.Contains(o.keys, keyID) {
			for _, s := range o.APIStages {
				if slices.Contains(p.APIStages, s) {
					return true
				}
			}
		}
	}
	return false
}

func (f *fakeGateway) sortedPlans() []*fakePlan {
	out := make([]*fakePlan, 0, len(f.plans))
	for _, p := range f.plans {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *fakePlan) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func remarshal(in any, out any) {
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, out)
}

// plansOfValue: the names of the plans the API key of value is in.
func (f *fakeGateway) plansOfValue(value string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for _, p := range f.sortedPlans() {
		for _, k := range p.keys {
			if f.keys[k] != nil && f.keys[k].Value == value {
				names = append(names, p.Name)
			}
		}
	}
	return names
}

func (f *fakeGateway) counts() (writes int, calls map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := map[string]int{}
	for k, v := range f.calls {
		c[k] = v
	}
	return f.writes, c
}
