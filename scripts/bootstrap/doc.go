// Command bootstrap gives a freshly deployed stack its first tenant and
// admin key, which nothing else can create: every management call needs an
// admin key already.
package main
