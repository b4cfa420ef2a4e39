// Command example is the guide's protected API (GET
// /troopers/{id}/equipment) as a Lambda behind API Gateway and the Keystorm
// authorizer. It only wires infra/example's net/http handler to the Lambda
// runtime through aws-lambda-go-api-proxy, which hands the handler the API
// Gateway request context, authorizer context included.
package main
