// Command local serves the whole Keystorm API on a laptop: every function
// behind the authorizer, routed by template.yaml, on embedded SQLite.
//
//	go run ./infra/local                      # 127.0.0.1:3000, in memory
//	go run ./infra/local -data .keystorm      # keep .keystorm/keystorm.db across restarts
//	go run ./infra/local -store dynamodb      # embedded DynamoDB, for fidelity runs
//	DYNAMODB_ENDPOINT=http://localhost:8000 go run ./infra/local
//
// On first start it creates a tenant, an application and an admin API key
// and prints them once: as text, and as one JSON line for scripts.
package main
