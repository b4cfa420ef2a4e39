// Command projector is the Lambda function that consumes the events
// table's DynamoDB stream (template.yaml, ProjectorFunction) and runs the
// domain's projections on every event (infra/projector): today
// domain.PlanSync, which keeps API Gateway usage plans (infra/apigw) in
// step with keys' rate limits. It has no API route.
//
// It only wires: the views store (infra/runtime/store), the usage plans
// from the environment, and projector.Projector's HandleStream, which
// reports the first failed record of a batch (ReportBatchItemFailures) so
// that Lambda retries from there, bisects, and after the retry bound
// sends the rest to the dead-letter queue (ProjectorDeadLetterQueue).
// Every projection is idempotent, so a redelivered record is harmless.
//
// Environment: EVENTS_TABLE, VIEWS_TABLE, DYNAMODB_ENDPOINT, AWS_REGION
// (infra/dynamo; only the views are read); USAGE_PLAN_STAGES, the API
// stages every usage plan applies to ("apiId:stage,..."), and
// AWS_ENDPOINT_URL_API_GATEWAY for tests (infra/apigw); LOG_LEVEL.
//
// A sample stream event (one INSERT of an events item, NEW_IMAGE) for
// `sam local invoke ProjectorFunction -e` is in testdata/;
// infra/apigw's TestProjectorUnderEmulator runs the built binary on it.
package main
