// Package runtime holds the start-up that every Keystorm Lambda shares:
// JSON logging at LOG_LEVEL, the store and the signing keys named by the
// environment, and the management functions' wiring. The
// functions' main.go files stay one-liners, and the seven of them cannot
// drift apart.
package runtime
