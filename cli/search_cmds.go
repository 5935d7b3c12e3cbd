package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"

	"lpz/bench"
	"lpz/gp"
	"lpz/rank"
	"lpz/stdlib"
	"lpz/study"
)

// Ranges of the search's flags: beyond them a run is a mistake (a typo, a
// unit confusion) rather than an experiment, and it is refused before any
// capture.
const (
	maxPop     = 1_000_000
	maxUnary   = 16 // trees stay far below lang's nesting limit
	maxDepth   = 32
	maxWorkers = 4096
	maxSeeds   = 1000
)

// checkOutputs refuses output paths that could not be written before any
// work is done.
func (o *searchOpts) checkOutputs() error {
	for _, c := range []struct {
		flag, path string
		exts       []string
	}{{"plot", o.plot, plotExts}, {"checkpoint", o.cfg.Checkpoint, nil}, {"cpuprofile", o.cpuProfile, nil}} {
		if err := outputFile(c.flag, c.path, c.exts...); err != nil {
			return err
		}
	}
	if o.resume != "" {
		if _, err := os.Stat(o.resume); err != nil {
			return usagef("--resume %s: no such checkpoint file", o.resume)
		}
	}
	return nil
}

// searchOpts are the parsed flags of lpz search.
type searchOpts struct {
	bench, inputs  string
	data, fidelity *string
	sample         int
	cfg            gp.Config
	seed           int64
	jsonOut        bool
	plot           string
	seedFrom       string
	ablation       string
	seeds          int
	top            int
	resume         string
	quiet          bool
	cpuProfile     string
	capturing      bool // the terminals are captured: progress bars for the passes over architectures
	stderr         io.Writer
	fs             *flag.FlagSet
}

