package study

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"sort"
	"strings"

	"lpz/bench"
	"lpz/corpus"
	"lpz/gp"
	"lpz/interp"
	"lpz/lang"
	"lpz/parallel"
	"lpz/rank"
	"lpz/stdlib"
)

// DefaultSample is the size of a search's fitness sample, as in the paper.
const DefaultSample = 50

// SampleSize is the fitness sample of a search on b: given when it is > 0,
// else DefaultSample or two thirds of a smaller benchmark, so that some
// architectures are always held out. A given size beyond the benchmark's
// is an OptionError.
func SampleSize(b *bench.Benchmark, given int) (int, error) {
	n := len(b.Archs)
	if given <= 0 {
		return min(DefaultSample, max(3, n*2/3)), nil
	}
	if given > n {
		return 0, optionErrorf("--sample %d: %s has %d architectures (want 3 to %d; those outside the sample are held out)", given, b.Name, n, n)
	}
	return given, nil
}

// ParseTerminals resolves a comma-separated list of channel and scalar
// names (a search's terminals) against the channel table; repeats and
// empty names are dropped.
func ParseTerminals(s string) ([]stdlib.Channel, error) {
	var out []stdlib.Channel
	for _, name := range splitList(s) {
		c, ok := stdlib.LookupChannel(name)
		if !ok {
			var all []string
			for _, c := range stdlib.Channels {
				all = append(all, c.Name)
			}
			return nil, optionErrorf("--inputs: unknown input %q (known: %s)", name, strings.Join(all, ", "))
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, optionErrorf("--inputs names no terminal")
	}
	return out, nil
}

// TerminalNames are the names of terms.
func TerminalNames(terms []stdlib.Channel) []string {
	names := make([]string, len(terms))
	for i, t := range terms {
		names[i] = t.Name
	}
	return names
}

// Problem gets the inputs of archs for a search over terms (capturing
// the channels they read through the session), keeping only the
// terminals'. It bounds the Go heap while it captures (see boundHeap).
func (s *Session) Problem(ctx context.Context, archs []bench.Arch, terms []stdlib.Channel, progress func(done int)) (*gp.Problem, error) {
	channels := TerminalNames(terms)
	p := &gp.Problem{HigherIsBetter: s.Bench.HigherIsBetter, Terminals: terms, Origin: s.Bench.Name}
	var kept int64
	boundCaptureHeap(kept)
	for _, a := range archs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, err := s.Inputs(ctx, a, channels)
		if err != nil {
			return nil, err
		}
		keep := interp.Inputs{}
		for _, c := range channels {
			if v, ok := in[c]; ok {
				keep[c] = v
			}
		}
		p.Archs = append(p.Archs, gp.Arch{ID: a.ID, Inputs: keep, Truth: a.Truth, Stratum: bench.StratumOf(a)})
		for _, v := range keep {
			kept += v.Bytes()
		}
		boundCaptureHeap(kept)
		if progress != nil {
			progress(len(p.Archs))
		}
	}
	if id := s.CaptureIdentity(); id != "" {
		p.Origin += "; " + id
	}
	return p, nil
}

// boundHeap sets a soft heap limit of the long-lived inputs plus the memo
// plus headroom. The sample's inputs are live for the whole search, so
// the default GOGC=100 would let the heap grow to twice their size (8+ GB
// for 50 GPT-2 architectures with W and G) before collecting. A limit the
// user set with GOMEMLIMIT wins.
func boundHeap(inputs, memo int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	const headroom = 1536 << 20
	debug.SetMemoryLimit(inputs + max(memo, 0) + headroom)
}

// captureHeadroom is the transient memory of capturing one architecture
// (the largest GPT-2 decoder peaks near 3 GB above what it returns).
const captureHeadroom = 3 << 30

// boundCaptureHeap bounds the heap while a sample is captured: the inputs
// kept so far plus one capture's transient memory. Without it, GOGC=100
// lets each capture's garbage accumulate up to the size of everything kept
// so far (a cold 50-architecture GPT-2 search peaked at 11.6 GB RSS, twice
// its inputs).
func boundCaptureHeap(kept int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(kept + captureHeadroom)
}

