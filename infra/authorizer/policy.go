package authorizer

import (
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// ErrBadMethodArn means the event's methodArn, method and resource do not
// describe one API Gateway route; no policy can be scoped from them.
var ErrBadMethodArn = errors.New("authorizer: methodArn does not match the request's method and resource")

// methodArn is arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}.
type methodArn struct {
	prefix string // arn:...:{apiId}/{stage}/
	region string
	apiID  string
	stage  string
	method string
	path   string // without its leading "/"; "" for the root
}

func parseMethodArn(s string) (methodArn, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "execute-api" || parts[3] == "" || parts[4] == "" {
		return methodArn{}, ErrBadMethodArn
	}
	segs := strings.SplitN(parts[5], "/", 4)
	if len(segs) != 4 || segs[0] == "" || segs[1] == "" || segs[2] == "" {
		return methodArn{}, ErrBadMethodArn
	}
	return methodArn{
		prefix: strings.Join(parts[:5], ":") + ":" + segs[0] + "/" + segs[1] + "/",
		region: parts[3], apiID: segs[0], stage: segs[1], method: segs[2], path: segs[3],
	}, nil
}

// RouteResource is the Resource of an Allow policy: the route template the
// decision was made for, as an execute-api ARN. It keeps methodArn's
// "arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/" prefix and
// appends the method and the resource template with every path parameter
// ("{id}", "{proxy+}") replaced by "*":
//
//	methodArn  arn:aws:execute-api:us-east-1:1234:abc/prod/GET/troopers/tk421/equipment
//	resource   /troopers/{id}/equipment
//	result     arn:aws:execute-api:us-east-1:1234:abc/prod/GET/troopers/*/equipment
//
// The root resource "/" gives ".../prod/GET/". It checks that the concrete
// path in methodArn matches the template and that the methods agree, so the
// Allow always covers the request being decided; otherwise it returns
// ErrBadMethodArn.
func RouteResource(methodArnValue, httpMethod, resource string) (string, error) {
	a, err := parseMethodArn(methodArnValue)
	if err != nil {
		return "", err
	}
	if httpMethod != a.method || !validMethod(httpMethod) || !strings.HasPrefix(resource, "/") || strings.Contains(resource, "*") {
		return "", ErrBadMethodArn
	}
	tmpl := splitPath(resource[1:])
	if !matchTemplate(tmpl, splitPath(a.path)) {
		return "", ErrBadMethodArn
	}
	var b strings.Builder
	b.Grow(len(a.prefix) + len(httpMethod) + len(resource))
	b.WriteString(a.prefix)
	b.WriteString(httpMethod)
	for _, seg := range tmpl {
		b.WriteByte('/')
		if isParam(seg) {
			b.WriteByte('*')
		} else {
			b.WriteString(seg)
		}
	}
	if len(tmpl) == 0 {
		b.WriteByte('/')
	}
	return b.String(), nil
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < 'A' || m[i] > 'Z' {
			return false
		}
	}
	return true
}

func splitPath(p string) []string {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// matchTemplate reports whether a concrete path matches a route template.
// A greedy parameter ("{proxy+}") must be last and takes one or more
// segments.
func matchTemplate(tmpl, path []string) bool {
	for i, t := range tmpl {
		if isParam(t) && strings.HasSuffix(t, "+}") {
			return i == len(tmpl)-1 && len(path) > i
		}
		if i >= len(path) || (isParam(t) && path[i] == "") || (!isParam(t) && t != path[i]) {
			return false
		}
	}
	return len(path) == len(tmpl)
}

func policy(effect, resource string) events.APIGatewayCustomAuthorizerPolicy {
	return events.APIGatewayCustomAuthorizerPolicy{
		Version: "2012-10-17",
		Statement: []events.IAMPolicyStatement{{
			Action:   []string{"execute-api:Invoke"},
			Effect:   effect,
			Resource: []string{resource},
		}},
	}
}
