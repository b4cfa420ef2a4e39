package domain

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/bidirule"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Identifiers and text.
//
// Two strings that look the same must not name two accounts: an attacker
// who registers "ｔｋ４２１" (full width) next to "tk421" can be taken for
// it in every UI and log line. So:
//
//   - every text property is NFC-normalised and may not hold control,
//     bidirectional-control, invisible-formatting, private-use or
//     unassigned characters (these hide or reorder text on screen);
//   - a username must pass RFC 8265's UsernameCaseMapped profile (PRECIS),
//     and its uniqueness key is that profile's output: width-folded, lower
//     case, NFC. The stored username stays as typed (NFC), so its case is
//     displayed as the user chose it;
//   - an email's uniqueness key is the same mapping of the whole address;
//   - a username or email may not mix writing systems within one part
//     (between "@" and "."), by UTS #39's "Highly Restrictive" level: one
//     script, or Latin with Han and Japanese kana, Han and Bopomofo, or Han
//     and Hangul. That catches "tk421" with a Cyrillic "к". It does not
//     catch a name written wholly in another script that happens to look
//     Latin (Cyrillic "сосо" against Latin "coco"), nor digit and letter
//     look-alikes ("l" and "1", "O" and "0"): that needs UTS #39 confusable
//     data, which Go's libraries do not carry.
//
// Leading or trailing spaces in a username or email are refused, not
// trimmed: a server that trims stores something other than what the
// client holds, and the client's later look-ups and comparisons with its
// own copy then fail, or match where the server's do not. A clear 400
// lets the client fix its input once.

var (
	// freeText is PRECIS's FreeformClass (RFC 8264 §4.3): it decides the
	// zero-width joiner and non-joiner by context (allowed where Persian
	// or Indic text needs them, refused elsewhere), which a per-character
	// rule cannot.
	freeText = precis.NewFreeform(precis.Norm(norm.NFC))
	// identifierClass is PRECIS's IdentifierClass after width folding:
	// the characters a username may hold, tested one at a time to name
	// the first offending one.
	identifierClass = precis.NewIdentifier(precis.FoldWidth)
	lowerCase       = cases.Lower(language.Und)
)

// badChar says why r may not appear in any text property, or "" when it
// may. The joiners are left to freeText's context rules.
func badChar(r rune) string {
	switch {
	case r == 0x200C || r == 0x200D:
		return ""
	case unicode.Is(unicode.Cc, r):
		return "a control character"
	case unicode.Is(unicode.Bidi_Control, r):
		return "a bidirectional control character"
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r), unicode.Is(unicode.Variation_Selector, r):
		return "an invisible formatting character"
	case unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return "a line or paragraph separator"
	case unicode.Is(unicode.Co, r):
		return "a private-use character"
	case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs):
		return "an unassigned code point"
	}
	return ""
}

func badCharacter(field, format string, args ...any) *Error {
	return invalid(CodeBadCharacter, field, "%s %s", field, fmt.Sprintf(format, args...))
}

// cleanText checks the characters of a text property and returns it in
// NFC.
func cleanText(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", badCharacter(field, "must be valid UTF-8.")
	}
	if s == "" {
		return "", nil
	}
	for _, r := range s {
		if why := badChar(r); why != "" {
			return "", badCharacter(field, "must not contain %s (U+%04X).", why, r)
		}
	}
	out, err := freeText.String(s)
	if err != nil {
		for _, r := range s {
			if _, err := freeText.String(string(r)); err != nil {
				return "", badCharacter(field, "must not contain U+%04X here: it is allowed only where the script around it needs it.", r)
			}
		}
		return "", badCharacter(field, "holds a character sequence that is not allowed.")
	}
	return out, nil
}

// noPadding refuses leading and trailing white space in an identifier.
func noPadding(field, s string) error {
	if strings.TrimSpace(s) != s {
		return badCharacter(field, "must not begin or end with spaces; send it without them.")
	}
	return nil
}

// username validates a username, or the email it defaults to when v is
// nil. It returns the username as typed, in NFC.
func username(v *string, defaultEmail string) (string, error) {
	if v == nil {
		u, err := checkUsername(defaultEmail)
		var e *Error
		if errors.As(err, &e) {
			return "", invalid(e.Code, "username", "The email cannot serve as the username (%s); send a username.", strings.TrimSuffix(e.Message, "."))
		}
		return u, err
	}
	return checkUsername(*v)
}

