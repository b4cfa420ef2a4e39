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
	// Applications are the applications every API is bound to unless its
	// stage variable keystormApplications says otherwise (see Binding):
	// KEYSTORM_APPLICATIONS, ids separated by commas, or "*".
	Applications []string
	// Verifier checks Bearer access tokens offline. When nil, Bearer
	// credentials are refused (401) and only Basic works.
	Verifier domain.TokenVerifier
	// TokenJWKSSource, TokenJWKSFile, TokenIssuer and TokenAudience
	// describe where the function finds the public keys (JWKSFromFile:
	// the file TokenJWKSFile; JWKSFromDynamoDB: the document the rotation
	// function publishes in the views table) and what iss and aud tokens
	// must carry; ConfigFromEnv reads them, and the function's main turns
	// them into Verifier. New ignores them.
	TokenJWKSSource string
	TokenJWKSFile   string
	TokenIssuer     string
	TokenAudience   string
	// Usage, when set, counts every verification of an existing key
	// (domain.UsageSink; infra/usage.Recorder aggregates in memory and
	// writes each key at most once a minute).
	Usage domain.UsageSink
}

// Where the authorizer function reads the public token keys
// (Config.TokenJWKSSource, $TOKEN_JWKS_SOURCE).
const (
	// JWKSFromFile reads $TOKEN_JWKS_FILE (local runs and tests).
	JWKSFromFile = "file"
	// JWKSFromDynamoDB reads the JWKS published in the views table
	// (infra/dynamo Store.GetJWKS), as deployed on AWS: no private key,
	// and no reference to the API's URL (which would be a cycle).
	JWKSFromDynamoDB = "dynamodb"
)

// HTTP API response formats (Config.HTTPAPIResponse).
const (
	HTTPAPISimple = "simple"
	HTTPAPIIAM    = "iam"
)

// ConfigFromEnv reads AUTH_CACHE_TTL (whole seconds, 0-3600, default 5),
// KEYSTORM_BASE_URL (optional absolute http(s) URL),
// AUTHORIZER_HTTP_API_RESPONSE ("simple", the default, or "iam"), and
// the Bearer token settings: TOKEN_ISSUER and TOKEN_AUDIENCE (both or
// neither: a verifier that checks no issuer or audience is not offered),
// TOKEN_JWKS_SOURCE ("file" or "dynamodb") and TOKEN_JWKS_FILE. The
// source defaults to "file" when TOKEN_JWKS_FILE is set and to "dynamodb"
// otherwise; "file" needs TOKEN_JWKS_FILE and "dynamodb" refuses it; a
// source or file without issuer and audience is an error. A bad
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
	c.Applications = ParseApplications(os.Getenv("KEYSTORM_APPLICATIONS"))
	switch v := os.Getenv("AUTHORIZER_HTTP_API_RESPONSE"); v {
	case "":
	case HTTPAPISimple, HTTPAPIIAM:
		c.HTTPAPIResponse = v
	default:
		return Config{}, fmt.Errorf("AUTHORIZER_HTTP_API_RESPONSE=%q: want %q or %q", v, HTTPAPISimple, HTTPAPIIAM)
	}
	if err := c.tokenSettings(os.Getenv("TOKEN_JWKS_SOURCE"), os.Getenv("TOKEN_JWKS_FILE"), os.Getenv("TOKEN_ISSUER"), os.Getenv("TOKEN_AUDIENCE")); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) tokenSettings(source, file, issuer, audience string) error {
	if source == "" && file == "" && issuer == "" && audience == "" {
		return nil // Basic only
	}
	if issuer == "" || audience == "" {
		return fmt.Errorf("TOKEN_ISSUER and TOKEN_AUDIENCE: set both to verify Bearer tokens (or neither, and no TOKEN_JWKS_SOURCE or TOKEN_JWKS_FILE, for Basic only)")
	}
	if source == "" {
		source = JWKSFromDynamoDB
		if file != "" {
			source = JWKSFromFile
		}
	}
	switch source {
	case JWKSFromFile:
		if file == "" {
			return fmt.Errorf("TOKEN_JWKS_SOURCE=%s needs TOKEN_JWKS_FILE", source)
		}
	case JWKSFromDynamoDB:
		if file != "" {
			return fmt.Errorf("TOKEN_JWKS_SOURCE=%s, but TOKEN_JWKS_FILE is set too", source)
		}
	default:
		return fmt.Errorf("TOKEN_JWKS_SOURCE=%q: want %q or %q", source, JWKSFromFile, JWKSFromDynamoDB)
	}
	c.TokenJWKSSource, c.TokenJWKSFile, c.TokenIssuer, c.TokenAudience = source, file, issuer, audience
	return nil
}
