// Package runtime holds the start-up that every Keystorm Lambda shares:
// JSON logging at LOG_LEVEL, Fatal for a function that cannot configure
// itself, and Proxy, which every HTTP function serves through (a checked
// event, the configured base URL of hrefs).
//
// What only some functions need lives in subpackages, so that a binary
// links, and initialises on every cold start, only what it uses:
// runtime/store (the DynamoDB store, and with it the AWS SDK),
// runtime/signing (the signing keys, and the Secrets Manager client: the
// OAuth function only) and runtime/management (the whole wiring of the
// five management functions). Package init of the AWS SDK's service
// packages is most of the difference between a function's cold start and
// a hello-world one (scripts/coldstart measures it), which is also why no
// function links the SDK's default credential chain (package config; see
// infra/awsenv and TestFunctionDependencies). The functions' main.go files
// stay short, and cannot drift apart.
package runtime
