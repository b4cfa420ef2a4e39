package httpapi

import (
	_ "embed" // the committed OpenAPI document
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/keystorm/keystorm/domain"
)

// The OpenAPI 3.1 document of the whole API is generated from code: the
// operation table (openapi_ops.go), the render types of render.go, the
// request body types of bodies.go, domain.FilterAttrs and the expand
// table. The generated file is committed (openapi.json) and served as it
// is at GET /openapi.json; tests check that it equals what OpenAPI()
// makes now, that every route of every router has exactly one
// operation, and, against a live stack, that responses and parsers
// agree with it.

//go:generate go run ../../scripts/openapi

// OpenAPIFile is the committed document's path from the repository root;
// `go run ./scripts/openapi` (or `go generate ./infra/httpapi`) rewrites
// it.
const OpenAPIFile = "infra/httpapi/openapi.json"

// OpenAPIDocument is the committed document, as served.
//
//go:embed openapi.json
var OpenAPIDocument []byte

// openapiMaxAge is how long clients and caches may keep the document: it
// changes only with a deployment.
const openapiMaxAge = 300

// serveOpenAPI serves the committed document, publicly.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", openapiMaxAge))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(OpenAPIDocument)
}

// OpenAPI generates the document: indented JSON, keys sorted, so the
// committed file diffs well and the same code always writes the same
// bytes.
func OpenAPI() ([]byte, error) {
	doc, err := openAPIDoc()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// obj is a JSON object of the document.
type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// generator collects component schemas while operations are described.
type generator struct {
	schemas obj
}

func openAPIDoc() (obj, error) {
	g := &generator{schemas: obj{}}
	tags := map[string]string{} // route → family
	api := &API{}
	for _, fam := range append(slices.Clone(Families), OAuthFamily) {
		for _, r := range api.Handler(fam).Routes() {
			tags[documentedRoute(r)] = fam
		}
	}
	paths := obj{}
	seen := map[string]bool{}
	for _, op := range operations {
		if seen[op.Route] {
			return nil, fmt.Errorf("openapi: %s is described twice", op.Route)
		}
		seen[op.Route] = true
		method, path, ok := strings.Cut(op.Route, " ")
		if !ok {
			return nil, fmt.Errorf("openapi: route %q is not \"METHOD /path\"", op.Route)
		}
		item, _ := paths[path].(obj)
		if item == nil {
			item = obj{}
			paths[path] = item
		}
		o, err := g.operation(op, path, tags[op.Route])
		if err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", op.Route, err)
		}
		item[strings.ToLower(method)] = o
	}
	g.schemas["Link"] = obj{"type": "object", "required": []string{"href"},
		"properties":  obj{"href": obj{"type": "string", "format": "uri"}},
		"description": "A link to another resource. With expand, the linked resource (or a page of the linked collection) stands in its place; it has an href too."}
	g.schemas["CustomData"] = obj{"type": "object", "required": []string{"href", "createdAt", "modifiedAt"},
		"properties":           obj{"href": obj{"type": "string"}, "createdAt": obj{"type": "string"}, "modifiedAt": obj{"type": "string"}},
		"additionalProperties": true,
		"description":          "A resource's customData: its own href and times, and any fields the client stored (at most 64 KiB)."}
	g.schemas["CustomDataInput"] = obj{"type": "object", "additionalProperties": true,
		"description": "customData fields to merge into the resource's customData; href, createdAt and modifiedAt are ignored. A bare link ({\"href\": …}) changes nothing."}
	if _, err := g.schema(reflect.TypeFor[Collection]()); err != nil {
		return nil, err
	}
	for _, t := range []reflect.Type{reflect.TypeFor[ErrorBody](), reflect.TypeFor[OAuthErrorBody]()} {
		if _, err := g.schema(t); err != nil {
			return nil, err
		}
	}
	tagList := []obj{}
	for _, fam := range append(slices.Clone(Families), OAuthFamily) {
		tagList = append(tagList, obj{"name": fam, "description": familyDocs[fam]})
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "Keystorm",
			"version": "v1",
			"summary": "A self-hosted re-creation of Stormpath's API-key service: the management API, OAuth 2.0 and the authenticate endpoint.",
			"description": "Generated from the code (infra/httpapi: openapi_ops.go, render.go, bodies.go) by `go run ./scripts/openapi`; " +
				"tests keep it equal to the routers, the render types and the parsers. Errors of the management API have one shape (Error), " +
				"those of the OAuth endpoints RFC 6749 §5.2's (OAuthError).",
			"license": obj{"name": "See the repository", "url": "https://github.com/keystorm/keystorm"},
		},
		"servers": []obj{{"url": ".", "description": "The API's base URL: where this document is served from (on AWS, the stage URL; locally, the server's address)."}},
		"tags":    tagList,
		"paths":   paths,
		"components": obj{
			"schemas": g.schemas,
			"securitySchemes": obj{
				"basic": obj{"type": "http", "scheme": "basic",
					"description": "An API key: its id as the user name, its secret as the password. On management routes, an admin key only."},
				"bearer": obj{"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
					"description": "An access token from the token endpoint. On management routes, one issued to an admin key, or a password grant's token on the routes of its own account and keys."},
			},
			"responses": obj{
				"Error": obj{"description": "The management API's error: status, a stable code (see the README's error table), messages and the request id.",
					"content": obj{"application/json": obj{"schema": ref("ErrorBody")}}},
				"OAuthError": obj{"description": "RFC 6749 §5.2's error; invalid_client is a 401 with WWW-Authenticate: Basic.",
					"content": obj{"application/json": obj{"schema": ref("OAuthErrorBody")}}},
			},
		},
	}, nil
}

