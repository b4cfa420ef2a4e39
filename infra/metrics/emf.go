package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/keystorm/keystorm/domain"
)

// Units of CloudWatch metrics (the MetricDatum Unit values) that callers
// use here; Emit accepts any of CloudWatch's units.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
	UnitSeconds      = "Seconds"
	UnitBytes        = "Bytes"
	UnitPercent      = "Percent"
	UnitNone         = "None"
)

// units is every unit CloudWatch accepts; another would make CloudWatch
// reject the whole line.
var units = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true,
	"Bytes": true, "Kilobytes": true, "Megabytes": true, "Gigabytes": true, "Terabytes": true,
	"Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true,
	"Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true,
	"Count/Second": true, "None": true,
}

// Limits. EMF allows 30 dimensions in a set, 100 metrics in a directive
// and dimension values of 1024 characters; the value bound here is far
// lower on purpose: a legitimate dimension value is a short constant, and
// anything longer is a caller passing data it should not.
const (
	MaxDimensions     = 30
	MaxMetrics        = 100
	MaxNameLen        = 255
	MaxDimensionValue = 64
)

// InvalidValue replaces a dimension value that is too long, empty, or not
// printable ASCII.
const InvalidValue = "invalid"

// Errors of Emit. ErrDimensionValue still writes the line (with
// InvalidValue in place of the value), so the count is not lost; the
// others write nothing, as they are mistakes in the calling code.
var (
	ErrDimensionValue = errors.New("metrics: dimension value replaced: only short printable constants are allowed")
	ErrInvalid        = errors.New("metrics: invalid metric line")
)

// Metric is one value to emit.
type Metric struct {
	Name string
	// Unit is one of CloudWatch's units (UnitCount, ...); "" leaves it
	// out, which CloudWatch reads as None.
	Unit  string
	Value float64
}

// Emitter writes EMF lines to Out. Set the fields before first use; it is
// safe for concurrent use, each line written with one Write under a
// mutex so concurrent lines never interleave.
type Emitter struct {
	// Out receives the lines: os.Stdout in Lambda.
	Out io.Writer
	// Namespace is the CloudWatch namespace, e.g. "Keystorm".
	Namespace string
	// Clock stamps each line (the metrics' time, in epoch milliseconds).
	Clock domain.Clock

	mu sync.Mutex
}

// Emit writes one line holding metrics under one dimension set made of
// every dimension in dims (names sorted, so equal calls write equal
// lines). Dimension values must be fixed strings chosen by the caller
// (see the package documentation): one that is empty, longer than
// MaxDimensionValue or not printable ASCII is written as InvalidValue and
// Emit returns ErrDimensionValue. Bad names, units or values, or a name
// used twice, write nothing and return an error wrapping ErrInvalid.
func (e *Emitter) Emit(dims map[string]string, metrics ...Metric) error {
	line, err := e.line(dims, metrics)
	if line == nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, werr := e.Out.Write(line); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit,omitempty"`
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// line builds the JSON line, or returns nil and why not.
func (e *Emitter) line(dims map[string]string, metrics []Metric) ([]byte, error) {
	return e.build(dims, metrics, e.Clock.Now().UnixMilli())
}

// build is line at timestamp ts (epoch milliseconds).
func (e *Emitter) build(dims map[string]string, metrics []Metric, ts int64) ([]byte, error) {
	invalid := func(format string, a ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if !validName(e.Namespace) {
		return invalid("namespace %q", e.Namespace)
	}
	if len(metrics) == 0 || len(metrics) > MaxMetrics {
		return invalid("%d metrics (1..%d)", len(metrics), MaxMetrics)
	}
	if len(dims) > MaxDimensions {
		return invalid("%d dimensions (at most %d)", len(dims), MaxDimensions)
	}
	root := map[string]any{}
	names := make([]string, 0, len(dims))
	var err error
	for name, value := range dims {
		if !validName(name) || name == "_aws" {
			return invalid("dimension name %q", name)
		}
		if !validValue(value) {
			value, err = InvalidValue, ErrDimensionValue
		}
		names = append(names, name)
		root[name] = value
	}
	slices.Sort(names)
	defs := make([]definition, 0, len(metrics))
	for _, m := range metrics {
		if !validName(m.Name) || m.Name == "_aws" {
			return invalid("metric name %q", m.Name)
		}
		if _, taken := root[m.Name]; taken {
			return invalid("name %q used twice", m.Name)
		}
		if m.Unit != "" && !units[m.Unit] {
			return invalid("unit %q of %s", m.Unit, m.Name)
		}
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			return invalid("value %v of %s", m.Value, m.Name) // JSON has no NaN or infinity
		}
		root[m.Name] = m.Value
		defs = append(defs, definition{Name: m.Name, Unit: m.Unit})
	}
	root["_aws"] = metadata{
		Timestamp: ts,
		CloudWatchMetrics: []directive{{
			Namespace: e.Namespace, Dimensions: [][]string{names}, Metrics: defs,
		}},
	}
	b, merr := json.Marshal(root)
	if merr != nil {
		return nil, merr
	}
	return append(b, '\n'), err
}

// validName bounds names (namespace, dimension and metric names) like
// CloudWatch does, and to printable ASCII, so a name is never a way to
// write arbitrary bytes either.
func validName(s string) bool {
	return s != "" && len(s) <= MaxNameLen && printable(s)
}

func validValue(s string) bool {
	return s != "" && len(s) <= MaxDimensionValue && printable(s)
}

// printable reports whether s is printable ASCII (space to tilde) and
// not only spaces: no control characters, no line breaks, no bytes a log
// reader could take for something else.
func printable(s string) bool {
	blank := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
		if c != ' ' {
			blank = false
		}
	}
	return !blank
}

// Prepared is a line whose dimensions and metrics never change (a count
// of 1 under fixed names): only its timestamp does, so emitting it is an
// append and a write, not a JSON encoding. The authorizer emits one per
// decision, on the hot path of every request.
type Prepared struct {
	e          *Emitter
	head, tail []byte
	pool       sync.Pool
}

// Prepare validates and encodes a line once (errors as Emit's; a
// dimension value that is replaced is an error here, since it would be
// the same every time).
func (e *Emitter) Prepare(dims map[string]string, metrics ...Metric) (*Prepared, error) {
	line, err := e.build(dims, metrics, -1)
	if err != nil {
		return nil, err
	}
	// Timestamp is the first member of _aws, so its value is followed by
	// the CloudWatchMetrics member: split the line around it.
	const at, next = `"Timestamp":`, `-1,"CloudWatchMetrics"`
	i := bytes.Index(line, []byte(at+next))
	if i < 0 || bytes.Count(line, []byte(at)) != 1 {
		return nil, fmt.Errorf("%w: no single timestamp in %q", ErrInvalid, line)
	}
	head := line[:i+len(at)]
	tail := line[i+len(at)+2:]
	return &Prepared{e: e, head: head, tail: tail}, nil
}

// Emit writes the line stamped with the Emitter's clock.
func (p *Prepared) Emit() error {
	bp, _ := p.pool.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, len(p.head)+len(p.tail)+20)
		bp = &b
	}
	b := append((*bp)[:0], p.head...)
	b = strconv.AppendInt(b, p.e.Clock.Now().UnixMilli(), 10)
	b = append(b, p.tail...)
	p.e.mu.Lock()
	_, err := p.e.Out.Write(b)
	p.e.mu.Unlock()
	*bp = b
	p.pool.Put(bp)
	return err
}
