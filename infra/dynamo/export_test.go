package dynamo

import "testing"

// SetEventReads shrinks EventLog.Events' read budget and filtered page
// for one test, so that a short page is reached with a few events.
func SetEventReads(t *testing.T, budget, page int) {
	b, p := eventReadBudget, eventReadPage
	eventReadBudget, eventReadPage = budget, page
	t.Cleanup(func() { eventReadBudget, eventReadPage = b, p })
}
