package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"lpz/bench"
	"lpz/corpus"
	"lpz/interp"
	"lpz/lang"
	"lpz/rank"
	"lpz/stdlib"
	"lpz/study"
)

// tableRow is one proxy of `lpz table`.
type tableRow struct {
	Baseline string          `json:"baseline"` // the paper's row label, or the proxy name
	Proxy    string          `json:"proxy"`    // proxy statement name
	File     string          `json:"file"`     // corpus file
	Formula  string          `json:"formula"`  // canonical formula (lets inlined)
	Paper    bench.Published `json:"paper"`
	Blocked  string          `json:"blocked,omitempty"` // why it could not be scored

	N       int      `json:"n"`
	Rho     *float64 `json:"rho"`
	Tau     *float64 `json:"tau"`
	Pearson *float64 `json:"pearson"` // Pearson r against the oriented truth
	Within  *float64 `json:"within_stratum_rho"`
	// DRho is ours − paper for the paper's ρ column, computed with the
	// statistic that column holds (bench.PaperRhoMetric: Pearson r on
	// FlexiBERT, Spearman ρ on GPT-2).
	DRho    *float64 `json:"delta_rho"`
	DTau    *float64 `json:"delta_tau"`
	Invalid int      `json:"invalid,omitempty"` // architectures with NaN/Inf scores
	// Seconds is the mean time per architecture to get this proxy's
	// inputs (capture or cache read) and evaluate it: CaptureSeconds +
	// EvalSeconds. Captures are timed one at a time (waiting for another
	// architecture's capture is not counted).
	Seconds        float64 `json:"seconds_per_arch"`
	CaptureSeconds float64 `json:"capture_seconds_per_arch"`
	EvalSeconds    float64 `json:"eval_seconds_per_arch"`

	Against *againstResult `json:"against,omitempty"`

	prog     *interp.Program
	scores   map[string]float64
	captured time.Duration // summed over architectures
	evalTime time.Duration
	capture  bool
}

// againstResult compares our per-architecture values with an earlier
// implementation's (reference/ files).
type againstResult struct {
	File    string   `json:"file"`
	Column  string   `json:"column,omitempty"`
	N       int      `json:"n"`
	Rho     *float64 `json:"rho_vs_reference"` // Spearman between ours and theirs
	RefRho  *float64 `json:"reference_rho"`    // their values against the ground truth
	RefTau  *float64 `json:"reference_tau"`
	RefR    *float64 `json:"reference_pearson"`
	Note    string   `json:"note,omitempty"`
	Problem string   `json:"problem,omitempty"`
}

type tableReport struct {
	Bench   string      `json:"bench"`
	N       int         `json:"n"`
	Total   int         `json:"bench_size"`
	Seed    *int64      `json:"seed,omitempty"`
	Truth   string      `json:"truth"`
	Strata  string      `json:"strata_by"`
	Source  string      `json:"published_source"`
	Metric  string      `json:"published_rho_metric"` // what the paper's ρ column is
	Capture string      `json:"capture,omitempty"`
	Rows    []*tableRow `json:"rows"`
}