// SeedFormulas reads the proxy statements (lets inlined) of the corpus
// (from "corpus") or of the lpz file from, keeping those that only read
// the terminals; it says on log which proxies it left out and why, so a
// seeded run is not silently a plain one. A file that does not parse is
// an error.
func SeedFormulas(from string, terms []stdlib.Channel, log io.Writer) ([]lang.Expr, error) {
	files, names, err := seedSources(from)
	if err != nil {
		return nil, err
	}
	inputs := map[string]lang.Type{}
	for _, t := range terms {
		inputs[t.Name] = t.Type
	}
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: inputs}
	var out []lang.Expr
	var skipped []string
	ps, err := scriptProxies(files, names)
	if err != nil {
		return nil, err
	}
	proxies := len(ps)
	for _, p := range ps {
		c, err := ck.CheckExpr(p.Expr, "")
		switch {
		case err != nil:
			skipped = append(skipped, fmt.Sprintf("%s:%d %s: %s", p.File, p.Pos.Line, p.Name, firstMessage(err)))
		case c.Type().Kind != lang.Scalar:
			skipped = append(skipped, fmt.Sprintf("%s:%d %s: type %s, not scalar", p.File, p.Pos.Line, p.Name, c.Type()))
		default:
			out = append(out, c.Expr)
		}
	}
	if proxies == 0 {
		return nil, optionErrorf("--seed-from %s: no proxy statements (write proxy NAME = FORMULA)", from)
	}
	if log == nil {
		log = io.Discard
	}
	fmt.Fprintf(log, "--seed-from %s: %d of %d proxies seed the population", from, len(out), proxies)
	if len(skipped) > 0 {
		fmt.Fprintf(log, "; %d left out (they read inputs outside --inputs %s, or do not check):", len(skipped), strings.Join(TerminalNames(terms), ","))
		for _, s := range skipped {
			fmt.Fprintf(log, "\n  %s", s)
		}
	}
	fmt.Fprintln(log)
	return out, nil
}

// seedSources are the lpz sources SeedFormulas reads, by name, and their
// names in order.
func seedSources(from string) (map[string]string, []string, error) {
	if from == "corpus" {
		files, names := corpus.Files()
		return files, names, nil
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return nil, nil, optionErrorf("--seed-from %s: %v", from, errors.Unwrap(err))
	}
	return map[string]string{from: string(b)}, []string{from}, nil
}

