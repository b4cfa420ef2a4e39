package main

import "github.com/keystorm/keystorm/infra/runtime"

func main() { runtime.ServeManagement("tenants") }
