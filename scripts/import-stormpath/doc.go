// Command import-stormpath lands a Stormpath tenant export in a Keystorm
// tenant: directories, groups, applications with their account store
// mappings, accounts with their password hashes and customData, API keys
// with their secrets, and group memberships, under Stormpath's ids and
// times (README "Coming from Stormpath").
//
//	go run ./scripts/import-stormpath -export DIR -data DATADIR [-dry-run] [-tenant ID]
//
// Why a command and not an API call: an export is a folder of many
// thousands of files holding plaintext secrets, read once by whoever
// holds it, next to the store; and a store the import starts empty
// gets its tenant and first admin key here, which no API call could
// give. This file and main.go only open the store, take the data
// directory's lock and pick the tenant; infra/stormpath/importer does the
// import.
package main
