// Package runtime holds the start-up that every Keystorm Lambda shares:
// JSON logging at LOG_LEVEL, the store and the signing keys named by the
// environment, the management functions' wiring, and Proxy, which every
// HTTP function serves through (a checked event, the configured base URL
// of hrefs). The functions' main.go files stay one-liners, and the seven
// of them cannot drift apart.
package runtime
