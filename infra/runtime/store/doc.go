// Package store opens the DynamoDB store a Lambda function of Keystorm
// reads its tables from, as the environment names them.
//
// It is apart from package runtime so that a function that needs no store
// (the example API) does not link the AWS SDK: every package a binary
// imports runs its init on every cold start, and the SDK's DynamoDB
// schemas and endpoint tables are the largest share of this module's
// package init (see scripts/coldstart). The client is configured from the
// Lambda variables (infra/awsenv via dynamo.NewClient), never through the
// SDK's default chain, whose STS and SSO clients would add theirs.
package store
