// Command scale shows how the local server's default store, SQLite,
// behaves as it fills: it measures the same requests on a small store and
// on a big one, restarts the server at both sizes, and prints the figures.
//
//	go run ./scripts/scale                      # 100 keys, then 100,000 keys over 10,000 accounts
//	go run ./scripts/scale -accounts 2000 -samples 100
//
// What it does, in order:
//  1. builds ./infra/local and starts it on a fresh -data directory;
//  2. creates 10 accounts with 10 keys each over HTTP (100 keys) and
//     measures, one request at a time (p50 and p90 over -samples):
//     create a key, get an account, list the first page of the
//     application's accounts, a deep page by offset, and the same deep
//     page by its next link (keyset paging);
//  3. restarts the server on the same directory, timed from exec to the
//     first answered request;
//  4. stops it and fills the store to -accounts accounts with -keys keys
//     each, in this process, through the same domain commands and the same
//     SQLite store the server runs (with a cheap password hash: the
//     server's Argon2id would make the fill take hours, and hashing is
//     not what grows with the store);
//  5. restarts the server on the filled directory (timed), measures the
//     same requests again, and reads the server's memory from /proc.
//
// No figure is asserted anywhere: the script prints, people read. Ratios
// from one run compare; absolute figures on a shared machine do not.
package main
