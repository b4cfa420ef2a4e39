package stack_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestNextLinksWalkACollection: a page that has a successor links to it
// with the last item's position (after), following the links yields the
// collection exactly once in creation order, the offsets count on, and
// the last page has no next. Items deleted while a client pages neither
// repeat nor skip the ones after them, which an offset cannot promise.
func TestNextLinksWalkACollection(t *testing.T) {
	for name, begin := range map[string]func(testing.TB, time.Duration) *client{
		"sqlite":   startTTL,
		"dynamodb": startDynamo,
	} {
		t.Run(name, func(t *testing.T) {
			c := begin(t, 0)
			var want []string
			for i := range 12 {
				want = append(want, c.newAccount("pager" + strconv.Itoa(i))["href"].(string))
			}
			got, offsets := walkLimit(t, c, c.app+"/accounts?limit=5", len(want), "5")
			if !slices.Equal(got, want) || !slices.Equal(offsets, []int{0, 5, 10}) {
				t.Fatalf("walked %v at offsets %v, want %v", got, offsets, want)
			}
			// Collections resolved through memberships link on too.
			g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "pagers"}))
			for _, h := range want[:7] {
				c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{"account": map[string]any{"href": h}, "group": map[string]any{"href": g["href"]}}))
			}
			members, _ := walkLimit(t, c, href(g, "accounts")+"?limit=3", 7, "3")
			if !slices.Equal(members, want[:7]) {
				t.Fatalf("group's accounts by next links: %v, want %v", members, want[:7])
			}

			// A page that ends the collection exactly has no next.
			last := c.must(200, c.do("GET", c.app+"/accounts?offset=8&limit=4", nil))
			if href(last, "next") != "" {
				t.Fatalf("last page links on: %v", last["next"])
			}

			// Delete two accounts of the second page after reading the
			// first: the next link still starts right after the first page.
			first := c.must(200, c.do("GET", c.app+"/accounts?limit=5", nil))
			for _, h := range want[5:7] {
				c.must(204, c.do("DELETE", h, nil))
			}
			page := c.must(200, c.do("GET", href(first, "next"), nil))
			var hrefs []string
			for _, it := range page["items"].([]any) {
				hrefs = append(hrefs, it.(map[string]any)["href"].(string))
			}
			if !slices.Equal(hrefs, want[7:12]) {
				t.Fatalf("after deletes: %v, want %v", hrefs, want[7:12])
			}
		})
	}
}

// walkLimit follows next links from first and returns the items' hrefs
// and the pages' offsets; every page reports size and every next link
// keeps limit.
func walkLimit(t *testing.T, c *client, first string, size int, limit string) (hrefs []string, offsets []int) {
	t.Helper()
	next := first
	for range 50 {
		page := c.must(200, c.do("GET", next, nil))
		offsets = append(offsets, int(page["offset"].(float64)))
		if page["size"].(float64) != float64(size) {
			t.Fatalf("size %v, want %d", page["size"], size)
		}
		for _, it := range page["items"].([]any) {
			hrefs = append(hrefs, it.(map[string]any)["href"].(string))
		}
		next = href(page, "next")
		if next == "" {
			return hrefs, offsets
		}
		u, err := url.Parse(next)
		if err != nil || u.Query().Get("after") == "" || u.Query().Get("limit") != limit {
			t.Fatalf("next link %q", next)
		}
	}
	t.Fatal("next links do not end")
	return nil, nil
}
