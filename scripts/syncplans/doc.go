// Command syncplans puts keys in the usage plans of their rate limits on
// AWS now, from the read model: what the projector function does event
// by event (domain.PlanSync), in one pass.
//
// Why it exists: the projector gives up on a stream batch after its
// retries and leaves only the batch's shard and sequence numbers on its
// dead-letter queue, not the events. Every projection acts on the
// current state an event points at, so redriving does not need the
// events: re-placing the keys concerned (or all of them) from their
// current state is exactly what the lost deliveries would have done.
// Setting a limit again through the API would not do: an unchanged
// limit commits no event. It is also how a stack gets its plans after
// usage plans were deleted by hand, or after USAGE_PLAN_STAGES changed.
//
// Usage:
//
//	go run ./scripts/syncplans -stages "$EXAMPLE_API_ID:prod"            # every key of every tenant
//	go run ./scripts/syncplans -stages "$EXAMPLE_API_ID:prod" -key KEYID # some keys (-key again for more)
//	go run ./scripts/syncplans -stages "$EXAMPLE_API_ID:prod" -tenant T  # the keys of some tenants
//
// The tables come from dynamo.ConfigFromEnv (EVENTS_TABLE, VIEWS_TABLE,
// AWS_REGION, DYNAMODB_ENDPOINT), as for scripts/rebuild; API Gateway
// from the SDK's default chain (profiles, SSO; AWS_ENDPOINT_URL_API_GATEWAY
// for a test endpoint). -stages defaults to USAGE_PLAN_STAGES and must
// be what the projector function has (its Environment in the Lambda
// console, or template.yaml). Listing every tenant scans the views
// table: an operator tool's right, never a request path's. Running it
// while the projector runs is safe: both converge on the current state.
package main
