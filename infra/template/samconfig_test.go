package template_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keystorm/keystorm/infra/template"
)

// A parameter override that names no template parameter, or gives a value
// the template does not allow, fails only when CloudFormation sees it,
// which for samconfig.toml's local sections is never: SAM ignores unknown
// names there. These tests read every override Keystorm documents (in
// samconfig.toml, in its comments, and in the README's deploy commands)
// and check each against template.yaml, and check that the README's tables
// of parameters and outputs are the template's.

var (
	samconfigPath = filepath.Join("..", "..", "samconfig.toml")
	readmePath    = filepath.Join("..", "..", "README.md")
)

// deploySection is the README section that documents deploying.
const deploySection = "## Deploy to AWS"

// override is one Name=Value a document gives a parameter.
type override struct {
	where, name, value string
	// literal is false when the value is a shell expansion (it has a $),
	// which only a real shell can resolve: then only the name is checked.
	literal bool
}

func TestSamconfigParameterOverrides(t *testing.T) {
	tpl := loadReal(t)
	data, err := os.ReadFile(samconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	settings, examples, err := samconfigOverrides(string(data))
	if err != nil {
		t.Fatalf("samconfig.toml: %v", err)
	}
	// Both kinds exist today; none found means the reader is broken.
	if len(settings) == 0 || len(examples) == 0 {
		t.Fatalf("samconfig.toml: found %d parameter_overrides values and %d --parameter-overrides examples; want some of each", len(settings), len(examples))
	}
	checkOverrides(t, tpl, append(settings, examples...))
}

func TestReadmeDeployParameterOverrides(t *testing.T) {
	tpl := loadReal(t)
	section := readmeSection(t, deploySection)
	ovs, err := shellOverrides(section, "README.md "+deploySection)
	if err != nil {
		t.Fatal(err)
	}
	if len(ovs) == 0 {
		t.Fatalf("README.md %s: no `sam … --parameter-overrides` command in a ```sh block", deploySection)
	}
	checkOverrides(t, tpl, ovs)
}

// TestReadmeDeployTables checks the README's parameter and output tables
// against the template: every parameter with its default, every output.
func TestReadmeDeployTables(t *testing.T) {
	tpl := loadReal(t)
	section := readmeSection(t, deploySection)
	params := tableRows(section, "| parameter | default |")
	if len(params) == 0 {
		t.Fatal("README.md: no parameter table in the deploy section")
	}
	seen := map[string]bool{}
	for _, row := range params {
		name := strings.Trim(row[0], "`")
		p, ok := tpl.Parameters[name]
		if !ok {
			t.Errorf("README.md lists parameter %q, which template.yaml does not have", name)
			continue
		}
		seen[name] = true
		want := "`" + p.Default + "`"
		if p.Default == "" {
			want = "empty"
		}
		if row[1] != want {
			t.Errorf("README.md: parameter %s default %s, template.yaml says %s", name, row[1], want)
		}
	}
	for name := range tpl.Parameters {
		if !seen[name] {
			t.Errorf("README.md does not list parameter %s", name)
		}
	}
	var outputs []string
	for _, row := range tableRows(section, "| output | what it is |") {
		outputs = append(outputs, strings.Trim(row[0], "`"))
	}
	want := slices.Clone(tpl.Outputs)
	slices.Sort(outputs)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(outputs, want) {
		t.Errorf("README.md lists outputs %q, template.yaml has %q", outputs, want)
	}
}

func checkOverrides(t *testing.T, tpl *template.Template, ovs []override) {
	t.Helper()
	for _, err := range overrideErrors(tpl, ovs) {
		t.Error(err)
	}
}

// overrideErrors checks each override's name, and its value when literal.
func overrideErrors(tpl *template.Template, ovs []override) []error {
	var errs []error
	for _, o := range ovs {
		p, ok := tpl.Parameters[o.name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s is not a parameter of template.yaml", o.where, o.name))
			continue
		}
		if !o.literal {
			continue
		}
		if err := p.Check(o.value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s=%s: %w", o.where, o.name, o.value, err))
		}
	}
	return errs
}

// samconfigOverrides reads samconfig.toml line by line. SAM's file is
// simple (tables, key = value, comments), so this reads only what it
// needs and refuses what it does not understand rather than skip it:
// every `parameter_overrides = …` value (a basic or literal string, or a
// one-line array of them) is a setting, and every comment line with
// `--parameter-overrides` is an example command.
func samconfigOverrides(text string) (settings, examples []override, err error) {
	table := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		where := fmt.Sprintf("samconfig.toml:%d", i+1)
		switch {
		case strings.HasPrefix(trimmed, "#"):
			if strings.Contains(trimmed, "--parameter-overrides") {
				ovs, err := shellCommandOverrides(strings.TrimPrefix(trimmed, "#"), where+" (comment)")
				if err != nil {
					return nil, nil, err
				}
				examples = append(examples, ovs...)
			}
		case strings.HasPrefix(trimmed, "["):
			table = strings.TrimSpace(strings.Trim(trimmed, "[]"))
		case strings.Contains(trimmed, "parameter_overrides"):
			key, value, ok := strings.Cut(trimmed, "=")
			if !ok || strings.TrimSpace(key) != "parameter_overrides" {
				return nil, nil, fmt.Errorf("%s: cannot read %q", where, trimmed)
			}
			strs, err := tomlStrings(strings.TrimSpace(value))
			if err != nil {
				return nil, nil, fmt.Errorf("%s: parameter_overrides: %w", where, err)
			}
			for _, s := range strs {
				ovs, err := samOverrides(s, fmt.Sprintf("%s [%s]", where, table))
				if err != nil {
					return nil, nil, err
				}
				settings = append(settings, ovs...)
			}
		}
	}
	return settings, examples, nil
}

