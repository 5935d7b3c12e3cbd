package study

import (
	"context"
	"math"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/rank"
)

func TestParseShard(t *testing.T) {
	if i, n, err := ParseShard("1/4"); i != 1 || n != 4 || err != nil {
		t.Errorf("1/4: %d %d %v", i, n, err)
	}
	for _, bad := range []string{"3/2", "4/4", "-1/2", "1", "a/b", "0/0", ""} {
		if _, _, err := ParseShard(bad); err == nil || !strings.Contains(err.Error(), "--shard wants i/n with 0 ≤ i < n") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestDataLocation(t *testing.T) {
	for dir, want := range map[string]string{
		"embedded:nano/benchmark.json": "embedded (nano/benchmark.json)",
		"/data/mine/benchmark.json":    "/data/mine",
		"../shared/bench":              "../shared/bench",
	} {
		if got := DataLocation(bench.Source{Dir: dir}); got != want {
			t.Errorf("%s: %q, want %q", dir, got, want)
		}
	}
}

// --save-scores writes what --scores reads back, in benchmark order.
func TestWriteScoresRoundTrip(t *testing.T) {
	s, err := Open(bench.NanoName, "", string(bench.DefaultFlexiMode))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile("params")
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := s.Rank(context.Background(), p, s.Bench.Archs, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep.Data = DataLocation(s.Bench.Source)
	path := t.TempDir() + "/scores.yaml"
	if err := WriteScores(path, rep); err != nil {
		t.Fatal(err)
	}
	back, err := bench.ReadScores(path)
	if err != nil || len(back) != len(rep.IDs) {
		t.Fatalf("read back %d scores, %v", len(back), err)
	}
	for i, id := range rep.IDs {
		if back[id] != rep.Scores[i] {
			t.Errorf("%s: %v, wrote %v", id, back[id], rep.Scores[i])
		}
	}
	again, err := s.RankFile(s.Bench.Archs, path, "")
	if err != nil || again.Rho != rep.Rho || again.Proxy != path {
		t.Errorf("ranking the saved scores: %v (ρ %v, want %v)", err, again.Rho, rep.Rho)
	}
	if _, err := s.RankFile(s.Bench.Archs, path, "nosuchcolumn"); err == nil {
		t.Error("a missing column ranked")
	}
	if lo, hi := TruthRange(s.Bench); !(lo < hi) || lo != min(rep.TruthValues[0], lo) {
		t.Errorf("truth range %v … %v", lo, hi)
	}
}

func TestAblationSummary(t *testing.T) {
	r := &AblationReport{Cells: [][]AblationCell{
		{{Sample: 0.5, All: 0.4, Evals: 100, ToBest: 50, Improvements: 2}, {Sample: 0.7, All: 0.6, Evals: 300, ToBest: 10, Improvements: 2}},
		{{Sample: 0.1, All: 0.2, Evals: 10, ToBest: 10}},
		nil,
	}}
	s := r.Summary(0)
	if s.Runs != 2 || math.Abs(s.Sample.Mean-0.6) > 1e-12 || math.Abs(s.Sample.SD-math.Sqrt(0.02)) > 1e-12 || s.Evals != 200 || s.ToBest != 30 || s.PerImprovement != 100 {
		t.Errorf("setting 0: %+v", s)
	}
	if s := r.Summary(1); s.Runs != 1 || s.All.SD != 0 || !math.IsNaN(s.PerImprovement) {
		t.Errorf("setting 1: %+v", s)
	}
	if s := r.Summary(2); s.Runs != 0 {
		t.Errorf("setting 2: %+v", s)
	}
}

func TestOverfit(t *testing.T) {
	q := func(rho float64) *rank.Quality { return &rank.Quality{Rho: rank.Stat(rho)} }
	for _, c := range []struct {
		sample  float64
		held    *rank.Quality
		gap     float64
		overfit bool
	}{
		{0.8, q(0.6), 0.2, true},
		{0.8, q(0.75), 0, false},
		{0.8, nil, 0, false},
		{0.8, q(math.NaN()), 0, false},
	} {
		f := FormulaReport{Sample: *q(c.sample), HeldOut: c.held}
		gap, ok := f.Overfit()
		if ok != c.overfit || math.Abs(gap-c.gap) > 1e-12 {
			t.Errorf("sample %v held %v: %v %v", c.sample, c.held, gap, ok)
		}
	}
}

func TestBinaryCode(t *testing.T) {
	for _, c := range []struct {
		b    Binary
		want string
	}{
		{Binary{}, "lpz (unknown revision)"},
		{Binary{Revision: "0123456789abcdef"}, "lpz 0123456789ab"},
		{Binary{Revision: "abc", Modified: true}, "lpz abc+dirty"},
	} {
		if got := c.b.Code(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.b, got, c.want)
		}
	}
	if ThisBinary().Version == "" {
		t.Error("no version")
	}
}
