package sqlite_test

import (
	"testing"

	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/sqlite"
)

// TestEventsStopsAtTheScanBudget: a filter that matches once in the
// whole log does not read the log in one call. Each call stops at its
// row budget, short (here empty) but with a Next, and the walk still ends
// with the one match, listed once.
func TestEventsStopsAtTheScanBudget(t *testing.T) {
	sqlite.SetEventScan(t, 4)
	st := open(t, "")
	storetest.CheckReadBudget(t, st, st, 4)
}
