package httpapi

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// Error codes are public API, documented only in the README's error
// table, and answered in three places: Go code (through Describe, whose
// status comes from statusOf), API Gateway (template.yaml's
// GatewayResponses) and the README. Nothing but this test keeps the four
// in line, so it reads them all and compares.

var (
	readmePath   = filepath.Join("..", "..", "README.md")
	templatePath = filepath.Join("..", "..", "template.yaml")
	// constDirs hold every Code* constant: the domain's and this package's.
	constDirs = []string{filepath.Join("..", "..", "domain"), "."}
)

func TestErrorCodeTable(t *testing.T) {
	readme, tpl := readFile(t, readmePath), readFile(t, templatePath)
	consts := codeConstants(t)
	// Fewer constants than this means the parsing broke, not that the
	// codes went away; the check below would then pass on nothing.
	if len(consts) < 20 {
		t.Fatalf("found %d Code* constants; the parser is not seeing them", len(consts))
	}
	for _, p := range codeTableProblems(readme, tpl, Codes, consts) {
		t.Error(p)
	}
}

// TestErrorCodeTableCatches breaks each source of truth in turn and
// expects a complaint: a check that cannot fail checks nothing.
func TestErrorCodeTableCatches(t *testing.T) {
	readme, tpl := readFile(t, readmePath), readFile(t, templatePath)
	consts := codeConstants(t)
	row := func(code int) string {
		m := regexp.MustCompile(`(?m)^\| <a id="error-` + strconv.Itoa(code) + `"></a>.*\n`).FindString(readme)
		if m == "" {
			t.Fatalf("README has no row for %d", code)
		}
		return m
	}
	withConst := func(name string, v int) map[string]int {
		c := maps.Clone(consts)
		c[name] = v
		return c
	}
	nf := row(domain.CodeNotFound)
	cases := map[string]struct {
		readme, tpl string
		codes       []domain.CodeInfo
		consts      map[string]int
		want        string
	}{
		"a row missing": {strings.Replace(readme, nf, "", 1), tpl, Codes, consts, "no README row"},
		"a row twice":   {strings.Replace(readme, nf, nf+nf, 1), tpl, Codes, consts, "twice"},
		"a wrong status": {strings.Replace(readme, nf, strings.Replace(nf, "| 404 | Stormpath", "| 410 | Stormpath", 1), 1),
			tpl, Codes, consts, "status"},
		"a wrong origin": {strings.Replace(readme, nf, strings.Replace(nf, "Stormpath", "Keystorm", 1), 1),
			tpl, Codes, consts, "origin"},
		"an anchor for another code": {strings.Replace(readme, nf, strings.Replace(nf, `"error-404"`, `"error-4040"`, 1), 1),
			tpl, Codes, consts, "anchor"},
		"a row for no code": {strings.Replace(readme, nf, nf+`| <a id="error-8999"></a>8999 | 400 | Keystorm | Nothing. |`+"\n", 1),
			tpl, Codes, consts, "no such code"},
		"a constant not in Codes":       {readme, tpl, Codes, withConst("CodeBrandNew", 8998), "not in Codes"},
		"a constant with another value": {readme, tpl, Codes, withConst("CodeNotFound", 4040), "Codes says"},
		"a Keystorm code outside 8000-8999": {readme, tpl,
			append(slices.Clone(Codes), domain.CodeInfo{Code: 2099, Name: "CodeOwn", Kind: domain.KindInvalid}),
			withConst("CodeOwn", 2099), "8000-8999"},
		"a gateway status the README does not list": {readme,
			strings.Replace(tpl, `{"status":413,"code":8002`, `{"status":400,"code":8002`, 1), Codes, consts, "status"},
		"a gateway code not in Codes": {readme,
			strings.Replace(tpl, `"code":8400,`, `"code":8499,`, 1), Codes, consts, "8499"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := codeTableProblems(c.readme, c.tpl, c.codes, c.consts)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("no problem mentioning %q; got %q", c.want, got)
			}
		})
	}
}

// readmeRow is one row of the README's error table.
type readmeRow struct {
	statuses []int
	origin   string
}

var (
	// errorsSection is the README section that holds the table; rows are
	// only read inside it, so another table's rows cannot pass for codes.
	errorsSection = regexp.MustCompile(`(?s)\n### Errors\n(.*?)\n## `)
	// rowPattern is a table row: the anchor moreInfo links to, the code,
	// its statuses ("500 / 502"), its origin and a meaning.
	rowPattern = regexp.MustCompile(`^\| <a id="error-(\d+)"></a>(\d+) \| (\d{3}(?: / \d{3})*) \| (Stormpath|Keystorm) \| [^|]+ \|$`)
	// gatewayBody is a GatewayResponses template in template.yaml.
	gatewayBody = regexp.MustCompile(`^\s*application/json: '(\{"status".*\})'$`)
	statusLine  = regexp.MustCompile(`^\s*StatusCode: (\d+)$`)
)

