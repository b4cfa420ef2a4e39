package domain

import (
	"encoding/json"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Field limits.
const (
	MaxNameLen        = 255
	MaxDescriptionLen = 1000
	MaxEmailLen       = 254
	// MaxCustomDataBytes bounds an account's customData (as JSON), as
	// Stormpath did, so that state items stay far below DynamoDB's 400 KB.
	MaxCustomDataBytes = 10 * 1024
	maxCustomFieldLen  = 255
)

// text validates an optional string property.
func text(field string, v *string, max int, required bool) (string, error) {
	if v == nil || (required && strings.TrimSpace(*v) == "") {
		if required {
			return "", invalid(CodeRequired, field, "%s is required.", field)
		}
		return "", nil
	}
	if !utf8.ValidString(*v) {
		return "", invalid(CodeInvalidValue, field, "%s must be valid UTF-8.", field)
	}
	if utf8.RuneCountInString(*v) > max {
		return "", invalid(CodeTooLong, field, "%s must be at most %d characters.", field, max)
	}
	for _, r := range *v {
		if r < 0x20 && r != '\t' {
			return "", invalid(CodeInvalidValue, field, "%s must not contain control characters.", field)
		}
	}
	return *v, nil
}

func email(v *string) (string, error) {
	e, err := text("email", v, MaxEmailLen, true)
	if err != nil {
		return "", err
	}
	addr, perr := mail.ParseAddress(e)
	if perr != nil || addr.Address != e || addr.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", invalid(CodeInvalidEmail, "email", "email must be a valid address such as name@example.com.")
	}
	return e, nil
}

func status(v *string, allowed ...string) (string, error) {
	for _, a := range allowed {
		if *v == a {
			return a, nil
		}
	}
	return "", invalid(CodeInvalidStatus, "status", "status must be one of %s.", strings.Join(allowed, ", "))
}

// patch returns the new value of a property: the validated input when
// given, the current value otherwise.
func patch(cur string, field string, v *string, max int, required bool) (string, error) {
	if v == nil {
		return cur, nil
	}
	return text(field, v, max, required)
}

func patchStatus(cur string, v *string, allowed ...string) (string, error) {
	if v == nil {
		return cur, nil
	}
	return status(v, allowed...)
}

// customDataReserved are server-owned properties of the customData resource.
var customDataReserved = map[string]bool{"href": true, "createdAt": true, "modifiedAt": true, "meta": true, "spMeta": true, "spmeta": true, "ionmeta": true, "ionMeta": true}

func checkCustomData(fields map[string]json.RawMessage) error {
	for k, v := range fields {
		if k == "" || utf8.RuneCountInString(k) > maxCustomFieldLen || !utf8.ValidString(k) {
			return invalid(CodeInvalidValue, "customData", "customData field names must be 1 to %d characters.", maxCustomFieldLen)
		}
		if customDataReserved[k] {
			return invalid(CodeInvalidValue, k, "%s is a reserved customData property.", k)
		}
		if !json.Valid(v) {
			return invalid(CodeInvalidValue, k, "%s must be a JSON value.", k)
		}
	}
	return nil
}

func customDataSize(m map[string]json.RawMessage) int {
	b, _ := json.Marshal(m)
	return len(b)
}
