package authorizer

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
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
}

// ConfigFromEnv reads AUTH_CACHE_TTL (whole seconds, 0-3600, default 5)
// and KEYSTORM_BASE_URL (optional absolute http(s) URL). A bad value is an
// error rather than a silent default: the function then fails at init,
// visibly, instead of running with a revocation bound nobody chose.
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
	return c, nil
}