// codeTableProblems compares the README's error table with codes (the
// Codes table), consts (every Code* constant by name), statusOf and the
// gateway responses in tpl, and describes each disagreement.
func codeTableProblems(readme, tpl string, codes []domain.CodeInfo, consts map[string]int) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	rows := map[int]readmeRow{}
	sec := errorsSection.FindStringSubmatch(readme)
	if sec == nil {
		return []string{"README.md has no \"### Errors\" section followed by another"}
	}
	for _, line := range strings.Split(sec[1], "\n") {
		if !strings.HasPrefix(line, "| <a id=\"error-") {
			continue
		}
		m := rowPattern.FindStringSubmatch(line)
		if m == nil {
			bad("README row not in the form | <a id=\"error-N\"></a>N | status | origin | meaning |: %s", line)
			continue
		}
		code, _ := strconv.Atoi(m[2])
		if m[1] != m[2] {
			bad("README row %d has the anchor error-%s; moreInfo links to error-%d", code, m[1], code)
		}
		if _, dup := rows[code]; dup {
			bad("README lists %d twice", code)
		}
		var statuses []int
		for _, s := range strings.Split(m[3], " / ") {
			n, _ := strconv.Atoi(s)
			statuses = append(statuses, n)
		}
		rows[code] = readmeRow{statuses: statuses, origin: m[4]}
	}

	gateway, gwProblems := gatewayStatuses(tpl)
	problems = append(problems, gwProblems...)

	byCode := map[int]domain.CodeInfo{}
	byName := map[string]domain.CodeInfo{}
	for _, c := range codes {
		if _, dup := byCode[c.Code]; dup {
			bad("Codes lists %d twice", c.Code)
		}
		if _, dup := byName[c.Name]; dup {
			bad("Codes lists %s twice", c.Name)
		}
		byCode[c.Code], byName[c.Name] = c, c
		if v, ok := consts[c.Name]; !ok {
			bad("Codes names %s (%d), which is no Code* constant", c.Name, c.Code)
		} else if v != c.Code {
			bad("%s is %d, but Codes says %d", c.Name, v, c.Code)
		}
		own := c.Code >= 8000 && c.Code <= 8999
		if c.Stormpath == own {
			bad("%s (%d): Stormpath's codes lie outside 8000-8999 and Keystorm's own inside it", c.Name, c.Code)
		}

		want := map[int]bool{}
		if !c.GatewayOnly {
			s, ok := statusOf[c.Kind]
			if !ok {
				s = 500 // Describe's answer for a kind it does not know
			}
			want[s] = true
		}
		for _, s := range gateway[c.Code] {
			want[s] = true
		}
		if len(want) == 0 {
			bad("%s (%d) is gateway-only, but no gateway response in template.yaml answers with it", c.Name, c.Code)
		}
		r, ok := rows[c.Code]
		if !ok {
			bad("%s (%d) has no README row", c.Name, c.Code)
			continue
		}
		got := map[int]bool{}
		for _, s := range r.statuses {
			got[s] = true
		}
		if !maps.Equal(got, want) {
			bad("README gives %d the status %v; its kind and template.yaml answer with %v", c.Code, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		if wantOrigin := map[bool]string{true: "Stormpath", false: "Keystorm"}[c.Stormpath]; r.origin != wantOrigin {
			bad("README gives %d the origin %s; Codes says %s", c.Code, r.origin, wantOrigin)
		}
	}
	for name, v := range consts {
		if _, ok := byName[name]; !ok {
			bad("constant %s (%d) is not in Codes, so the README table is not checked for it", name, v)
		}
	}
	for code := range rows {
		if _, ok := byCode[code]; !ok {
			bad("README lists %d, but there is no such code in Codes", code)
		}
	}
	for code := range gateway {
		if _, ok := byCode[code]; !ok {
			bad("template.yaml answers with code %d, which is not in Codes", code)
		}
	}
	slices.Sort(problems)
	return problems
}

// gatewayStatuses reads the status every gateway response in tpl answers
// each code with, and checks each response's body against its StatusCode
// and its moreInfo against its code.
func gatewayStatuses(tpl string) (map[int][]int, []string) {
	var problems []string
	out := map[int][]int{}
	status := 0
	for i, line := range strings.Split(tpl, "\n") {
		if m := statusLine.FindStringSubmatch(line); m != nil {
			status, _ = strconv.Atoi(m[1])
			continue
		}
		m := gatewayBody.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var b ErrorBody
		if err := json.Unmarshal([]byte(m[1]), &b); err != nil {
			problems = append(problems, fmt.Sprintf("template.yaml line %d: %v", i+1, err))
			continue
		}
		if b.Status != status {
			problems = append(problems, fmt.Sprintf("template.yaml line %d: the body says status %d, the response sends %d", i+1, b.Status, status))
		}
		if b.MoreInfo != MoreInfoBase+strconv.Itoa(b.Code) {
			problems = append(problems, fmt.Sprintf("template.yaml line %d: moreInfo %s does not anchor code %d", i+1, b.MoreInfo, b.Code))
		}
		if !slices.Contains(out[b.Code], status) {
			out[b.Code] = append(out[b.Code], status)
		}
	}
	// Gateway responses exist today; none found means the reader broke.
	if len(out) == 0 {
		problems = append(problems, "template.yaml: found no gateway response bodies")
	}
	return out, problems
}

// codeConstants returns every constant named Code* in constDirs' non-test
// files, with its value. A Code* constant that is not an integer literal
// is reported as -1, which no table entry matches.
func codeConstants(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	fset := token.NewFileSet()
	for _, dir := range constDirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					for i, id := range vs.Names {
						if !strings.HasPrefix(id.Name, "Code") {
							continue
						}
						v := -1
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.INT {
								v, _ = strconv.Atoi(lit.Value)
							}
						}
						if _, dup := out[id.Name]; dup {
							t.Fatalf("%s is declared twice", id.Name)
						}
						out[id.Name] = v
					}
				}
			}
		}
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
