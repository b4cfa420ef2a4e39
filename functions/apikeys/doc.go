// Command apikeys is the Lambda function behind the management API's
// API-key routes:
//
//	POST   /v1/accounts/{accountId}/apiKeys        create (201 + Location; the secret is shown once)
//	GET    /v1/accounts/{accountId}/apiKeys        list an account's keys
//	GET    /v1/apiKeys/{apiKeyId}                  read
//	POST   /v1/apiKeys/{apiKeyId}                  update (name, description, status)
//	DELETE /v1/apiKeys/{apiKeyId}                  delete (204)
//	GET    /v1/applications/{applicationId}/apiKeys?id=…  find a key by id (SDK lookup)
//
// Secrets can be returned sealed (encryptSecret=true and friends), as
// Stormpath SDKs ask for. Disabling or deleting a key here is what the
// authorizer honours within its cache bound.
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
