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
			walk := func(first string) (hrefs []string, offsets []int) {
				next := first
				for range 20 {
					page := c.must(200, c.do("GET", next, nil))
					offsets = append(offsets, int(page["offset"].(float64)))
					if page["size"].(float64) != float64(len(want)) {
						t.Fatalf("size %v, want %d", page["size"], len(want))
					}
					for _, it := range page["items"].([]any) {
						hrefs = append(hrefs, it.(map[string]any)["href"].(string))
					}
					next = href(page, "next")
					if next == "" {
						return hrefs, offsets
					}
					u, err := url.Parse(next)
					if err != nil || u.Query().Get("after") == "" || u.Query().Get("limit") != "5" {
						t.Fatalf("next link %q", next)
					}
				}
				t.Fatal("next links do not end")
				return nil, nil
			}
			got, offsets := walk(c.app + "/accounts?limit=5")
			if !slices.Equal(got, want) || !slices.Equal(offsets, []int{0, 5, 10}) {
				t.Fatalf("walked %v at offsets %v, want %v", got, offsets, want)
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
