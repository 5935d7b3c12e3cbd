package rank

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"

	"lpz/bench"
)

func TestRanks(t *testing.T) {
	tests := []struct {
		in, want []float64
	}{
		{[]float64{10, 20, 20, 30}, []float64{1, 2.5, 2.5, 4}},
		{[]float64{3, 1, 2}, []float64{3, 1, 2}},
		{[]float64{5, 5, 5}, []float64{2, 2, 2}},
		{[]float64{2, 1, 2, 1, 3}, []float64{3.5, 1.5, 3.5, 1.5, 5}},
	}
	for _, tc := range tests {
		if got := Ranks(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Ranks(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

const eps = 1e-12

// Hand-computed values:
//
//   - "no ties": x = 1..5, y = [2 1 4 3 5]. Rank differences d = [-1 1 -1 1 0],
//     Σd² = 4, ρ = 1 − 6·4/(5·(25−1)) = 0.8. Pairs: 10, discordant (1,2) and
//     (3,4), so τ = (8−2)/10 = 0.6.
//   - "x ties": x = [1 2 2 3], y = [1 2 3 4]. Ranks x = [1 2.5 2.5 4], mean 2.5:
//     Σdx·dy = 2.25+0+0+2.25 = 4.5, Σdx² = 4.5, Σdy² = 5, ρ = 4.5/√22.5 =
//     3/√10. τ-b: n₀ = 6, one pair tied in x, 5 concordant, τ = 5/√(5·6).
//   - "both ties": x = [1 1 2 3], y = [1 1 2 2]. Ranks x = [1.5 1.5 3 4],
//     y = [1.5 1.5 3.5 3.5]: Σdx·dy = 1+1+0.5+1.5 = 4, Σdx² = 4.5, Σdy² = 4,
//     ρ = 4/√18. τ-b: pair (0,1) tied in both, (2,3) tied in y, the other 4
//     concordant: τ = 4/√((6−1)(6−2)) = 4/√20.
func TestSpearmanKendallHand(t *testing.T) {
	tests := []struct {
		name     string
		x, y     []float64
		rho, tau float64
	}{
		{"perfect +1", []float64{1, 2, 3, 4, 5}, []float64{10, 20, 30, 40, 50}, 1, 1},
		{"perfect -1", []float64{1, 2, 3, 4, 5}, []float64{5, 4, 3, 2, 1}, -1, -1},
		{"monotone nonlinear", []float64{1, 2, 3, 4}, []float64{1, 10, 100, 1000}, 1, 1},
		{"no ties", []float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}, 0.8, 0.6},
		{"x ties", []float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}, 3 / math.Sqrt(10), 5 / math.Sqrt(30)},
		{"both ties", []float64{1, 1, 2, 3}, []float64{1, 1, 2, 2}, 4 / math.Sqrt(18), 4 / math.Sqrt(20)},
		{"three points", []float64{3, 1, 2}, []float64{1, 2, 3}, -0.5, -1.0 / 3},
	}
	for _, tc := range tests {
		rho, err := Spearman(tc.x, tc.y)
		if err != nil || math.Abs(rho-tc.rho) > eps {
			t.Errorf("%s: Spearman = %v, %v; want %v", tc.name, rho, err, tc.rho)
		}
		tau, err := KendallTauB(tc.x, tc.y)
		if err != nil || math.Abs(tau-tc.tau) > eps {
			t.Errorf("%s: KendallTauB = %v, %v; want %v", tc.name, tau, err, tc.tau)
		}
		// Symmetric in its arguments.
		if r2, _ := Spearman(tc.y, tc.x); math.Abs(r2-rho) > eps {
			t.Errorf("%s: Spearman not symmetric", tc.name)
		}
		if t2, _ := KendallTauB(tc.y, tc.x); math.Abs(t2-tau) > eps {
			t.Errorf("%s: Kendall not symmetric", tc.name)
		}
	}
}

func TestSpearmanKendallErrors(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want error // nil: any non-nil error
	}{
		{"constant x", []float64{1, 1, 1, 1}, []float64{1, 2, 3, 4}, ErrUndefined},
		{"constant y", []float64{1, 2, 3}, []float64{7, 7, 7}, ErrUndefined},
		{"two points", []float64{1, 2}, []float64{1, 2}, ErrTooFew},
		{"empty", nil, nil, ErrTooFew},
		{"length", []float64{1, 2, 3}, []float64{1, 2}, nil},
		{"nan", []float64{1, math.NaN(), 3}, []float64{1, 2, 3}, nil},
		{"inf", []float64{1, 2, 3}, []float64{1, math.Inf(1), 3}, nil},
	}
	for _, tc := range tests {
		for fname, f := range map[string]func(x, y []float64) (float64, error){"Spearman": Spearman, "KendallTauB": KendallTauB} {
			v, err := f(tc.x, tc.y)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("%s %s: %v, %v; want error %v", fname, tc.name, v, err, tc.want)
			}
			if !math.IsNaN(v) {
				t.Errorf("%s %s: value %v, want NaN", fname, tc.name, v)
			}
		}
	}
}

