package dynamo_test

import (
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/embedded"
)

// TestStoreContract holds the DynamoDB store to the domain.Store contract,
// on minidyn through the real SDK client and wire protocol.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.Store {
		return dumpStore{embedded.New(t).Store}
	})
}

// TestUsageContract holds the DynamoDB store to the domain.UsageStore
// contract on minidyn.
func TestUsageContract(t *testing.T) {
	storetest.RunUsage(t, func(t *testing.T) domain.UsageStore {
		return embedded.New(t).Store
	})
}

// TestEventLogContract holds the DynamoDB store's event log to the
// domain.EventLog contract, on minidyn: the log index, FilterExpressions
// and cursors through the real SDK client.
func TestEventLogContract(t *testing.T) {
	newStore := func(t *testing.T) (domain.Store, domain.EventLog) {
		st := embedded.New(t).Store
		return st, st.EventLog()
	}
	storetest.RunEventLog(t, newStore)
	// One Query of max(limit, 1) items a call makes filtered pages
	// short all the time: the walks must still list every match once.
	t.Run("small-budget", func(t *testing.T) {
		dynamo.SetEventReads(t, 1, 1)
		storetest.RunEventLog(t, newStore)
	})
}
