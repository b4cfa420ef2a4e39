package template

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ImplicitAPI is the logical id SAM gives the API it creates for Api events
// that name no RestApiId.
const ImplicitAPI = "ServerlessRestApi"

// NoAuthorizer is the value of an Api event's Auth.Authorizer that makes a
// route public on an API that has a default authorizer.
const NoAuthorizer = "NONE"

// Route is one Api event of a function: an HTTP method on a path template of
// an API.
type Route struct {
	// Function is the function's folder under functions/, e.g. "apikeys".
	Function string
	// LogicalID is the function's logical id, e.g. "ApiKeysFunction".
	LogicalID string
	// Event is the name of the Api event in the function's Events.
	Event string
	// API is the logical id of the API the route belongs to.
	API string
	// Method is the upper-case HTTP method, or "ANY".
	Method string
	// Path is the path template, e.g. "/v1/apiKeys/{apiKeyId}".
	Path string
	// Public is true when no authorizer guards the route: Auth.Authorizer
	// is NONE, or the API has no default authorizer.
	Public bool
	// Authorizer names the API authorizer (a key of API.Authorizers, or
	// "AWS_IAM") that guards the route; empty when Public.
	Authorizer string
}

// String renders the route as "GET /v1/tenants/current".
func (r Route) String() string { return r.Method + " " + r.Path }

// Template is what Keystorm reads from template.yaml.
type Template struct {
	// Parameters by name.
	Parameters map[string]Parameter
	// Outputs are the names of the stack outputs, in document order.
	Outputs []string
	// Functions by logical id (AWS::Serverless::Function resources).
	Functions map[string]Function
	// APIs by logical id (AWS::Serverless::Api resources, plus ImplicitAPI
	// when an Api event names no RestApiId).
	APIs map[string]API
	// Routes in a stable order: by API, then path, then method.
	Routes []Route
}

// Parameter is a template parameter, with the constraints CloudFormation
// checks a value against (so that a value given in samconfig.toml or a
// README command can be checked before a deploy refuses it).
type Parameter struct {
	Type    string
	Default string // empty when none
	// AllowedValues, AllowedPattern, MinValue and MaxValue as written;
	// empty when absent.
	AllowedValues  []string
	AllowedPattern string
	MinValue       string
	MaxValue       string
}

// Check reports whether CloudFormation would accept value for the
// parameter: one of AllowedValues, and for a String a full match of
// AllowedPattern, for a Number a number within MinValue and MaxValue.
// Other parameter types are an error: they are not used, so not checked.
func (p Parameter) Check(value string) error {
	if len(p.AllowedValues) > 0 && !slices.Contains(p.AllowedValues, value) {
		return fmt.Errorf("%q is not one of %q", value, p.AllowedValues)
	}
	switch p.Type {
	case "String":
		if p.AllowedPattern == "" {
			return nil
		}
		// CloudFormation matches the whole value.
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return fmt.Errorf("AllowedPattern %q: %w", p.AllowedPattern, err)
		}
		if !re.MatchString(value) {
			return fmt.Errorf("%q does not match %q", value, p.AllowedPattern)
		}
		return nil
	case "Number":
		n, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("%q is not a number", value)
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		if p.MinValue != "" {
			if lo, err = strconv.ParseFloat(p.MinValue, 64); err != nil {
				return fmt.Errorf("MinValue %q is not a number", p.MinValue)
			}
		}
		if p.MaxValue != "" {
			if hi, err = strconv.ParseFloat(p.MaxValue, 64); err != nil {
				return fmt.Errorf("MaxValue %q is not a number", p.MaxValue)
			}
		}
		if n < lo || n > hi {
			return fmt.Errorf("%s is outside [%s, %s]", value, p.MinValue, p.MaxValue)
		}
		return nil
	default:
		return fmt.Errorf("parameter type %q is not checked", p.Type)
	}
}

// Function is an AWS::Serverless::Function, with Globals applied.
type Function struct {
	LogicalID string
	// CodeURI as written, e.g. "./functions/apikeys/".
	CodeURI string
	// Folder is the function's folder under functions/, e.g. "apikeys".
	Folder string
	// Handler, Runtime and BuildMethod (Metadata.BuildMethod).
	Handler     string
	Runtime     string
	BuildMethod string
	// Env holds the environment variables. Literal values are given as
	// written; intrinsic functions in short form, e.g. "!Ref EventsTable".
	Env map[string]string
}

