package sqlite

import "database/sql"

// DB exposes the database to this package's external tests, which
// corrupt the read models or the log on purpose.
func (st *Store) DB() *sql.DB { return st.db }

// SetEventScan shrinks Events' row budget for one test, so that a short
// page is reached with a few events.
func SetEventScan(t interface{ Cleanup(func()) }, rows int) {
	was := eventScanBudget
	eventScanBudget = rows
	t.Cleanup(func() { eventScanBudget = was })
}
