package template

import (
	"fmt"
	"sort"
	"strings"
)

type segmentKind int

// The order is the matching priority: a higher kind wins.
const (
	greedy  segmentKind = iota // {name+}: the rest of the path, one segment or more
	param                      // {name}: exactly one non-empty segment
	literal                    // text that must be equal
)

type segment struct {
	kind segmentKind
	text string // literal text, or parameter name
}

func (s segment) raw() string {
	switch s.kind {
	case param:
		return "{" + s.text + "}"
	case greedy:
		return "{" + s.text + "+}"
	}
	return s.text
}

// parsePattern splits a path template such as "/v1/accounts/{accountId}"
// into segments. "/" is the root (no segments).
func parsePattern(p string) ([]segment, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("path %q does not start with /", p)
	}
	if p == "/" {
		return nil, nil
	}
	parts := strings.Split(p[1:], "/")
	segs := make([]segment, 0, len(parts))
	names := map[string]bool{}
	for i, part := range parts {
		switch {
		case part == "":
			return nil, fmt.Errorf("path %q has an empty segment", p)
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
			name := part[1 : len(part)-1]
			kind := param
			if strings.HasSuffix(name, "+") {
				kind = greedy
				name = strings.TrimSuffix(name, "+")
				if i != len(parts)-1 {
					return nil, fmt.Errorf("path %q: greedy %s must be the last segment", p, part)
				}
			}
			if !validParamName(name) {
				return nil, fmt.Errorf("path %q: bad parameter name in %s", p, part)
			}
			if names[name] {
				return nil, fmt.Errorf("path %q: parameter %s appears twice", p, name)
			}
			names[name] = true
			segs = append(segs, segment{kind: kind, text: name})
		case strings.ContainsAny(part, "{}"):
			return nil, fmt.Errorf("path %q: segment %q mixes text and a parameter", p, part)
		default:
			segs = append(segs, segment{kind: literal, text: part})
		}
	}
	return segs, nil
}

func validParamName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// splitPath splits a request path; ok is false when it does not start
// with "/".
func splitPath(p string) ([]string, bool) {
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	if p == "/" {
		return nil, true
	}
	return strings.Split(p[1:], "/"), true
}

// matchSegments matches request segments against a pattern and returns the
// path parameters; ok is false when the pattern does not match.
func matchSegments(pat []segment, segs []string) (params map[string]string, ok bool) {
	if len(pat) == 0 {
		return nil, len(segs) == 0
	}
	if pat[len(pat)-1].kind != greedy && len(pat) != len(segs) {
		return nil, false
	}
	for i, s := range pat {
		if i >= len(segs) {
			return nil, false
		}
		switch s.kind {
		case literal:
			if segs[i] != s.text {
				return nil, false
			}
		case param:
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = segs[i]
		case greedy:
			rest := strings.Join(segs[i:], "/")
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = rest
		}
	}
	return params, true
}

// morePrecise reports whether pattern a should win over pattern b for the
// same request path: the first position where their kinds differ decides,
// literal over {param} over {param+}.
func morePrecise(a, b []segment) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].kind != b[i].kind {
			return a[i].kind > b[i].kind
		}
	}
	return len(a) > len(b)
}

// resource finds the path template that the request path resolves to
// (among all routes, whatever their method) and the routes declared on it.
func resource(routes []Route, reqPath string) (best []Route, params map[string]string) {
	segs, ok := splitPath(reqPath)
	if !ok {
		return nil, nil
	}
	var bestPat []segment
	var bestKey string
	for _, r := range routes {
		pat, err := parsePattern(r.Path)
		if err != nil {
			continue
		}
		ps, ok := matchSegments(pat, segs)
		if !ok {
			continue
		}
		key := r.API + " " + r.Path
		switch {
		case best == nil || morePrecise(pat, bestPat):
			best, bestPat, bestKey, params = []Route{r}, pat, key, ps
		case key == bestKey:
			best = append(best, r)
		}
	}
	return best, params
}

// Match finds the route that serves method on the concrete request path
// (without query string), as API Gateway would: the path template is chosen
// first, literal segments winning over {param} and {param} over {param+},
// then the method on it, an exact method winning over ANY. It returns the
// route and the path parameters by name (nil when the template has none).
// ok is false when nothing matches; Allowed then tells a 404 from a 405.
//
// Pass the routes of one API (see ForAPI) unless their paths cannot
// collide; on equal templates the first API in routes wins.
func Match(routes []Route, method, reqPath string) (route Route, pathParams map[string]string, ok bool) {
	best, params := resource(routes, reqPath)
	method = strings.ToUpper(method)
	var anyRoute *Route
	for i := range best {
		switch best[i].Method {
		case method:
			return best[i], params, true
		case "ANY":
			if anyRoute == nil {
				anyRoute = &best[i]
			}
		}
	}
	if anyRoute != nil {
		return *anyRoute, params, true
	}
	return Route{}, nil, false
}

// Allowed returns the methods declared on the path template that the
// concrete request path resolves to, sorted; nil when no template matches.
// When Match fails but Allowed is not empty, the path exists for other
// methods: answer 405 with these in the Allow header.
func Allowed(routes []Route, reqPath string) []string {
	best, _ := resource(routes, reqPath)
	if len(best) == 0 {
		return nil
	}
	methods := make([]string, 0, len(best))
	for _, r := range best {
		methods = append(methods, r.Method)
	}
	sort.Strings(methods)
	return methods
}

// ForAPI returns the routes that belong to the API with the given logical
// id, in order.
func ForAPI(routes []Route, api string) []Route {
	var out []Route
	for _, r := range routes {
		if r.API == api {
			out = append(out, r)
		}
	}
	return out
}

// ResourceARNPattern turns a path template into the resource part of an
// execute-api ARN as Keystorm's authorizer scopes its policies: every
// parameter segment becomes "*" ("/v1/accounts/{accountId}" gives
// "/v1/accounts/*").
func ResourceARNPattern(pathTemplate string) (string, error) {
	pat, err := parsePattern(pathTemplate)
	if err != nil {
		return "", err
	}
	if len(pat) == 0 {
		return "/", nil
	}
	var b strings.Builder
	for _, s := range pat {
		b.WriteString("/")
		if s.kind == literal {
			b.WriteString(s.text)
		} else {
			b.WriteString("*")
		}
	}
	return b.String(), nil
}