// documentedRoute is how a router's route appears in the document: ANY
// (the OAuth endpoints, declared so that other methods get OAuth's 405)
// is documented as POST, the one method they serve.
func documentedRoute(r string) string {
	if rest, ok := strings.CutPrefix(r, "ANY "); ok {
		return "POST " + rest
	}
	return r
}

var familyDocs = map[string]string{
	"tenants":      "The caller's tenant and its customData.",
	"applications": "Applications, their OAuth policy and customData.",
	"accounts":     "Accounts of an application and their customData.",
	"groups":       "Groups, group memberships and their customData.",
	"apikeys":      "API keys of accounts.",
	OAuthFamily:    "OAuth 2.0 (RFC 6749 client credentials, password and refresh token grants, RFC 7009, RFC 7662), the JWKS, the authenticate endpoint for backends, and this document.",
}

func (g *generator) operation(op operation, path, tag string) (obj, error) {
	if tag == "" {
		tag = "unrouted"
	}
	o := obj{"summary": op.Summary, "tags": []string{tag}, "operationId": operationID(op.Route)}
	if op.Description != "" {
		o["description"] = op.Description
	}
	switch op.Auth {
	case adminKey, adminOrSelf:
		o["security"] = []obj{{"basic": []string{}}, {"bearer": []string{}}}
		if op.Auth == adminOrSelf {
			d := "An admin key, or a password grant's token of the account itself (any other account's resources answer 404 to it)."
			if op.Description != "" {
				d = op.Description + " " + d
			}
			o["description"] = d
		}
	case clientKey:
		// client_secret_post has no security scheme in OpenAPI: the
		// alternative to Basic is the form's client_id and
		// client_secret, so no scheme at all is also listed.
		o["security"] = []obj{{"basic": []string{}}, {}}
	case public:
		o["security"] = []obj{}
	default:
		return nil, fmt.Errorf("no security")
	}
	var params []obj
	for _, seg := range split(path) {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			params = append(params, obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string"}})
		}
	}
	if (op.Auth == adminKey || op.Auth == adminOrSelf) && strings.HasPrefix(op.Route, "POST ") && !op.Form {
		params = append(params, obj{"name": "Idempotency-Key", "in": "header", "schema": obj{"type": "string", "maxLength": maxIdempotencyKey},
			"description": "Makes a retry safe: the same key with the same request answers as the first time, without doing it again."})
	}
	for _, p := range op.Query {
		q := obj{"name": p.Name, "in": "query", "schema": obj{"type": p.typ()}}
		if p.Doc != "" {
			q["description"] = p.Doc
		}
		if p.Required {
			q["required"] = true
		}
		params = append(params, q)
	}
	if params != nil {
		o["parameters"] = params
	}
	if op.Body != nil {
		s, err := g.schema(reflect.TypeOf(op.Body))
		if err != nil {
			return nil, err
		}
		mt := "application/json"
		if op.Form {
			mt = "application/x-www-form-urlencoded"
		}
		o["requestBody"] = obj{"required": op.BodyRequired, "content": obj{mt: obj{"schema": s}}}
	}
	resp := obj{"description": op.ResponseDoc}
	if op.ResponseDoc == "" {
		resp["description"] = http.StatusText(op.Status)
	}
	if op.Response != nil {
		s, err := g.response(op.Response)
		if err != nil {
			return nil, err
		}
		resp["content"] = obj{"application/json": obj{"schema": s}}
	}
	if op.Status == http.StatusCreated || op.Status == http.StatusFound {
		resp["headers"] = obj{"Location": obj{"schema": obj{"type": "string", "format": "uri"}, "description": "The resource's href."}}
	}
	responses := obj{fmt.Sprint(op.Status): resp}
	errs := "#/components/responses/Error"
	if op.OAuthErrors {
		errs = "#/components/responses/OAuthError"
	}
	if op.Auth != public || op.OAuthErrors {
		responses["4XX"] = obj{"$ref": errs}
	}
	responses["5XX"] = obj{"$ref": errs}
	o["responses"] = responses
	return o, nil
}

