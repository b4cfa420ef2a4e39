package backend_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/backend"
	"github.com/keystorm/keystorm/infra/stack"
)

// A provider's own API, served with plain net/http outside API Gateway,
// accepts its developers' API keys (HTTP Basic) and access tokens
// (Bearer). Here Keystorm runs in process, as `go run ./infra/local`
// would serve it; in production ManagementURL is your deployment's.
func ExampleMiddleware() {
	// An example fixes the time. A program's main calls
	// backend.NewProduction instead, which defaults Clock to the wall
	// clock.
	clock := domain.ClockFunc(func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) })

	// Keystorm, with a cheap password hash: only keys and tokens matter here.
	keystorm := httptest.NewUnstartedServer(nil)
	ks, err := stack.Start(context.Background(), stack.Options{Clock: clock, AuthCacheTTL: 5 * time.Second,
		PublicURL: "http://" + keystorm.Listener.Addr().String(),
		Hasher:    domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ks.Close()
	keystorm.Config.Handler = ks.Gateway
	keystorm.Start()
	defer keystorm.Close()
	admin := ks.Boot.AdminKey.ID + ":" + ks.Boot.AdminSecret
	app := ks.Boot.Application.ID

	// One Backend per process: it holds the JWKS and the answer cache.
	b, err := backend.New(backend.Config{
		ManagementURL:  keystorm.URL, // https://… in production, without /v1
		AdminKeyID:     ks.Boot.AdminKey.ID,
		AdminKeySecret: ks.Boot.AdminSecret,
		ApplicationID:  app,                 // the application this API serves
		Issuer:         stack.TokenIssuer,   // TOKEN_ISSUER of the deployment
		AudiencePrefix: stack.TokenAudience, // TOKEN_AUDIENCE of the deployment
		Clock:          clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	equipment := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := backend.FromContext(r.Context())
		fmt.Fprintf(w, "equipment of %s, for a %s caller", r.PathValue("id"), id.AuthType)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /troopers/{id}/equipment", b.Middleware(equipment))
	mux.Handle("GET /troopers/{id}/weapons", b.RequireScope("view_weapons")(equipment))
	api := httptest.NewServer(mux)
	defer api.Close()

	// A developer's key, as the management API issues it, and a token
	// swapped for it at /oauth/token.
	account := post(keystorm.URL+"/v1/applications/"+app+"/accounts", admin, "application/json",
		`{"username":"tk421","email":"tk421@galacticempire.co","password":"Changeme1","givenName":"Joe","surname":"Stormtrooper"}`)
	key := post(account["href"].(string)+"/apiKeys", admin, "application/json", "")
	basic := key["id"].(string) + ":" + key["secret"].(string)
	token := post(keystorm.URL+"/oauth/token", basic, "application/x-www-form-urlencoded", "grant_type=client_credentials")["access_token"].(string)

	get(api.URL+"/troopers/tk421/equipment", "")
	get(api.URL+"/troopers/tk421/equipment", "Basic "+base64.StdEncoding.EncodeToString([]byte(basic)))
	get(api.URL+"/troopers/tk421/equipment", "Bearer "+token)
	get(api.URL+"/troopers/tk421/weapons", "Bearer "+token)
	get(api.URL+"/troopers/tk421/equipment", "Bearer "+tamper(token))
	// Output:
	// 401 401 Basic realm="keystorm" / Bearer realm="keystorm"
	// 200 equipment of tk421, for a basic caller
	// 200 equipment of tk421, for a bearer caller
	// 403 8200 Bearer realm="keystorm", error="insufficient_scope", scope="view_weapons"
	// 401 401 Basic realm="keystorm" / Bearer realm="keystorm", error="invalid_token"
}

// get calls the API and prints the answer: the body when it passed, else
// the error code and the challenges that tell the caller what to do.
func get(u, authorization string) {
	req, _ := http.NewRequest("GET", u, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		fmt.Println(res.StatusCode, string(body))
		return
	}
	var e struct{ Code int }
	_ = json.Unmarshal(body, &e)
	fmt.Println(res.StatusCode, e.Code, strings.Join(res.Header.Values("WWW-Authenticate"), " / "))
}

// post sends body with the Basic credentials user (id:secret) and returns
// the JSON answer.
func post(u, user, ctype, body string) map[string]any {
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	id, secret, _ := strings.Cut(user, ":")
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode >= 300 {
		panic(fmt.Sprint(u, res.Status, err))
	}
	return m
}

// tamper changes one character of the token's signature.
func tamper(token string) string {
	i, c := len(token)-10, "A"
	if token[i] == 'A' {
		c = "B"
	}
	return token[:i] + c + token[i+1:]
}
