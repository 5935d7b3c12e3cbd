package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"lpz/bench"
	"lpz/corpus"
	"lpz/gp"
	"lpz/interp"
	"lpz/lang"
	"lpz/rank"
	"lpz/repl"
	"lpz/stdlib"
)

func installSearchREPL(r *repl.REPL) {
	r.Register(&repl.Command{
		Name: "simplify",
		Args: "EXPR",
		Doc:  "apply the search's rewrite rules (stdlib/rules.lpz) to a fixpoint and show each step",
		Run: func(ctx context.Context, r *repl.REPL, arg string) error {
			return simplify(r.Out, strings.TrimSpace(arg))
		},
	})
}

// canonOps replaces operator aliases by canonical names (unknown names are
// left as they are).
func canonOps(e lang.Expr) lang.Expr {
	e = lang.Clone(e)
	lang.Walk(e, func(x lang.Expr) bool {
		if c, ok := x.(*lang.Call); ok {
			if op, ok := stdlib.Default.Lookup(c.Op); ok {
				c.Op = op.Name
			}
		}
		return true
	})
	return e
}

func simplify(w io.Writer, src string) error {
	return simplifyWith(w, src, "")
}

// loadRules reads a user's rules file, or the embedded one for "".
func loadRules(path string) (*lang.RuleSet, error) {
	if path == "" {
		return stdlib.Rules()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return stdlib.LoadRules(path, string(b))
}

func simplifyWith(w io.Writer, src, rulesFile string) error {
	if src == "" {
		return usagef("want an expression: simplify EXPR")
	}
	e, err := lang.ParseExpr(src)
	if err != nil {
		return err
	}
	rules, err := loadRules(rulesFile)
	if err != nil {
		return err
	}
	out, steps, err := rules.Rewrite(canonOps(e))
	for _, s := range steps {
		fmt.Fprintf(w, "  %s  =>  %s    [%s]\n", lang.Print(s.Before), lang.Print(s.After), s.Rule)
	}
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		fmt.Fprintln(w, "  (no rule applies)")
	}
	fmt.Fprintln(w, lang.Print(out))
	if r, at := rules.Rejected(out); r != nil {
		fmt.Fprintf(w, "rejected: %s matches %s\n", r, lang.Print(at))
	}
	return nil
}

func runSimplify(env *Env, args []string) error {
	fs := flag.NewFlagSet("simplify", flag.ContinueOnError)
	rulesFile := fs.String("rules", "", "rules file in lpz syntax (default: the embedded stdlib/rules.lpz)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one expression: lpz simplify [--rules FILE] EXPR")
	}
	return printed(env, simplifyWith(env.Stdout, pos[0], *rulesFile))
}

// Ranges of the search's flags: beyond them a run is a mistake (a typo, a
// unit confusion) rather than an experiment, and it is refused before any
// capture.
const (
	defaultSample = 50
	maxPop        = 1_000_000
	maxUnary      = 16 // trees stay far below lang's nesting limit
	maxDepth      = 32
	maxWorkers    = 4096
	maxSeeds      = 1000
)

// sampleSize is --sample checked against the benchmark: given, it must
// leave the benchmark's size; not given, it is 50 or two thirds of a
// smaller benchmark, so that some architectures are always held out.
func sampleSize(fs *flag.FlagSet, given, n int, name string) (int, error) {
	if !flagSet(fs, "sample") {
		return min(defaultSample, max(3, n*2/3)), nil
	}
	if given > n {
		return 0, usagef("--sample %d: %s has %d architectures (want 3 to %d; those outside the sample are held out)", given, name, n, n)
	}
	return given, nil
}

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
	bench, data, fidelity, inputs string
	sample                        int
	cfg                           gp.Config
	seed                          int64
	jsonOut                       bool
	plot                          string
	seedFrom                      string
	ablation                      string
	seeds                         int
	top                           int
	resume                        string
	quiet                         bool
	cpuProfile                    string
	stderr                        io.Writer
	fs                            *flag.FlagSet
}