func runTable(env *Env, args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	benchName := fs.String("bench", "", benchUsage)
	data := fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
	archs := fs.String("archs", "all", "all, or N to use a seeded sample of N architectures")
	seed := fs.Int64("seed", 42, "seed of the architecture sample")
	asJSON := fs.Bool("json", false, "machine-readable output")
	md := fs.Bool("md", false, "Markdown table (for a paper or the README)")
	withCorpus := fs.Bool("corpus", false, "also one row per proxy of the top-level corpus/*.lpz scripts")
	only := fs.String("only", "", "comma-separated proxy names: only these rows (e.g. no_params,decoder_params)")
	against := fs.String("against", "", "reference directory (e.g. ../shared/bench/reference): rank correlation of our values with the earlier implementations'")
	fidelity := fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
	workers := intFlag(fs, "workers", runtime.NumCPU(), 1, maxWorkers, "architectures evaluated in parallel (default: all cores)")
	addCaptureFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *md && *asJSON {
		return usagef("--md and --json exclude each other")
	}
	n, err := parseArchs(*archs)
	if err != nil {
		return err
	}
	bs, err := openBench(*benchName, *data, *fidelity)
	if err != nil {
		return err
	}
	bs.captureFlags(fs, env.Stderr)
	rows, err := tableRows(bs.b.Name, *withCorpus, *only)
	if err != nil {
		return err
	}
	sample := bench.Sample(bs.b, n, *seed)
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	capturing := false
	for _, r := range rows {
		capturing = capturing || (r.Blocked == "" && r.capture)
	}
	bar := newProgress(env.Stderr, "table", len(sample), capturing)
	err = scoreTable(ctx, bs, rows, sample, *workers, bar.update)
	bar.finish()
	var stopped error // a signal: the rows are over what was scored
	if err != nil {
		if !stoppedBySignal(ctx) {
			return err
		}
		stopped = interrupted(ctx, "each row above is over the architectures scored before the signal (its n); their captures are cached: run the same command again to finish")
	}
	rep := &tableReport{Bench: bs.b.Name, N: len(sample), Total: len(bs.b.Archs), Truth: bs.b.TruthName,
		Strata: rank.StrataDescription(bs.b.Family), Source: bench.PaperSource, Metric: bench.PaperRhoMetric[bs.b.Name], Rows: rows}
	if n > 0 && n < len(bs.b.Archs) {
		rep.Seed = seed
	}
	if capturing {
		backend, spec := bs.captureDescription()
		rep.Capture = strings.TrimSpace(spec + "; backend " + backend)
	}
	for _, r := range rows {
		if err := r.finish(bs.b, sample, rep.Metric); err != nil {
			return err
		}
	}
	if *against != "" {
		if err := tableAgainst(bs.b, rows, sample, *against); err != nil {
			return err
		}
	}
	switch {
	case *asJSON:
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
	case *md:
		rep.markdown(env.Stdout, *against != "")
	default:
		rep.text(env.Stdout, *against != "")
	}
	if stopped != nil && !*asJSON {
		var ns []string
		for _, r := range rows {
			if r.Blocked == "" {
				ns = append(ns, fmt.Sprintf("%s %d", r.Baseline, r.N))
			}
		}
		fmt.Fprintf(env.Stdout, "interrupted: rows over fewer than the %d architectures: %s\n", len(sample), strings.Join(ns, ", "))
	}
	return stopped
}

// tableEnv is the checker environment of the table: every channel of the
// table, the extra channels of the baselines included.
func tableEnv() map[string]lang.Type {
	m := channelTypes()
	for _, c := range stdlib.ExtraChannels {
		m[c.Name] = c.Type
	}
	return m
}

// corpusProxy is one proxy statement of an embedded corpus script.
type corpusProxy struct {
	file, name string
	expr       lang.Expr
}

// corpusProxies reads the proxy statements of the embedded corpus, lets
// inlined, in file order.
func corpusProxies() ([]corpusProxy, error) {
	files, names := corpus.Files()
	var out []corpusProxy
	for _, name := range names {
		prog, err := lang.Parse(name, files[name])
		if err != nil {
			return nil, err
		}
		lets := map[string]lang.Expr{}
		for _, s := range prog.Stmts {
			if s.Kind != lang.LetStmt && s.Kind != lang.ProxyStmt {
				continue
			}
			e := lang.Inline(s.Expr, lets)
			lets[s.Name] = e
			if s.Kind == lang.ProxyStmt {
				out = append(out, corpusProxy{file: name, name: s.Name, expr: e})
			}
		}
	}
	return out, nil
}