// tomlStrings reads a TOML value that is a string or a one-line array of
// strings, followed by nothing but an optional comment.
func tomlStrings(v string) ([]string, error) {
	var out []string
	rest := v
	array := strings.HasPrefix(rest, "[")
	if array {
		rest = strings.TrimSpace(rest[1:])
	}
	for {
		if array && strings.HasPrefix(rest, "]") {
			rest = strings.TrimSpace(rest[1:])
			break
		}
		s, r, err := tomlString(rest)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		rest = strings.TrimSpace(r)
		if !array {
			break
		}
		if c, ok := strings.CutPrefix(rest, ","); ok {
			rest = strings.TrimSpace(c)
		} else if !strings.HasPrefix(rest, "]") {
			return nil, fmt.Errorf("cannot read the array %q (only one-line arrays of strings are read)", v)
		}
	}
	if rest != "" && !strings.HasPrefix(rest, "#") {
		return nil, fmt.Errorf("unexpected %q after the value", rest)
	}
	return out, nil
}

// tomlString reads one basic ("…", with TOML's escapes) or literal ('…')
// one-line string at the start of s and returns the rest.
func tomlString(s string) (string, string, error) {
	if strings.HasPrefix(s, `"""`) || strings.HasPrefix(s, "'''") {
		return "", "", fmt.Errorf("multi-line strings are not read: %q", s)
	}
	if lit, ok := strings.CutPrefix(s, "'"); ok {
		end := strings.IndexByte(lit, '\'')
		if end < 0 {
			return "", "", fmt.Errorf("unterminated literal string %q", s)
		}
		return lit[:end], lit[end+1:], nil
	}
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("want a string, got %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 >= len(s) {
				return "", "", fmt.Errorf("unterminated string %q", s)
			}
			i++
			switch e := s[i]; e {
			case 'b', 't', 'n', 'f', 'r', '"', '\\':
				b.WriteByte(map[byte]byte{'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', '"': '"', '\\': '\\'}[e])
			case 'u', 'U':
				n := map[byte]int{'u': 4, 'U': 8}[e]
				if i+n >= len(s) {
					return "", "", fmt.Errorf("short \\%c escape in %q", e, s)
				}
				r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
				if err != nil || !utf8.ValidRune(rune(r)) {
					return "", "", fmt.Errorf("bad \\%c escape in %q", e, s)
				}
				b.WriteRune(rune(r))
				i += n
			default:
				return "", "", fmt.Errorf("bad escape \\%c in %q", e, s)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated string %q", s)
}

// samOverrides splits a parameter_overrides value the way SAM reads it:
// Name=Value pairs separated by spaces, a value in double quotes (with
// backslash escapes) when it holds spaces, or
// ParameterKey=Name,ParameterValue=Value.
func samOverrides(s, where string) ([]override, error) {
	var out []override
	for _, tok := range splitWords(s, false) {
		if tok.err != nil {
			return nil, fmt.Errorf("%s: %w", where, tok.err)
		}
		name, value, ok := strings.Cut(tok.text, "=")
		if ok && name == "ParameterKey" {
			name, value, ok = strings.Cut(value, ",ParameterValue=")
		}
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: %q is not Name=Value", where, tok.text)
		}
		out = append(out, override{where: where, name: name, value: value, literal: true})
	}
	return out, nil
}

