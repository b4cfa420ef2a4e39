package backend

import (
	"bytes"
	"container/list"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/tokens"
)

// Defaults of a Config.
const (
	// DefaultBasicCacheTTL caps how long a valid answer of the
	// authenticate endpoint is reused: Keystorm's default AuthCacheTtl,
	// so a disabled key stops working here as soon as at the authorizer.
	DefaultBasicCacheTTL = 5 * time.Second
	// DefaultMaxCacheEntries bounds the cache: an entry is a digest and
	// an identity, a few hundred bytes.
	DefaultMaxCacheEntries = 10_000
	// DefaultTimeout bounds a call to the endpoint or the JWKS with the
	// default HTTP client: a caller waits at most this long for a 503.
	DefaultTimeout = 5 * time.Second
	// DefaultRealm is the realm of the WWW-Authenticate challenges, the
	// one Keystorm's own answers name.
	DefaultRealm = "keystorm"
)

// maxAnswer bounds what is read of an endpoint answer (a few hundred
// bytes when all is well).
const maxAnswer = 64 << 10

// Config configures a Backend.
type Config struct {
	// ManagementURL is the base of Keystorm's management API, without
	// /v1: https://api.example.com, the ManagementApiUrl stack output
	// without its /v1, or http://127.0.0.1:3000 locally. The endpoint is
	// POST {ManagementURL}/v1/applications/{ApplicationID}/authenticate.
	ManagementURL string
	// AdminKeyID and AdminKeySecret are an admin key of the application's
	// tenant: the endpoint is a management call.
	AdminKeyID     string
	AdminKeySecret string
	// ApplicationID is the application this backend serves (its
	// binding): only keys and tokens of this application pass.
	ApplicationID string
	// Issuer and AudiencePrefix are the deployment's TOKEN_ISSUER and
	// TOKEN_AUDIENCE (stack.TokenIssuer and stack.TokenAudience locally):
	// a token's iss must equal Issuer, and its aud must be
	// domain.ApplicationAudience(AudiencePrefix, ApplicationID).
	Issuer         string
	AudiencePrefix string
	// JWKSURL is where the token signing keys are published; by default
	// ManagementURL + "/.well-known/jwks.json" (the JwksUrl stack output).
	JWKSURL string
	// HTTPClient calls the endpoint and fetches the JWKS. The default
	// times out after DefaultTimeout and follows no redirect, so the
	// admin key goes to ManagementURL and nowhere else.
	HTTPClient *http.Client
	// AllowInsecureHTTP permits http:// URLs on hosts other than
	// loopback. Off, ManagementURL and JWKSURL must be https (or
	// loopback): the admin key travels to the one, and whoever can
	// change the other's answer can forge tokens.
	AllowInsecureHTTP bool
	// Clock judges every expiry. New requires it; NewProduction defaults
	// it to the wall clock.
	Clock domain.Clock
	// BasicCacheTTL caps how long a valid answer of the endpoint is
	// reused: 0 means DefaultBasicCacheTTL, negative disables the cache.
	// The endpoint's own cacheTtlSeconds caps it further.
	BasicCacheTTL time.Duration
	// MaxCacheEntries bounds the cache (0 means DefaultMaxCacheEntries):
	// when it is full, the oldest entry goes.
	MaxCacheEntries int
	// ClientIP gives the caller's address, passed to the endpoint as
	// clientIp so that a caller that keeps failing is throttled without
	// slowing down the others. The default is the host of r.RemoteAddr:
	// behind a proxy or load balancer, read the address it sets instead,
	// and only from a proxy you trust (any client can send
	// X-Forwarded-For). A value that is not an IP address is not sent.
	ClientIP func(*http.Request) string
	// RequiredScope, optional, lists the scopes (space-delimited) that
	// Middleware requires; RequireScope adds more per route.
	RequiredScope string
	// CheckBearerOnline sends Bearer tokens through the endpoint too,
	// after the offline check, so that a revoked token or a disabled
	// key, account or application stops passing within the cache TTL
	// rather than at the token's expiry (see the package documentation).
	CheckBearerOnline bool
	// Realm names the protection space in WWW-Authenticate challenges
	// (default DefaultRealm).
	Realm string
	// Logger receives the causes of 503 answers (default slog.Default()).
	Logger *slog.Logger
}

