// Command authorizer is the Lambda REQUEST authorizer in front of every
// Keystorm API (management and example). It only wires: configuration from
// the environment, a lazily connecting DynamoDB client, and
// infra/authorizer's Handler, where all the logic and its tests live, so
// the same code runs under the local gateway and in tests.
//
// Environment: EVENTS_TABLE, VIEWS_TABLE, DYNAMODB_ENDPOINT, AWS_REGION
// (infra/dynamo); AUTH_CACHE_TTL, KEYSTORM_BASE_URL (infra/authorizer).
package main
