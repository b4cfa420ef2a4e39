package httpapi

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/keystorm/keystorm/domain"
)

// route is one method and path template such as /v1/accounts/{accountId}.
type route struct {
	method  string
	pattern []string
	handler http.HandlerFunc
}

// Router matches path templates the way API Gateway does: literal
// segments win over parameters. Unknown paths answer 404 and known paths
// with another method 405, both in the API's error format (net/http's
// ServeMux would answer in plain text).
type Router struct {
	routes []route
}

type paramsKey struct{}

// Handle registers a route; method "ANY" matches every method, as in
// API Gateway.
func (rt *Router) Handle(method, pattern string, h http.HandlerFunc) {
	rt.routes = append(rt.routes, route{method: method, pattern: split(pattern), handler: h})
	// More literal segments first, so /tenants/current beats /tenants/{id}.
	sort.SliceStable(rt.routes, func(i, j int) bool { return literals(rt.routes[i].pattern) > literals(rt.routes[j].pattern) })
}

// Routes lists "METHOD /path" of every registered route.
func (rt *Router) Routes() []string {
	out := make([]string, 0, len(rt.routes))
	for _, r := range rt.routes {
		out = append(out, r.method+" /"+strings.Join(r.pattern, "/"))
	}
	sort.Strings(out)
	return out
}

func split(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

func literals(p []string) int {
	n := 0
	for _, s := range p {
		if !strings.HasPrefix(s, "{") {
			n++
		}
	}
	return n
}

func match(pattern, path []string) (map[string]string, bool) {
	if len(pattern) != len(path) {
		return nil, false
	}
	var params map[string]string
	for i, seg := range pattern {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			if path[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[seg[1:len(seg)-1]] = path[i]
			continue
		}
		if seg != path[i] {
			return nil, false
		}
	}
	return params, true
}

// ServeHTTP implements http.Handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := split(r.URL.Path)
	var allowed []string
	for _, rte := range rt.routes {
		params, ok := match(rte.pattern, path)
		if !ok {
			continue
		}
		if rte.method != r.Method && rte.method != "ANY" {
			allowed = append(allowed, rte.method)
			continue
		}
		rte.handler(w, r.WithContext(context.WithValue(r.Context(), paramsKey{}, params)))
		return
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		WriteError(w, r, domain.E(domain.KindMethodNotAllowed, domain.CodeMethodNotAllowed, "", "%s is not allowed here.", r.Method))
		return
	}
	WriteError(w, r, domain.ErrNotFound)
}

// param returns a path parameter of the matched route.
func param(r *http.Request, name string) string {
	m, _ := r.Context().Value(paramsKey{}).(map[string]string)
	return m[name]
}
