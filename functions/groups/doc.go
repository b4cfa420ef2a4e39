// Command groups is the Lambda function behind the management API's
// group and group-membership routes:
//
//	POST   /v1/applications/{applicationId}/groups        create (201 + Location)
//	GET    /v1/applications/{applicationId}/groups        list an application's groups
//	GET    /v1/groups/{groupId}                           read
//	POST   /v1/groups/{groupId}                           update
//	DELETE /v1/groups/{groupId}                           delete (204)
//	GET    /v1/groups/{groupId}/accounts                  the group's accounts
//	GET    /v1/groups/{groupId}/accountMemberships        the group's memberships
//	POST   /v1/groupMemberships                           add an account to a group
//	GET    /v1/groupMemberships/{groupMembershipId}       read a membership
//	DELETE /v1/groupMemberships/{groupMembershipId}       remove it (204)
//	GET    /v1/accounts/{accountId}/groups                an account's groups
//	GET    /v1/accounts/{accountId}/groupMemberships      an account's memberships
//	GET    /v1/groups/{groupId}/customData                read customData
//	POST   /v1/groups/{groupId}/customData                merge into customData
//	DELETE /v1/groups/{groupId}/customData                clear customData
//	DELETE /v1/groups/{groupId}/customData/{field}        remove one field
//
// The account-side membership routes live here, not in the accounts
// function, because they read and write group memberships.
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
