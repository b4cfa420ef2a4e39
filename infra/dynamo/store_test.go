package dynamo_test

import (
	"testing"

	"github.com/keystorm/keystorm/domain"
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
