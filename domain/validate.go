package domain

import (
	"bytes"
	"encoding/json"
	"io"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Field limits.
const (
	MaxNameLen        = 255
	MaxDescriptionLen = 1000
	MaxEmailLen       = 254
	// MaxCustomDataBytes bounds the customData of one tenant,
	// application, account or group, measured as stored: compact JSON
	// with <, > and & escaped (\u003c), as encoding/json writes it.
	//
	// Why 64 KiB: customData lives in its resource's read-model item
	// (see Custom), and a DynamoDB item holds at most 400 KB, attribute
	// names included. Sharing that item are the key and index
	// attributes, the child count, and the rest of the state JSON: names,
	// email, description, timestamps, a password hash. All of that is
	// under 9 KB even when every character takes its longest escaped
	// form (infra/dynamo's TestLargestItemsFitWithRoom measures it
	// against a 16 KB budget), so the largest item stays under 75 KB,
	// less than a fifth of the limit: a field added to a state later
	// cannot push a full customData over it. The event that sets the
	// fields is a separate item of the events table, and holds at most
	// the same 64 KiB. A larger cap would buy little and cost on every
	// read: DynamoDB bills a read per 4 KB of item, and the authorizer
	// reads the account's and application's items on each cache miss.
	MaxCustomDataBytes = 64 * 1024
	maxCustomFieldLen  = 255
	// MaxCustomDataDepth bounds customData's nesting (the customData
	// object itself is level 1): common JSON parsers refuse or crash
	// past 128 levels (serde_json) to about 1,000 (Python's recursion
	// limit), so data stored deeper would break the clients reading it.
	MaxCustomDataDepth = 32
	// MaxCustomDataKeys bounds the properties of any object in customData,
	// its top level included.
	MaxCustomDataKeys = 100
	// MaxCustomDataElements bounds the elements of any array in
	// customData. With MaxCustomDataBytes these keep one customData value
	// cheap to hold, diff and render; the byte limit alone would allow
	// 5,000 one-digit elements.
	MaxCustomDataElements = 1000
)

// text validates an optional string property and returns it in NFC. See
// identifier.go for the characters refused.
func text(field string, v *string, max int, required bool) (string, error) {
	if v == nil || (required && strings.TrimSpace(*v) == "") {
		if required {
			return "", invalid(CodeRequired, field, "%s is required.", field)
		}
		return "", nil
	}
	s, err := cleanText(field, *v)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(s) > max {
		return "", invalid(CodeTooLong, field, "%s must be at most %d characters.", field, max)
	}
	return s, nil
}

func email(v *string) (string, error) {
	e, err := text("email", v, MaxEmailLen, true)
	if err != nil {
		return "", err
	}
	if err := noPadding("email", e); err != nil {
		return "", err
	}
	addr, perr := mail.ParseAddress(e)
	if perr != nil || addr.Address != e || addr.Name != "" || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", invalid(CodeInvalidEmail, "email", "email must be a valid address such as name@example.com.")
	}
	if err := oneScript("email", e); err != nil {
		return "", err
	}
	return e, nil
}

// patchEmail is email for updates: the current value, sent back
// unchanged as SDKs do, is kept even if it predates these rules.
func patchEmail(cur string, v *string) (string, error) {
	if v == nil || *v == cur {
		return cur, nil
	}
	return email(v)
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
// given, the current value otherwise. A value equal to the current one is
// kept without validation: SDKs send whole resources back on save, and a
// value stored before a rule was tightened must not make every save fail.
func patch(cur string, field string, v *string, max int, required bool) (string, error) {
	if v == nil || *v == cur {
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
	if len(fields) > MaxCustomDataKeys {
		return tooComplex("customData must hold at most %d properties.", MaxCustomDataKeys)
	}
	for k, v := range fields {
		if k == "" || utf8.RuneCountInString(k) > maxCustomFieldLen || !utf8.ValidString(k) {
			return invalid(CodeInvalidValue, "customData", "customData field names must be 1 to %d characters.", maxCustomFieldLen)
		}
		for _, r := range k {
			if why := badChar(r); why != "" || r == 0x200C || r == 0x200D {
				if why == "" {
					why = "an invisible formatting character"
				}
				return invalid(CodeBadCharacter, "customData", "customData field names must not contain %s (U+%04X).", why, r)
			}
		}
		if customDataReserved[k] {
			return invalid(CodeInvalidValue, k, "%s is a reserved customData property.", k)
		}
		if !json.Valid(v) {
			return invalid(CodeInvalidValue, k, "%s must be a JSON value.", k)
		}
		if !utf8.Valid(v) {
			return invalid(CodeBadCharacter, k, "%s must be valid UTF-8.", k)
		}
		if err := checkJSONShape(k, v); err != nil {
			return err
		}
	}
	return nil
}

// checkCustomDataTotal checks the customData a resource would hold after
// a change: the top-level limits apply to the merged fields.
func checkCustomDataTotal(m map[string]json.RawMessage) error {
	if len(m) > MaxCustomDataKeys {
		return tooComplex("customData must hold at most %d properties.", MaxCustomDataKeys)
	}
	if customDataSize(m) > MaxCustomDataBytes {
		return E(KindInvalid, CodeCustomDataTooLarge, "customData", "customData must be at most %d bytes.", MaxCustomDataBytes)
	}
	return nil
}

func tooComplex(format string, args ...any) *Error {
	return invalid(CodeTooComplex, "customData", format, args...)
}

// checkJSONShape walks one customData value (valid JSON) with a streaming
// decoder and a counter per open container, never recursing, so that no
// input can exhaust the stack; it stops at the first limit passed.
func checkJSONShape(field string, v json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber() // numbers are only counted, and 1e400 is valid JSON
	type level struct {
		object    bool
		members   int
		expectKey bool
	}
	// The customData object is level 1, so the value's outermost
	// container is level 2.
	stack := []level{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return invalid(CodeInvalidValue, field, "%s must be a JSON value.", field)
		}
		var top *level
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		// tok starts a member of top: a key, an element or a value.
		if top != nil {
			switch {
			case !top.object:
				if top.members++; top.members > MaxCustomDataElements {
					return tooComplex("customData arrays may hold at most %d elements; %s holds a longer one.", MaxCustomDataElements, field)
				}
			case top.expectKey:
				if top.members++; top.members > MaxCustomDataKeys {
					return tooComplex("customData objects may hold at most %d properties; %s holds a larger one.", MaxCustomDataKeys, field)
				}
				top.expectKey = false
				continue
			default:
				top.expectKey = true
			}
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, level{object: d == '{', expectKey: d == '{'})
			if 1+len(stack) > MaxCustomDataDepth {
				return tooComplex("customData may nest at most %d levels deep; %s nests deeper.", MaxCustomDataDepth, field)
			}
		}
	}
}

func customDataSize(m map[string]json.RawMessage) int {
	b, _ := json.Marshal(m)
	return len(b)
}