// benchFlags are the flags that make another command see the same
// benchmark and captures as this search (for the report's next command).
func (o *searchOpts) benchFlags(bs *benchSession) string {
	name := bs.Bench.Name
	if bench.IsBenchDir(o.bench) { // a directory's benchmark is named by the directory, not its name
		name = o.bench
	}
	out := " --bench " + shellQuote(name)
	if o.fs == nil {
		return out
	}
	o.fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" || f.Name == "model-fidelity" || f.Name == "truth" || isCaptureFlag(f.Name) {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				out += " --" + f.Name
			} else {
				out += " --" + f.Name + " " + shellQuote(f.Value.String())
			}
		}
	})
	return out
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseSearchFlags reads lpz search's flags into o and checks what can be
// checked before the benchmark is opened.
func parseSearchFlags(env *Env, args []string) (*searchOpts, error) {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	o := &searchOpts{stderr: env.Stderr, fs: fs}
	d := gp.DefaultConfig()
	fs.StringVar(&o.bench, "bench", "", benchUsage)
	o.data, o.fidelity = addDataFlags(fs)
	fs.StringVar(&o.inputs, "inputs", "A,H,S,W,G,J", "terminals: comma-separated channel/scalar names (A,H,S,W,G,J are the paper's six inputs)")
	intVar(fs, &o.sample, "sample", study.DefaultSample, 3, math.MaxInt, "architectures in the fitness sample, seeded by --seed; the rest are held out (on a benchmark of fewer than 75 the default is two thirds of it)")
	intVar(fs, &o.cfg.Pop, "pop", d.Pop, 2, maxPop, "population size")
	intVar(fs, &o.cfg.Gens, "gens", d.Gens, 0, math.MaxInt, "generations, one offspring each (0: only the initial population)")
	floatVar(fs, &o.cfg.Cx, "cx", d.Cx, "[0, 1]", "crossover probability")
	floatVar(fs, &o.cfg.Mut, "mut", d.Mut, "[0, 1]", "mutation probability")
	floatVar(fs, &o.cfg.Ratio, "ratio", d.Ratio, "(0, 1]", "parents are drawn from this top fraction of the population")
	fs.Int64Var(&o.seed, "seed", 42, "seed of the sample and of the search")
	intVar(fs, &o.cfg.Unary, "unary", d.Unary, 1, maxUnary, "unary ops per branch of the paper's tree")
	intVar(fs, &o.cfg.Depth, "depth", 0, 0, maxDepth, "free-form trees of at most this depth instead of the paper's tree (0: the paper's tree)")
	fs.StringVar(&o.cfg.Strategy, "strategy", d.Strategy, "gp | random (random search with the same budget)")
	floatVar(fs, &o.cfg.Immigrants, "immigrants", d.Immigrants, "[0, 1)", "share of GP offspring drawn as fresh random trees (0: the paper's loop)")
	fs.StringVar(&o.cfg.Fitness, "fitness", d.Fitness, "rho (Spearman ρ on the sample, the paper's) | within (mean within-stratum ρ on the sample)")
	noRPS := fs.Bool("no-rps", false, "no rule-based pruning (rewrite and reject rules)")
	noEarly := fs.Bool("no-early", false, "no early rejection (bounding ρ after each fifth of the sample, cheapest architectures first)")
	memoMB := intFlag(fs, "memo-mb", 512, 0, 1<<20, "memo budget for subtree values in MiB (0: off)")
	fs.BoolVar(&o.cfg.MemoTensors, "memo-tensors", false, "also memoise expensive tensor-valued subtrees (exp, softmax)")
	intVar(fs, &o.cfg.Workers, "workers", runtime.NumCPU(), 1, maxWorkers, "architectures evaluated in parallel (results do not depend on it; default: all cores)")
	fs.StringVar(&o.cfg.Checkpoint, "checkpoint", "", "write the search state to this file (also when stopped by Ctrl-C or SIGTERM)")
	intVar(fs, &o.cfg.CheckpointEvery, "checkpoint-every", 50, 1, math.MaxInt, "with --checkpoint: every K generations")
	fs.StringVar(&o.resume, "resume", "", "resume from a checkpoint file (same flags as the interrupted run; --gens may grow)")
	intVar(fs, &o.cfg.Patience, "patience", 0, 0, math.MaxInt, "stop after this many generations without improvement (0: never)")
	durationVar(fs, &o.cfg.TimeLimit, "time-limit", 0, "stop after this wall time, e.g. 10m (0: none)")
	fs.StringVar(&o.seedFrom, "seed-from", "", "seed the initial population: corpus (the embedded corpus/*.lpz) or FILE.lpz")
	fs.BoolVar(&o.jsonOut, "json", false, "machine-readable results")
	fs.StringVar(&o.plot, "plot", "", "write best/median ρ per generation to this image, e.g. run.png (and the winner vs truth to run-winner.png)")
	fs.StringVar(&o.ablation, "ablation", "", "run an ablation over --seeds seeds: "+study.AblationKinds()+"; KIND=V1,V2,… picks the values")
	intVar(fs, &o.seeds, "seeds", 3, 1, maxSeeds, "with --ablation: number of seeds (seed, seed+1, …)")
	intVar(fs, &o.top, "top", 5, 1, maxPop, "best formulas of the final population evaluated on all architectures")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	rulesFile := fs.String("rules", "", "RPS rules file in lpz syntax (default: the embedded stdlib/rules.lpz)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the search to this file (go tool pprof)")
	addCaptureFlags(fs)
	if err := parseNone(fs, args, "lpz search takes no positional arguments (got %q)"); err != nil {
		return nil, err
	}
	if o.cfg.Strategy != gp.StrategyGP && o.cfg.Strategy != gp.StrategyRandom {
		return nil, usagef("--strategy wants gp or random, got %q", o.cfg.Strategy)
	}
	if o.cfg.Fitness != gp.FitnessRho && o.cfg.Fitness != gp.FitnessWithin {
		return nil, usagef("--fitness wants rho or within, got %q", o.cfg.Fitness)
	}
	if err := o.checkOutputs(); err != nil {
		return nil, err
	}
	if o.ablation != "" {
		if _, err := study.AblationSettings(o.ablation, o.cfg); err != nil {
			return nil, err
		}
	}
	if o.cfg.Depth > 0 {
		o.cfg.Shape = gp.Free
	}
	o.cfg.NoRPS = *noRPS
	if *rulesFile != "" {
		var err error
		if o.cfg.Rules, err = stdlib.ReadRules(*rulesFile); err != nil {
			return nil, err
		}
	}
	o.cfg.Early = !*noEarly
	o.cfg.MemoBytes = int64(*memoMB) << 20
	if *memoMB <= 0 {
		o.cfg.MemoBytes = -1
	}
	o.cfg.Seed = uint64(o.seed)
	if !flagSet(fs, "sample") {
		o.sample = 0 // the benchmark's default
	}
	return o, nil
}