// Identity is who a request was authenticated as: the very type the
// authorizer passes to backends behind API Gateway, so a handler reads
// the same fields behind either. Filled in:
//
//   - for Bearer, everything the token says: AccountHref (its sub),
//     AccountID, APIKeyID (client_id), TenantID, ApplicationID, Admin and
//     Scope; Username is empty (tokens do not carry it);
//   - for Basic, what the endpoint answers: AccountHref, AccountID (from
//     the href), APIKeyID, ApplicationID (the binding); Scope is empty
//     (keys carry no scopes), and TenantID, Admin and Username are left
//     empty, since the answer does not hold them.
type Identity = authctx.Identity

type ctxKey struct{}

// FromContext returns the identity the middleware put in a request's
// context, and whether there is one.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// Middleware wraps a handler: Backend.RequireScope returns one for a
// route that needs scopes, and Backend.Middleware is one for routes that
// need only Config.RequiredScope.
type Middleware func(http.Handler) http.Handler

// Backend authenticates requests for one application. It holds the JWKS
// and the answer cache, shared by every middleware it makes, so build one
// per process and wrap every route with it. It is safe for concurrent use.
type Backend struct {
	cfg      Config
	endpoint string
	client   *http.Client
	verifier *tokens.Verifier
	required []string
	cache    *answerCache
	log      *slog.Logger
}

// NewProduction is New for a program's main: a nil Config.Clock becomes
// domain.SystemClock, the wall clock. Tests use New with their own clock.
func NewProduction(cfg Config) (*Backend, error) {
	if cfg.Clock == nil {
		cfg.Clock = domain.SystemClock
	}
	return New(cfg)
}

// New checks the configuration and returns a Backend. Nothing is fetched
// yet: the JWKS is read with the first token, so a Backend can be built
// before Keystorm is reachable.
func New(cfg Config) (*Backend, error) {
	switch {
	case cfg.Clock == nil:
		return nil, errors.New("backend: Config.Clock is required (NewProduction defaults it to the wall clock)")
	case cfg.ManagementURL == "", cfg.AdminKeyID == "", cfg.AdminKeySecret == "", cfg.ApplicationID == "":
		return nil, errors.New("backend: ManagementURL, AdminKeyID, AdminKeySecret and ApplicationID are required")
	case cfg.Issuer == "", cfg.AudiencePrefix == "":
		return nil, errors.New("backend: Issuer and AudiencePrefix are required (the deployment's TOKEN_ISSUER and TOKEN_AUDIENCE)")
	case cfg.MaxCacheEntries < 0:
		return nil, errors.New("backend: MaxCacheEntries must not be negative")
	}
	base := strings.TrimRight(cfg.ManagementURL, "/")
	u, err := checkURL("ManagementURL", base, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	// The ManagementApiUrl stack output ends in /v1; pasted as is, every
	// call would go to /v1/v1/… and answer 404, i.e. 503 for everyone.
	if strings.HasSuffix(u.Path, "/v1") {
		return nil, errors.New("backend: ManagementURL is the base without /v1")
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = base + "/.well-known/jwks.json"
	}
	if _, err := checkURL("JWKSURL", cfg.JWKSURL, cfg.AllowInsecureHTTP); err != nil {
		return nil, err
	}
	required, err := parseScope(cfg.RequiredScope)
	if err != nil {
		return nil, err
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if !validRealm(cfg.Realm) {
		return nil, errors.New("backend: Realm must be printable ASCII without quotes or backslashes")
	}
	switch {
	case cfg.BasicCacheTTL == 0:
		cfg.BasicCacheTTL = DefaultBasicCacheTTL
	case cfg.BasicCacheTTL < 0:
		cfg.BasicCacheTTL = 0
	}
	if cfg.MaxCacheEntries == 0 {
		cfg.MaxCacheEntries = DefaultMaxCacheEntries
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteHost
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	keys := tokens.NewJWKSSource(tokens.FetchURL(client, cfg.JWKSURL), cfg.Clock)
	return &Backend{
		cfg:      cfg,
		endpoint: base + "/v1/applications/" + url.PathEscape(cfg.ApplicationID) + "/authenticate",
		client:   client,
		verifier: tokens.NewVerifier(keys, cfg.Issuer, cfg.AudiencePrefix, cfg.Clock),
		required: required,
		cache:    newAnswerCache(cfg.MaxCacheEntries),
		log:      log,
	}, nil
}

// Middleware lets through requests with a valid key or token of the
// application that carry Config.RequiredScope, with their Identity in the
// request context (FromContext); it answers every other request itself,
// with 401, 403 or 503.
func (b *Backend) Middleware(next http.Handler) http.Handler {
	return b.wrap(b.required, next)
}

// RequireScope returns a Middleware like Backend.Middleware that also
// requires scope (space-delimited scope tokens). It panics on a scope
// that is not valid OAuth syntax, as regexp.MustCompile does: routes are
// wired once, at start.
func (b *Backend) RequireScope(scope string) Middleware {
	more, err := parseScope(scope)
	if err != nil {
		panic(err)
	}
	need := slices.Clone(b.required)
	for _, s := range more {
		if !slices.Contains(need, s) {
			need = append(need, s)
		}
	}
	return func(next http.Handler) http.Handler { return b.wrap(need, next) }
}

func (b *Backend) wrap(need []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := b.authenticate(r, need)
		if res.fail != passed {
			b.refuse(w, r, res, need)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, res.id)))
	})
}

