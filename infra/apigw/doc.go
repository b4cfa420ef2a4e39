// Package apigw is the AWS side of domain.UsagePlans: it enforces keys'
// rate limits with API Gateway (REST API v1) usage plans, which the
// projector function (functions/projector) keeps in step with the keys
// through domain.PlanSync.
//
// # Shape
//
// One usage plan per distinct limit, named from the limit alone
// (PlanName: "keystorm-100-per-60s"), with the limit's token bucket as
// its throttle (burst Requests, rate Requests/Period per second) and the
// configured API stages (USAGE_PLAN_STAGES). Plans are shared: a
// thousand keys with the same limit are one plan, so the number of plans
// is the number of distinct limits in use, not of keys (usage plans per
// region are a small quota; see the README's "Usage plans on AWS").
//
// One API Gateway API key per rate-limited Keystorm key, whose value and
// name are the key's usage identifier (domain.UsageIdentifier): the
// authorizer returns that value as usageIdentifierKey, and with the
// API's ApiKeySourceType AUTHORIZER API Gateway meters the request in
// the plan holding that API key. The value is no secret (only the
// authorizer admits requests), but only ids are logged all the same.
//
// # Idempotence
//
// Put and Remove are called at least once per event, from several
// projector instances at a time (one per stream shard), and may fail
// half-way. So each step reads before it writes, and treats the
// outcomes of a retry as success: ConflictException on create means the
// thing exists (look it up), NotFoundException on delete means it is
// gone. Plan ids (by limit) and API key ids (by value) are cached per
// instance, since they never change once created; which plan a key is in
// is not cached, because another instance (an application's default
// limit changing, on another shard) may move it: Put always reads the
// key's plans (one GetUsagePlans with keyId) and writes only what
// differs, so a repeated Put is one read and no write.
//
// Two instances creating the first plan for a limit at the same moment
// may create two plans of the same name (API Gateway does not make plan
// names unique). That is harmless: both carry the same throttle, a key
// is moved out of every other keystorm plan whenever it is put, so it
// is in exactly one, and lookups pick the plan with the smallest id.
//
// # Tests
//
// There is no API Gateway emulator to run in the tests (the repository's
// local stand-ins are minidyn for DynamoDB and the Lambda RIE), so they
// run the
// real SDK client against a fake: an httptest server implementing, with
// in-memory state, exactly the REST endpoints this package calls, in the
// service's wire format (paths, query parameters, JSON bodies, the
// x-amzn-ErrorType header of errors). It is a fake, not a model of the
// service: it checks what the client sends and answers as the service
// documents it, nothing more.
package apigw
