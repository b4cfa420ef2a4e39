package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// --- oAuthPolicies (served by the applications family: the policy is a
// view of the application)

func (a *API) getOAuthPolicy(w http.ResponseWriter, r req) error {
	app, err := a.Svc.GetOAuthPolicy(r.Context(), r.c, param(r.Request, "applicationId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.oauthPolicy(app))
}

func (a *API) updateOAuthPolicy(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, OAuthPolicyBody{})
	var in domain.OAuthPolicyInput
	s, err := f.str("accessTokenTtl")
	if err != nil {
		return err
	}
	if s != nil {
		d, err := ParseISODuration(*s)
		if err != nil {
			return domain.E(domain.KindInvalid, domain.CodeInvalidValue, "accessTokenTtl", "accessTokenTtl must be an ISO 8601 duration such as PT1H.")
		}
		in.AccessTokenTTL = &d
	}
	if s, err = f.str("refreshTokenTtl"); err != nil {
		return err
	}
	if s != nil {
		d, err := ParseISODuration(*s)
		if err != nil {
			return domain.E(domain.KindInvalid, domain.CodeInvalidValue, "refreshTokenTtl", "refreshTokenTtl must be an ISO 8601 duration such as P60D.")
		}
		in.RefreshTokenTTL = &d
	}
	// SDKs send the whole resource back on save.
	if err := f.rest("accessTokenTtl", "refreshTokenTtl", "idTokenTtl", "tokenEndpoint", "revocationEndpoint"); err != nil {
		return err
	}
	app, err := a.Svc.SetOAuthPolicy(r.Context(), r.c, param(r.Request, "applicationId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.oauthPolicy(app))
}

// ParseISODuration parses the ISO 8601 durations Stormpath used for token
// lifetimes: P[nW][nD][T[nH][nM][nS]], whole numbers, at least one
// component. Years and months are refused (their length varies), as are
// fractions and signs.
func ParseISODuration(s string) (time.Duration, error) {
	errBad := domain.E(domain.KindInvalid, domain.CodeInvalidValue, "", "not an ISO 8601 duration")
	if len(s) < 3 || len(s) > 40 || (s[0] != 'P' && s[0] != 'p') {
		return 0, errBad
	}
	rest := strings.ToUpper(s[1:])
	date, clock, hasT := strings.Cut(rest, "T")
	if hasT && clock == "" {
		return 0, errBad
	}
	var total time.Duration
	n := 0
	parse := func(part string, units map[byte]time.Duration, order string) bool {
		last := -1
		for part != "" {
			i := 0
			for i < len(part) && part[i] >= '0' && part[i] <= '9' {
				i++
			}
			if i == 0 || i == len(part) || i > 9 {
				return false
			}
			unit := part[i]
			pos := strings.IndexByte(order, unit)
			if pos <= last {
				return false // unknown, repeated or out of order
			}
			last = pos
			v, err := strconv.Atoi(part[:i])
			if err != nil {
				return false
			}
			// Nine digits of weeks overflow a Duration: refuse rather
			// than wrap into a value that might pass a range check.
			if d := time.Duration(v) * units[unit]; int64(v) > math.MaxInt64/int64(units[unit]) || total > math.MaxInt64-d {
				return false
			} else {
				total += d
			}
			n++
			part = part[i+1:]
		}
		return true
	}
	if !parse(date, map[byte]time.Duration{'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}, "WD") ||
		!parse(clock, map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}, "HMS") || n == 0 {
		return 0, errBad
	}
	return total, nil
}

// FormatISODuration renders a duration as P…DT…H…M…S (whole seconds),
// days when there are any, as Stormpath wrote them: PT1H, PT1H30M, P1D,
// P60D, P1DT2H; zero is PT0S.
func FormatISODuration(d time.Duration) string {
	secs := int64(d / time.Second)
	if secs <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("P")
	if days := secs / 86400; days > 0 {
		b.WriteString(strconv.FormatInt(days, 10))
		b.WriteByte('D')
		secs -= days * 86400
	}
	if secs > 0 {
		b.WriteByte('T')
	}
	for _, u := range []struct {
		n int64
		c byte
	}{{3600, 'H'}, {60, 'M'}, {1, 'S'}} {
		if v := secs / u.n; v > 0 {
			b.WriteString(strconv.FormatInt(v, 10))
			b.WriteByte(u.c)
			secs -= v * u.n
		}
	}
	return b.String()
}

// scopes reads a key's scope restriction: absent leaves it, null lifts
// it, a list of strings sets it (the domain checks the names).
func (f *fields) scopes(name string) (*domain.ScopeLimit, error) {
	raw, ok, err := f.read(name)
	if err != nil || !ok {
		return nil, err
	}
	if string(raw) == "null" {
		return &domain.ScopeLimit{}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		return nil, domain.E(domain.KindInvalid, domain.CodeWrongType, name, "%s must be null or an array of strings.", name)
	}
	return &domain.ScopeLimit{Restricted: true, Scopes: list}, nil
}