// outcome is a decision of the middleware.
type outcome int

const (
	passed          outcome = iota
	unauthenticated         // 401
	forbidden               // 403: a scope is missing
	unavailable             // 503: no decision could be made
)

type result struct {
	fail outcome
	id   Identity
	// bearer is set when the caller sent a token: its challenges then
	// carry an RFC 6750 error.
	bearer bool
	// err is the cause of an unavailable result, for the log only.
	err error
}

func (b *Backend) authenticate(r *http.Request, need []string) result {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		// None, or several: which one would the handler have meant?
		return result{fail: unauthenticated}
	}
	h := values[0]
	bearer := len(h) > len("Bearer ") && strings.EqualFold(h[:len("Bearer ")], "Bearer ")
	// The authorizer's own parser, so nothing is refused here that the
	// endpoint would accept, and junk costs no call.
	creds, err := authorizer.ParseAuthorization(h)
	if err != nil {
		return result{fail: unauthenticated, bearer: bearer}
	}
	if creds.Scheme == authorizer.SchemeBearer {
		return b.bearer(r, h, creds.Token, need)
	}
	// A secret that could be no key's (a kss_ secret failing its checksum,
	// or another breaking the import rule; the endpoint refuses
	// it unread too): refused here, without a call.
	if !domain.CandidateSecret(creds.Secret) {
		return result{fail: unauthenticated}
	}
	res := b.online(r, h, need)
	if res.fail == passed {
		// Keys carry no scope: a route that needs one refuses them (the
		// endpoint says so too; this covers answers cached for a route
		// that needed none).
		if !hasScopes(res.id.Scope, need) {
			return result{fail: forbidden}
		}
		res.id.APIKeyID = creds.ID
	}
	return res
}

// bearer verifies a token offline, then, with CheckBearerOnline, asks the
// endpoint whether it is still live.
func (b *Backend) bearer(r *http.Request, h, token string, need []string) result {
	tok, err := b.verifier.Verify(r.Context(), token)
	switch {
	case errors.Is(err, domain.ErrInvalidToken):
		return result{fail: unauthenticated, bearer: true}
	case err != nil:
		// The JWKS could not be read: an outage, not a bad token.
		return result{fail: unavailable, bearer: true, err: err}
	}
	// aud is already bound to the token's own application_id; this binds
	// that application to ours, so a token of another application of the
	// same deployment never passes.
	if tok.ApplicationID != b.cfg.ApplicationID {
		return result{fail: unauthenticated, bearer: true}
	}
	id := Identity{
		AccountHref: tok.Subject, AccountID: tok.AccountID, APIKeyID: tok.ClientID,
		TenantID: tok.TenantID, ApplicationID: tok.ApplicationID,
		AuthType: authctx.AuthBearer, Admin: tok.Admin, Scope: tok.Scope(),
	}
	if !hasScopes(id.Scope, need) {
		return result{fail: forbidden, bearer: true}
	}
	if b.cfg.CheckBearerOnline {
		if res := b.online(r, h, need); res.fail != passed {
			res.bearer = true
			return res
		}
	}
	return result{id: id}
}