// operationID is the route as an identifier: "GET /v1/accounts/{accountId}"
// → "get_v1_accounts_accountId".
func operationID(route string) string {
	method, path, _ := strings.Cut(route, " ")
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range split(path) {
		b.WriteByte('_')
		b.WriteString(strings.Map(func(r rune) rune {
			switch {
			case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
				return r
			case r == '{' || r == '}':
				return -1
			}
			return '_'
		}, seg))
	}
	return b.String()
}

// response describes a response body: a render type, a page of one
// (listOf), or customData.
func (g *generator) response(v any) (obj, error) {
	switch v := v.(type) {
	case listOf:
		item, err := g.schema(reflect.TypeOf(v.item))
		if err != nil {
			return nil, err
		}
		name := reflect.TypeOf(v.item).Name() + "Collection"
		g.schemas[name] = obj{"allOf": []obj{ref("Collection"),
			{"type": "object", "properties": obj{"items": obj{"type": "array", "items": item}}}}}
		return ref(name), nil
	case customDataDoc:
		return ref("CustomData"), nil
	case rawDocument:
		return obj{"type": "object", "description": string(v)}, nil
	}
	return g.schema(reflect.TypeOf(v))
}

// listOf is a collection page of item's type.
type listOf struct{ item any }

// customDataDoc is a customData resource (rendered as a map).
type customDataDoc struct{}

// rawDocument is a JSON object the code does not model, described in
// words.
type rawDocument string

