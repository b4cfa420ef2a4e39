// Command sweep is the Lambda function that finishes large cascades. It
// has no API route: EventBridge invokes it on a schedule (template.yaml,
// SweepFunction, every 5 minutes).
//
// A delete of an application, account or group whose children do not fit
// one DynamoDB transaction commits the parent's delete alone, at once, and
// removes the children in bounded batches (domain/sweep.go). The request
// runs domain.DefaultSweepBatches of them; what is left, or what a Lambda
// timeout, a crash or a store failure cut short, is listed by the sparse
// "#sweeps" partition of the views table's first index, which each run
// reads (one Query, no scan) and finishes with domain.Service.Sweep. Two
// runs at once would only conflict and retry, but one is enough: reserved
// concurrency 1. It answers {"finished": N}, the parents it finished.
//
// Environment: EVENTS_TABLE, VIEWS_TABLE, DYNAMODB_ENDPOINT, AWS_REGION
// (infra/dynamo); LOG_LEVEL.
//
// A sample EventBridge scheduled event for `sam local invoke SweepFunction
// -e` is in testdata/.
package main
