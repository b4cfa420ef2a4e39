package metrics_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/metrics"
)

var at = time.Date(2026, 4, 2, 12, 30, 5, 123_000_000, time.UTC)

func emitter(out *bytes.Buffer) *metrics.Emitter {
	return &metrics.Emitter{Out: out, Namespace: "Keystorm", Clock: domain.ClockFunc(func() time.Time { return at })}
}

// checkEMF parses one line and checks it against the EMF specification's
// rules: a JSON object with _aws {Timestamp, CloudWatchMetrics} and no
// other members, each directive {Namespace, Dimensions, Metrics}, every
// dimension key naming a string member of the root and every metric name
// a number member. It returns the root.
func checkEMF(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, line)
	}
	var meta map[string]json.RawMessage
	if err := json.Unmarshal(root["_aws"], &meta); err != nil || len(meta) != 2 {
		t.Fatalf("_aws = %s, want an object of Timestamp and CloudWatchMetrics", root["_aws"])
	}
	var ts int64
	if err := json.Unmarshal(meta["Timestamp"], &ts); err != nil || ts != at.UnixMilli() {
		t.Errorf("Timestamp = %s, want %d (epoch ms)", meta["Timestamp"], at.UnixMilli())
	}
	var dirs []map[string]json.RawMessage
	if err := json.Unmarshal(meta["CloudWatchMetrics"], &dirs); err != nil || len(dirs) != 1 {
		t.Fatalf("CloudWatchMetrics = %s, want one directive", meta["CloudWatchMetrics"])
	}
	d := dirs[0]
	if len(d) != 3 {
		t.Errorf("directive has members %v, want Namespace, Dimensions, Metrics", d)
	}
	var ns string
	if err := json.Unmarshal(d["Namespace"], &ns); err != nil || ns == "" {
		t.Errorf("Namespace = %s", d["Namespace"])
	}
	var all map[string]any
	if err := json.Unmarshal(line, &all); err != nil {
		t.Fatal(err)
	}
	var sets [][]string
	if err := json.Unmarshal(d["Dimensions"], &sets); err != nil || len(sets) != 1 || len(sets[0]) > 30 {
		t.Fatalf("Dimensions = %s, want one set of at most 30", d["Dimensions"])
	}
	for _, k := range sets[0] {
		if _, ok := all[k].(string); !ok {
			t.Errorf("dimension %q is %v in the root, want a string", k, all[k])
		}
	}
	var defs []map[string]any
	if err := json.Unmarshal(d["Metrics"], &defs); err != nil || len(defs) == 0 || len(defs) > 100 {
		t.Fatalf("Metrics = %s, want 1..100 definitions", d["Metrics"])
	}
	for _, def := range defs {
		name, _ := def["Name"].(string)
		if _, ok := all[name].(float64); !ok {
			t.Errorf("metric %q is %v in the root, want a number", name, all[name])
		}
		for k := range def {
			if k != "Name" && k != "Unit" {
				t.Errorf("metric definition member %q", k)
			}
		}
	}
	return all
}

func TestEmitStructure(t *testing.T) {
	var out bytes.Buffer
	e := emitter(&out)
	err := e.Emit(map[string]string{"Reason": "expired", "Function": "authorizer"},
		metrics.Metric{Name: "Refused", Unit: metrics.UnitCount, Value: 1},
		metrics.Metric{Name: "Latency", Unit: metrics.UnitMilliseconds, Value: 2.5})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(out.Bytes(), []byte("}\n")) || bytes.Count(out.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("want one line: %q", out.String())
	}
	root := checkEMF(t, out.Bytes())
	if root["Reason"] != "expired" || root["Function"] != "authorizer" || root["Refused"] != 1.0 || root["Latency"] != 2.5 {
		t.Errorf("root %v", root)
	}
	dir := root["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if got := fmt.Sprint(dir["Dimensions"]); got != "[[Function Reason]]" {
		t.Errorf("Dimensions %s, want names sorted", got)
	}
	if got := fmt.Sprint(dir["Metrics"]); got != "[map[Name:Refused Unit:Count] map[Name:Latency Unit:Milliseconds]]" {
		t.Errorf("Metrics %s", got)
	}
	if dir["Namespace"] != "Keystorm" {
		t.Errorf("Namespace %v", dir["Namespace"])
	}
}