// benchFlags are the flags that make another command see the same
// benchmark and captures as this search (for the report's next command).
func (o *searchOpts) benchFlags(bs *benchSession) string {
	out := " --bench " + shellQuote(bs.b.Name)
	if o.fs == nil {
		return out
	}
	o.fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" || f.Name == "model-fidelity" || slices.Contains(captureGroup.flags, f.Name) {
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

func runSearch(env *Env, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	o := &searchOpts{stderr: env.Stderr, fs: fs}
	d := gp.DefaultConfig()
	fs.StringVar(&o.bench, "bench", "", benchUsage)
	fs.StringVar(&o.data, "data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
	fs.StringVar(&o.fidelity, "model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
	fs.StringVar(&o.inputs, "inputs", "A,H,S,W,G,J", "terminals: comma-separated channel/scalar names (A,H,S,W,G,J are the paper's six inputs)")
	intVar(fs, &o.sample, "sample", defaultSample, 3, math.MaxInt, "architectures in the fitness sample, seeded by --seed; the rest are held out (on a benchmark of fewer than 75 the default is two thirds of it)")
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
	fs.StringVar(&o.ablation, "ablation", "", "run an ablation over --seeds seeds: "+ablationKinds()+"; KIND=V1,V2,… picks the values")
	intVar(fs, &o.seeds, "seeds", 3, 1, maxSeeds, "with --ablation: number of seeds (seed, seed+1, …)")
	intVar(fs, &o.top, "top", 5, 1, maxPop, "best formulas of the final population evaluated on all architectures")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	rulesFile := fs.String("rules", "", "RPS rules file in lpz syntax (default: the embedded stdlib/rules.lpz)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the search to this file (go tool pprof)")
	addCaptureFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("lpz search takes no positional arguments (got %q)", pos[0])
	}
	if o.cfg.Strategy != gp.StrategyGP && o.cfg.Strategy != gp.StrategyRandom {
		return usagef("--strategy wants gp or random, got %q", o.cfg.Strategy)
	}
	if o.cfg.Fitness != gp.FitnessRho && o.cfg.Fitness != gp.FitnessWithin {
		return usagef("--fitness wants rho or within, got %q", o.cfg.Fitness)
	}
	if err := o.checkOutputs(); err != nil {
		return err
	}
	if o.ablation != "" {
		if _, err := ablationSettings(o.ablation, o.cfg); err != nil {
			return err
		}
	}
	if o.cfg.Depth > 0 {
		o.cfg.Shape = gp.Free
	}
	o.cfg.NoRPS = *noRPS
	if *rulesFile != "" {
		if o.cfg.Rules, err = loadRules(*rulesFile); err != nil {
			return err
		}
	}
	o.cfg.Early = !*noEarly
	o.cfg.MemoBytes = int64(*memoMB) << 20
	if *memoMB <= 0 {
		o.cfg.MemoBytes = -1
	}
	o.cfg.Seed = uint64(o.seed)
	bs, err := openBench(o.bench, o.data, o.fidelity)
	if err != nil {
		return err
	}
	bs.captureFlags(fs, env.Stderr)
	if o.sample, err = sampleSize(fs, o.sample, len(bs.b.Archs), bs.b.Name); err != nil {
		return err
	}
	terms, err := parseTerminals(o.inputs)
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
	sampleArchs := bench.Sample(bs.b, o.sample, o.seed)
	capBar := newProgress(env.Stderr, "inputs (sample)", len(sampleArchs), !o.quiet && needsCaptureNames(o.terminalNames(terms)))
	sample, err := buildProblem(ctx, bs, sampleArchs, terms, capBar.update)
	capBar.finish()
	if err != nil {
		if stoppedBySignal(ctx) {
			return interrupted(ctx, "stopped while getting the fitness sample's inputs (%d architectures); finished captures are cached: run the same command again to go on", len(sampleArchs))
		}
		return err
	}
	boundHeap(sample.Bytes(), o.cfg.MemoBytes)
	if o.seedFrom != "" {
		if o.cfg.Seeds, err = seedFormulas(env.Stderr, o.seedFrom, terms); err != nil {
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
	bar := newSearchBar(env.Stderr, !o.quiet)
	o.cfg.Progress = bar.update
	res, err := gp.Run(ctx, sample, o.cfg)
	bar.finish()
	if err != nil {
		if stoppedBySignal(ctx) {
			return interrupted(ctx, "stopped before the first formula was evaluated; nothing to report")
		}
		return err
	}
	rep, err := finalReport(ctx, bs, o, sample, res, terms)
	if err != nil {
		return err
	}
	// The results are printed before any file is written: a failing write
	// (a full disk) must not cost the search.
	if o.jsonOut {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			rep.text(env.Stdout)
			return fmt.Errorf("the results above could not be written as JSON: %v", err)
		}
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		rep.text(env.Stdout)
	}
	if o.plot != "" {
		if err := searchPlots(o, bs, res, rep); err != nil {
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
func searchPlots(o *searchOpts, bs *benchSession, res *gp.Result, rep *searchReport) error {
	labels := []string{"best ρ", "median ρ"}
	if o.cfg.Fitness == gp.FitnessWithin {
		labels = []string{"best within-stratum ρ", "median within-stratum ρ"}
	}
	if err := plotHistory(o.plot, labels, [][]gp.GenStats{res.History}, fmt.Sprintf("lpz search on %s (seed %d)", bs.b.Name, o.seed)); err != nil {
		return err
	}
	w := rep.Winner
	if w.fullScores == nil {
		return nil
	}
	ext := filepath.Ext(o.plot)
	path := strings.TrimSuffix(o.plot, ext) + "-winner" + ext
	s, t := validPairs(w.fullScores, w.fullTruth)
	title := w.Formula + " on " + bs.b.Name
	if w.All != nil {
		title += fmt.Sprintf(" (all %d: ρ %.4f, τ %.4f)", w.All.N, w.All.Rho, w.All.Tau)
	}
	return rank.ScatterPlotLabeled(path, s, t, title, "proxy", bs.b.TruthName)
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

func validPairs(s, t []float64) ([]float64, []float64) {
	var a, b []float64
	for i := range s {
		if !math.IsNaN(s[i]) {
			a, b = append(a, s[i]), append(b, t[i])
		}
	}
	return a, b
}

func (o *searchOpts) terminalNames(terms []stdlib.Channel) []string {
	var out []string
	for _, t := range terms {
		out = append(out, t.Name)
	}
	return out
}

// parseTerminals resolves --inputs against the channel table.
func parseTerminals(s string) ([]stdlib.Channel, error) {
	var out []stdlib.Channel
	seen := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		c, ok := stdlib.LookupChannel(name)
		if !ok {
			var all []string
			for _, c := range stdlib.Channels {
				all = append(all, c.Name)
			}
			return nil, usagef("--inputs: unknown input %q (known: %s)", name, strings.Join(all, ", "))
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, usagef("--inputs names no terminal")
	}
	return out, nil
}

// buildProblem gets the inputs of archs (capturing channels through the
// runtime when the terminals need them).
func buildProblem(ctx context.Context, bs *benchSession, archs []bench.Arch, terms []stdlib.Channel, progress func(int)) (*gp.Problem, error) {
	var channels []string
	for _, t := range terms {
		channels = append(channels, t.Name)
	}
	p := &gp.Problem{HigherIsBetter: bs.b.HigherIsBetter, Terminals: terms, Origin: bs.b.Name}
	var kept int64
	boundCaptureHeap(kept)
	for _, a := range archs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, err := bs.inputs(ctx, a, channels)
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
	if id := bs.CaptureIdentity(); id != "" {
		p.Origin += "; " + id
	}
	return p, nil
}

// seedFormulas reads proxy statements (lets inlined) from the corpus or a
// file, keeping those that only read the terminals; it says on stderr
// which proxies it left out and why, so a seeded run is not silently a
// plain one. A file that does not parse is an error.
func seedFormulas(stderr io.Writer, from string, terms []stdlib.Channel) ([]lang.Expr, error) {
	files := map[string]string{}
	var names []string
	if from == "corpus" {
		files, names = corpus.Files()
	} else {
		b, err := os.ReadFile(from)
		if err != nil {
			return nil, usagef("--seed-from %s: %v", from, errors.Unwrap(err))
		}
		files[from], names = string(b), []string{from}
	}
	inputs := map[string]lang.Type{}
	for _, t := range terms {
		inputs[t.Name] = t.Type
	}
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: inputs}
	var out []lang.Expr
	var skipped []string
	proxies := 0
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
			e, err := lang.InlineBounded(s.Expr, lets)
			if err != nil {
				return nil, err
			}
			lets[s.Name] = e
			if s.Kind != lang.ProxyStmt {
				continue
			}
			proxies++
			c, err := ck.CheckExpr(e, "")
			switch {
			case err != nil:
				skipped = append(skipped, fmt.Sprintf("%s:%d %s: %s", name, s.Pos.Line, s.Name, firstMessage(err)))
			case c.Type().Kind != lang.Scalar:
				skipped = append(skipped, fmt.Sprintf("%s:%d %s: type %s, not scalar", name, s.Pos.Line, s.Name, c.Type()))
			default:
				out = append(out, c.Expr)
			}
		}
	}
	if proxies == 0 {
		return nil, usagef("--seed-from %s: no proxy statements (write proxy NAME = FORMULA)", from)
	}
	fmt.Fprintf(stderr, "--seed-from %s: %d of %d proxies seed the population", from, len(out), proxies)
	if len(skipped) > 0 {
		fmt.Fprintf(stderr, "; %d left out (they read inputs outside --inputs %s, or do not check):", len(skipped), terminalList(terms))
		for _, s := range skipped {
			fmt.Fprintf(stderr, "\n  %s", s)
		}
	}
	fmt.Fprintln(stderr)
	return out, nil
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
	return firstLine(err.Error())
}

func terminalList(terms []stdlib.Channel) string {
	names := make([]string, len(terms))
	for i, t := range terms {
		names[i] = t.Name
	}
	return strings.Join(names, ",")
}

// formulaReport is one formula with its numbers on the sample and on all
// architectures.
type formulaReport struct {
	Formula    string        `json:"formula"`
	Latex      string        `json:"latex"`
	Complexity int           `json:"complexity"`
	Sample     rank.Quality  `json:"sample"`
	All        *rank.Quality `json:"all,omitempty"`
	HeldOut    *rank.Quality `json:"held_out,omitempty"` // all architectures outside the fitness sample
	Pareto     bool          `json:"pareto,omitempty"`
	fullScores []float64
	fullTruth  []float64
}

type searchReport struct {
	Benchmark   string          `json:"benchmark"`
	Truth       string          `json:"truth"`
	Higher      bool            `json:"higher_is_better"`
	Backend     string          `json:"backend"`
	Capture     string          `json:"capture,omitempty"`
	Seed        int64           `json:"seed"`
	SampleN     int             `json:"sample"`
	AllN        int             `json:"all"`
	Terminals   []string        `json:"terminals"`
	Seeded      int             `json:"seeded"` // formulas offered to the initial population (--seed-from)
	Config      map[string]any  `json:"config"`
	Winner      formulaReport   `json:"winner"`
	Top         []formulaReport `json:"top"`
	Pareto      []formulaReport `json:"pareto_front"`
	Evaluations int             `json:"evaluations"`
	Children    int             `json:"children"`
	Generations int             `json:"generations"`
	Immigrants  int             `json:"immigrants"` // offspring drawn as fresh random trees (--immigrants)
	Stopped     string          `json:"stopped"`
	Rejections  map[string]int  `json:"rejections"`
	Seconds     float64         `json:"seconds"`
	EvalsPerSec float64         `json:"evals_per_sec"`
	MemoHitRate float64         `json:"memo_hit_rate"`
	EarlyShare  float64         `json:"early_rejection_share"` // of evaluations stopped before the last slice
	RPSShare    float64         `json:"rps_share"`             // of children discarded before evaluation (rules, types, duplicates)
	MemMB       float64         `json:"peak_rss_mb"`           // peak resident set size of the whole run (capture, search, full pass)
	History     []gp.GenStats   `json:"history"`
	// Interrupted says where a signal stopped the run and what is kept
	// (empty when it finished); Checkpoint is the file that resumes it.
	Interrupted string `json:"interrupted,omitempty"`
	Checkpoint  string `json:"checkpoint,omitempty"`
	// Next is a command to run next (the winner's full ranking).
	Next       string `json:"next"`
	benchFlags string
}

func finalReport(ctx context.Context, bs *benchSession, o *searchOpts, sample *gp.Problem, res *gp.Result, terms []stdlib.Channel) (*searchReport, error) {
	rep := &searchReport{Benchmark: bs.b.Name, Truth: bs.b.TruthName, Higher: bs.b.HigherIsBetter, Backend: "host", Seed: o.seed,
		SampleN: len(sample.Archs), AllN: len(bs.b.Archs), Seeded: len(o.cfg.Seeds), Evaluations: res.Evaluations, Children: res.Children,
		Generations: res.Generations, Immigrants: res.Immigrants, Stopped: res.Stopped, Rejections: res.Rejections, Seconds: res.Elapsed.Seconds(), History: res.History}
	for _, t := range terms {
		rep.Terminals = append(rep.Terminals, t.Name)
	}
	if b, c := bs.captureDescription(); b != "" && needsCaptureNames(rep.Terminals) {
		rep.Backend, rep.Capture = "host evaluation; capture "+b, c
	}
	rep.Config = map[string]any{"pop": o.cfg.Pop, "gens": o.cfg.Gens, "cx": o.cfg.Cx, "mut": o.cfg.Mut, "ratio": o.cfg.Ratio,
		"unary": o.cfg.Unary, "depth": o.cfg.Depth, "strategy": o.cfg.Strategy, "immigrants": o.cfg.Immigrants, "fitness": o.cfg.Fitness, "rps": !o.cfg.NoRPS, "early": o.cfg.Early, "workers": o.cfg.Workers}
	if res.Elapsed > 0 {
		// Elapsed is this run's; a resumed run's evaluations count from
		// the start of the search.
		evals := res.Evaluations
		if o.cfg.Resume != nil {
			evals -= o.cfg.Resume.Evaluations
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
	rep.benchFlags = o.benchFlags(bs)
	if res.Checkpointed {
		rep.Checkpoint = o.cfg.Checkpoint
	}
	// Formulas to assess on every architecture: the top of the population
	// and the Pareto front of the hall of fame. Their sample numbers come
	// from inputs in memory, so they are computed even after a signal
	// (a second one quits at once).
	sampleCtx := context.WithoutCancel(ctx)
	var forms []formulaReport
	var exprs []lang.Expr
	add := func(ind gp.Individual, pareto bool) {
		for i := range forms {
			if forms[i].Formula == ind.Text {
				forms[i].Pareto = forms[i].Pareto || pareto
				return
			}
		}
		sa, _, err := gp.AssessProblem(sampleCtx, sample, ind.Expr)
		if err != nil {
			return
		}
		forms = append(forms, formulaReport{Formula: ind.Text, Latex: lang.Latex(ind.Expr, stdlib.Default), Complexity: ind.Complexity, Sample: sa, Pareto: pareto})
		exprs = append(exprs, ind.Expr)
	}
	for i, ind := range res.Population {
		if i >= max(1, o.top) {
			break
		}
		add(ind, false)
	}
	ntop := len(forms)
	for _, h := range gp.Pareto(res.HallOfFame) {
		add(h.Individual, true)
	}
	if len(forms) == 0 {
		return nil, fmt.Errorf("no formula of the final population could be assessed on the sample")
	}
	rep.Next = "lpz rank " + shellQuote(forms[0].Formula) + rep.benchFlags
	// done fills the report from forms, with whatever numbers they have.
	done := func() (*searchReport, error) {
		rep.Winner = forms[0]
		rep.Top = forms[:ntop]
		for _, f := range forms {
			if f.Pareto {
				rep.Pareto = append(rep.Pareto, f)
			}
		}
		sort.Slice(rep.Pareto, func(i, j int) bool { return rep.Pareto[i].Complexity < rep.Pareto[j].Complexity })
		rep.MemMB = peakRSSMB()
		return rep, nil
	}
	if stoppedBySignal(ctx) {
		rep.Interrupted = fmt.Sprintf("the search stopped after generation %d of %d; the best so far is reported on the sample only", res.Generations, o.cfg.Gens)
		if rep.Checkpoint != "" {
			rep.Interrupted += fmt.Sprintf("; go on with --resume %s (and the same flags)", rep.Checkpoint)
		}
		return done()
	}
	// The sample's inputs are the bulk of the heap (≈ 95 MB per GPT-2
	// architecture with W and G); the full pass streams every architecture,
	// so they are dropped first rather than held beside it.
	sample.Release()
	runtime.GC()
	debug.FreeOSMemory()
	bar := newProgress(o.stderr, "all architectures", len(bs.b.Archs), !o.quiet && needsCaptureNames(o.terminalNames(terms)))
	all, err := assessAll(ctx, bs, exprs, terms, o.cfg.Workers, bar.update)
	bar.finish()
	if err != nil {
		if !stoppedBySignal(ctx) {
			return nil, err
		}
		rep.Interrupted = fmt.Sprintf("the search finished (%d generations) but the pass over all %d architectures was stopped; its captures so far are cached: rank the winner with %s", res.Generations, len(bs.b.Archs), rep.Next)
		return done()
	}
	inSample := map[string]bool{}
	for _, a := range sample.Archs {
		inSample[a.ID] = true
	}
	strata := bench.Strata(bs.b)
	for i := range forms {
		a := all[i]
		forms[i].All = &a.Quality
		forms[i].fullScores, forms[i].fullTruth = a.scores, a.truth
		var hs, ht []float64
		var hst []string
		for j, arch := range bs.b.Archs {
			if !inSample[arch.ID] {
				hs, ht, hst = append(hs, a.scores[j]), append(ht, a.truth[j]), append(hst, strata[j])
			}
		}
		if len(hs) > 0 {
			h, _, err := rank.Assess(hs, ht, hst, bs.b.HigherIsBetter)
			if err != nil {
				return nil, err
			}
			forms[i].HeldOut = &h
		}
	}
	return done()
}

func needsCaptureNames(names []string) bool {
	for _, n := range names {
		if c, ok := stdlib.LookupChannel(n); ok && c.Type.IsList() {
			return true
		}
	}
	return false
}

type fullAssessment struct {
	rank.Quality
	scores, truth []float64
}

// assessAll evaluates formulas on every architecture of the benchmark,
// getting each architecture's inputs once (streaming: captures are not all
// held in memory).
func assessAll(ctx context.Context, bs *benchSession, exprs []lang.Expr, terms []stdlib.Channel, workers int, progress func(int)) ([]fullAssessment, error) {
	p := &gp.Problem{Terminals: terms}
	progs := make([]*interp.Program, len(exprs))
	for i, e := range exprs {
		var err error
		if progs[i], err = p.Compile(e); err != nil {
			return nil, err
		}
	}
	var channels []string
	for _, t := range terms {
		channels = append(channels, t.Name)
	}
	archs := bs.b.Archs
	scores := make([][]float64, len(exprs))
	for i := range scores {
		scores[i] = make([]float64, len(archs))
	}
	errs := make([]error, len(archs))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				in, err := bs.inputs(ctx, archs[j], channels)
				if err != nil {
					errs[j] = err
					continue
				}
				for i, prog := range progs {
					scores[i][j], _ = gp.Score(ctx, prog, in)
				}
				mu.Lock()
				done++
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for j := range archs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	truth := bs.b.Truths()
	strata := bench.Strata(bs.b)
	out := make([]fullAssessment, len(exprs))
	for i := range exprs {
		q, _, err := rank.Assess(scores[i], truth, strata, bs.b.HigherIsBetter)
		if err != nil {
			return nil, err
		}
		out[i] = fullAssessment{q, scores[i], truth}
	}
	return out, nil
}

func (r *searchReport) text(w io.Writer) {
	dir := "higher is better"
	if !r.Higher {
		dir = "lower is better"
	}
	fmt.Fprintf(w, "lpz search on %s (%d architectures; truth %s, %s); seed %d; backend %s\n", r.Benchmark, r.AllN, r.Truth, dir, r.Seed, r.Backend)
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
	table := func(title string, fs []formulaReport) {
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

// overfitGap is how far held-out ρ may fall below sample ρ before the
// report calls the winner overfitted: more than sampling noise of a
// 20–50-architecture sample (≈ 0.05 between seeds on gpt2-wt103).
const overfitGap = 0.1

// overfitNote warns when the winner ranks the architectures it was fitted
// on much better than the held-out ones.
func overfitNote(w formulaReport, sampleN int) string {
	h := w.HeldOut
	if h == nil || !h.Rho.Defined() || !w.Sample.Rho.Defined() || w.Sample.Rho-h.Rho <= overfitGap {
		return ""
	}
	return fmt.Sprintf("warning: the winner overfits its sample: held-out ρ %.4f is %.2f below its sample ρ %.4f; a larger --sample (now %d) or --patience generalises better.",
		h.Rho, w.Sample.Rho-h.Rho, w.Sample.Rho, sampleN)
}

// searchBar is the progress display on stderr: one line redrawn in place
// on a terminal; on a file (a long search under nohup, a batch job) a plain
// line every logEvery, so its log shows where the search is.
type searchBar struct {
	w    *os.File
	tty  bool
	last time.Time
	on   bool
	mu   sync.Mutex
}

const logEvery = 30 * time.Second

func newSearchBar(w io.Writer, enabled bool) *searchBar {
	f, _ := w.(*os.File)
	b := &searchBar{w: f, on: enabled && f != nil}
	if b.on {
		// The first update (the initial population) is always shown, so
		// a log says at once that the search has started.
		b.tty = isTerminal(f)
	}
	return b
}

func (b *searchBar) update(p gp.Progress) {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	every := 100 * time.Millisecond
	if !b.tty {
		every = logEvery
	}
	if time.Since(b.last) < every && p.Gen != p.Gens {
		return
	}
	b.last = time.Now()
	line := fmt.Sprintf("gen %d/%d  best %.4f  %d evals (%.1f/s)  rejected %d  %s", p.Gen, p.Gens, p.Best.Fitness, p.Evals, p.EvalsPerSec, p.Rejected, shorten(p.Best.Text, 60))
	if b.tty {
		fmt.Fprint(b.w, "\r\033[K"+line)
	} else {
		fmt.Fprintln(b.w, line)
	}
}

func (b *searchBar) finish() {
	if b.on && b.tty {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
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
