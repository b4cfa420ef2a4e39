package httpapi

import (
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
		if props, err := object(body); err == nil && body != nil && len(props) > 0 {
			if _, err := json.Marshal(props); err != nil {
				t.Fatalf("accepted invalid JSON values: %q", body)
			}
		}
	})
}