func runSearch(env *Env, args []string) error {
	o, err := parseSearchFlags(env, args)
	if err != nil {
		return err
	}
	bs, err := openBench(o.bench, *o.data, *o.fidelity)
	if err != nil {
		return err
	}
	if err := bs.captureFlags(o.fs, env.Stderr); err != nil {
		return err
	}
	if o.sample, err = study.SampleSize(bs.Bench, o.sample); err != nil {
		return err
	}
	terms, err := study.ParseTerminals(o.inputs)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	o.capturing = !o.quiet && study.NeedsCaptureNames(study.TerminalNames(terms))
	sampleArchs := bench.Sample(bs.Bench, o.sample, o.seed)
	capBar := newProgress(env.Stderr, "inputs (sample)", len(sampleArchs), o.capturing)
	sample, err := bs.Problem(ctx, sampleArchs, terms, capBar.update)
	capBar.finish()
	if err != nil {
		if stoppedBySignal(ctx) {
			return interrupted(ctx, "stopped while getting the fitness sample's inputs (%d architectures); finished captures are cached: run the same command again to go on", len(sampleArchs))
		}
		return err
	}
	if o.seedFrom != "" {
		if o.cfg.Seeds, err = study.SeedFormulas(o.seedFrom, terms, env.Stderr); err != nil {
			return err
		}
	}
	if o.ablation != "" {
		return runAblation(ctx, env, o, bs, sample)
	}
	if o.resume != "" {
		if o.cfg.Resume, err = gp.LoadCheckpoint(o.resume); err != nil {
			return err
		}
	}
	return search(ctx, env, o, bs, sample)
}

// search runs the search on its fitness sample and prints the report.
func search(ctx context.Context, env *Env, o *searchOpts, bs *benchSession, sample *gp.Problem) error {
	bar := newSearchProgress(env.Stderr, !o.quiet)
	o.cfg.Progress = bar.generation
	rep, err := bs.Search(ctx, sample, study.SearchOptions{Config: o.cfg, Seed: o.seed, Top: o.top,
		Next: func(formula string) string { return "lpz rank " + shellQuote(formula) + o.benchFlags(bs) },
		AllProgress: func(total int) (func(int), func()) {
			bar.finish()
			all := newProgress(o.stderr, "all architectures", total, o.capturing)
			return all.update, all.finish
		}})
	bar.finish()
	if err != nil {
		if stoppedBySignal(ctx) {
			return interrupted(ctx, "stopped before the first formula was evaluated; nothing to report")
		}
		return err
	}
	rep.MemMB = study.PeakRSSMB()
	// The results are printed before any file is written: a failing write
	// (a full disk) must not cost the search.
	if o.jsonOut {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			printSearch(env.Stdout, rep)
			return fmt.Errorf("the results above could not be written as JSON: %v", err)
		}
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		printSearch(env.Stdout, rep)
	}
	if o.plot != "" {
		if err := searchPlots(o, bs, rep); err != nil {
			return fmt.Errorf("the results are above, but --plot failed: %w", err)
		}
	}
	if rep.Interrupted != "" {
		return interrupted(ctx, "%s", rep.Interrupted)
	}
	return nil
}

// searchPlots writes --plot (best/median fitness per generation) and the
// winner's scatter plot beside it.
func searchPlots(o *searchOpts, bs *benchSession, rep *study.SearchReport) error {
	labels := []string{"best ρ", "median ρ"}
	if o.cfg.Fitness == gp.FitnessWithin {
		labels = []string{"best within-stratum ρ", "median within-stratum ρ"}
	}
	if err := plotHistory(o.plot, labels, [][]gp.GenStats{rep.History}, fmt.Sprintf("lpz search on %s (seed %d)", bs.Bench.Name, o.seed)); err != nil {
		return err
	}
	w := rep.Winner
	if w.Scores == nil {
		return nil
	}
	ext := filepath.Ext(o.plot)
	path := strings.TrimSuffix(o.plot, ext) + "-winner" + ext
	s, t := validPairs(w.Scores, w.Truth)
	title := w.Formula + " on " + bs.Bench.Name
	if w.All != nil {
		title += fmt.Sprintf(" (all %d: ρ %.4f, τ %.4f)", w.All.N, w.All.Rho, w.All.Tau)
	}
	return rank.ScatterPlotLabeled(path, s, t, title, "proxy", bs.Bench.TruthName)
}

func validPairs(s, t []float64) ([]float64, []float64) {
	var a, b []float64
	for i := range s {
		if !math.IsNaN(s[i]) {
			a, b = append(a, s[i]), append(b, t[i])
		}
	}
	return a, b
}