// fieldSchemas describe fields whose Go type says too little.
var fieldSchemas = map[string]obj{
	"APIKey.account": {"anyOf": []obj{ref("Link"), ref("Account")},
		"description": "The key's account: a link, or the account itself with expand=account."},
	"APIKey.secret": {"type": "string",
		"description": "The secret: only when the key is created, or, with encryptSecret=true, encrypted for the calling key (\"\" encrypted on reads)."},
	"APIKey.scopes": {"type": []string{"array", "null"}, "items": obj{"type": "string"},
		"description": "The only scopes the key's tokens may carry; null when unrestricted."},
	"APIKey.imported": {"type": "boolean",
		"description": "true when an admin imported the key with its id and secret (a Stormpath export); absent otherwise. It stays after a reroll."},
	"APIKeyCreateBody.id": {"type": "string", "pattern": "^[0-9A-Z]{25}$",
		"description": "Import only (admin keys): the key's id, 25 digits and upper-case letters, free in every tenant (409/2001 when taken). Given with secret."},
	"APIKeyCreateBody.secret": {"type": "string", "minLength": 22, "maxLength": 128,
		"description": "Import only (admin keys): the key's plaintext secret, stored as its SHA-256 and never shown again. " + domain.ImportedSecretRule + " Otherwise 400/8110."},
	"APIKeyCreateBody.scopes": {"type": []string{"array", "null"}, "items": obj{"type": "string"},
		"description": "A list sets the key's scope limit; null lifts it."},
	"APIKeyBody.scopes": {"type": []string{"array", "null"}, "items": obj{"type": "string"},
		"description": "A list sets the key's scope limit; null lifts it."},
	"Collection.items": {"type": "array", "items": obj{}},
	"Collection.next": {"allOf": []obj{ref("Link")},
		"description": "The following page, while more items follow; it carries the position to seek to (after)."},
	"Account.emailVerificationToken": {"anyOf": []obj{ref("Link"), {"type": "null"}}},
	"LoginResult.account": {"anyOf": []obj{ref("Link"), ref("Account")},
		"description": "The account that logged in: a link, or the account itself with expand=account."},
	"LoginAttemptBody.value": {"type": "string", "writeOnly": true,
		"description": "The standard base64 of usernameOrEmail:password (UTF-8)."},
	"AccountBody.password":           {"type": "string", "writeOnly": true},
	"OAuthPolicy.accessTokenTtl":     {"type": "string", "description": "An ISO 8601 duration such as PT1H."},
	"OAuthPolicyBody.accessTokenTtl": {"type": "string", "description": "An ISO 8601 duration such as PT1H, from PT1M to P1D."},
	"TokenForm.grant_type":           {"type": "string", "enum": []string{"client_credentials"}},
	"AccountCreationPolicy.selfRegistrationStatus": {"type": "string", "enum": []string{"ENABLED", "DISABLED"},
		"description": "ENABLED lets the developer console's sign-up page create accounts; DISABLED (the default) leaves that to admins."},
	"AccountCreationPolicyBody.selfRegistrationStatus": {"type": "string", "enum": []string{"ENABLED", "DISABLED"},
		"description": "ENABLED lets the developer console's sign-up page create accounts; DISABLED (the default) leaves that to admins."},
	"AuthenticateRequest.authorization": {"type": "string",
		"description": "The caller's Authorization header value (Basic or Bearer)."},
}

// schema describes a Go type. Named struct types become components,
// referenced by $ref; a field's json tag names its property, and a field
// without omitempty is required (it is always rendered).
func (g *generator) schema(t reflect.Type) (obj, error) {
	if t == reflect.TypeFor[json.RawMessage]() {
		return obj{}, nil
	}
	if t == reflect.TypeFor[CustomDataInput]() {
		return ref("CustomDataInput"), nil
	}
	switch t.Kind() {
	case reflect.String:
		return obj{"type": "string"}, nil
	case reflect.Bool:
		return obj{"type": "boolean"}, nil
	case reflect.Int, reflect.Int32:
		return obj{"type": "integer"}, nil
	case reflect.Int64:
		return obj{"type": "integer", "format": "int64"}, nil
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.Slice:
		items, err := g.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return obj{"type": "array", "items": items}, nil
	case reflect.Map:
		return obj{"type": "object"}, nil
	case reflect.Interface:
		return obj{}, nil
	case reflect.Struct:
	default:
		return nil, fmt.Errorf("no schema for %s", t)
	}
	name := t.Name()
	if name == "Link" {
		return ref("Link"), nil
	}
	if _, ok := g.schemas[name]; ok {
		return ref(name), nil
	}
	g.schemas[name] = obj{} // placeholder: a type may refer to itself
	props := obj{}
	required := []string{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		pname, opts, _ := strings.Cut(tag, ",")
		if pname == "-" {
			continue
		}
		if pname == "" {
			pname = f.Name
		}
		omit := slices.Contains(strings.Split(opts, ","), "omitempty")
		s, ok := fieldSchemas[name+"."+pname]
		if !ok {
			var err error
			if s, err = g.schema(f.Type); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", name, f.Name, err)
			}
			// A pointer always rendered is null when unset.
			if f.Type.Kind() == reflect.Pointer && !omit {
				s = obj{"anyOf": []obj{s, {"type": "null"}}}
			}
		}
		if pname == "status" && f.Type.Kind() == reflect.String {
			s = obj{"type": "string", "enum": statuses(name)}
		}
		props[pname] = s
		if !omit {
			required = append(required, pname)
		}
	}
	s := obj{"type": "object", "properties": props}
	if d := typeDocs[name]; d != "" {
		s["description"] = d
	}
	if len(required) > 0 {
		s["required"] = required
	}
	g.schemas[name] = s
	return ref(name), nil
}

