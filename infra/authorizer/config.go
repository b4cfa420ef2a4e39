package authorizer

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// DefaultCacheTTL is how long key and account states are reused when
// AUTH_CACHE_TTL is not set.
const DefaultCacheTTL = 5 * time.Second

// maxCacheTTL matches API Gateway's own ceiling for authorizer caching.
const maxCacheTTL = time.Hour

// Config is the authorizer's configuration.
type Config struct {
	// CacheTTL bounds how long a disabled or deleted key or account may
	// still authenticate from this Lambda's memory. 0 disables the cache.
	CacheTTL time.Duration
	// BaseURL, when set, prefixes account hrefs instead of the URL derived
	// from the request (see RequestBaseURL).
	BaseURL string
	// HTTPAPIResponse is how HTTP API (payload 2.0) events are answered:
	// HTTPAPISimple ("" means the same) or HTTPAPIIAM. The event does not
	// say which the authorizer is configured for, so the deployment must.
	HTTPAPIResponse string
	// Verifier checks Bearer access tokens offline. When nil, Bearer
	// credentials are refused (401) and only Basic works.
	Verifier domain.TokenVerifier
	// TokenJWKSFile, TokenIssuer and TokenAudience describe where the
	// function finds the public keys and what iss and aud tokens must
	// carry; ConfigFromEnv reads them, and the function's main turns them
	// into Verifier. New ignores them.
	TokenJWKSFile string
	TokenIssuer   string
	TokenAudience string
}

// HTTP API response formats (Config.HTTPAPIResponse).
const (
	HTTPAPISimple = "simple"
	HTTPAPIIAM    = "iam"
)

// ConfigFromEnv reads AUTH_CACHE_TTL (whole seconds, 0-3600, default 5),
// KEYSTORM_BASE_URL (optional absolute http(s) URL),
// AUTHORIZER_HTTP_API_RESPONSE ("simple", the default, or "iam"), and
// TOKEN_JWKS_FILE, TOKEN_ISSUER and TOKEN_AUDIENCE (all three or none:
// a verifier that checks no issuer or audience is not offered). A bad
// value is an error rather than a silent default: the function then fails
// at init, visibly, instead of running with a revocation bound or a token
// check nobody chose.
func ConfigFromEnv() (Config, error) {
	c := Config{CacheTTL: DefaultCacheTTL}
	if v, ok := os.LookupEnv("AUTH_CACHE_TTL"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || time.Duration(n)*time.Second > maxCacheTTL {
			return Config{}, fmt.Errorf("AUTH_CACHE_TTL=%q: want whole seconds from 0 to %d", v, int(maxCacheTTL/time.Second))
		}
		c.CacheTTL = time.Duration(n) * time.Second
	}
	if v := os.Getenv("KEYSTORM_BASE_URL"); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return Config{}, fmt.Errorf("KEYSTORM_BASE_URL=%q: want an absolute http(s) URL without query or fragment", v)
		}
		c.BaseURL = strings.TrimRight(v, "/")
	}
	switch v := os.Getenv("AUTHORIZER_HTTP_API_RESPONSE"); v {
	case "":
	case HTTPAPISimple, HTTPAPIIAM:
		c.HTTPAPIResponse = v
	default:
		return Config{}, fmt.Errorf("AUTHORIZER_HTTP_API_RESPONSE=%q: want %q or %q", v, HTTPAPISimple, HTTPAPIIAM)
	}
	c.TokenJWKSFile, c.TokenIssuer, c.TokenAudience = os.Getenv("TOKEN_JWKS_FILE"), os.Getenv("TOKEN_ISSUER"), os.Getenv("TOKEN_AUDIENCE")
	if some, all := c.TokenJWKSFile != "" || c.TokenIssuer != "" || c.TokenAudience != "",
		c.TokenJWKSFile != "" && c.TokenIssuer != "" && c.TokenAudience != ""; some && !all {
		return Config{}, fmt.Errorf("TOKEN_JWKS_FILE, TOKEN_ISSUER and TOKEN_AUDIENCE: set all three or none")
	}
	return c, nil
}