// EnvNames returns the names of the function's environment variables,
// sorted.
func (f Function) EnvNames() []string {
	names := make([]string, 0, len(f.Env))
	for k := range f.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// API is an AWS::Serverless::Api (or the implicit API).
type API struct {
	LogicalID string
	StageName string
	// Variables are the stage variables.
	Variables map[string]string
	// DefaultAuthorizer is the name of the authorizer routes get unless
	// they say otherwise; empty when none.
	DefaultAuthorizer string
	// Authorizers by name.
	Authorizers map[string]Authorizer
}

// Authorizer is a Lambda authorizer declared on an API.
type Authorizer struct {
	Name string
	// FunctionLogicalID is the authorizer function's logical id, from
	// FunctionArn: !GetAtt <id>.Arn; Function is its folder.
	FunctionLogicalID string
	Function          string
	// PayloadType is TOKEN or REQUEST.
	PayloadType string
	// Identity sources.
	IdentityHeaders []string
	IdentityQuery   []string
	IdentityContext []string
	// ReauthorizeEvery is the API Gateway cache TTL as written: a number of
	// seconds, or an intrinsic such as "!Ref AuthCacheTtl"; empty when
	// unset (API Gateway's default of 300 s then applies).
	ReauthorizeEvery string
}

// Load reads and parses the template at file and returns its routes.
func Load(file string) ([]Route, error) {
	t, err := LoadTemplate(file)
	if err != nil {
		return nil, err
	}
	return t.Routes, nil
}

// Parse parses a template and returns its routes.
func Parse(data []byte) ([]Route, error) {
	t, err := ParseTemplate(data)
	if err != nil {
		return nil, err
	}
	return t.Routes, nil
}

// LoadTemplate reads and parses the template at file.
func LoadTemplate(file string) (*Template, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	t, err := ParseTemplate(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// ParseTemplate parses a SAM template.
func ParseTemplate(data []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	root := deref(&doc)
	if !isMapping(root) {
		return nil, errors.New("template: document is not a mapping")
	}
	p := parser{root: root, globalFn: dig(root, "Globals", "Function"), globalAPI: dig(root, "Globals", "Api")}
	return p.parse()
}

type parser struct {
	root      *yaml.Node
	globalFn  *yaml.Node
	globalAPI *yaml.Node
	errs      []error
}

func (p *parser) errorf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf(format, args...))
}

func (p *parser) parse() (*Template, error) {
	t := &Template{
		Parameters: map[string]Parameter{},
		Functions:  map[string]Function{},
		APIs:       map[string]API{},
	}
	params := lookup(p.root, "Parameters")
	for _, name := range keys(params) {
		v := lookup(params, name)
		typ, _ := scalar(lookup(v, "Type"))
		def, _ := scalar(lookup(v, "Default"))
		pattern, _ := scalar(lookup(v, "AllowedPattern"))
		minV, _ := scalar(lookup(v, "MinValue"))
		maxV, _ := scalar(lookup(v, "MaxValue"))
		t.Parameters[name] = Parameter{Type: typ, Default: def,
			AllowedValues: stringList(lookup(v, "AllowedValues")), AllowedPattern: pattern, MinValue: minV, MaxValue: maxV}
	}
	t.Outputs = keys(lookup(p.root, "Outputs"))

	resources := lookup(p.root, "Resources")
	if !isMapping(resources) {
		return nil, errors.New("template: no Resources mapping")
	}
	ids := keys(resources)
	for _, id := range ids {
		res := lookup(resources, id)
		typ, _ := scalar(lookup(res, "Type"))
		switch typ {
		case "AWS::Serverless::Api":
			t.APIs[id] = p.api(id, lookup(res, "Properties"))
		case "AWS::Serverless::Function":
			if fn, ok := p.function(id, res); ok {
				t.Functions[id] = fn
			}
		}
	}
	// Authorizer functions are known only once every function is read.
	for id, api := range t.APIs {
		for name, a := range api.Authorizers {
			fn, ok := t.Functions[a.FunctionLogicalID]
			if !ok {
				if a.FunctionLogicalID != "" {
					p.errorf("api %s: authorizer %s: function %s is not in the template", id, name, a.FunctionLogicalID)
				}
				continue
			}
			a.Function = fn.Folder
			api.Authorizers[name] = a
		}
	}
	for _, id := range ids {
		fn, ok := t.Functions[id]
		if !ok {
			continue
		}
		t.Routes = append(t.Routes, p.routes(t, fn, dig(resources, id, "Properties", "Events"))...)
	}
	sort.SliceStable(t.Routes, func(i, j int) bool {
		a, b := t.Routes[i], t.Routes[j]
		if a.API != b.API {
			return a.API < b.API
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	p.checkRoutes(t.Routes)
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("template: %w", errors.Join(p.errs...))
	}
	return t, nil
}

// property returns a function property, falling back to Globals.Function.
func (p *parser) property(props *yaml.Node, key string) *yaml.Node {
	if v := lookup(props, key); v != nil {
		return v
	}
	return lookup(p.globalFn, key)
}

func (p *parser) function(id string, res *yaml.Node) (Function, bool) {
	props := lookup(res, "Properties")
	fn := Function{LogicalID: id, Env: map[string]string{}}
	fn.Handler, _ = scalar(p.property(props, "Handler"))
	fn.Runtime, _ = scalar(p.property(props, "Runtime"))
	fn.BuildMethod, _ = scalar(dig(res, "Metadata", "BuildMethod"))
	codeURI, ok := scalar(p.property(props, "CodeUri"))
	if !ok || codeURI == "" {
		p.errorf("function %s: CodeUri is not a plain path", id)
		return fn, false
	}
	fn.CodeURI = codeURI
	folder, err := functionFolder(codeURI)
	if err != nil {
		p.errorf("function %s: %v", id, err)
		return fn, false
	}
	fn.Folder = folder
	for _, vars := range []*yaml.Node{dig(p.globalFn, "Environment", "Variables"), dig(props, "Environment", "Variables")} {
		for _, k := range keys(vars) {
			fn.Env[k] = render(lookup(vars, k))
		}
	}
	return fn, true
}

// functionFolder maps a CodeUri such as "./functions/apikeys/" to
// "apikeys". Only a folder directly under functions/ is accepted.
func functionFolder(codeURI string) (string, error) {
	clean := path.Clean(strings.ReplaceAll(codeURI, "\\", "/"))
	dir, name := path.Split(clean)
	if path.Clean(dir) != "functions" || name == "" || name == "." || name == ".." {
		return "", fmt.Errorf("CodeUri %q is not a folder directly under functions/", codeURI)
	}
	return name, nil
}

func (p *parser) api(id string, props *yaml.Node) API {
	api := API{LogicalID: id, Variables: map[string]string{}, Authorizers: map[string]Authorizer{}}
	stage := lookup(props, "StageName")
	if stage == nil {
		stage = lookup(p.globalAPI, "StageName")
	}
	api.StageName = render(stage)
	if api.StageName == "" && id == ImplicitAPI {
		api.StageName = "Prod" // SAM's default for the implicit API
	}
	vars := lookup(props, "Variables")
	if vars == nil {
		vars = lookup(p.globalAPI, "Variables")
	}
	for _, k := range keys(vars) {
		api.Variables[k] = render(lookup(vars, k))
	}
	auth := lookup(props, "Auth")
	if auth == nil {
		auth = lookup(p.globalAPI, "Auth")
	}
	api.DefaultAuthorizer, _ = scalar(lookup(auth, "DefaultAuthorizer"))
	authorizers := lookup(auth, "Authorizers")
	for _, name := range keys(authorizers) {
		a := lookup(authorizers, name)
		az := Authorizer{Name: name}
		if r, attr, ok := getAttTarget(lookup(a, "FunctionArn")); ok && attr == "Arn" {
			az.FunctionLogicalID = r
		}
		az.PayloadType, _ = scalar(lookup(a, "FunctionPayloadType"))
		if az.PayloadType == "" && az.FunctionLogicalID != "" {
			az.PayloadType = "TOKEN" // SAM's default
		}
		identity := lookup(a, "Identity")
		az.IdentityHeaders = stringList(lookup(identity, "Headers"))
		if h, ok := scalar(lookup(identity, "Header")); ok {
			az.IdentityHeaders = append(az.IdentityHeaders, h)
		}
		az.IdentityQuery = stringList(lookup(identity, "QueryStrings"))
		az.IdentityContext = stringList(lookup(identity, "Context"))
		az.ReauthorizeEvery = render(lookup(identity, "ReauthorizeEvery"))
		api.Authorizers[name] = az
	}
	if api.DefaultAuthorizer != "" && api.DefaultAuthorizer != "AWS_IAM" {
		if _, ok := api.Authorizers[api.DefaultAuthorizer]; !ok {
			p.errorf("api %s: DefaultAuthorizer %s is not declared", id, api.DefaultAuthorizer)
		}
	}
	return api
}

var knownMethods = []string{"ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

func (p *parser) routes(t *Template, fn Function, events *yaml.Node) []Route {
	var out []Route
	for _, name := range keys(events) {
		ev := lookup(events, name)
		typ, _ := scalar(lookup(ev, "Type"))
		if typ != "Api" {
			continue
		}
		where := fmt.Sprintf("function %s: event %s", fn.LogicalID, name)
		props := lookup(ev, "Properties")
		r := Route{Function: fn.Folder, LogicalID: fn.LogicalID, Event: name}

		pathTmpl, ok := scalar(lookup(props, "Path"))
		if !ok {
			p.errorf("%s: Path is missing or not a plain string", where)
			continue
		}
		if _, err := parsePattern(pathTmpl); err != nil {
			p.errorf("%s: %v", where, err)
			continue
		}
		r.Path = pathTmpl

		method, ok := scalar(lookup(props, "Method"))
		method = strings.ToUpper(method)
		if !ok || !slices.Contains(knownMethods, method) {
			p.errorf("%s: Method %q is not one of %v", where, method, knownMethods)
			continue
		}
		r.Method = method

		if rest := lookup(props, "RestApiId"); rest != nil {
			target, ok := refTarget(rest)
			if !ok {
				p.errorf("%s: RestApiId must be !Ref <Api>", where)
				continue
			}
			if _, ok := t.APIs[target]; !ok {
				p.errorf("%s: RestApiId %s is not an AWS::Serverless::Api in the template", where, target)
				continue
			}
			r.API = target
		} else {
			r.API = ImplicitAPI
			if _, ok := t.APIs[ImplicitAPI]; !ok {
				t.APIs[ImplicitAPI] = p.api(ImplicitAPI, nil)
			}
		}
		api := t.APIs[r.API]

		authorizer := api.DefaultAuthorizer
		if a := lookup(props, "Auth"); a != nil {
			if s, ok := scalar(lookup(a, "Authorizer")); ok {
				authorizer = s
			}
		}
		switch {
		case authorizer == "" || authorizer == NoAuthorizer:
			r.Public = true
		case authorizer == "AWS_IAM":
			r.Authorizer = authorizer
		default:
			if _, ok := api.Authorizers[authorizer]; !ok {
				p.errorf("%s: authorizer %s is not declared on API %s", where, authorizer, r.API)
				continue
			}
			r.Authorizer = authorizer
		}
		out = append(out, r)
	}
	return out
}

// checkRoutes rejects what API Gateway would reject or what makes routing
// ambiguous: the same method twice on a path of an API, and two different
// parameter names at the same position under the same parent resource.
func (p *parser) checkRoutes(routes []Route) {
	type key struct{ api, method, path string }
	seen := map[key]Route{}
	paramAt := map[string]string{} // api + parent resource -> param segment
	for _, r := range routes {
		k := key{r.API, r.Method, r.Path}
		if prev, ok := seen[k]; ok {
			p.errorf("%s %s on %s: declared by %s.%s and %s.%s", r.Method, r.Path, r.API, prev.LogicalID, prev.Event, r.LogicalID, r.Event)
			continue
		}
		seen[k] = r
		pat, err := parsePattern(r.Path)
		if err != nil {
			continue // reported already
		}
		parent := r.API + " "
		for _, s := range pat {
			if s.kind != literal {
				raw := s.raw()
				if prev, ok := paramAt[parent]; ok && prev != raw {
					p.errorf("%s: %s conflicts with sibling %s under %q on %s", r, raw, prev, strings.TrimPrefix(parent, r.API+" "), r.API)
				}
				paramAt[parent] = raw
			}
			parent += "/" + s.raw()
		}
	}
}