// statuses are the values the domain allows for the status of a type's
// resource: accounts may also wait for email verification.
func statuses(typeName string) []string {
	if strings.HasPrefix(typeName, "Account") {
		return []string{domain.StatusEnabled, domain.StatusDisabled, domain.StatusUnverified}
	}
	return []string{domain.StatusEnabled, domain.StatusDisabled}
}

// typeDocs describe the component schemas made from Go types.
var typeDocs = map[string]string{
	"NamedBody": "Creates or updates a group. On update every property is optional; read-only properties " +
		"an SDK sends back (href, createdAt, modifiedAt, links) are ignored, and any other property is refused (400/2015).",
	"ApplicationBody": "Creates or updates an application; rateLimit is the default limit of its keys (null lifts it). " +
		"Read-only properties an SDK sends back are ignored, and any other property is refused (400/2015).",
	"RateLimitBody": "A token bucket: bursts of up to requests, refilled at requests per period; an API Gateway usage plan's throttle on AWS.",
	"AccountBody": "Creates or updates an account: on create, email and password are required, and username defaults to the email. " +
		"Read-only properties sent back (href, timestamps, links, fullName, emailVerificationToken) are ignored; any other is refused (400/2015).",
	"APIKeyBody": "Creates (the body may be empty) or updates an API key. The secret, the account and the SDKs' apiKeyMetaData " +
		"sent back are ignored; any other unknown property is refused (400/2015).",
	"APIKeyCreateBody": "Creates an API key (the body may be empty). With id and secret, an admin key imports a key exported from Stormpath: " +
		"the answer holds no secret, and the key shows imported: true. A developer's session sending either gets 400/2015, as for any unknown property. " +
		"The account and the SDKs' apiKeyMetaData sent back are ignored; any other unknown property is refused (400/2015).",
	"MembershipBody": "The account and the group, by their hrefs.",
	"OAuthPolicyBody": "The other properties of the policy an SDK sends back (refreshTokenTtl, idTokenTtl, tokenEndpoint, " +
		"revocationEndpoint, href, timestamps, links) are ignored.",
	"AuthenticateRequest": "What a backend outside API Gateway received from its caller.",
	"AuthenticateResponse": "The decision: 200 whether valid or not. Reason is invalid_credentials or insufficient_scope " +
		"and never tells an unknown key from a wrong secret.",
	"Collection":            "A page of a collection: Stormpath's shape, plus next while more items follow.",
	"ErrorBody":             "The one error shape of the management API; code is stable (see moreInfo).",
	"OAuthErrorBody":        "RFC 6749 §5.2's error.",
	"TokenForm":             "client_id and client_secret are client_secret_post, instead of HTTP Basic, never with it.",
	"RevokeForm":            "token_type_hint is ignored: only access tokens exist.",
	"TokenResponse":         "RFC 6749 §5.1; no refresh token is ever issued.",
	"IntrospectionResponse": "RFC 7662 §2.2; only active is set for an inactive token.",
	"JWKSet":                "RFC 7517 §5: the public keys, by kid.",
}

