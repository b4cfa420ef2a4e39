package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/keystorm/keystorm/infra/sample"
)

// setting is one variable a function reads that invoke fills in from the
// seeded world when nobody gave it.
type setting struct {
	name string
	// unless names the variables that configure the same thing another
	// way: when one is given, name is left alone (a TOKEN_KEYS_SECRET of
	// one's own means no TOKEN_KEYS_DIR, which the function would refuse
	// next to it).
	unless []string
}

// function is what invoke knows about one folder of ./functions.
type function struct {
	settings []setting
	// authorizer: the function is a Lambda authorizer, whose error
	// "Unauthorized" is its answer (API Gateway turns it into a 401),
	// not a failure.
	authorizer bool
}

var (
	storeSettings = settingsOf(sample.StoreVars...)
	tokenClaims   = settingsOf("TOKEN_ISSUER", "TOKEN_AUDIENCE")
	keysDir       = setting{name: "TOKEN_KEYS_DIR", unless: []string{"TOKEN_KEYS_SECRET"}}
	jwksSource    = setting{name: "TOKEN_JWKS_SOURCE", unless: []string{"TOKEN_JWKS_FILE"}}
	binding       = setting{name: "KEYSTORM_APPLICATIONS"}
	// The console's application: the seeded one.
	consoleApp = setting{name: "CONSOLE_APPLICATION_ID"}
	// The projector's API Gateway (infra/apigw), unless the shared
	// endpoint is given.
	apiGatewayEndpoint = setting{name: "AWS_ENDPOINT_URL_API_GATEWAY", unless: []string{"AWS_ENDPOINT_URL"}}
)

// refusedEndpoint is a loopback address where nothing listens: calls
// fail at once, locally.
const refusedEndpoint = "http://127.0.0.1:1"

// functions lists every function under ./functions and what its main
// reads without a usable default (see each function's doc.go). A test
// keeps it complete.
var functions = map[string]function{
	"tenants":      {settings: storeSettings},
	"applications": {settings: storeSettings},
	"accounts":     {settings: storeSettings},
	"groups":       {settings: storeSettings},
	"apikeys":      {settings: storeSettings},
	"authorizer":   {settings: join(storeSettings, tokenClaims, []setting{jwksSource, binding}), authorizer: true},
	"oauth":        {settings: join(storeSettings, tokenClaims, []setting{keysDir})},
	"rotate":       {settings: join(storeSettings, []setting{keysDir})},
	"sweep":        {settings: storeSettings},
	"projector":    {settings: join(storeSettings, []setting{apiGatewayEndpoint})},
	"console":      {settings: join(storeSettings, tokenClaims, []setting{keysDir, consoleApp})},
	"example":      {}, // reads only the authorizer context of its event
}

func settingsOf(names ...string) []setting {
	out := make([]setting, len(names))
	for i, n := range names {
		out[i] = setting{name: n}
	}
	return out
}

func join(lists ...[]setting) []setting {
	var out []setting
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// given is the environment the user chose: this shell's (with
// -inherit-env), then each -env, later entries winning.
type given map[string]string

func givenEnv(inherit bool, env []string) given {
	g := given{}
	if inherit {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				g[k] = v
			}
		}
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		g[k] = v
	}
	return g
}

// has reports a variable given: explicitly by -env, even empty, or
// non-empty in the inherited shell.
func (g given) has(name string, explicit []string) bool {
	for _, kv := range explicit {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return g[name] != ""
}

// wanted returns the settings of fn that nobody gave, neither themselves
// nor an alternative.
func wanted(fn function, g given, explicit []string) []setting {
	var out []setting
next:
	for _, s := range fn.settings {
		if g.has(s.name, explicit) {
			continue
		}
		for _, alt := range s.unless {
			if g.has(alt, explicit) {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// defaults returns, in the function's order, the K=V entries invoke adds
// for the settings nobody gave, with values from vars.
func defaults(fn function, g given, explicit []string, vars map[string]string) ([]string, error) {
	var out []string
	for _, s := range wanted(fn, g, explicit) {
		v, ok := vars[s.name]
		if !ok {
			return nil, fmt.Errorf("no default for %s", s.name)
		}
		out = append(out, s.name+"="+v)
	}
	return out, nil
}

// missing names the settings of fn nobody gave, for a run without seeding.
func missing(fn function, g given, explicit []string) []string {
	var out []string
	for _, s := range wanted(fn, g, explicit) {
		name := s.name
		if len(s.unless) > 0 {
			name += " (or " + strings.Join(s.unless, ", ") + ")"
		}
		out = append(out, name)
	}
	return out
}

// printDefaults tells what invoke chose, so nothing about the run is
// hidden.
func printDefaults(w io.Writer, name string, env []string) {
	if len(env) == 0 {
		fmt.Fprintf(w, "invoke: %s needs no environment of its own; nothing defaulted\n", name)
		return
	}
	for _, kv := range env {
		fmt.Fprintf(w, "invoke: defaulted %s\n", kv)
	}
}
