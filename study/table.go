package study

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"lpz/bench"
	"lpz/corpus"
	"lpz/interp"
	"lpz/lang"
	"lpz/parallel"
	"lpz/rank"
	"lpz/stdlib"
)

// The table of baselines: the proxies of the literature (corpus/baselines/)
// ranked on one benchmark beside the values the LPZero paper publishes
// (its Tables 2 and 3), and optionally beside an earlier implementation's
// per-architecture values (bench.References).

// TableRow is one proxy of the table. The exported fields are the row as
// reported; the rest is scoring state.
type TableRow struct {
	Baseline string          `json:"baseline"` // the paper's row label, or the proxy name
	Proxy    string          `json:"proxy"`    // proxy statement name
	File     string          `json:"file"`     // corpus file
	Formula  string          `json:"formula"`  // canonical formula (lets inlined)
	Paper    bench.Published `json:"paper"`
	Blocked  string          `json:"blocked,omitempty"` // why it could not be scored

	// The quality over the architectures scored (undefined: NaN, null in
	// JSON; Invalid counts the architectures with NaN/Inf scores), with
	// Pearson r beside it since the paper's FlexiBERT ρ column is one.
	rank.Quality
	Pearson rank.Stat `json:"pearson"` // Pearson r against the oriented truth
	// DRho is ours − paper for the paper's ρ column, computed with the
	// statistic that column holds (bench.PaperRhoMetric: Pearson r on
	// FlexiBERT, Spearman ρ on GPT-2); undefined when either is.
	DRho rank.Stat `json:"delta_rho"`
	DTau rank.Stat `json:"delta_tau"`
	// Seconds is the mean time per architecture to get this proxy's
	// inputs (capture or cache read) and evaluate it: CaptureSeconds +
	// EvalSeconds. Captures are timed one at a time (waiting for another
	// architecture's capture is not counted).
	Seconds        float64 `json:"seconds_per_arch"`
	CaptureSeconds float64 `json:"capture_seconds_per_arch"`
	EvalSeconds    float64 `json:"eval_seconds_per_arch"`

	Against *AgainstResult `json:"against,omitempty"`

	prog     *interp.Program
	scores   map[string]float64
	captured time.Duration // summed over architectures
	evalTime time.Duration
	capture  bool
}

// Scores are the row's finite scores by architecture id (after ScoreTable).
func (r *TableRow) Scores() map[string]float64 { return r.scores }

// Program is the row's compiled formula (nil for a row blocked from the
// start).
func (r *TableRow) Program() *interp.Program { return r.prog }

// AgainstResult compares our per-architecture values with an earlier
// implementation's (the reference/ files of the shared benchmarks).
type AgainstResult struct {
	File    string    `json:"file"`
	Column  string    `json:"column,omitempty"`
	N       int       `json:"n"`
	Rho     rank.Stat `json:"rho_vs_reference"` // Spearman between ours and theirs
	RefRho  rank.Stat `json:"reference_rho"`    // their values against the ground truth
	RefTau  rank.Stat `json:"reference_tau"`
	RefR    rank.Stat `json:"reference_pearson"`
	Note    string    `json:"note,omitempty"`
	Problem string    `json:"problem,omitempty"`
}

// TableReport is the table of one benchmark.
type TableReport struct {
	Bench   string      `json:"bench"`
	N       int         `json:"n"`
	Total   int         `json:"bench_size"`
	Seed    *int64      `json:"seed,omitempty"` // the sample's seed, when a sample
	Truth   string      `json:"truth"`
	Strata  string      `json:"strata_by"`
	Source  string      `json:"published_source"`
	Metric  string      `json:"published_rho_metric"` // what the paper's ρ column is
	Capture string      `json:"capture,omitempty"`    // how the captures were made, when some row reads them
	Rows    []*TableRow `json:"rows"`
}