// tableRows lists the rows for a benchmark: the paper's baselines in the
// order of its tables, then the other proxies of corpus/baselines/
// (variants), then with withCorpus the top-level corpus proxies.
func tableRows(benchName string, withCorpus bool, only string) ([]*tableRow, error) {
	proxies, err := corpusProxies()
	if err != nil {
		return nil, err
	}
	byName := map[string]corpusProxy{}
	for _, p := range proxies {
		if _, dup := byName[p.name]; !dup {
			byName[p.name] = p
		}
	}
	var rows []*tableRow
	used := map[string]bool{}
	add := func(label string, p corpusProxy, paper bench.Published) error {
		r := &tableRow{Baseline: label, Proxy: p.name, File: p.file, Paper: paper}
		ck := &lang.Checker{Ops: stdlib.Default, Inputs: tableEnv()}
		c, err := ck.CheckExpr(p.expr, lang.Print(p.expr))
		if err != nil {
			return fmt.Errorf("%s: proxy %s: %w", p.file, p.name, err)
		}
		if r.prog, err = interp.Compile(c, stdlib.Default); err != nil {
			return err
		}
		r.Formula = r.prog.String()
		for _, in := range r.prog.Inputs() {
			if ch, ok := stdlib.LookupChannel(in); ok && ch.Type.IsList() {
				r.capture = true
			}
		}
		used[p.name] = true
		rows = append(rows, r)
		return nil
	}
	for _, pr := range bench.PaperRows {
		name := pr.ProxyFor(benchName)
		p, ok := byName[name]
		if name == "" || !ok {
			rows = append(rows, &tableRow{Baseline: pr.Name, Proxy: name, Paper: pr.Paper[benchName], Blocked: "no lpz proxy"})
			continue
		}
		if err := add(pr.Name, p, pr.Paper[benchName]); err != nil {
			return nil, err
		}
	}
	for _, p := range proxies {
		if used[p.name] {
			continue
		}
		inBaselines := strings.HasPrefix(p.file, "baselines/")
		if inBaselines || withCorpus {
			if err := add(p.name, p, bench.Published{}); err != nil {
				return nil, err
			}
		}
	}
	if only != "" {
		want := map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			if s = strings.TrimSpace(s); s != "" {
				want[s] = true
			}
		}
		var kept []*tableRow
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
			return nil, usagef("--only: no row for proxy %s (lpz table --bench NAME lists them)", strings.Join(missing, ", "))
		}
		rows = kept
	}
	return rows, nil
}

