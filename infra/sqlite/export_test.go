package sqlite

import "database/sql"

// DB exposes the database to this package's external tests, which
// corrupt the read models or the log on purpose.
func (st *Store) DB() *sql.DB { return st.db }