// TableRows lists the rows for a benchmark: the paper's baselines in the
// order of its tables, then the other proxies of corpus/baselines/
// (variants), then with withCorpus the top-level corpus proxies. only, a
// comma-separated list of proxy names, keeps just those rows.
func TableRows(benchName string, withCorpus bool, only string) ([]*TableRow, error) {
	proxies, err := corpusProxies()
	if err != nil {
		return nil, err
	}
	byName := map[string]corpusProxy{}
	for _, p := range proxies {
		if _, dup := byName[p.Name]; !dup {
			byName[p.Name] = p
		}
	}
	var rows []*TableRow
	used := map[string]bool{}
	for _, pr := range bench.PaperRows {
		name := pr.ProxyFor(benchName)
		p, ok := byName[name]
		if name == "" || !ok {
			r := blankRow(pr.Name, name, pr.Paper[benchName])
			r.Blocked = "no lpz proxy"
			rows = append(rows, r)
			continue
		}
		r, err := newTableRow(pr.Name, p, pr.Paper[benchName])
		if err != nil {
			return nil, err
		}
		used[p.Name] = true
		rows = append(rows, r)
	}
	for _, p := range proxies {
		if used[p.Name] || !(withCorpus || strings.HasPrefix(p.File, "baselines/")) {
			continue
		}
		r, err := newTableRow(p.Name, p, bench.Published{})
		if err != nil {
			return nil, err
		}
		used[p.Name] = true
		rows = append(rows, r)
	}
	if only == "" {
		return rows, nil
	}
	return onlyRows(rows, only)
}

// corpusProxy is one proxy statement of an embedded corpus script.
type corpusProxy struct {
	lang.InlinedProxy
	File string
}

// corpusProxies reads the proxy statements of the embedded corpus, lets
// inlined, in file order.
func corpusProxies() ([]corpusProxy, error) {
	return scriptProxies(corpus.Files())
}

// scriptProxies reads the proxy statements of the named lpz sources, lets
// inlined, in the order of names.
func scriptProxies(files map[string]string, names []string) ([]corpusProxy, error) {
	var out []corpusProxy
	for _, name := range names {
		prog, err := lang.Parse(name, files[name])
		if err != nil {
			return nil, err
		}
		ps, err := prog.Proxies()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			out = append(out, corpusProxy{InlinedProxy: p, File: name})
		}
	}
	return out, nil
}

// newTableRow compiles proxy p into a row labelled label.
func newTableRow(label string, p corpusProxy, paper bench.Published) (*TableRow, error) {
	r := blankRow(label, p.Name, paper)
	r.File = p.File
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: ChannelTypes()}
	c, err := ck.CheckExpr(p.Expr, lang.Print(p.Expr))
	if err != nil {
		return nil, fmt.Errorf("%s: proxy %s: %w", p.File, p.Name, err)
	}
	if r.prog, err = interp.Compile(c, stdlib.Default); err != nil {
		return nil, err
	}
	r.Formula = r.prog.String()
	r.capture = NeedsCapture(r.prog)
	return r, nil
}

// blankRow is a row with every statistic undefined until it is scored.
func blankRow(label, proxy string, paper bench.Published) *TableRow {
	u := rank.Undefined()
	return &TableRow{Baseline: label, Proxy: proxy, Paper: paper, Quality: rank.Quality{Rho: u, Tau: u, Within: u}, Pearson: u, DRho: u, DTau: u}
}

// onlyRows keeps the rows of the proxies named in only (comma-separated),
// in table order; naming a proxy with no row is an error.
func onlyRows(rows []*TableRow, only string) ([]*TableRow, error) {
	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	var kept []*TableRow
	for _, r := range rows {
		if want[r.Proxy] {
			kept = append(kept, r)
			delete(want, r.Proxy)
		}
	}
	if len(want) > 0 {
		var missing []string
		for k := range want {
			missing = append(missing, k)
		}
		sort.Strings(missing)
		return nil, optionErrorf("--only: no row for proxy %s (lpz table --bench NAME lists them)", strings.Join(missing, ", "))
	}
	return kept, nil
}