// queryParam is a query parameter of an operation.
type queryParam struct {
	Name     string
	Doc      string
	Integer  bool
	Required bool
}

func (p queryParam) typ() string {
	if p.Integer {
		return "integer"
	}
	return "string"
}

// listParams are the query parameters of a collection of kind (page in
// request.go reads them).
func listParams(kind string) []queryParam {
	ps := []queryParam{
		{Name: "offset", Integer: true, Doc: "Items to skip (Stormpath's paging; following next is cheaper)."},
		{Name: "limit", Integer: true, Doc: fmt.Sprintf("Items per page, 1 to %d (default 25).", domain.MaxLimit)},
		{Name: "after", Doc: "The position to seek to, as a next link carries it; opaque."},
		{Name: "q", Doc: "Items with a filterable attribute containing this text, case-insensitively."},
	}
	for _, a := range domain.FilterAttrs[kind] {
		ps = append(ps, queryParam{Name: a, Doc: "Items whose " + a + " matches: exact, case-insensitively, or with * at either end."})
	}
	ps = append(ps,
		queryParam{Name: "createdAt", Doc: "A time or a range such as [2015-01-01, 2015-02-01)."},
		queryParam{Name: "modifiedAt", Doc: "A time or a range such as [2015-01-01, 2015-02-01)."},
		queryParam{Name: "orderBy", Doc: "Attribute names, each optionally followed by asc or desc, separated by commas (at most 5)."})
	return append(ps, expandParam(kind)...)
}

// expandParam is the expand parameter of a resource of kind, naming the
// links it can expand (expand.go's table).
func expandParam(kind string) []queryParam {
	var names []string
	for n, coll := range expandable[kind] {
		if coll {
			n += "(offset:N,limit:N)"
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return []queryParam{{Name: "expand", Doc: "Links to expand in place, separated by commas, at most " + fmt.Sprint(maxExpansions) + ": " + strings.Join(names, ", ") + "."}}
}

// encryptionQuery are the query parameters that ask for an API key's
// secret encrypted (crypt.go), as Stormpath's SDKs do.
func encryptionQuery() []queryParam {
	docs := map[string]string{
		"encryptSecret":           "true to get the secret encrypted for the calling key (Stormpath SDKs).",
		"encryptionKeySize":       "128 or 256 (default 256).",
		"encryptionKeyIterations": "PBKDF2 iterations, 1 to 100000 (default 1024).",
		"encryptionKeySalt":       "The PBKDF2 salt, base64.",
	}
	var ps []queryParam
	for _, n := range encryptionParams {
		ps = append(ps, queryParam{Name: n, Doc: docs[n], Integer: n == "encryptionKeySize" || n == "encryptionKeyIterations"})
	}
	return ps
}

// The security of an operation.
type security int

const (
	_ security = iota
	// adminKey: an admin key, by HTTP Basic or as a Bearer token.
	adminKey
	// adminOrSelf: an admin key, or a password grant's token of the
	// account the route is about (self service).
	adminOrSelf
	// clientKey: any API key authenticates itself as the OAuth client,
	// by HTTP Basic or client_secret_post.
	clientKey
	// public: no credentials.
	public
)

// operation is one route's entry in the document.
type operation struct {
	// Route is "METHOD /path" as the router lists it (POST for ANY).
	Route       string
	Summary     string
	Description string
	Auth        security
	Query       []queryParam
	// Body is the request body's type (a value of it), nil for none;
	// Form makes it a form body instead of JSON.
	Body         any
	Form         bool
	BodyRequired bool
	// Status is the success status; Response its body (a render type,
	// listOf, customDataDoc or rawDocument), nil for none.
	Status      int
	Response    any
	ResponseDoc string
	// OAuthErrors: errors are RFC 6749 §5.2's, not the management API's.
	OAuthErrors bool
}