// shellOverrides reads the `sam … --parameter-overrides` commands of the
// ```sh blocks of a Markdown text.
func shellOverrides(markdown, where string) ([]override, error) {
	var out []override
	inSh := false
	for i, line := range strings.Split(markdown, "\n") {
		switch t := strings.TrimSpace(line); {
		case t == "```sh":
			inSh = true
		case strings.HasPrefix(t, "```"):
			inSh = false
		case inSh && strings.HasPrefix(t, "sam ") && strings.Contains(t, "--parameter-overrides"):
			ovs, err := shellCommandOverrides(t, fmt.Sprintf("%s, line %d of the section", where, i+1))
			if err != nil {
				return nil, err
			}
			out = append(out, ovs...)
		}
	}
	return out, nil
}

// shellCommandOverrides reads the words after --parameter-overrides in a
// shell command, up to the next option or the end of the command.
func shellCommandOverrides(cmd, where string) ([]override, error) {
	_, after, ok := strings.Cut(cmd, "--parameter-overrides")
	if !ok {
		return nil, fmt.Errorf("%s: no --parameter-overrides in %q", where, cmd)
	}
	var out []override
	for _, tok := range splitWords(after, true) {
		if tok.err != nil {
			return nil, fmt.Errorf("%s: %w", where, tok.err)
		}
		if strings.HasPrefix(tok.text, "-") || slices.Contains([]string{"&&", "||", ";", "|", "\\"}, tok.text) {
			break
		}
		name, value, ok := strings.Cut(tok.text, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: %q after --parameter-overrides is not Name=Value", where, tok.text)
		}
		out = append(out, override{where: where, name: name, value: value, literal: !tok.expands})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: --parameter-overrides without Name=Value in %q", where, cmd)
	}
	return out, nil
}

type word struct {
	text    string
	expands bool // an unquoted or double-quoted $ (shell mode)
	err     error
}

// splitWords splits s at unquoted spaces and removes the quotes. In shell
// mode '…' quotes literally and "…" allows \" \\ \$ escapes and $
// expansions; otherwise (SAM's syntax) only "…" quotes, with any
// backslash escape.
func splitWords(s string, shell bool) []word {
	var out []word
	var cur strings.Builder
	var w word
	in := false // inside a word
	flush := func() {
		if in {
			w.text = cur.String()
			out = append(out, w)
		}
		cur.Reset()
		w, in = word{}, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\'' && shell:
			in = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return append(out, word{err: fmt.Errorf("unterminated ' in %q", s)})
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case c == '\'':
			return append(out, word{err: fmt.Errorf("SAM does not read single quotes: %q", s)})
		case c == '"':
			in = true
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && (!shell || strings.IndexByte(`"\$`, s[j+1]) >= 0) {
					j++
				} else if s[j] == '$' && shell {
					w.expands = true
				}
				cur.WriteByte(s[j])
			}
			if j == len(s) {
				return append(out, word{err: fmt.Errorf(`unterminated " in %q`, s)})
			}
			i = j
		default:
			in = true
			if c == '$' && shell {
				w.expands = true
			}
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// readmeSection returns a level-2 section of README.md, heading included.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("README.md has no %q section", heading)
	}
	section := text[start+1:]
	if end := strings.Index(section[len(heading):], "\n## "); end >= 0 {
		section = section[:len(heading)+end]
	}
	return section
}

// tableRows returns the cells of the Markdown table whose header line
// starts with header, without the header and separator rows.
func tableRows(markdown, header string) [][]string {
	var rows [][]string
	lines := strings.Split(markdown, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, header) {
			continue
		}
		for _, r := range lines[i+2:] {
			if !strings.HasPrefix(r, "|") {
				break
			}
			var cells []string
			for _, c := range strings.Split(strings.Trim(r, "|"), "|") {
				cells = append(cells, strings.TrimSpace(c))
			}
			rows = append(rows, cells)
		}
		break
	}
	return rows
}

// The readers above must be able to fail: these pin what they refuse.

