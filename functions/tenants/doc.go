// Command tenants is the Lambda function behind the management API's
// tenant routes:
//
//	GET    /v1/tenants/current                         302 to the caller's own tenant
//	GET    /v1/tenants/{tenantId}                      the tenant (only the caller's own)
//	GET    /v1/tenants/{tenantId}/customData           read customData
//	POST   /v1/tenants/{tenantId}/customData           merge into customData
//	DELETE /v1/tenants/{tenantId}/customData           clear customData
//	DELETE /v1/tenants/{tenantId}/customData/{field}   remove one field
//
// Stormpath SDKs start every session at /tenants/current and follow the
// redirect, so this is the first function any client reaches. The
// tenant's customData is its only writable part, and the reason
// template.yaml gives this function write access to the tables.
//
// Like every management function it only wires: configuration from the
// environment, a lazily connecting DynamoDB client (no network call during
// init), domain.Service, and infra/httpapi's router for this family behind
// aws-lambda-go-api-proxy. All logic and its tests live in domain and
// infra/httpapi, so the local server and the tests run exactly this code.
//
// Why one function per resource family rather than one for the whole API:
// each gets only the IAM actions its routes need (see template.yaml), its
// own memory size and timeout, its own metrics, logs and throttling, and a
// fault or a slow dependency in one family cannot take the others down.
// The binaries differ only in the routes they register; a request for
// another family's route answers 404 in the API's error format.
//
// Environment: EVENTS_TABLE, VIEWS_TABLE, DYNAMODB_ENDPOINT, AWS_REGION
// (infra/dynamo); KEYSTORM_BASE_URL (infra/httpapi, optional: the base of
// every href, otherwise API Gateway's domain name and stage, never the
// Host header); LOG_LEVEL (debug,
// info, warn or error; default info; JSON logs to stdout).
package main