// online asks the endpoint, or reuses a valid answer it gave for the same
// header within the cache TTL. Only valid answers are cached: an invalid
// one is not cached at all, because (1) every wrong guess is a new header,
// so a negative cache would fill up with an attacker's junk and evict the
// callers that are valid, (2) each failure must reach the endpoint's
// throttle with its clientIp, which is what slows a guesser down, and (3)
// a key enabled again should work as soon as Keystorm says so, not one
// more TTL later. Headers that cannot be valid never get here (see
// authenticate), which bounds what a failure costs.
func (b *Backend) online(r *http.Request, h string, need []string) result {
	// The key is the digest of the whole header: the secret never sits in
	// memory beyond the request, and a different secret for the same key
	// id is a different entry.
	key := sha256.Sum256([]byte(h))
	if id, ok := b.cache.get(key, b.cfg.Clock.Now()); ok {
		return result{id: id}
	}
	ip := b.cfg.ClientIP(r)
	if net.ParseIP(ip) == nil {
		ip = "" // the endpoint refuses the whole call for a bad clientIp
	}
	ans, err := b.call(r.Context(), httpapi.AuthenticateRequest{Authorization: h, Scope: strings.Join(need, " "), ClientIP: ip})
	if err != nil {
		return result{fail: unavailable, err: err}
	}
	if !ans.Valid {
		if ans.Reason == httpapi.ReasonInsufficientScope {
			return result{fail: forbidden}
		}
		return result{fail: unauthenticated}
	}
	id := Identity{
		AccountHref:   ans.Account.Href,
		AccountID:     lastSegment(ans.Account.Href, "/v1/accounts/"),
		APIKeyID:      lastSegment(ans.APIKey.Href, "/v1/apiKeys/"),
		ApplicationID: b.cfg.ApplicationID,
		AuthType:      ans.AuthType,
	}
	if ans.Scope != nil {
		id.Scope = *ans.Scope
	}
	// Never longer than the endpoint allows: its TTL is the authorizer's,
	// the bound on how long a disabled key may keep working.
	if ttl := min(b.cfg.BasicCacheTTL, time.Duration(*ans.CacheTTLSeconds)*time.Second); ttl > 0 {
		b.cache.put(key, id, b.cfg.Clock.Now().Add(ttl))
	}
	return result{id: id}
}