// TestAgainstGonum cross-checks on random data: Spearman without ties equals
// gonum's Pearson correlation of the ranks computed independently by sorting,
// and τ-b without ties equals gonum's stat.Kendall (τ-a, equal to τ-b then).
func TestAgainstGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		n := 3 + r.IntN(40)
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64()
			y[i] = x[i] + r.NormFloat64()
		}
		rank := func(v []float64) []float64 {
			s := slices.Clone(v)
			sort.Float64s(s)
			out := make([]float64, len(v))
			for i, a := range v {
				out[i] = float64(sort.SearchFloat64s(s, a) + 1)
			}
			return out
		}
		want := stat.Correlation(rank(x), rank(y), nil)
		got, err := Spearman(x, y)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("n=%d: Spearman %v, gonum %v", n, got, want)
		}
		wantTau := stat.Kendall(x, y, nil)
		gotTau, err := KendallTauB(x, y)
		if err != nil || math.Abs(gotTau-wantTau) > 1e-12 {
			t.Errorf("n=%d: Kendall %v, gonum %v", n, gotTau, wantTau)
		}
	}
}

func TestCorrelateSign(t *testing.T) {
	scores := []float64{1, 2, 3, 4}
	ppl := []float64{40, 30, 20, 10} // lower is better: score 4 is the best model
	tests := []struct {
		name   string
		truth  []float64
		higher bool
		rho    float64
	}{
		{"lower is better, good proxy", ppl, false, 1},
		{"lower is better, bad proxy", []float64{10, 20, 30, 40}, false, -1},
		{"higher is better, good proxy", []float64{70, 71, 72, 73}, true, 1},
	}
	for _, tc := range tests {
		rho, tau, err := Correlate(scores, tc.truth, tc.higher)
		if err != nil || rho != tc.rho || tau != tc.rho {
			t.Errorf("%s: ρ %v τ %v err %v; want %v", tc.name, rho, tau, err, tc.rho)
		}
	}
	if _, _, err := Correlate([]float64{1, 1, 1}, []float64{1, 2, 3}, false); !errors.Is(err, ErrUndefined) {
		t.Errorf("constant: err %v", err)
	}
	// The truth slice is not modified.
	if ppl[0] != 40 {
		t.Error("Correlate modified truth")
	}
}