// scoreTable evaluates every unblocked row on every architecture: each
// architecture's inputs are fetched once (scalars; the capture channels only
// when some row reads them) and shared by the rows. A row whose channels
// the capture does not provide is blocked with the reason.
func scoreTable(ctx context.Context, bs *benchSession, rows []*tableRow, archs []bench.Arch, workers int, progress func(int)) error {
	need := map[string]bool{}
	for _, r := range rows {
		r.scores = map[string]float64{}
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
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var mu, fetch sync.Mutex
	var firstErr error
	done := 0
	next := make(chan bench.Arch)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				err := scoreOne(ctx, bs, rows, a, channels, &mu, &fetch)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done++
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for _, a := range archs {
		if ctx.Err() != nil {
			break
		}
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		next <- a
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

// scoreOne fetches a's inputs (one architecture at a time: fetch) and
// evaluates the rows on them (concurrently with other architectures).
func scoreOne(ctx context.Context, bs *benchSession, rows []*tableRow, a bench.Arch, channels []string, mu, fetch *sync.Mutex) error {
	t0 := time.Now()
	in, err := bs.scalarInputs(a)
	if err != nil {
		return err
	}
	scalarTime := time.Since(t0)
	var captureTime time.Duration
	mu.Lock()
	wantCapture := false
	for _, r := range rows {
		wantCapture = wantCapture || (r.capture && r.Blocked == "")
	}
	mu.Unlock()
	if wantCapture && len(channels) > 0 {
		fetch.Lock()
		t1 := time.Now()
		full, err := bs.inputs(ctx, a, channels)
		captureTime = time.Since(t1)
		fetch.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// No capture for this build or family: the capture rows are
			// blocked with the reason; the scalar rows go on.
			mu.Lock()
			for _, r := range rows {
				if r.capture && r.Blocked == "" {
					r.Blocked = "capture failed: " + firstLine(err.Error())
				}
			}
			mu.Unlock()
		} else {
			in = full
			study.DeriveSubsets(in)
		}
	}
	for _, r := range rows {
		mu.Lock()
		blocked := r.Blocked != ""
		mu.Unlock()
		if blocked {
			continue
		}
		if missing := missingInputs(r.prog, in); len(missing) > 0 {
			mu.Lock()
			if r.Blocked == "" {
				r.Blocked = missingReason(missing, bs.b.Name)
			}
			mu.Unlock()
			continue
		}
		t2 := time.Now()
		v, err := interp.Host{Workers: 1}.Eval(ctx, r.prog, in)
		el := time.Since(t2)
		mu.Lock()
		r.evalTime += el
		r.captured += scalarTime
		if r.capture {
			r.captured += captureTime
		}
		var nonFinite *interp.NonFiniteError
		switch {
		case err == nil:
			r.scores[a.ID] = v.Scalar
		case errors.As(err, &nonFinite):
			r.Invalid++
		case ctx.Err() != nil:
			// Stopped by a signal: this architecture is left out, not
			// the row.
		default:
			if r.Blocked == "" {
				r.Blocked = fmt.Sprintf("%s: %s", a.ID, firstLine(err.Error()))
			}
		}
		mu.Unlock()
	}
	return nil
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

// finish ranks a row's scores and fills the statistics.
func (r *tableRow) finish(b *bench.Benchmark, sample []bench.Arch, metric string) error {
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
	r.N, r.Rho, r.Tau, r.Within = rep.N, statPtr(rep.Rho), statPtr(rep.Tau), statPtr(rep.Within)
	r.Pearson = pearson(rep.Scores, rank.Oriented(rep.TruthValues, b.HigherIsBetter))
	if metric == "pearson" {
		r.DRho = diff(r.Pearson, r.Paper.Rho)
	} else {
		r.DRho = diff(r.Rho, r.Paper.Rho)
	}
	r.DTau = diff(r.Tau, r.Paper.Tau)
	return nil
}

// statPtr is s as a row holds it: nil when undefined.
func statPtr(s rank.Stat) *float64 {
	if !s.Defined() {
		return nil
	}
	v := float64(s)
	return &v
}

// pearson is Pearson's r; nil when undefined (fewer than 3 points or a
// constant side).
func pearson(x, y []float64) *float64 {
	n := len(x)
	if n < rank.MinPoints || len(y) != n {
		return nil
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return nil
	}
	r := sxy / math.Sqrt(sxx*syy)
	return &r
}

func diff(ours, paper *float64) *float64 {
	if ours == nil || paper == nil {
		return nil
	}
	d := *ours - *paper
	return &d
}

// tableAgainst compares each mapped row with the reference files.
func tableAgainst(b *bench.Benchmark, rows []*tableRow, sample []bench.Arch, dir string) error {
	for _, ref := range bench.ReferencesFor(b.Name) {
		var row *tableRow
		for _, r := range rows {
			if r.Proxy == ref.Proxy {
				row = r
			}
		}
		if row == nil {
			continue
		}
		res, err := compareReference(b, row.scores, sample, dir, ref)
		if err != nil {
			return err
		}
		row.Against = res
	}
	return nil
}

// compareReference computes, over the architectures of sample that both
// sides scored, Spearman ρ between ours and the reference's values and the
// reference's own ρ/τ against the ground truth.
func compareReference(b *bench.Benchmark, ours map[string]float64, sample []bench.Arch, dir string, ref bench.ReferenceScores) (*againstResult, error) {
	res := &againstResult{File: ref.File, Column: ref.Column, Note: ref.Note}
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
	var x, y, truth []float64
	for _, a := range sample {
		t, ok := theirs[a.ID]
		if !ok {
			continue
		}
		if ref.Negate {
			t = -t
		}
		truth = append(truth, a.Truth)
		y = append(y, t)
		if o, ok := ours[a.ID]; ok {
			x = append(x, o)
		}
	}
	if c := rank.CorrelateBoth(y, truth, b.HigherIsBetter); c.SpearmanErr == nil {
		res.RefRho = &c.Spearman
		if c.KendallErr == nil {
			res.RefTau = &c.Kendall
		}
	}
	res.RefR = pearson(y, rank.Oriented(truth, b.HigherIsBetter))
	if len(x) == 0 {
		res.Problem = "no values of ours to compare"
		return res, nil
	}
	if len(x) != len(y) {
		// Compare on the architectures both sides have.
		x, y = x[:0], y[:0]
		for _, a := range sample {
			o, ok1 := ours[a.ID]
			t, ok2 := theirs[a.ID]
			if ok1 && ok2 {
				if ref.Negate {
					t = -t
				}
				x, y = append(x, o), append(y, t)
			}
		}
	}
	res.N = len(x)
	if rho, err := rank.Spearman(x, y); err == nil {
		res.Rho = &rho
	} else {
		res.Problem = err.Error()
	}
	return res, nil
}

func fmtNum(v *float64) string {
	if v == nil {
		return "unknown"
	}
	return fmt.Sprintf("%.3f", *v)
}

func fmtOurs(v *float64) string {
	if v == nil {
		return "undefined"
	}
	return fmt.Sprintf("%.3f", *v)
}

func fmtDelta(v *float64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf("%+.3f", *v)
}

func fmtSeconds(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 1e-3:
		return fmt.Sprintf("%.0fµs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.1fms", s*1e3)
	}
	return fmt.Sprintf("%.2fs", s)
}

func (rep *tableReport) header() string {
	s := fmt.Sprintf("%s: %d of %d architectures", rep.Bench, rep.N, rep.Total)
	if rep.Seed != nil {
		s += fmt.Sprintf(" (sample seed %d)", *rep.Seed)
	}
	return s + fmt.Sprintf("; ground truth %s; within-stratum ρ over strata of %s", rep.Truth, rep.Strata)
}

func (rep *tableReport) text(w io.Writer, against bool) {
	fmt.Fprintln(w, rep.header())
	fmt.Fprintf(w, "published: %s\n", rep.Source)
	if rep.Metric == "pearson" {
		fmt.Fprintln(w, "the paper's ρ column on this benchmark is Pearson r (see bench.PaperRhoMetric): Δρ = our r − paper")
	}
	if rep.Capture != "" {
		fmt.Fprintf(w, "capture: %s\n", rep.Capture)
	}
	fmt.Fprintf(w, "%-22s %-9s %-9s %-9s %-9s %-9s %-9s %-7s %-7s %-9s %-9s", "baseline", "rho", "tau", "pearson", "within", "paper ρ", "paper τ", "Δρ", "Δτ", "time/arch", "(eval)")
	if against {
		fmt.Fprintf(w, " %-9s %-9s", "ρ vs ref", "ref ρ")
	}
	fmt.Fprintln(w)
	for _, r := range rep.Rows {
		if r.Blocked != "" {
			fmt.Fprintf(w, "%-22s blocked: %s  [paper ρ %s, τ %s]\n", r.Baseline, r.Blocked, fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau))
			continue
		}
		fmt.Fprintf(w, "%-22s %-9s %-9s %-9s %-9s %-9s %-9s %-7s %-7s %-9s %-9s", r.Baseline, fmtOurs(r.Rho), fmtOurs(r.Tau), fmtOurs(r.Pearson), fmtOurs(r.Within),
			fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau), fmtDelta(r.DRho), fmtDelta(r.DTau), fmtSeconds(r.Seconds), fmtSeconds(r.EvalSeconds))
		if against && r.Against != nil {
			fmt.Fprintf(w, " %-9s %-9s", fmtOurs(r.Against.Rho), fmtOurs(r.Against.RefRho))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "formulas:")
	for _, r := range rep.Rows {
		if r.Formula != "" {
			fmt.Fprintf(w, "  %-22s %s = %s\n", r.Baseline, r.Proxy, r.Formula)
		}
	}
}

func (rep *tableReport) markdown(w io.Writer, against bool) {
	fmt.Fprintf(w, "%s. Published values: %s; \"unknown\" = not transcribed.", rep.header(), rep.Source)
	if rep.Metric == "pearson" {
		fmt.Fprint(w, " On this benchmark the paper's ρ is Pearson r; Δρ compares our r with it.")
	}
	fmt.Fprint(w, "\n\n| baseline | lpz proxy | ρ | τ | Pearson r | within-stratum ρ | paper ρ | paper τ | Δρ | Δτ | time/arch (eval) |")
	sep := "|---|---|---|---|---|---|---|---|---|---|---|"
	if against {
		fmt.Fprint(w, " ρ vs reference | reference ρ |")
		sep += "---|---|"
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, sep)
	for _, r := range rep.Rows {
		proxy := "`" + mdEscape(r.Proxy) + "`"
		if r.Blocked != "" {
			fmt.Fprintf(w, "| %s | %s | blocked: %s | | | | %s | %s | | | |", mdEscape(r.Baseline), proxy, mdEscape(r.Blocked), fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau))
			if against {
				fmt.Fprint(w, " | |")
			}
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) |", mdEscape(r.Baseline), proxy, fmtOurs(r.Rho), fmtOurs(r.Tau), fmtOurs(r.Pearson), fmtOurs(r.Within),
			fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau), fmtDelta(r.DRho), fmtDelta(r.DTau), fmtSeconds(r.Seconds), fmtSeconds(r.EvalSeconds))
		if against {
			if r.Against != nil {
				fmt.Fprintf(w, " %s | %s |", fmtOurs(r.Against.Rho), fmtOurs(r.Against.RefRho))
			} else {
				fmt.Fprint(w, " | |")
			}
		}
		fmt.Fprintln(w)
	}
}
