package main

import (
	"github.com/keystorm/keystorm/infra/runtime/mailer"
	"github.com/keystorm/keystorm/infra/runtime/management"
)

func main() { management.Serve("accounts", mailer.Setup) }
