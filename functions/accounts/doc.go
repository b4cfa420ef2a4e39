// Command accounts is the Lambda function behind the management API's
// account routes, customData included:
//
//	POST   /v1/applications/{applicationId}/accounts   create (201 + Location)
//	GET    /v1/applications/{applicationId}/accounts   list an application's accounts
//	POST   /v1/applications/{applicationId}/loginAttempts  log an account in (username or email, password)
//	GET    /v1/accounts/{accountId}                    read
//	POST   /v1/accounts/{accountId}                    update
//	DELETE /v1/accounts/{accountId}                    delete (204)
//	GET    /v1/accounts/{accountId}/customData         read customData
//	POST   /v1/accounts/{accountId}/customData         merge into customData
//	DELETE /v1/accounts/{accountId}/customData         clear customData
//	DELETE /v1/accounts/{accountId}/customData/{field} remove one field
//
// Creating an account, changing its password or checking one at a login
// attempt runs argon2id, which wants memory and CPU; a function of its own
// lets template.yaml give only this family the larger memory size.
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
