// Command console is the Lambda function of the developer console
// (infra/console): the pages under /console on the management API where
// the developers of one application ($CONSOLE_APPLICATION_ID, the
// template's ConsoleApplicationId) sign up, sign in, reset their
// password, verify their email and manage their own API keys.
//
// Its routes are public (no authorizer): the pages check their own
// session cookie, a password grant's access token, on every request. It
// signs those tokens with the keys in $TOKEN_KEYS_SECRET, as the OAuth
// function does ($TOKEN_ISSUER, $TOKEN_AUDIENCE), and mails reset and
// verification links through SES as $MAIL_FROM, as the accounts function
// does. $CONSOLE_TRY_URL is the request the test token page's curl line
// shows. Without $CONSOLE_APPLICATION_ID every page answers 503, saying
// the console is not set up.
package main
