// Package console is the developer console: the web pages where an
// application's developers sign up, sign in, reset a forgotten password,
// verify their email, and manage their own API keys (create, rename,
// disable and enable, reroll with a grace period, delete), see each key's
// usage, try a key with a test access token, and edit their profile.
//
// One Console serves one application. It is a plain net/http handler,
// mounted under /console: by the console Lambda function (through the
// same API Gateway proxy as the management functions) and by the local
// server. Pages are rendered on the server with html/template; the one
// stylesheet and the one small script are embedded (embed.FS) and served
// by the handler itself, so there is no build step and no CDN.
//
// It calls the domain directly, never the HTTP API:
//   - signing in is the password grant of a public client
//     (domain.TokenService.PasswordGrant); the session cookie holds the
//     grant's access token, a short-lived self token, checked on every
//     request (domain.TokenAuthenticator) and ended by signing out
//     (the session is revoked server-side, not just forgotten);
//   - a signed-in page acts as the session's domain.Caller, so the
//     domain's own checks keep an account to its own keys (another
//     account's key id is not found);
//   - the signed-out pages act as a public domain.Caller of this one
//     application, which may only sign up, ask for and use a reset link,
//     and verify an email.
//
// Security (README "The developer console"): the cookies are HttpOnly,
// SameSite=Lax, and Secure (with the __Host- prefix) except on plain-http
// localhost; every form carries a CSRF token derived from a cookie only
// this origin can read; every answer carries a CSP without inline script,
// frame-ancestors 'none' and Referrer-Policy no-referrer; secrets and
// tokens appear only in the body of the one answer that shows them,
// never in a URL, a cookie other than the session's, or a log line.
package console
