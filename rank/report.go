package rank

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"lpz/bench"
)

// Report is the outcome of ranking one proxy on (a subset of) a benchmark.
type Report struct {
	Bench          string `json:"bench"`
	BenchSize      int    `json:"bench_size"` // architectures in the benchmark
	Proxy          string `json:"proxy"`      // proxy expression or score file
	Truth          string `json:"truth"`      // ground truth name, e.g. "valid_ppl"
	HigherIsBetter bool   `json:"higher_is_better"`
	// Seed is the sampling seed when the architectures are a sample (set by
	// the caller; nil = not sampled).
	Seed *int64 `json:"seed,omitempty"`
	// Data, Backend and Capture say what produced the scores: the data
	// directory, the compute backend and the capture settings (empty for
	// architecture-level proxies and score files).
	Data    string `json:"data,omitempty"`
	Backend string `json:"backend,omitempty"`
	Capture string `json:"capture,omitempty"`
	// InvalidIDs lists architectures whose score was NaN/Inf and were left
	// out (set with LeaveOut, which also counts them in Quality.Invalid).
	InvalidIDs []string `json:"invalid_ids,omitempty"`

	Quality
	// Undefined says why Rho and Tau are undefined ("" when defined).
	Undefined string `json:"undefined,omitempty"`

	StrataBy       string          `json:"strata_by"` // what defines a stratum
	StrataSkipped  int             `json:"strata_skipped"`
	Strata         []StratumResult `json:"strata"`
	IDs            []string        `json:"-"`
	Scores         []float64       `json:"-"`
	TruthValues    []float64       `json:"-"`
	StratumOfPoint []string        `json:"-"`
}

// LeaveOut records the architectures whose scores were not finite and
// were left out of the ranking.
func (r *Report) LeaveOut(ids []string) {
	r.InvalidIDs, r.Invalid = ids, len(ids)
}

// StrataDescription says what a stratum is for a benchmark family.
func StrataDescription(family string) string { return bench.StrataBy(family) }

// NewReport ranks scores[i] of architecture ids[i] of b against b's ground
// truth (sign convention of Correlate) and computes the mean within-stratum ρ
// (strata from bench.StratumOf). ids must be distinct architectures of b.
// Undefined statistics (constant input, fewer than 3 points) are reported in
// the Report, not as an error; errors are for bad input (unknown or
// duplicate ids, length mismatch, non-finite scores).
func NewReport(b *bench.Benchmark, ids []string, scores []float64, proxy string) (*Report, error) {
	if len(ids) != len(scores) {
		return nil, fmt.Errorf("rank: %d ids but %d scores", len(ids), len(scores))
	}
	r := &Report{
		Bench: b.Name, BenchSize: len(b.Archs), Proxy: proxy, Truth: b.TruthName,
		HigherIsBetter: b.HigherIsBetter, StrataBy: StrataDescription(b.Family),
		IDs: ids, Scores: scores,
		TruthValues: make([]float64, len(ids)), StratumOfPoint: make([]string, len(ids)),
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		a, ok := b.Arch(id)
		if !ok {
			return nil, fmt.Errorf("rank: architecture %q is not in benchmark %s", id, b.Name)
		}
		if seen[id] {
			return nil, fmt.Errorf("rank: architecture %q given twice", id)
		}
		seen[id] = true
		if math.IsNaN(scores[i]) || math.IsInf(scores[i], 0) {
			return nil, fmt.Errorf("rank: score of %s is %v (not finite)", id, scores[i])
		}
		r.TruthValues[i] = a.Truth
		r.StratumOfPoint[i] = bench.StratumOf(a)
	}
	q, per, why, err := assess(scores, r.TruthValues, r.StratumOfPoint, b.HigherIsBetter)
	if err != nil {
		return nil, err
	}
	r.Quality, r.Undefined = q, why
	r.Strata, r.StrataSkipped = per, len(per)-q.StrataUsed
	return r, nil
}

// NewReportFromMap ranks the architectures archs (e.g. all of b, or a
// bench.Sample of it) with scores looked up by id, as read by
// bench.ReadScores. It is an error if some of archs have no score, or if the
// map holds ids that are not in b at all (a score file for another
// benchmark); ids of b outside archs are ignored (a full score file ranked on
// a sample).
func NewReportFromMap(b *bench.Benchmark, archs []bench.Arch, scores map[string]float64, proxy string) (*Report, error) {
	var missing, unknown []string
	ids := make([]string, len(archs))
	vals := make([]float64, len(archs))
	for i, a := range archs {
		v, ok := scores[a.ID]
		if !ok {
			missing = append(missing, a.ID)
		}
		ids[i], vals[i] = a.ID, v
	}
	for id := range scores {
		if _, ok := b.Arch(id); !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("rank: %d of %d score ids are not architectures of %s: %s",
			len(unknown), len(scores), b.Name, firstFew(unknown))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("rank: %d of %d architectures have no score: %s",
			len(missing), len(archs), firstFew(missing))
	}
	return NewReport(b, ids, vals, proxy)
}

func firstFew(s []string) string {
	const k = 5
	if len(s) <= k {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:k], ", ") + fmt.Sprintf(", ... (%d more)", len(s)-k)
}

// Text formats the report for humans.
func (r *Report) Text() string {
	var sb strings.Builder
	dir := "higher is better"
	if !r.HigherIsBetter {
		dir = "lower is better; negated so that a good proxy has rho > 0"
	}
	fmt.Fprintf(&sb, "benchmark         %s (%d of %d architectures", r.Bench, r.N, r.BenchSize)
	if r.Seed != nil {
		fmt.Fprintf(&sb, ", sample seed %d", *r.Seed)
	}
	sb.WriteString(")\n")
	fmt.Fprintf(&sb, "proxy             %s\n", r.Proxy)
	if r.Data != "" {
		fmt.Fprintf(&sb, "data              %s\n", r.Data)
	}
	if r.Backend != "" {
		fmt.Fprintf(&sb, "backend           %s\n", r.Backend)
	}
	if r.Capture != "" {
		fmt.Fprintf(&sb, "capture           %s\n", r.Capture)
	}
	if len(r.InvalidIDs) > 0 {
		fmt.Fprintf(&sb, "invalid scores    %d architectures left out (NaN/Inf): %s\n", len(r.InvalidIDs), firstFew(r.InvalidIDs))
	}
	fmt.Fprintf(&sb, "ground truth      %s (%s)\n", r.Truth, dir)
	fmt.Fprintf(&sb, "n                 %d\n", r.N)
	fmt.Fprintf(&sb, "spearman rho      %s\n", r.Rho.Text(4))
	fmt.Fprintf(&sb, "kendall tau-b     %s\n", r.Tau.Text(4))
	if r.Undefined != "" {
		fmt.Fprintf(&sb, "                  (undefined: %s)\n", r.Undefined)
	}
	fmt.Fprintf(&sb, "within-stratum    %s (mean rho over %d strata of %s; %d skipped)\n",
		r.Within.Text(4), r.StrataUsed, r.StrataBy, r.StrataSkipped)
	for _, s := range r.Strata {
		if s.Skipped != "" {
			fmt.Fprintf(&sb, "  %-10s n %4d  rho skipped: %s\n", s.Name, s.N, s.Skipped)
		} else {
			fmt.Fprintf(&sb, "  %-10s n %4d  rho %s\n", s.Name, s.N, s.Rho.Text(4))
		}
	}
	return sb.String()
}

// JSON formats the report as indented JSON (undefined statistics are null).
func (r *Report) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}