// TestEmitDeterministic: equal calls write equal lines, whatever the map
// order, so the output can be compared and deduplicated.
func TestEmitDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	dims := map[string]string{"A": "1", "B": "2", "C": "3", "D": "4", "E": "5"}
	for range 20 {
		a.Reset()
		b.Reset()
		if err := emitter(&a).Emit(dims, metrics.Metric{Name: "N", Value: 1}); err != nil {
			t.Fatal(err)
		}
		if err := emitter(&b).Emit(dims, metrics.Metric{Name: "N", Value: 1}); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Fatalf("%s != %s", a.String(), b.String())
		}
	}
}

func TestEmitNoDimensionsNoUnit(t *testing.T) {
	var out bytes.Buffer
	if err := emitter(&out).Emit(nil, metrics.Metric{Name: "Flushes", Value: 3}); err != nil {
		t.Fatal(err)
	}
	root := checkEMF(t, out.Bytes())
	if !strings.Contains(out.String(), `"Dimensions":[[]]`) || strings.Contains(out.String(), `"Unit"`) {
		t.Errorf("line %s: want an empty dimension set and no Unit", out.String())
	}
	if root["Flushes"] != 3.0 {
		t.Errorf("root %v", root)
	}
}

// TestDimensionValuesCleaned: a value that is not a short printable
// constant never reaches the output; the count still does.
func TestDimensionValuesCleaned(t *testing.T) {
	for _, v := range []string{"", "   ", "line\nbreak", "tab\there", "\x1b[31mred", "é", strings.Repeat("x", metrics.MaxDimensionValue+1), "Bearer abc\r\n{\"_aws\":1}"} {
		var out bytes.Buffer
		err := emitter(&out).Emit(map[string]string{"Reason": v}, metrics.Metric{Name: "Refused", Unit: metrics.UnitCount, Value: 1})
		if !errors.Is(err, metrics.ErrDimensionValue) {
			t.Errorf("%q: err %v", v, err)
		}
		root := checkEMF(t, out.Bytes())
		if root["Reason"] != metrics.InvalidValue || root["Refused"] != 1.0 {
			t.Errorf("%q: root %v", v, root)
		}
		if v != "" && strings.Contains(out.String(), v) {
			t.Errorf("%q reached the output: %s", v, out.String())
		}
	}
	var out bytes.Buffer
	if err := emitter(&out).Emit(map[string]string{"Reason": strings.Repeat("x", metrics.MaxDimensionValue)}, metrics.Metric{Name: "N", Value: 1}); err != nil {
		t.Errorf("a value of MaxDimensionValue: %v", err)
	}
}

