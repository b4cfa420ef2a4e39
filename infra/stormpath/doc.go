// Package stormpath reads a Stormpath tenant export: the folder of JSON
// files Stormpath's customers downloaded when the service shut down, in
// the layout Okta's importer (robertjd/stormpath-migration) reads.
//
// An export is a folder per tenant. meta.json is the tenant; directories/,
// applications/, groups/, accountStoreMappings/, passwordPolicies/ and
// organizations/ hold one JSON file per resource; accounts/ holds one file
// per account, directly or in a folder per directory (both layouts were
// handed out, so both are read, as is any depth). Two generations of
// export exist:
//   - the first embeds each account's API keys (apiKeys: [{href, id,
//     secret}]) and group links (groups) in the account's own file;
//   - later ones add the folders apiKeys/ ({id, secret, status, account}),
//     groupMemberships/ and accountLinks/.
//
// Open reads everything but the accounts, whose count can be large, and
// Accounts streams them one file at a time with their keys and groups
// merged from either generation. Nothing here writes or decides: a file
// that is not JSON, or lacks its id, is a Problem the caller reports, and
// the rest goes on. The importer (scripts/import-stormpath) decides what
// each record becomes.
//
// Package exportgen writes synthetic exports of both generations for the
// tests: this project ships no third-party export.
package stormpath