// firstMessage is the first message of a language error, without its
// position and caret lines (for one-line listings).
func firstMessage(err error) string {
	var list *lang.ErrorList
	if errors.As(err, &list) && len(list.Errors) > 0 {
		return list.Errors[0].Msg
	}
	var e *lang.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// SearchOptions are a search's settings beyond its fitness sample.
type SearchOptions struct {
	// Config is the search as gp.Run takes it (its Progress, Seeds and
	// Resume included).
	Config gp.Config
	// Seed is the seed of the sample and of the search, for the report.
	Seed int64
	// Top is how many of the best formulas of the final population are
	// assessed on all architectures (at least 1).
	Top int
	// Next, when set, names the command that ranks a formula on all
	// architectures: the report's next step, and what an interrupted full
	// pass suggests.
	Next func(formula string) string
	// AllProgress, when set, is called as the pass over all architectures
	// begins, with their number; it returns what receives the number done
	// (serialised) and what is called when the pass ends.
	AllProgress func(total int) (update func(done int), finish func())
}

// FormulaReport is one formula of a search's report with its quality on
// the fitness sample, on every architecture and on those held out.
type FormulaReport struct {
	Formula    string        `json:"formula"`
	Latex      string        `json:"latex"`
	Complexity int           `json:"complexity"`
	Sample     rank.Quality  `json:"sample"`
	All        *rank.Quality `json:"all,omitempty"`      // nil when the full pass did not run
	HeldOut    *rank.Quality `json:"held_out,omitempty"` // all architectures outside the fitness sample
	Pareto     bool          `json:"pareto,omitempty"`   // on the Pareto front of the hall of fame
	// Scores and Truth are the formula's value and the ground truth on
	// every architecture, in benchmark order (NaN: invalid score); nil
	// when the full pass did not run.
	Scores []float64 `json:"-"`
	Truth  []float64 `json:"-"`
}

// OverfitGap is how far held-out ρ may fall below sample ρ before a
// report calls a formula overfitted: more than the sampling noise of a
// 20–50-architecture sample (≈ 0.05 between seeds on gpt2-wt103).
const OverfitGap = 0.1

// Overfit reports by how much the formula ranks the architectures it was
// fitted on better than the held-out ones, when that is more than
// OverfitGap.
func (f FormulaReport) Overfit() (gap float64, ok bool) {
	h := f.HeldOut
	if h == nil || !h.Rho.Defined() || !f.Sample.Rho.Defined() || f.Sample.Rho-h.Rho <= OverfitGap {
		return 0, false
	}
	return float64(f.Sample.Rho - h.Rho), true
}

// SearchReport is the outcome of a search: its settings, effort and
// winners.
type SearchReport struct {
	Benchmark      string `json:"benchmark"`
	Truth          string `json:"truth"`
	HigherIsBetter bool   `json:"higher_is_better"`
	// Backend and Capture say what computed the inputs ("host", or the
	// capture backend and settings when the terminals are captured).
	Backend   string   `json:"backend"`
	Capture   string   `json:"capture,omitempty"`
	Seed      int64    `json:"seed"`
	SampleN   int      `json:"sample"` // architectures in the fitness sample
	AllN      int      `json:"all"`    // architectures in the benchmark
	Terminals []string `json:"terminals"`
	Seeded    int      `json:"seeded"` // formulas offered to the initial population
	// Config holds the search's settings by their flag names.
	Config map[string]any `json:"config"`
	// Winner is the best formula of the final population, Top the best
	// formulas of it and Pareto the hall of fame's Pareto front, by
	// complexity.
	Winner      FormulaReport   `json:"winner"`
	Top         []FormulaReport `json:"top"`
	Pareto      []FormulaReport `json:"pareto_front"`
	Evaluations int             `json:"evaluations"`
	Children    int             `json:"children"`
	Generations int             `json:"generations"`
	Immigrants  int             `json:"immigrants"` // offspring drawn as fresh random trees
	Stopped     string          `json:"stopped"`    // why the search stopped (gp.Result.Stopped)
	Rejections  map[string]int  `json:"rejections"`
	Seconds     float64         `json:"seconds"`
	EvalsPerSec float64         `json:"evals_per_sec"` // of this run (a resumed run's earlier evaluations not counted)
	MemoHitRate float64         `json:"memo_hit_rate"`
	EarlyShare  float64         `json:"early_rejection_share"` // of evaluations stopped before the last slice
	RPSShare    float64         `json:"rps_share"`             // of children discarded before evaluation (rules, types, duplicates)
	// MemMB is the process's peak resident set size in MB, for the caller
	// to fill: the library does not measure the process.
	MemMB   float64       `json:"peak_rss_mb"`
	History []gp.GenStats `json:"history"`
	// Interrupted says where a cancellation stopped the run and what is
	// kept (empty when it finished); Checkpoint is the file that resumes it.
	Interrupted string `json:"interrupted,omitempty"`
	Checkpoint  string `json:"checkpoint,omitempty"`
	// Next is a command to run next (the winner's full ranking).
	Next string `json:"next"`
}

// Search runs gp.Run on the fitness sample (from Problem) and reports the
// best formulas of the final population and of the hall of fame, measured
// on the sample and then on every architecture of the benchmark, which it
// gets one at a time (so it releases the sample's inputs first). A
// cancelled search still reports its best formulas so far: on the sample
// only when the search itself was stopped, with Interrupted set. Search
// fails only when gp.Run does (nothing was evaluated) or the full pass
// fails for another reason than cancellation.
func (s *Session) Search(ctx context.Context, sample *gp.Problem, opts SearchOptions) (*SearchReport, error) {
	boundHeap(sample.Bytes(), opts.Config.MemoBytes)
	res, err := gp.Run(ctx, sample, opts.Config)
	if err != nil {
		return nil, err
	}
	rep := s.newSearchReport(sample, opts, res)
	forms, exprs, ntop := assessOnSample(ctx, sample, res, opts.Top)
	if len(forms) == 0 {
		return nil, fmt.Errorf("no formula of the final population could be assessed on the sample")
	}
	if opts.Next != nil {
		rep.Next = opts.Next(forms[0].Formula)
	}
	if ctx.Err() != nil {
		rep.Interrupted = fmt.Sprintf("the search stopped after generation %d of %d; the best so far is reported on the sample only", res.Generations, opts.Config.Gens)
		if rep.Checkpoint != "" {
			rep.Interrupted += fmt.Sprintf("; go on with --resume %s (and the same flags)", rep.Checkpoint)
		}
		return rep.fill(forms, ntop), nil
	}
	// The sample's inputs are the bulk of the heap (≈ 95 MB per GPT-2
	// architecture with W and G); the full pass streams every architecture,
	// so they are dropped first rather than held beside it.
	sample.Release()
	goruntime.GC()
	debug.FreeOSMemory()
	if err := s.assessEverywhere(ctx, sample, forms, exprs, opts); err != nil {
		if ctx.Err() == nil {
			return nil, err
		}
		rep.Interrupted = fmt.Sprintf("the search finished (%d generations) but the pass over all %d architectures was stopped; its captures so far are cached: rank the winner with %s", res.Generations, len(s.Bench.Archs), rep.Next)
	}
	return rep.fill(forms, ntop), nil
}

// newSearchReport fills a report's settings and the search's effort.
func (s *Session) newSearchReport(sample *gp.Problem, opts SearchOptions, res *gp.Result) *SearchReport {
	b, cfg := s.Bench, opts.Config
	rep := &SearchReport{Benchmark: b.Name, Truth: b.TruthName, HigherIsBetter: b.HigherIsBetter, Backend: "host", Seed: opts.Seed,
		SampleN: len(sample.Archs), AllN: len(b.Archs), Terminals: TerminalNames(sample.Terminals), Seeded: len(cfg.Seeds),
		Evaluations: res.Evaluations, Children: res.Children, Generations: res.Generations, Immigrants: res.Immigrants,
		Stopped: res.Stopped, Rejections: res.Rejections, Seconds: res.Elapsed.Seconds(), History: res.History}
	if NeedsCaptureNames(rep.Terminals) {
		backend, capture := s.Describe()
		rep.Backend, rep.Capture = "host evaluation; capture "+backend, capture
	}
	rep.Config = map[string]any{"pop": cfg.Pop, "gens": cfg.Gens, "cx": cfg.Cx, "mut": cfg.Mut, "ratio": cfg.Ratio,
		"unary": cfg.Unary, "depth": cfg.Depth, "strategy": cfg.Strategy, "immigrants": cfg.Immigrants, "fitness": cfg.Fitness, "rps": !cfg.NoRPS, "early": cfg.Early, "workers": cfg.Workers}
	if res.Elapsed > 0 {
		// Elapsed is this run's; a resumed run's evaluations count from
		// the start of the search.
		evals := res.Evaluations
		if cfg.Resume != nil {
			evals -= cfg.Resume.Evaluations
		}
		rep.EvalsPerSec = float64(evals) / res.Elapsed.Seconds()
	}
	if n := res.MemoHits + res.MemoMisses; n > 0 {
		rep.MemoHitRate = float64(res.MemoHits) / float64(n)
	}
	if res.Evaluations > 0 {
		rep.EarlyShare = float64(res.Rejections["early"]) / float64(res.Evaluations)
	}
	if res.Children > 0 {
		rep.RPSShare = float64(res.Rejections["rule"]+res.Rejections["type"]+res.Rejections["duplicate"]+res.Rejections["fixpoint"]) / float64(res.Children)
	}
	if res.Checkpointed {
		rep.Checkpoint = cfg.Checkpoint
	}
	return rep
}

// assessOnSample collects the formulas to report, the top of the final
// population (its first ntop) and the Pareto front of the hall of fame,
// with their quality on the sample. Their inputs are in memory, so they
// are measured even after a cancellation.
func assessOnSample(ctx context.Context, sample *gp.Problem, res *gp.Result, top int) (forms []FormulaReport, exprs []lang.Expr, ntop int) {
	ctx = context.WithoutCancel(ctx)
	add := func(ind gp.Individual, pareto bool) {
		for i := range forms {
			if forms[i].Formula == ind.Text {
				forms[i].Pareto = forms[i].Pareto || pareto
				return
			}
		}
		q, _, err := gp.AssessProblem(ctx, sample, ind.Expr)
		if err != nil {
			return
		}
		forms = append(forms, FormulaReport{Formula: ind.Text, Latex: lang.Latex(ind.Expr, stdlib.Default), Complexity: ind.Complexity, Sample: q, Pareto: pareto})
		exprs = append(exprs, ind.Expr)
	}
	for i, ind := range res.Population {
		if i >= max(1, top) {
			break
		}
		add(ind, false)
	}
	ntop = len(forms)
	for _, h := range gp.Pareto(res.HallOfFame) {
		add(h.Individual, true)
	}
	return forms, exprs, ntop
}

// fill sets the report's winners from forms, with whatever numbers they
// have.
func (rep *SearchReport) fill(forms []FormulaReport, ntop int) *SearchReport {
	rep.Winner = forms[0]
	rep.Top = forms[:ntop]
	for _, f := range forms {
		if f.Pareto {
			rep.Pareto = append(rep.Pareto, f)
		}
	}
	sort.Slice(rep.Pareto, func(i, j int) bool { return rep.Pareto[i].Complexity < rep.Pareto[j].Complexity })
	return rep
}

// assessEverywhere measures forms on every architecture and on those
// outside the sample.
func (s *Session) assessEverywhere(ctx context.Context, sample *gp.Problem, forms []FormulaReport, exprs []lang.Expr, opts SearchOptions) error {
	var progress func(int)
	if opts.AllProgress != nil {
		update, finish := opts.AllProgress(len(s.Bench.Archs))
		defer finish()
		progress = update
	}
	all, err := s.assessAll(ctx, exprs, sample.Terminals, opts.Config.Workers, progress)
	if err != nil {
		return err
	}
	inSample := map[string]bool{}
	for _, a := range sample.Archs {
		inSample[a.ID] = true
	}
	strata := bench.Strata(s.Bench)
	for i := range forms {
		a := all[i]
		forms[i].All = &a.Quality
		forms[i].Scores, forms[i].Truth = a.scores, a.truth
		var hs, ht []float64
		var hst []string
		for j, arch := range s.Bench.Archs {
			if !inSample[arch.ID] {
				hs, ht, hst = append(hs, a.scores[j]), append(ht, a.truth[j]), append(hst, strata[j])
			}
		}
		if len(hs) > 0 {
			h, _, err := rank.Assess(hs, ht, hst, s.Bench.HigherIsBetter)
			if err != nil {
				return err
			}
			forms[i].HeldOut = &h
		}
	}
	return nil
}

// assessed is a formula's quality on every architecture with its scores
// and the truth (benchmark order).
type assessed struct {
	rank.Quality
	scores, truth []float64
}

// assessAll evaluates formulas on every architecture of the benchmark,
// getting each architecture's inputs once (streaming: captures are not all
// held in memory).
func (s *Session) assessAll(ctx context.Context, exprs []lang.Expr, terms []stdlib.Channel, workers int, progress func(int)) ([]assessed, error) {
	p := &gp.Problem{Terminals: terms}
	progs := make([]*interp.Program, len(exprs))
	for i, e := range exprs {
		var err error
		if progs[i], err = p.Compile(e); err != nil {
			return nil, err
		}
	}
	channels := TerminalNames(terms)
	archs := s.Bench.Archs
	scores := make([][]float64, len(exprs))
	for i := range scores {
		scores[i] = make([]float64, len(archs))
	}
	errs := make([]error, len(archs))
	if err := parallel.For(ctx, len(archs), parallel.Options{Workers: max(1, workers), KeepGoing: true, Progress: progress}, func(j int) error {
		in, err := s.Inputs(ctx, archs[j], channels)
		if err != nil {
			errs[j] = err
			return nil
		}
		for i, prog := range progs {
			scores[i][j], _ = gp.Score(ctx, prog, in)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	truth := s.Bench.Truths()
	strata := bench.Strata(s.Bench)
	out := make([]assessed, len(exprs))
	for i := range exprs {
		q, _, err := rank.Assess(scores[i], truth, strata, s.Bench.HigherIsBetter)
		if err != nil {
			return nil, err
		}
		out[i] = assessed{q, scores[i], truth}
	}
	return out, nil
}
