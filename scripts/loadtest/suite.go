package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SuiteRow is one line of a suite run.
type SuiteRow struct {
	Name   string
	Result Result
	// Ratio is this row's requests per second over the baseline's, from
	// the same run on the same machine, which is what makes it comparable.
	Ratio float64
}

// runSuite creates what it needs through the management API (an account,
// a key, a token), then loads four targets one after the other with the
// same n and c, and prints them with their ratio to the baseline.
func runSuite(ctx context.Context, base, admin string, n, c int, w io.Writer) error {
	base = strings.TrimRight(base, "/")
	id, secret, app, err := adminCredentials(ctx, base, admin)
	if err != nil {
		return err
	}
	setup := &http.Client{Timeout: 30 * time.Second}
	// A fresh username, so a suite can run again against the same server.
	username := "load-" + strings.ToLower(rand.Text()[:10])
	var acc struct {
		Href    string `json:"href"`
		APIKeys struct {
			Href string `json:"href"`
		} `json:"apiKeys"`
	}
	body := fmt.Sprintf(`{"username":%q,"email":%q,"password":"Changeme1","givenName":"Load","surname":"Test"}`, username, username+"@example.com")
	if err := call(ctx, setup, "POST", app+"/accounts", id, secret, "application/json", body, 201, &acc); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	var key struct{ ID, Secret string }
	if err := call(ctx, setup, "POST", acc.APIKeys.Href, id, secret, "", "", 201, &key); err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := call(ctx, setup, "POST", base+"/oauth/token", key.ID, key.Secret, "application/x-www-form-urlencoded", "grant_type=client_credentials", 200, &tok); err != nil {
		return fmt.Errorf("token: %w", err)
	}
	protected := base + "/troopers/" + username + "/equipment"
	targets := []struct {
		name string
		t    Target
	}{
		{"no-auth baseline (GET /.well-known/jwks.json)", Target{URL: base + "/.well-known/jwks.json", Method: "GET"}},
		{"token issue (POST /oauth/token, Basic)", Target{URL: base + "/oauth/token", Method: "POST", User: key.ID + ":" + key.Secret, Form: "grant_type=client_credentials"}},
		{"protected API, Basic", Target{URL: protected, Method: "GET", User: key.ID + ":" + key.Secret}},
		{"protected API, Bearer", Target{URL: protected, Method: "GET", Authorization: "Bearer " + tok.AccessToken}},
	}
	var rows []SuiteRow
	for _, tg := range targets {
		res, err := Load(ctx, tg.t, n, c)
		if err != nil {
			return err
		}
		if res.Statuses["200"] != res.Requests {
			return fmt.Errorf("%s: statuses %v, errors %d: not all 200", tg.name, res.Statuses, res.Errors)
		}
		rows = append(rows, SuiteRow{Name: tg.name, Result: res})
	}
	for i := range rows {
		rows[i].Ratio = rows[i].Result.PerSecond / rows[0].Result.PerSecond
	}
	fmt.Fprintf(w, "%d requests each over %d connections, one target after the other, against %s\n\n", n, c, base)
	fmt.Fprintf(w, "| target | req/s | ratio to baseline | p50 ms | p99 ms |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %.2f |\n", r.Name, r.Result.PerSecond, r.Ratio, r.Result.P50ms, r.Result.P99ms)
	}
	return nil
}

// adminCredentials takes the first-start JSON line ({"application", "apiKeyId",
// "apiKeySecret"}) or id:secret, in which case the first application of
// the tenant is used.
func adminCredentials(ctx context.Context, base, admin string) (id, secret, app string, err error) {
	var line struct {
		Application  string `json:"application"`
		APIKeyID     string `json:"apiKeyId"`
		APIKeySecret string `json:"apiKeySecret"`
	}
	if json.Unmarshal([]byte(admin), &line) == nil && line.APIKeyID != "" {
		return line.APIKeyID, line.APIKeySecret, line.Application, nil
	}
	id, secret, ok := strings.Cut(admin, ":")
	if !ok || id == "" || secret == "" {
		return "", "", "", errors.New("-suite needs -admin: the server's JSON line, or id:secret")
	}
	var apps struct {
		Items []struct {
			Href string `json:"href"`
			Name string `json:"name"`
		} `json:"items"`
	}
	cl := &http.Client{Timeout: 30 * time.Second}
	if err := call(ctx, cl, "GET", base+"/v1/applications", id, secret, "", "", 200, &apps); err != nil {
		return "", "", "", fmt.Errorf("list applications: %w", err)
	}
	for _, a := range apps.Items {
		if a.Name != "Keystorm Administrators" {
			return id, secret, a.Href, nil
		}
	}
	return "", "", "", errors.New("the tenant has no developer application")
}

func call(ctx context.Context, cl *http.Client, method, url, id, secret, ctype, body string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.SetBasicAuth(id, secret)
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, out)
}
