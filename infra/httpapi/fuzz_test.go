package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// FuzzRequestBodies feeds arbitrary bytes to every body parser. A parser
// must never panic, must reject with a client error of the API's kinds,
// and must only accept a single JSON object whose writable properties it
// read faithfully.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{
		`{"givenName":"Joe","surname":"Stormtrooper","username":"tk421","email":"tk421@stormpath.com","password":"Changeme1"}`,
		"{\n  \"givenName\": \"Joe\",\n  \"surname\": \"Stormtrooper\"\n  \"username\": \"tk421\"\n}",
		`{"customData":{"rank":"corporal","n":1e400}}`,
		`{"href":"x","status":"DISABLED","account":{"href":"y","email":"e"}}`,
		`{"name":null}`, `[]`, `{}{}`, `"str"`, `{"a":1`, "\xff", ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(name string, err error) {
			if err == nil {
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalid {
				t.Fatalf("%s: %v is not a client error", name, err)
			}
		}
		in, err := accountInput(body)
		check("account", err)
		if err == nil && in.Email != nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(body, &m) != nil {
				t.Fatalf("accepted a body that is not an object: %q", body)
			}
			var email string
			if json.Unmarshal(m["email"], &email) != nil || email != *in.Email {
				t.Fatalf("email read as %q from %q", *in.Email, body)
			}
		}
		_, err = applicationInput(body)
		check("application", err)
		_, err = groupInput(body)
		check("group", err)
		_, err = apiKeyInput(req{body: body})
		check("apiKey", err)
		// An accepted body is exactly one JSON object.
		if _, err := object(body); err == nil && body != nil {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber() // 1e400 is valid JSON, just not a float64
			if dec.Decode(&m) != nil || dec.More() {
				t.Fatalf("accepted a body that is not one JSON object: %q", body)
			}
		}
	})
}