// TestInvalidWritesNothing: mistakes of the calling code are refused
// whole, since CloudWatch would reject the line anyway.
func TestInvalidWritesNothing(t *testing.T) {
	many := make([]metrics.Metric, metrics.MaxMetrics+1)
	for i := range many {
		many[i] = metrics.Metric{Name: fmt.Sprintf("M%d", i), Value: 1}
	}
	manyDims := map[string]string{}
	for i := range metrics.MaxDimensions + 1 {
		manyDims[fmt.Sprintf("D%d", i)] = "x"
	}
	cases := []struct {
		name string
		ns   string
		dims map[string]string
		ms   []metrics.Metric
	}{
		{"no metrics", "Keystorm", nil, nil},
		{"too many metrics", "Keystorm", nil, many},
		{"too many dimensions", "Keystorm", manyDims, []metrics.Metric{{Name: "N", Value: 1}}},
		{"empty namespace", "", nil, []metrics.Metric{{Name: "N", Value: 1}}},
		{"empty metric name", "Keystorm", nil, []metrics.Metric{{Value: 1}}},
		{"metric name _aws", "Keystorm", nil, []metrics.Metric{{Name: "_aws", Value: 1}}},
		{"dimension name _aws", "Keystorm", map[string]string{"_aws": "x"}, []metrics.Metric{{Name: "N", Value: 1}}},
		{"control in a name", "Keystorm", map[string]string{"A\nB": "x"}, []metrics.Metric{{Name: "N", Value: 1}}},
		{"metric named like a dimension", "Keystorm", map[string]string{"N": "x"}, []metrics.Metric{{Name: "N", Value: 1}}},
		{"metric twice", "Keystorm", nil, []metrics.Metric{{Name: "N", Value: 1}, {Name: "N", Value: 2}}},
		{"unknown unit", "Keystorm", nil, []metrics.Metric{{Name: "N", Unit: "Requests", Value: 1}}},
		{"NaN", "Keystorm", nil, []metrics.Metric{{Name: "N", Value: math.NaN()}}},
		{"infinity", "Keystorm", nil, []metrics.Metric{{Name: "N", Value: math.Inf(1)}}},
	}
	for _, c := range cases {
		var out bytes.Buffer
		e := emitter(&out)
		e.Namespace = c.ns
		if err := e.Emit(c.dims, c.ms...); !errors.Is(err, metrics.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", c.name, err)
		}
		if out.Len() != 0 {
			t.Errorf("%s: wrote %q", c.name, out.String())
		}
	}
}

// lockedWriter fails the test if two Writes overlap: the Emitter must
// serialize them itself, one Write per line.
type lockedWriter struct {
	mu     sync.Mutex
	busy   bool
	buf    bytes.Buffer
	writes int
	t      *testing.T
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.busy {
		w.t.Error("concurrent Write")
	}
	w.busy = true
	w.mu.Unlock()
	defer func() { w.mu.Lock(); w.busy = false; w.mu.Unlock() }()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

func TestEmitConcurrent(t *testing.T) {
	w := &lockedWriter{t: t}
	e := &metrics.Emitter{Out: w, Namespace: "Keystorm", Clock: domain.ClockFunc(func() time.Time { return at })}
	const workers, each = 16, 50
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if err := e.Emit(map[string]string{"Worker": fmt.Sprint(i)}, metrics.Metric{Name: "N", Unit: metrics.UnitCount, Value: float64(j)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if w.writes != workers*each {
		t.Errorf("%d writes, want one per line (%d)", w.writes, workers*each)
	}
	sc := bufio.NewScanner(&w.buf)
	n := 0
	for sc.Scan() {
		checkEMF(t, sc.Bytes())
		n++
	}
	if n != workers*each {
		t.Errorf("%d lines, want %d", n, workers*each)
	}
}

// A prepared line is the line Emit writes, with only the timestamp
// changing.
func TestPreparedEqualsEmit(t *testing.T) {
	var a, b bytes.Buffer
	now := time.Unix(1795773600, 123e6)
	clock := domain.ClockFunc(func() time.Time { return now })
	ea := &metrics.Emitter{Out: &a, Namespace: "Keystorm", Clock: clock}
	eb := &metrics.Emitter{Out: &b, Namespace: "Keystorm", Clock: clock}
	dims := map[string]string{"Flavour": "REQUEST", "Decision": "Allow", "Reason": "basic"}
	m := metrics.Metric{Name: "Decisions", Unit: metrics.UnitCount, Value: 1}
	p, err := ea.Prepare(dims, m)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.Emit(); err != nil {
			t.Fatal(err)
		}
		if err := eb.Emit(dims, m); err != nil {
			t.Fatal(err)
		}
		now = now.Add(1500 * time.Millisecond)
	}
	if a.String() != b.String() || strings.Count(a.String(), "\n") != 3 {
		t.Fatalf("prepared:\n%s\nemitted:\n%s", a.String(), b.String())
	}
	if _, err := ea.Prepare(map[string]string{"Bad": "\x00"}, m); err == nil {
		t.Fatal("a prepared line with a replaced dimension value")
	}
}
