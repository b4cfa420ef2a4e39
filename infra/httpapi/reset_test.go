package httpapi_test

import (
	"testing"

	"github.com/keystorm/keystorm/infra/httpapi"
)

// Logged paths never hold a one-time token.
func TestLogPathRedactsTokens(t *testing.T) {
	tok := "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF"
	for in, want := range map[string]string{
		"/v1/applications/app1/passwordResetTokens/" + tok:        "/v1/applications/app1/passwordResetTokens/{token}",
		"/v1/applications/app1/passwordResetTokens/" + tok + "/x": "/v1/applications/app1/passwordResetTokens/{token}/x",
		"/v1/accounts/emailVerificationTokens/" + tok:             "/v1/accounts/emailVerificationTokens/{token}",
		"/prod/v1/accounts/emailVerificationTokens/" + tok:        "/prod/v1/accounts/emailVerificationTokens/{token}",
		"/v1/applications/app1/passwordResetTokens":               "/v1/applications/app1/passwordResetTokens",
		"/v1/accounts/acc1": "/v1/accounts/acc1",
	} {
		if got := httpapi.LogPath(in); got != want {
			t.Errorf("LogPath(%q) = %q, want %q", in, got, want)
		}
	}
}
