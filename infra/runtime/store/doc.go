// Package store opens the DynamoDB store a Lambda function of Keystorm
// reads its tables from, as the environment names them.
//
// It is apart from package runtime so that a function that needs no store
// (the example API) does not link the AWS SDK: every package a binary
// imports runs its init on every cold start, and the SDK's DynamoDB
// schemas, endpoint tables and shared-config providers are the largest
// share of this module's package init (see scripts/coldstart).
package store