// patchUsername is username for updates: the current value, sent back
// unchanged as SDKs do, is kept even if it predates these rules.
func patchUsername(cur string, v *string) (string, error) {
	if v == nil || *v == cur {
		return cur, nil
	}
	return checkUsername(*v)
}

func checkUsername(s string) (string, error) {
	const field = "username"
	if strings.TrimSpace(s) == "" {
		return "", invalid(CodeRequired, field, "%s is required.", field)
	}
	u, err := cleanText(field, s)
	if err != nil {
		return "", err
	}
	if err := noPadding(field, u); err != nil {
		return "", err
	}
	if strings.ContainsFunc(u, unicode.IsSpace) {
		return "", badCharacter(field, "must not contain spaces.")
	}
	if utf8.RuneCountInString(u) > MaxNameLen {
		return "", invalid(CodeTooLong, field, "%s must be at most %d characters.", field, MaxNameLen)
	}
	if _, err := precis.UsernameCaseMapped.String(u); err != nil {
		for _, r := range u {
			if _, err := identifierClass.String(string(r)); err != nil {
				return "", badCharacter(field, "may hold letters, digits, combining marks and printable ASCII symbols only; U+%04X is not allowed.", r)
			}
		}
		if errors.Is(err, bidirule.ErrInvalid) {
			return "", invalid(CodeInvalidValue, field, "%s mixes right-to-left and left-to-right text in a way RFC 5893 does not allow.", field)
		}
		return "", badCharacter(field, "holds a character sequence that is not allowed.")
	}
	if err := oneScript(field, u); err != nil {
		return "", err
	}
	return u, nil
}

// Script sets that UTS #39's "Highly Restrictive" level lets one
// identifier mix: the writing systems of Japanese, Chinese and Korean
// text, each with Latin.
var scriptMixes = [][]*unicode.RangeTable{
	{unicode.Latin, unicode.Han, unicode.Hiragana, unicode.Katakana},
	{unicode.Latin, unicode.Han, unicode.Bopomofo},
	{unicode.Latin, unicode.Han, unicode.Hangul},
}

// scriptOf names the script of r; Common and Inherited characters (digits,
// punctuation, combining marks) belong to every script and yield nil.
func scriptOf(r rune) *unicode.RangeTable {
	if unicode.In(r, unicode.Common, unicode.Inherited) {
		return nil
	}
	for _, t := range unicode.Scripts {
		if unicode.Is(t, r) {
			return t
		}
	}
	return nil
}

// oneScript refuses an identifier part (between "@" and ".") that mixes
// scripts beyond what scriptMixes allows.
func oneScript(field, s string) error {
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '@' || r == '.' }) {
		var seen []*unicode.RangeTable
		for _, r := range part {
			if t := scriptOf(r); t != nil && !containsTable(seen, t) {
				seen = append(seen, t)
			}
		}
		if len(seen) > 1 && !allowedMix(seen) {
			return invalid(CodeMixedScripts, field, "%s mixes writing systems in %q (for example Latin and Cyrillic letters); use one script in each part.", field, part)
		}
	}
	return nil
}

func allowedMix(seen []*unicode.RangeTable) bool {
next:
	for _, mix := range scriptMixes {
		for _, t := range seen {
			if !containsTable(mix, t) {
				continue next
			}
		}
		return true
	}
	return false
}

func containsTable(ts []*unicode.RangeTable, t *unicode.RangeTable) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// foldKey maps a string the way UsernameCaseMapped does (width folding,
// lower case, NFC) without refusing anything, so that every stored value,
// including one stored before these rules, has a uniqueness key.
func foldKey(s string) string {
	return norm.NFC.String(lowerCase.String(width.Fold.String(s)))
}

// usernameKey is a username's uniqueness key: its RFC 8265
// UsernameCaseMapped form, so "TK421", "ｔｋ４２１" and "tk421" collide.
func usernameKey(u string) string {
	if k, err := precis.UsernameCaseMapped.String(u); err == nil {
		return k
	}
	return foldKey(u)
}

// emailKey is an email's uniqueness key: the whole address, local part
// included, compared case-insensitively after width folding and NFC.
func emailKey(e string) string { return foldKey(e) }

// nameKey is an application or group name's uniqueness key: RFC 8266's
// Nickname comparison (spaces trimmed and collapsed, NFKC, lower case),
// so "Admins", "admins " and "ＡＤＭＩＮＳ" collide.
func nameKey(n string) string {
	if k, err := precis.Nickname.CompareKey(n); err == nil {
		return k
	}
	return foldKey(n)
}