// printSearch prints a search's report for humans.
func printSearch(w io.Writer, r *study.SearchReport) {
	fmt.Fprintf(w, "lpz search on %s (%d architectures; truth %s, %s); seed %d; backend %s\n", r.Benchmark, r.AllN, r.Truth, better(r.HigherIsBetter), r.Seed, r.Backend)
	fitness := "ρ"
	if r.Config["fitness"] == gp.FitnessWithin {
		fitness = "mean within-stratum ρ"
	}
	fmt.Fprintf(w, "terminals %s; pop %v, gens %v, cx %v, mut %v, ratio %v, immigrants %v, unary %v, strategy %v, RPS %v; fitness %s on a sample of %d\n",
		strings.Join(r.Terminals, ","), r.Config["pop"], r.Config["gens"], r.Config["cx"], r.Config["mut"], r.Config["ratio"], r.Config["immigrants"], r.Config["unary"], r.Config["strategy"], r.Config["rps"], fitness, r.SampleN)
	if r.Seeded > 0 {
		fmt.Fprintf(w, "initial population seeded with %d formulas (--seed-from)\n", r.Seeded)
	}
	var reasons []string
	for k, v := range r.Rejections {
		reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(reasons)
	immigrants := ""
	if r.Immigrants > 0 {
		immigrants = fmt.Sprintf(" (%d of them immigrants)", r.Immigrants)
	}
	fmt.Fprintf(w, "%d generations%s (stopped: %s), %d evaluations of %d children in %.2fs (%.0f evaluations/s); memo hit rate %.1f%%\n",
		r.Generations, immigrants, r.Stopped, r.Evaluations, r.Children, r.Seconds, r.EvalsPerSec, 100*r.MemoHitRate)
	fmt.Fprintf(w, "rejected: %s (before evaluation: %.1f%% of children; stopped early before the last slice: %.1f%% of evaluations); peak RSS %.0f MB\n\n",
		strings.Join(reasons, ", "), 100*r.RPSShare, 100*r.EarlyShare, r.MemMB)
	wn := r.Winner
	fmt.Fprintf(w, "winner:      proxy searched = %s\n", wn.Formula)
	fmt.Fprintf(w, "latex:       %s\n", wn.Latex)
	fmt.Fprintf(w, "complexity:  %d\n", wn.Complexity)
	fmt.Fprintf(w, "sample (%d): ρ %s  τ %s  within-stratum ρ %s\n", wn.Sample.N, wn.Sample.Rho.Text(4), wn.Sample.Tau.Text(4), wn.Sample.Within.Text(4))
	if a := wn.All; a != nil {
		fmt.Fprintf(w, "all (%d):   ρ %s  τ %s  within-stratum ρ %s (%d strata)", a.N, a.Rho.Text(4), a.Tau.Text(4), a.Within.Text(4), a.StrataUsed)
		if a.Invalid > 0 {
			fmt.Fprintf(w, "; %d invalid", a.Invalid)
		}
		fmt.Fprintln(w)
	}
	if h := wn.HeldOut; h != nil {
		fmt.Fprintf(w, "held out (%d): ρ %s  τ %s  (the architectures outside the fitness sample)\n", h.N, h.Rho.Text(4), h.Tau.Text(4))
	}
	table := func(title string, fs []study.FormulaReport) {
		fmt.Fprintf(w, "\n%s\n  %4s  %8s  %8s  %8s  %s\n", title, "cplx", "ρ sample", "ρ all", "ρ within", "formula")
		for _, f := range fs {
			all, within := "—", "—" // not computed (interrupted)
			if f.All != nil {
				all, within = f.All.Rho.Text(4), f.All.Within.Text(4)
			}
			fmt.Fprintf(w, "  %4d  %8s  %8s  %8s  %s\n", f.Complexity, f.Sample.Rho.Text(4), all, within, f.Formula)
		}
	}
	table("top of the final population:", r.Top)
	table("Pareto front (best sample ρ per complexity):", r.Pareto)
	fmt.Fprintln(w)
	if r.Interrupted != "" {
		fmt.Fprintf(w, "interrupted: %s\n", r.Interrupted)
	}
	if msg := overfitNote(wn, r.SampleN); msg != "" {
		fmt.Fprintln(w, msg)
	}
	fmt.Fprintln(w, "ρ: Spearman rank correlation with the truth (1: the proxy orders the architectures exactly as the truth; the sign is set so that higher is better); τ: Kendall's τ-b over pairs.")
	fmt.Fprintln(w, "within-stratum: mean ρ inside groups of one size, where counting parameters is no help; held out: the architectures outside the fitness sample, which the search never saw.")
	fmt.Fprintf(w, "next: %s   # the winner's full ranking, per stratum\n", r.Next)
}

// overfitNote warns when the winner ranks the architectures it was fitted
// on much better than the held-out ones.
func overfitNote(w study.FormulaReport, sampleN int) string {
	gap, ok := w.Overfit()
	if !ok {
		return ""
	}
	return fmt.Sprintf("warning: the winner overfits its sample: held-out ρ %.4f is %.2f below its sample ρ %.4f; a larger --sample (now %d) or --patience generalises better.",
		w.HeldOut.Rho, gap, w.Sample.Rho, sampleN)
}

// startCPUProfile profiles until the returned stop: where a search spends
// its time is the first question about a slow one.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
