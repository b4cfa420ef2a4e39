package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzUsername: whatever is typed, an accepted username is UTF-8, NFC,
// free of refused characters, unpadded, and its key is stable (keying
// the key changes nothing) and equal for its case and width variants;
// the typed and the stored form share it; a refusal is always a 400.
func FuzzUsername(f *testing.F) {
	for _, s := range []string{"tk421", "ｔｋ４２１", "TK421", "jose\u0301", "t\u043a421", "tk\u200d421", " tk", "\xff", "\u0645\u06cc\u200c\u062e", "a@b.c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := checkUsername(s)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Kind != KindInvalid || de.Field != "username" {
				t.Fatalf("%q: %v is not a 400 about the username", s, err)
			}
			return
		}
		if !utf8.ValidString(u) || !norm.NFC.IsNormalString(u) || strings.TrimSpace(u) != u {
			t.Fatalf("%q accepted as %q", s, u)
		}
		for _, r := range u {
			if why := badChar(r); why != "" {
				t.Fatalf("%q accepted with %s", s, why)
			}
		}
		k := usernameKey(u)
		if usernameKey(k) != k || usernameKey(s) != k {
			t.Fatalf("%q: unstable key %q", u, k)
		}
	})
}

// shapeOf measures a JSON value by decoding it: the reference for
// checkJSONShape (recursion is fine for a fuzzer's small inputs). Keys
// are counted after duplicates merge, so it may count fewer than the
// walker, never more.
func shapeOf(v any, level int) (depth, keys, elems int) {
	switch v := v.(type) {
	case map[string]any:
		depth, keys = level, len(v)
		for _, x := range v {
			d, k, e := shapeOf(x, level+1)
			depth, keys, elems = max(depth, d), max(keys, k), max(elems, e)
		}
	case []any:
		depth, elems = level, len(v)
		for _, x := range v {
			d, k, e := shapeOf(x, level+1)
			depth, keys, elems = max(depth, d), max(keys, k), max(elems, e)
		}
	}
	return
}

// FuzzJSONShape checks the streaming walker against the decoding
// reference: what the walker accepts is within every limit, and what it
// refuses is beyond one.
func FuzzJSONShape(f *testing.F) {
	for _, s := range []string{`1`, `[]`, `{}`, `{"a":[1,{"b":[]}]}`, strings.Repeat("[", 31) + strings.Repeat("]", 31),
		strings.Repeat("[", 32) + strings.Repeat("]", 32), `[` + strings.Repeat("0,", 1000) + `0]`, `{"a":1,"a":2}`, `[{"x":{}},[[]],"s",1e400]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return
		}
		d, k, e := shapeOf(v, 2) // the value's container is level 2
		err := checkJSONShape("f", data)
		within := d <= MaxCustomDataDepth && k <= MaxCustomDataKeys && e <= MaxCustomDataElements
		if err == nil && !within {
			t.Fatalf("accepted depth %d, %d keys, %d elements: %q", d, k, e, data)
		}
		// Only a duplicate key, merged by the reference, may explain a
		// refusal the reference does not see.
		if err != nil && within && !strings.Contains(err.Error(), "properties") {
			t.Fatalf("refused depth %d, %d keys, %d elements (%v): %q", d, k, e, err, data)
		}
		if err != nil && KindOf(err) != KindInvalid {
			t.Fatalf("%v is not a 400", err)
		}
	})
}