func TestWithinStratum(t *testing.T) {
	// Stratum a: perfect (ρ 1). Stratum b: reversed (ρ −1 with higher-is-better
	// truth). Stratum c: 2 points (skipped). Stratum d: constant scores
	// (skipped). Mean over a, b = 0. Strata are ordered naturally.
	scores := []float64{1, 2, 3, 1, 2, 3, 1, 2, 5, 5, 5}
	truth := []float64{1, 2, 3, 3, 2, 1, 1, 2, 1, 2, 3}
	strata := []string{"d128", "d128", "d128", "d64", "d64", "d64", "c", "c", "d9", "d9", "d9"}
	mean, per, used, err := WithinStratum(scores, truth, strata, true)
	if err != nil || used != 2 || mean != 0 {
		t.Fatalf("mean %v used %d err %v", mean, used, err)
	}
	names := []string{}
	for _, p := range per {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"c", "d9", "d64", "d128"}) {
		t.Errorf("order %v", names)
	}
	want := map[string]struct {
		rho     float64
		skipped bool
	}{"c": {0, true}, "d9": {0, true}, "d64": {-1, false}, "d128": {1, false}}
	for _, p := range per {
		w := want[p.Name]
		if (p.Skipped != "") != w.skipped || (!w.skipped && float64(p.Rho) != w.rho) {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}
	// Lower is better flips every stratum.
	mean, _, _, _ = WithinStratum(scores[:6], truth[:6], strata[:6], false)
	if mean != 0 {
		t.Errorf("flipped mean %v", mean)
	}
	if _, _, _, err := WithinStratum(scores[6:8], truth[6:8], strata[6:8], true); !errors.Is(err, ErrUndefined) {
		t.Errorf("no usable strata: err %v", err)
	}
	if _, _, _, err := WithinStratum(scores, truth, strata[:3], true); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestNaturalLess(t *testing.T) {
	in := []string{"d512", "d64", "h256-L4", "d128", "h128-L4", "h128-L2", "d256", "a", "d064"}
	sort.Slice(in, func(i, j int) bool { return naturalLess(in[i], in[j]) })
	want := []string{"a", "d064", "d64", "d128", "d256", "d512", "h128-L2", "h128-L4", "h256-L4"}
	if !slices.Equal(in, want) {
		t.Errorf("got %v", in)
	}
}

func fakeBench() *bench.Benchmark {
	b := &bench.Benchmark{Name: "fake", Family: bench.FamilyGPT2, TruthName: "valid_ppl"}
	ppl := []float64{50, 40, 30, 20, 45, 35, 25}
	dm := []int{64, 64, 64, 64, 128, 128, 128}
	for i := range ppl {
		b.Archs = append(b.Archs, bench.Arch{ID: string(rune('a' + i)), Truth: ppl[i], GPT2: &bench.GPT2Config{DModel: dm[i]}})
	}
	return b
}

func TestReport(t *testing.T) {
	b := fakeBench()
	r, err := NewReport(b, []string{"a", "b", "c", "d", "e", "f", "g"}, []float64{1, 2, 3, 4, 1.5, 2.5, 3.5}, "dparams")
	if err != nil {
		t.Fatal(err)
	}
	if r.N != 7 || r.Rho != 1 || r.Tau != 1 || r.Within != 1 || r.StrataUsed != 2 || r.StrataSkipped != 0 {
		t.Errorf("report %+v", r)
	}
	txt := r.Text()
	for _, w := range []string{"fake", "dparams", "valid_ppl", "lower is better", "spearman rho      1.0000", "kendall tau-b     1.0000", "d64", "d128"} {
		if !strings.Contains(txt, w) {
			t.Errorf("text lacks %q:\n%s", w, txt)
		}
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bench", "n", "rho", "tau", "within_stratum_rho", "strata"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %s: %s", k, js)
		}
	}

	// Constant scores: undefined, printed as such, null in JSON.
	r, err = NewReport(b, []string{"a", "b", "c", "e"}, []float64{1, 1, 1, 1}, "const")
	if err != nil {
		t.Fatal(err)
	}
	if r.Rho.Defined() || r.Tau.Defined() || r.Within.Defined() || r.Undefined == "" || r.StrataSkipped != 2 {
		t.Errorf("constant report %+v", r)
	}
	if txt := r.Text(); !strings.Contains(txt, "spearman rho      undefined") {
		t.Errorf("text:\n%s", txt)
	}
	js, _ = r.JSON()
	if !strings.Contains(string(js), `"rho": null`) {
		t.Errorf("json: %s", js)
	}

	// Bad input.
	bad := []struct {
		ids    []string
		scores []float64
		want   string
	}{
		{[]string{"a", "zz", "c"}, []float64{1, 2, 3}, "not in benchmark"},
		{[]string{"a", "a", "c"}, []float64{1, 2, 3}, "twice"},
		{[]string{"a", "b"}, []float64{1, 2, 3}, "2 ids but 3 scores"},
		{[]string{"a", "b", "c"}, []float64{1, math.NaN(), 3}, "not finite"},
	}
	for _, tc := range bad {
		if _, err := NewReport(b, tc.ids, tc.scores, "x"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.ids, err, tc.want)
		}
	}
	// From a map: missing and foreign ids.
	if _, err := NewReportFromMap(b, b.Archs, map[string]float64{"a": 1, "b": 2}, "x"); err == nil || !strings.Contains(err.Error(), "5 of 7 architectures have no score") {
		t.Errorf("missing: %v", err)
	}
	full := map[string]float64{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "config_0_j0": 1}
	if _, err := NewReportFromMap(b, b.Archs, full, "x"); err == nil || !strings.Contains(err.Error(), "config_0_j0") {
		t.Errorf("foreign: %v", err)
	}
	delete(full, "config_0_j0")
	if r, err := NewReportFromMap(b, b.Archs[:4], full, "x"); err != nil || r.N != 4 || r.Rho != 1 {
		t.Errorf("subset: %+v %v", r, err)
	}
}

func TestScatterPlot(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.png")
	if err := ScatterPlot(p, []float64{1, 2, 3}, []float64{3, 1, 2}, "test"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil || len(data) < 8 || string(data[1:4]) != "PNG" {
		t.Fatalf("not a PNG: %v %d bytes", err, len(data))
	}
	if err := ScatterPlot(p, []float64{1}, []float64{1, 2}, "x"); err == nil {
		t.Error("length mismatch accepted")
	}
}