func TestParameterCheck(t *testing.T) {
	tpl := loadReal(t)
	for _, c := range []struct {
		name, value string
		ok          bool
	}{
		{"AuthCacheTtl", "0", true},
		{"AuthCacheTtl", "300", true},
		{"AuthCacheTtl", "301", false},
		{"AuthCacheTtl", "-1", false},
		{"AuthCacheTtl", "five", false},
		{"AuthCacheTtl", "NaN", false},
		{"LogLevel", "debug", true},
		{"LogLevel", "trace", false},
		{"EnableDeletionProtection", "false", true},
		{"EnableDeletionProtection", "no", false},
		{"TokenKeyRotationPeriod", "30d", true},
		{"TokenKeyRotationPeriod", "0d", false},
		{"TokenKeyRotationPeriod", "30d ", false}, // the whole value must match
		{"PublicBaseUrl", "", true},
		{"PublicBaseUrl", "https://abc.execute-api.eu-west-1.amazonaws.com/prod", true},
		{"PublicBaseUrl", "https://example.com/?x", false},
		{"PublicBaseUrl", "ftp://example.com", false},
	} {
		p, ok := tpl.Parameters[c.name]
		if !ok {
			t.Fatalf("no parameter %s", c.name)
		}
		if err := p.Check(c.value); (err == nil) != c.ok {
			t.Errorf("%s.Check(%q) = %v, want ok=%v", c.name, c.value, err, c.ok)
		}
	}
}

func TestSamconfigReader(t *testing.T) {
	good := []struct {
		toml string
		want []string // name=value of settings, then examples
	}{
		{`parameter_overrides = "AuthCacheTtl=0 LogLevel=debug" # dev`, []string{"AuthCacheTtl=0", "LogLevel=debug"}},
		{`parameter_overrides = "PublicBaseUrl=\"\" AuthCacheTtl=\"5\""`, []string{"PublicBaseUrl=", "AuthCacheTtl=5"}},
		{`parameter_overrides = 'LogLevel=warn'`, []string{"LogLevel=warn"}},
		{`parameter_overrides = ["AuthCacheTtl=1", "LogLevel=info"]`, []string{"AuthCacheTtl=1", "LogLevel=info"}},
		{`parameter_overrides = "ParameterKey=LogLevel,ParameterValue=error"`, []string{"LogLevel=error"}},
		{`#   sam deploy --parameter-overrides EnableTracing=true --guided`, []string{"EnableTracing=true"}},
	}
	for _, c := range good {
		settings, examples, err := samconfigOverrides("[default.deploy.parameters]\n" + c.toml + "\n")
		if err != nil {
			t.Errorf("%s: %v", c.toml, err)
			continue
		}
		var got []string
		for _, o := range append(settings, examples...) {
			got = append(got, o.name+"="+o.value)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.toml, got, c.want)
		}
	}
	for _, bad := range []string{
		`parameter_overrides = """AuthCacheTtl=0"""`,
		`parameter_overrides = AuthCacheTtl=0`,
		`parameter_overrides = "AuthCacheTtl=0" extra`,
		`parameter_overrides = "AuthCacheTtl"`,
		`parameter_overrides = "LogLevel='debug'"`,
		`parameter_overrides = "LogLevel=\q"`,
		`deploy.parameter_overrides = "LogLevel=debug"`,
		`# sam deploy --parameter-overrides`,
	} {
		if _, _, err := samconfigOverrides(bad + "\n"); err == nil {
			t.Errorf("%s: read without error", bad)
		}
	}
	// And a value or name the template does not allow is reported.
	tpl := loadReal(t)
	for _, o := range []override{
		{where: "x", name: "AuthCacheTTL", value: "5", literal: true},
		{where: "x", name: "LogLevel", value: "verbose", literal: true},
		{where: "x", name: "NoSuchParameter", value: "$X", literal: false},
	} {
		if len(overrideErrors(tpl, []override{o})) == 0 {
			t.Errorf("%s=%s passed the check", o.name, o.value)
		}
	}
}

func TestShellOverrides(t *testing.T) {
	md := "```sh\nsam deploy --parameter-overrides EnableDeletionProtection=false 'LogLevel=warn' PublicBaseUrl=\"${MGMT%/v1}\" --no-confirm-changeset\n```\n" +
		"prose: sam deploy --parameter-overrides is not read here\n"
	ovs, err := shellOverrides(md, "t")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range ovs {
		got = append(got, fmt.Sprintf("%s=%s/%v", o.name, o.value, o.literal))
	}
	want := []string{"EnableDeletionProtection=false/true", "LogLevel=warn/true", "PublicBaseUrl=${MGMT%/v1}/false"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := shellOverrides("```sh\nsam deploy --parameter-overrides --guided\n```\n", "t"); err == nil {
		t.Error("an empty --parameter-overrides was read")
	}
}
