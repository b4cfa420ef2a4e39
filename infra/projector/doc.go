// Package projector runs the domain's projections (domain.Projection)
// on the event log: asynchronous work that follows commits rather than
// happening inside them, such as keeping API Gateway usage plans in step
// with keys' rate limits (domain.PlanSync).
//
// On AWS the projector function consumes the events table's DynamoDB
// stream: HandleStream decodes each batch's records in order and reports
// the first failed record as a batch item failure, so that Lambda retries
// from there (ReportBatchItemFailures, with bisect-on-error, a retry
// bound and an SQS dead-letter queue in template.yaml). Locally, Feed
// wraps the store and hands the events of every commit to the same
// Projector in-process, retrying failures, so the same code sees the same
// events, at least once, in both places.
//
// Why at least once and not exactly once: neither a stream nor an
// in-process queue can acknowledge atomically with a projection's side
// effects (an API Gateway call is outside any transaction). So every
// projection acts on the current state an event points at, which makes
// a duplicate or a retry converge on the same outcome.
package projector
