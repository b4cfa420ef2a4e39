package main

import "github.com/keystorm/keystorm/infra/runtime/management"

func main() { management.Serve("tenants") }
