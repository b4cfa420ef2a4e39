package stack_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"
)

// TestCollectionQueries: Stormpath's q, attribute filters (exact and with
// * at either end), createdAt ranges and orderBy select and order the
// items, size counts the filtered set, offset and limit page it, and a
// filter on an attribute the collection lacks is refused by name. Both
// stores answer alike.
func TestCollectionQueries(t *testing.T) {
	for name, begin := range map[string]func(testing.TB, time.Duration) *client{
		"sqlite":   startTTL,
		"dynamodb": startDynamo,
	} {
		t.Run(name, func(t *testing.T) {
			c := begin(t, 0)
			people := []struct{ username, given, surname string }{
				{"first2shoot", "Han", "Solo"},
				{"tk421", "Joe", "Stormtrooper"},
				{"tk422", "Jim", "Stormtrooper"},
				{"leia", "Leia", "Organa"},
				{"vader", "Anakin", "Skywalker"},
				{"luke", "Luke", "Skywalker"},
			}
			hrefs := map[string]string{}
			// createdAt keeps the times as rendered (always milliseconds):
			// RFC3339Nano drops trailing zeros, and a time cut to
			// hundredths names a 10 ms period, which can hold the next
			// account too.
			var createdAt []string
			for _, p := range people {
				acc := c.must(201, c.do("POST", c.app+"/accounts", map[string]any{
					"givenName": p.given, "surname": p.surname, "username": p.username,
					"email": p.username + "@galacticempire.co", "password": "Changeme1"}))
				hrefs[acc["href"].(string)] = p.username
				if _, err := time.Parse(time.RFC3339Nano, acc["createdAt"].(string)); err != nil {
					t.Fatal(err)
				}
				createdAt = append(createdAt, acc["createdAt"].(string))
			}
			list := func(query string) (names []string, size int) {
				t.Helper()
				page := c.must(200, c.do("GET", c.app+"/accounts?"+query, nil))
				for _, it := range page["items"].([]any) {
					names = append(names, it.(map[string]any)["username"].(string))
				}
				return names, int(page["size"].(float64))
			}
			for _, tc := range []struct {
				query string
				want  []string
				size  int
			}{
				{"username=first2shoot", []string{"first2shoot"}, 1},
				{"username=FIRST2SHOOT", []string{"first2shoot"}, 1},
				{"email=TK421@galacticempire.co", []string{"tk421"}, 1},
				{"username=nobody", nil, 0},
				{"username=tk42*", []string{"tk421", "tk422"}, 2},
				{"surname=*walker", []string{"vader", "luke"}, 2},
				{"surname=*TROOP*", []string{"tk421", "tk422"}, 2},
				{"q=sky", []string{"vader", "luke"}, 2},
				{"q=GALACTIC&limit=2", []string{"first2shoot", "tk421"}, 6},
				{"q=galactic&offset=4&limit=2", []string{"vader", "luke"}, 6},
				{"surname=Stormtrooper&givenName=jim", []string{"tk422"}, 1},
				{"username=tk421&surname=Solo", nil, 0},
				{"orderBy=" + url.QueryEscape("surname desc,givenName asc") + "&limit=4", []string{"tk422", "tk421", "first2shoot", "vader"}, 6},
				{"orderBy=username&surname=Skywalker", []string{"luke", "vader"}, 2},
				{"createdAt=" + url.QueryEscape(fmt.Sprintf("[%s, %s)", createdAt[1], createdAt[3])), []string{"tk421", "tk422"}, 2},
				{"createdAt=" + url.QueryEscape(fmt.Sprintf("(%s,]", createdAt[4])), []string{"luke"}, 1},
				{"status=enabled", []string{"first2shoot", "tk421", "tk422", "leia", "vader", "luke"}, 6},
			} {
				got, size := list(tc.query)
				if !slices.Equal(got, tc.want) || size != tc.size {
					t.Errorf("%s: %v (size %d), want %v (size %d)", tc.query, got, size, tc.want, tc.size)
				}
			}
			// A filtered page that is not the last links on by offset.
			page := c.must(200, c.do("GET", c.app+"/accounts?q=galactic&limit=4", nil))
			next, err := url.Parse(href(page, "next"))
			if err != nil || next.Query().Get("offset") != "4" || next.Query().Get("q") != "galactic" || next.Query().Has("after") {
				t.Fatalf("next link of a filtered page: %q", href(page, "next"))
			}
			// Filters that do not belong to the collection are refused by
			// name; so are unknown parameters.
			for _, q := range []string{"name=x", "passwordHash=x", "secret=x", "orderBy=passwordHash", "colour=red", "after=x&q=a"} {
				r := c.do("GET", c.app+"/accounts?"+q, nil)
				if r.Status != 400 || r.json(t)["code"].(float64) != 2100 {
					t.Errorf("%s: %d %s", q, r.Status, r.Body)
				}
			}
			// Other collections filter on their own attributes.
			c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "officers"}))
			c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "troopers", "description": "Imperial troops"}))
			groups := c.must(200, c.do("GET", c.app+"/groups?description=*troops", nil))
			if items := groups["items"].([]any); len(items) != 1 || items[0].(map[string]any)["name"] != "troopers" || groups["size"].(float64) != 1 {
				t.Errorf("groups by description: %v", groups)
			}
			if r := c.do("GET", c.app+"/groups?username=x", nil); r.Status != 400 {
				t.Errorf("groups?username: %d", r.Status)
			}
		})
	}
}

// TestExactIdentityFilterReadsOneGuard: an exact username or email
// filter is answered from the directory's uniqueness guard, so it costs
// the same DynamoDB calls at 3 accounts and at 40, and never a Query of
// the collection.
func TestExactIdentityFilterReadsOneGuard(t *testing.T) {
	c := startDynamo(t, 0)
	calls := func() map[string]int64 {
		c.s.Counter.Reset()
		page := c.must(200, c.do("GET", c.app+"/accounts?username=acct001", nil))
		if page["size"].(float64) != 1 {
			t.Fatalf("size %v", page["size"])
		}
		return c.s.Counter.Snapshot()
	}
	for i := range 3 {
		c.newAccount(fmt.Sprintf("acct%03d", i))
	}
	small := calls()
	for i := 3; i < 40; i++ {
		c.newAccount(fmt.Sprintf("acct%03d", i))
	}
	big := calls()
	if small["Query"] != 0 || big["Query"] != 0 || !mapsEqual(small, big) {
		t.Fatalf("calls at 3 accounts %v, at 40 %v: want equal and no Query", small, big)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
