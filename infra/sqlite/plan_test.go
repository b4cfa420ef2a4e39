package sqlite

import (
	"context"
	"strings"
	"testing"
)

// TestListUsesIndex reads SQLite's plan for List's statements: both must
// search the collection's index and sort nothing, so a page costs the
// same at 100 and at 100,000 items of other collections.
func TestListUsesIndex(t *testing.T) {
	st, err := Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct{ col, index string }{{"coll1", "states_coll1"}, {"coll2", "states_coll2"}} {
		for _, q := range []string{
			"SELECT COUNT(*) FROM states WHERE " + tc.col + " = ?",
			"SELECT kind, data, children FROM states WHERE " + tc.col + " = ? ORDER BY sortkey, stream LIMIT ? OFFSET ?",
		} {
			rows, err := st.db.Query("EXPLAIN QUERY PLAN "+q, "c", 25, 0)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			p := strings.Join(plan, "; ")
			t.Logf("%s: %s", q, p)
			if !strings.Contains(p, "USING") || !strings.Contains(p, tc.index) || strings.Contains(p, "TEMP B-TREE") {
				t.Errorf("%s\nplan: %s", q, p)
			}
		}
	}
}