// call posts one request to the endpoint. Anything but a 200 with a
// well-formed decision is an error: the backend cannot decide, and says
// 503 rather than guessing.
func (b *Backend) call(ctx context.Context, in httpapi.AuthenticateRequest) (httpapi.AuthenticateResponse, error) {
	var out httpapi.AuthenticateResponse
	body, err := json.Marshal(in)
	if err != nil {
		return out, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.endpoint, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.SetBasicAuth(b.cfg.AdminKeyID, b.cfg.AdminKeySecret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return out, fmt.Errorf("authenticate endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return out, fmt.Errorf("authenticate endpoint: read: %w", err)
	case resp.StatusCode != http.StatusOK:
		// 401/403: the admin key is wrong or not an admin's; 404: no such
		// application in its tenant; 5xx: Keystorm failed. All need a
		// person (or a retry), none is the caller's fault.
		return out, fmt.Errorf("authenticate endpoint: status %d", resp.StatusCode)
	case len(raw) > maxAnswer:
		return out, errors.New("authenticate endpoint: answer too large")
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("authenticate endpoint: %w", err)
	}
	if out.Valid && (out.Account == nil || out.APIKey == nil || out.CacheTTLSeconds == nil) {
		return out, errors.New("authenticate endpoint: valid answer without account, apiKey or cacheTtlSeconds")
	}
	return out, nil
}

// refuse answers a request that did not pass, in Keystorm's error format.
func (b *Backend) refuse(w http.ResponseWriter, r *http.Request, res result, need []string) {
	rid := requestID()
	realm := `realm="` + b.cfg.Realm + `"`
	var body httpapi.ErrorBody
	switch res.fail {
	case unauthenticated:
		// Both schemes are offered; a caller that sent a token learns it
		// was the token (RFC 6750 §3.1), one that sent nothing gets no
		// error code.
		w.Header().Add("WWW-Authenticate", "Basic "+realm)
		if res.bearer {
			w.Header().Add("WWW-Authenticate", "Bearer "+realm+`, error="invalid_token"`)
		} else {
			w.Header().Add("WWW-Authenticate", "Bearer "+realm)
		}
		body = httpapi.ErrorBody{Status: http.StatusUnauthorized, Code: domain.CodeUnauthenticated,
			Message:          "Authentication required.",
			DeveloperMessage: "Send an API key as HTTP Basic (id:secret), or an access token as Bearer."}
	case forbidden:
		if res.bearer {
			w.Header().Add("WWW-Authenticate", "Bearer "+realm+`, error="insufficient_scope", scope="`+strings.Join(need, " ")+`"`)
		}
		body = httpapi.ErrorBody{Status: http.StatusForbidden, Code: domain.CodeForbidden,
			Message:          "The credentials lack a scope this call needs.",
			DeveloperMessage: "This call needs an access token with the scope: " + strings.Join(need, " ") + "."}
	default:
		w.Header().Set("Retry-After", "1")
		body = httpapi.ErrorBody{Status: http.StatusServiceUnavailable, Code: domain.CodeStoreUnavailable,
			Message:          "Authentication is unavailable right now. Please retry.",
			DeveloperMessage: "Authentication is unavailable right now. Please retry; if it persists, contact the provider with the requestId."}
		// The cause goes to the log only, with the request's method and
		// path (not its query, nor any header).
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelDebug // the caller went away first
		}
		b.log.LogAttrs(r.Context(), level, "backend: cannot authenticate", slog.String("requestId", rid),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Bool("bearer", res.bearer), slog.String("err", res.err.Error()))
	}
	body.MoreInfo = httpapi.MoreInfoBase + strconv.Itoa(body.Code)
	body.RequestID = rid
	raw, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(body.Status)
	_, _ = w.Write(raw)
}

func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// answerCache keeps valid answers by the digest of the header value,
// bounded: when full, the entry inserted first goes. An entry is only
// inserted for valid credentials, so an attacker cannot flush it without
// keys of the application.
type answerCache struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]*list.Element
	order   *list.List // of *cached, oldest first
}

type cached struct {
	key     [sha256.Size]byte
	id      Identity
	expires time.Time
}

func newAnswerCache(max int) *answerCache {
	return &answerCache{max: max, entries: make(map[[sha256.Size]byte]*list.Element), order: list.New()}
}

func (c *answerCache) get(key [sha256.Size]byte, now time.Time) (Identity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return Identity{}, false
	}
	e := el.Value.(*cached)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return Identity{}, false
	}
	return e.id, true
}

func (c *answerCache) put(key [sha256.Size]byte, id Identity, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value = &cached{key: key, id: id, expires: expires}
		c.order.MoveToBack(el)
		return
	}
	for c.order.Len() >= c.max {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cached).key)
	}
	c.entries[key] = c.order.PushBack(&cached{key: key, id: id, expires: expires})
}

func parseScope(s string) ([]string, error) {
	out, err := domain.ParseScope(s)
	if err != nil {
		return nil, fmt.Errorf("backend: scope %q: %w", s, err)
	}
	return out, nil
}

func hasScopes(granted string, need []string) bool {
	have := strings.Fields(granted)
	for _, s := range need {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// remoteHost is the default ClientIP: the address the connection came
// from. Headers are not read, since any client can set them.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// lastSegment returns what follows prefix in an href, "" when the href
// does not have that shape.
func lastSegment(href, prefix string) string {
	i := strings.LastIndex(href, prefix)
	if i < 0 {
		return ""
	}
	rest := href[i+len(prefix):]
	if rest == "" || strings.ContainsAny(rest, "/?#") {
		return ""
	}
	return rest
}

func checkURL(name, raw string, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("backend: %s must be an absolute http(s) URL without user, query or fragment", name)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (insecure || loopback(u.Hostname())):
	case u.Scheme == "http":
		return nil, fmt.Errorf("backend: %s must use https (http only on loopback, or with AllowInsecureHTTP)", name)
	default:
		return nil, fmt.Errorf("backend: %s must be an http(s) URL", name)
	}
	return u, nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validRealm(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