// TableCaptures reports whether some row reads a capture channel, so
// that scoring the rows captures (or reads the cache).
func TableCaptures(rows []*TableRow) bool {
	for _, r := range rows {
		if r.capture {
			return true
		}
	}
	return false
}

// wantCapture reports whether some row still waits for capture channels
// (not blocked meanwhile by a failed capture or a missing channel).
func wantCapture(rows []*TableRow) bool {
	for _, r := range rows {
		if r.Blocked == "" && r.capture {
			return true
		}
	}
	return false
}

// tableChannels are the capture channels the rows read (a W/G subset
// counts as the list it is selected from), sorted.
func tableChannels(rows []*TableRow) []string {
	need := map[string]bool{}
	for _, r := range rows {
		if r.Blocked != "" || !r.capture {
			continue
		}
		for _, in := range r.prog.Inputs() {
			if sub, ok := stdlib.Subsets[in]; ok {
				in = sub.From
			}
			if ch, ok := stdlib.LookupChannel(in); ok && ch.Type.IsList() {
				need[in] = true
			}
		}
	}
	var channels []string
	for c := range need {
		channels = append(channels, c)
	}
	sort.Strings(channels)
	return channels
}

// ScoreTable evaluates every unblocked row on every architecture of
// archs, workers at a time (≤ 0: one per core), calling progress with the
// number of architectures done. Each architecture's inputs are fetched
// once (scalars; the capture channels only when some row reads them) and
// shared by the rows; captures run one at a time. A row whose channels
// the capture does not provide, or whose capture fails, is blocked with
// the reason and the other rows go on. When ctx is cancelled the rows
// keep the architectures scored so far and ctx's error is returned.
func (s *Session) ScoreTable(ctx context.Context, rows []*TableRow, archs []bench.Arch, workers int, progress func(done int)) error {
	for _, r := range rows {
		r.scores = map[string]float64{}
	}
	ts := &tableScorer{s: s, rows: rows, channels: tableChannels(rows)}
	// The first failure stops the table: no further architecture starts,
	// as a shared input (the architecture scalars) is broken.
	run, stop := context.WithCancel(ctx)
	defer stop()
	var first error
	var once sync.Once
	_ = parallel.For(run, len(archs), parallel.Options{Workers: workers, KeepGoing: true, Progress: progress}, func(i int) error {
		if err := ts.score(run, archs[i]); err != nil {
			once.Do(func() { first = err; stop() })
		}
		return nil
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	return first
}

// tableScorer holds what the workers of ScoreTable share: mu guards the
// rows, fetch makes captures one at a time (each uses every core, and
// their times are reported per architecture).
type tableScorer struct {
	s         *Session
	rows      []*TableRow
	channels  []string
	mu, fetch sync.Mutex
}

// score fetches a's inputs and evaluates the rows on them.
func (ts *tableScorer) score(ctx context.Context, a bench.Arch) error {
	t0 := time.Now()
	in, err := ts.s.ScalarInputs(a)
	if err != nil {
		return err
	}
	scalarTime := time.Since(t0)
	captureTime, in, err := ts.captured(ctx, a, in)
	if err != nil {
		return err
	}
	for _, r := range ts.rows {
		ts.mu.Lock()
		blocked := r.Blocked != ""
		ts.mu.Unlock()
		if blocked {
			continue
		}
		if missing := missingInputs(r.prog, in); len(missing) > 0 {
			ts.mu.Lock()
			if r.Blocked == "" {
				r.Blocked = missingReason(missing, ts.s.Bench.Name)
			}
			ts.mu.Unlock()
			continue
		}
		t2 := time.Now()
		v, err := interp.Host{Workers: 1}.Eval(ctx, r.prog, in)
		el := time.Since(t2)
		ts.mu.Lock()
		r.evalTime += el
		r.captured += scalarTime
		if r.capture {
			r.captured += captureTime
		}
		r.record(ctx, a, v, err)
		ts.mu.Unlock()
	}
	return nil
}

// captured adds a's capture channels to in when some unblocked row reads
// them. A capture that fails (no runtime for this family, a model that
// does not build) blocks the capture rows with the reason; the scalar
// rows go on with in as it was.
func (ts *tableScorer) captured(ctx context.Context, a bench.Arch, in interp.Inputs) (time.Duration, interp.Inputs, error) {
	ts.mu.Lock()
	want := wantCapture(ts.rows)
	ts.mu.Unlock()
	if !want || len(ts.channels) == 0 {
		return 0, in, nil
	}
	ts.fetch.Lock()
	t1 := time.Now()
	full, err := ts.s.Inputs(ctx, a, ts.channels)
	took := time.Since(t1)
	ts.fetch.Unlock()
	if err == nil {
		DeriveSubsets(full)
		return took, full, nil
	}
	if ctx.Err() != nil {
		return took, nil, ctx.Err()
	}
	ts.mu.Lock()
	for _, r := range ts.rows {
		if r.capture && r.Blocked == "" {
			r.Blocked = "capture failed: " + firstLine(err.Error())
		}
	}
	ts.mu.Unlock()
	return took, in, nil
}

// record files one evaluation's outcome: a score, an invalid (non-finite)
// architecture, nothing when ctx cut it short, else the row is blocked.
func (r *TableRow) record(ctx context.Context, a bench.Arch, v interp.Value, err error) {
	var nonFinite *interp.NonFiniteError
	switch {
	case err == nil:
		r.scores[a.ID] = v.Scalar
	case errors.As(err, &nonFinite):
		r.Invalid++
	case ctx.Err() != nil:
		// Stopped: this architecture is left out, not the row.
	default:
		if r.Blocked == "" {
			r.Blocked = fmt.Sprintf("%s: %s", a.ID, firstLine(err.Error()))
		}
	}
}

func missingInputs(p *interp.Program, in interp.Inputs) []string {
	var out []string
	for _, name := range p.Inputs() {
		if _, ok := in[name]; !ok {
			out = append(out, name)
		}
	}
	return out
}

func missingReason(missing []string, benchName string) string {
	var parts []string
	for _, m := range missing {
		what := "not captured by this build's runtime"
		if sub, ok := stdlib.Subsets[m]; ok {
			what = "not derivable: " + sub.From + " has no entry names"
		}
		parts = append(parts, m+" ("+what+")")
	}
	return "channel " + strings.Join(parts, ", ") + " on " + benchName + "; see stdlib.ExtraChannels"
}

// TableReport ranks each scored row over sample and returns the report:
// seed is the sample's seed (nil when the sample is the whole benchmark);
// against, when not empty, is a reference directory whose per-architecture
// values the mapped rows are compared with.
func (s *Session) TableReport(rows []*TableRow, sample []bench.Arch, seed *int64, against string) (*TableReport, error) {
	b := s.Bench
	rep := &TableReport{Bench: b.Name, N: len(sample), Total: len(b.Archs), Seed: seed, Truth: b.TruthName,
		Strata: rank.StrataDescription(b.Family), Source: bench.PaperSource, Metric: bench.PaperRhoMetric[b.Name], Rows: rows}
	if TableCaptures(rows) {
		backend, spec := s.Describe()
		rep.Capture = strings.TrimSpace(spec + "; backend " + backend)
	}
	for _, r := range rows {
		if err := r.finish(b, sample, rep.Metric); err != nil {
			return nil, err
		}
	}
	if against != "" {
		if err := tableAgainst(b, rows, sample, against); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// finish ranks a row's scores and fills the statistics.
func (r *TableRow) finish(b *bench.Benchmark, sample []bench.Arch, metric string) error {
	if r.Blocked != "" {
		return nil
	}
	var valid []bench.Arch
	for _, a := range sample {
		if _, ok := r.scores[a.ID]; ok {
			valid = append(valid, a)
		}
	}
	if n := float64(len(valid) + r.Invalid); n > 0 {
		r.CaptureSeconds = r.captured.Seconds() / n
		r.EvalSeconds = r.evalTime.Seconds() / n
		r.Seconds = r.CaptureSeconds + r.EvalSeconds
	}
	rep, err := rank.NewReportFromMap(b, valid, r.scores, r.Formula)
	if err != nil {
		return err
	}
	invalid := r.Invalid // the report ranks only the finite scores
	r.Quality = rep.Quality
	r.Invalid = invalid
	r.Pearson = rank.Pearson(rep.Scores, rank.Oriented(rep.TruthValues, b.HigherIsBetter))
	if metric == "pearson" {
		r.DRho = diff(r.Pearson, r.Paper.Rho)
	} else {
		r.DRho = diff(r.Rho, r.Paper.Rho)
	}
	r.DTau = diff(r.Tau, r.Paper.Tau)
	return nil
}

// diff is ours − paper; undefined when ours is, or the paper has no value.
func diff(ours rank.Stat, paper *float64) rank.Stat {
	if paper == nil {
		return rank.Undefined()
	}
	return ours - rank.Stat(*paper)
}

// tableAgainst compares each mapped row with the reference files.
func tableAgainst(b *bench.Benchmark, rows []*TableRow, sample []bench.Arch, dir string) error {
	for _, ref := range bench.ReferencesFor(b.Name) {
		var row *TableRow
		for _, r := range rows {
			if r.Proxy == ref.Proxy {
				row = r
			}
		}
		if row == nil {
			continue
		}
		res, err := CompareReference(b, row.scores, sample, dir, ref)
		if err != nil {
			return err
		}
		row.Against = res
	}
	return nil
}

// CompareReference computes, over the architectures of sample that both
// sides scored, Spearman ρ between ours and the reference's values (read
// from dir) and the reference's own ρ/τ/r against the ground truth.
func CompareReference(b *bench.Benchmark, ours map[string]float64, sample []bench.Arch, dir string, ref bench.ReferenceScores) (*AgainstResult, error) {
	res := &AgainstResult{File: ref.File, Column: ref.Column, Note: ref.Note}
	path := filepath.Join(dir, filepath.FromSlash(ref.File))
	var theirs map[string]float64
	var err error
	if ref.Column != "" {
		theirs, err = bench.ReadScoresColumn(path, ref.Column)
	} else {
		theirs, err = bench.ReadScores(path)
	}
	if err != nil {
		return nil, err
	}
	if ref.Negate {
		for id, t := range theirs {
			theirs[id] = -t
		}
	}
	var y, truth []float64
	for _, a := range sample {
		if t, ok := theirs[a.ID]; ok {
			truth, y = append(truth, a.Truth), append(y, t)
		}
	}
	res.Rho, res.RefRho, res.RefTau = rank.Undefined(), rank.Undefined(), rank.Undefined()
	if c := rank.CorrelateBoth(y, truth, b.HigherIsBetter); c.SpearmanErr == nil {
		res.RefRho = rank.Stat(c.Spearman)
		if c.KendallErr == nil {
			res.RefTau = rank.Stat(c.Kendall)
		}
	}
	res.RefR = rank.Pearson(y, rank.Oriented(truth, b.HigherIsBetter))
	// Compare on the architectures both sides have.
	var x []float64
	y = y[:0]
	for _, a := range sample {
		o, ok1 := ours[a.ID]
		t, ok2 := theirs[a.ID]
		if ok1 && ok2 {
			x, y = append(x, o), append(y, t)
		}
	}
	if len(x) == 0 {
		res.Problem = "no values of ours to compare"
		return res, nil
	}
	res.N = len(x)
	if rho, err := rank.Spearman(x, y); err == nil {
		res.Rho = rank.Stat(rho)
	} else {
		res.Problem = err.Error()
	}
	return res, nil
}

// firstLine cuts a multi-line error (a positioned one with its caret) to
// its message line, for a table cell.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
