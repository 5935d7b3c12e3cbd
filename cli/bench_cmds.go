package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"lpz/bench"
	"lpz/interp"
	"lpz/lang"
	"lpz/rank"
	"lpz/stdlib"
)

func init() {
	register(&command{"rank", "rank a proxy on a benchmark: lpz rank EXPR --bench NAME [--archs N] [--json] [--plot F]", runRank})
	register(&command{"bench", "benchmarks: lpz bench list | lpz bench show NAME [ID]", runBench})
	addEvalBenchFlags = func(fs *flag.FlagSet) {
		fs.String("bench", "", "benchmark whose architecture provides the inputs")
		fs.String("arch", "", "architecture id (of --bench, else of the default benchmark) whose inputs the formula reads")
		fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
		fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
		addCaptureFlags(fs)
	}
	evalBenchInputs = func(fs *flag.FlagSet, expr string) (interp.Inputs, string, bool, error) {
		get := func(name string) string { return fs.Lookup(name).Value.String() }
		name, id := get("bench"), get("arch")
		if name == "" && id == "" {
			return nil, "", false, nil
		}
		if id == "" {
			return nil, "", false, usagef("--bench needs --arch ID, the architecture whose inputs the formula reads (lpz bench show %s lists them)", name)
		}
		// Check first, against every input a benchmark can provide, so the
		// capture is of what the formula reads (and a typo costs none).
		p, err := interp.CompileSource(expr, channelTypes(), stdlib.Default)
		if err != nil {
			return nil, "", false, err
		}
		bs, a, err := openBenchArch(name, id, get("data"), get("model-fidelity"))
		if err != nil {
			return nil, "", false, err
		}
		bs.captureFlags(fs, os.Stderr)
		ctx, stop := signalContext()
		defer stop()
		in, err := bs.inputs(ctx, a, p.Inputs())
		if ctx.Err() != nil {
			return nil, "", false, interrupted(ctx, "nothing evaluated; the captures finished so far are cached")
		}
		if err == nil {
			err = bs.missingChannel(a, in, p.Inputs())
		}
		return in, bs.b.Name + "/" + a.ID, true, err
	}
}

// benchSession is a loaded benchmark plus how to make each architecture's
// inputs: architecture scalars always; capture channels through the
// runtime when a formula reads them.
type benchSession struct {
	b    *bench.Benchmark
	data string
	mode bench.FlexiMode
	// capture provides channel inputs; nil when this build has no runtime
	// for the benchmark's family.
	capture  captureFunc
	settings *captureSettings
	capturer *capturer
	mu       sync.Mutex
}

// captureFunc captures the named channels of one architecture.
type captureFunc func(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error)

// captureProvider is installed by the runtime commands: it returns the
// capture function for a benchmark (and a description of its settings).
var captureProvider func(bs *benchSession) (captureFunc, string, error)

// benchUsage is the help of every --bench flag: the published names, the
// embedded one, and a directory that lpz bench build wrote.
var benchUsage = "benchmark: " + strings.Join(bench.Names, " | ") + " | " + bench.MiniName + " | " + bench.NanoName +
	" (both embedded) | DIR (from lpz bench build); default: " + bench.MiniName + " when --data holds no benchmark"

func openBench(name, dataFlag, fidelity string) (*benchSession, error) {
	if name == "" && !bench.HasData(bench.DataDir(dataFlag)) {
		name = bench.MiniName // fresh machine: the embedded slice of gpt2-wt103
	}
	if name == "" {
		return nil, usagef("--bench NAME is required (one of %s)", bench.Known)
	}
	mode, err := bench.ParseFlexiMode(fidelity)
	if err != nil {
		return nil, usagef("%v", err)
	}
	dir := bench.DataDir(dataFlag)
	if !slices.Contains(bench.Names, name) && !slices.Contains(bench.Embedded, name) && !bench.IsBenchDir(name) {
		hint := ""
		if best, ok := lang.Closest(name, append(append([]string{}, bench.Names...), bench.Embedded...)); ok {
			hint = fmt.Sprintf("; did you mean %q?", best)
		}
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			return nil, usagef("--bench %s: the directory has no benchmark.json (lpz bench build writes one)", name)
		}
		return nil, usagef("--bench %s: no such benchmark%s (%s)", name, hint, bench.Known)
	}
	b, err := bench.LoadAny(name, dir) // a published name, an embedded one, or an lpz bench build directory
	if err != nil {
		return nil, err
	}
	return &benchSession{b: b, data: dir, mode: mode}, nil
}

// scalarInputs are the architecture-level inputs (params, dparams, …).
func (bs *benchSession) scalarInputs(a bench.Arch) (interp.Inputs, error) {
	m, err := bench.ArchScalarsErr(a, bs.mode)
	if err != nil {
		return nil, err
	}
	in := interp.Inputs{}
	for k, v := range m {
		in[k] = interp.ScalarValue(v)
	}
	return in, nil
}

// inputs returns a's inputs for the given channel names (nil: scalars only).
func (bs *benchSession) inputs(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error) {
	in, err := bs.scalarInputs(a)
	if err != nil {
		return nil, err
	}
	var need []string
	for _, c := range channels {
		if _, ok := in[c]; ok {
			continue
		}
		if sub, ok := stdlib.Subsets[c]; ok {
			c = sub.From // W/G subsets are selected from the full lists by entry name
		}
		if !slices.Contains(need, c) {
			need = append(need, c)
		}
	}
	if len(need) == 0 {
		return in, nil
	}
	bs.mu.Lock()
	if bs.capture == nil {
		if captureProvider == nil {
			bs.mu.Unlock()
			return nil, fmt.Errorf("the formula reads capture channel(s) %s, but this build has no model runtime for %s", strings.Join(need, ", "), bs.b.Family)
		}
		f, _, err := captureProvider(bs)
		if err != nil {
			bs.mu.Unlock()
			return nil, err
		}
		bs.capture = f
	}
	bs.mu.Unlock()
	captured, err := bs.capture(ctx, a, need)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.ID, err)
	}
	for k, v := range captured {
		in[k] = v
	}
	deriveSubsets(in)
	return in, nil
}

// missingChannel names the first requested channel a capture did not
// provide (GA, HG, GS are not captured by every runtime yet).
func (bs *benchSession) missingChannel(a bench.Arch, in interp.Inputs, channels []string) error {
	for _, c := range channels {
		if _, ok := in[c]; !ok {
			return fmt.Errorf("%s: channel %s is not captured by the %s runtime in this version (lpz ops lists what each channel needs)", a.ID, c, bs.b.Family)
		}
	}
	return nil
}

// compileFor checks a formula against every input a benchmark can provide.
func compileFor(src string) (*interp.Program, error) {
	p, err := interp.CompileSource(src, channelTypes(), stdlib.Default)
	if err != nil {
		return nil, err
	}
	if t := p.Type(); t.Kind != lang.Scalar {
		return nil, fmt.Errorf("%s has type %s; a proxy ranked over architectures must be a scalar (wrap it in sum(...))", p.String(), t)
	}
	return p, nil
}

// scoreArchs evaluates p on each architecture. Architectures are evaluated
// concurrently (each one's inputs are independent); captures run one at a
// time inside the capture function when it needs the CPU for itself.
// It returns the finite scores by id and the ids with NaN/Inf scores; when
// ctx is cancelled, those of the architectures finished so far with ctx's
// error.
func (bs *benchSession) scoreArchs(ctx context.Context, p *interp.Program, archs []bench.Arch, workers int, progress func(done int)) (map[string]float64, []string, error) {
	channels := p.Inputs()
	scores := make([]float64, len(archs))
	errs := make([]error, len(archs))
	finished := make([]bool, len(archs))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				in, err := bs.inputs(ctx, archs[i], channels)
				if err == nil {
					err = bs.missingChannel(archs[i], in, channels)
				}
				if err == nil {
					var v interp.Value
					v, err = bs.engine(p).Eval(ctx, p, in)
					scores[i] = v.Scalar
				}
				errs[i] = err
				mu.Lock()
				finished[i] = ctx.Err() == nil || err == nil
				done++
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range archs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	out := map[string]float64{}
	var invalid []string
	for i, a := range archs {
		if !finished[i] {
			continue
		}
		if errs[i] != nil {
			if _, nonFinite := errs[i].(*interp.NonFiniteError); nonFinite {
				invalid = append(invalid, a.ID)
				continue
			}
			return nil, nil, errs[i]
		}
		out[a.ID] = scores[i]
	}
	return out, invalid, ctx.Err()
}

// selectArchs picks the architectures of a command: listed ids, or a
// seeded sample of n (0 = all) in benchmark order.
func selectArchs(b *bench.Benchmark, n int, seed int64, ids string) ([]bench.Arch, error) {
	if ids == "" {
		if n > len(b.Archs) {
			return nil, usagef("--archs %d: %s has %d architectures", n, b.Name, len(b.Archs))
		}
		return bench.Sample(b, n, seed), nil
	}
	var out []bench.Arch
	seen := map[string]bool{}
	for _, id := range strings.Split(ids, ",") {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		a, err := findArch(b, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, usagef("--ids names no architecture")
	}
	return out, nil
}

func parseArchs(s string) (int, error) {
	if s == "" || s == "all" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, usagef("--archs wants all or a positive number, got %q", s)
	}
	return n, nil
}

func runRank(env *Env, args []string) error {
	fs := flag.NewFlagSet("rank", flag.ContinueOnError)
	benchName := fs.String("bench", "", benchUsage)
	data := fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
	archs := fs.String("archs", "all", "all, or N to rank a seeded sample of N architectures")
	ids := fs.String("ids", "", "comma-separated architecture ids (instead of --archs)")
	seed := fs.Int64("seed", 42, "seed of the architecture sample")
	asJSON := fs.Bool("json", false, "machine-readable output")
	plot := fs.String("plot", "", "write a scatter plot of proxy vs ground truth to this PNG")
	scoresFile := fs.String("scores", "", "rank a per-architecture score file (YAML id: value, or CSV id,value) instead of a formula")
	column := fs.String("column", "", "with --scores: the column (CSV header) or inner key (YAML) to read")
	fidelity := fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
	workers := intFlag(fs, "workers", runtime.NumCPU(), 1, maxWorkers, "architectures evaluated in parallel (default: all cores)")
	saveScores := fs.String("save-scores", "", "write the per-architecture scores to this YAML file (id: value), readable by --scores")
	addCaptureFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if (*scoresFile == "") == (len(pos) != 1) {
		return usagef("want one formula, or --scores FILE (not both)")
	}
	if err := outputFile("plot", *plot, plotExts...); err != nil {
		return err
	}
	if err := outputFile("save-scores", *saveScores, ".yaml", ".yml"); err != nil {
		return err
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
	sample, err := selectArchs(bs.b, n, *seed, *ids)
	if err != nil {
		return err
	}
	var report *rank.Report
	var stopped error // set when a signal stopped the scoring
	if *scoresFile != "" {
		var scores map[string]float64
		if *column != "" {
			scores, err = bench.ReadScoresColumn(*scoresFile, *column)
		} else {
			scores, err = bench.ReadScores(*scoresFile)
		}
		if err != nil {
			return err
		}
		if report, err = rank.NewReportFromMap(bs.b, sample, scores, *scoresFile); err != nil {
			return err
		}
	} else {
		p, err := compileFor(pos[0])
		if err != nil {
			return printed(env, err)
		}
		ctx, stop := interruptible(env.Stderr)
		defer stop()
		bar := newProgress(env.Stderr, "rank", len(sample), needsCapture(p))
		scores, invalid, err := bs.scoreArchs(ctx, p, sample, *workers, bar.update)
		bar.finish()
		if err != nil && !stoppedBySignal(ctx) {
			return err
		}
		if err != nil {
			stopped = interrupted(ctx, "ρ above is over the %d of %d architectures scored before the signal; their captures are cached: run the same command again to finish", len(scores)+len(invalid), len(sample))
			if len(scores) < 3 {
				return interrupted(ctx, "only %d of %d architectures were scored, too few to rank; their captures are cached: run the same command again to go on", len(scores)+len(invalid), len(sample))
			}
		}
		var valid []bench.Arch
		for _, a := range sample {
			if _, ok := scores[a.ID]; ok {
				valid = append(valid, a)
			}
		}
		if report, err = rank.NewReportFromMap(bs.b, valid, scores, p.String()); err != nil {
			return err
		}
		report.LeaveOut(invalid)
		if needsCapture(p) {
			report.Backend, report.Capture = bs.captureDescription()
		}
	}
	report.Data = dataLocation(bs.b.Source)
	if *ids == "" && n > 0 && n < len(bs.b.Archs) {
		report.Seed = seed
	}
	// Printed first: a failing write must not cost the ranking.
	if *asJSON {
		b, err := report.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		fmt.Fprint(env.Stdout, report.Text())
	}
	if *saveScores != "" {
		if err := writeScores(*saveScores, report); err != nil {
			return fmt.Errorf("the ranking is above, but --save-scores failed: %w", err)
		}
	}
	if *plot != "" {
		title := fmt.Sprintf("%s on %s", report.Proxy, bs.b.Name)
		if err := rank.ScatterPlotLabeled(*plot, report.Scores, report.TruthValues, title, "proxy", bs.b.TruthName); err != nil {
			return fmt.Errorf("the ranking is above, but --plot failed: %w", err)
		}
	}
	return stopped
}

// engineHook picks the evaluation engine (the capture wiring installs the
// GoMLX graph engine for XLA backends).
var engineHook func(bs *benchSession) interp.Engine

func (bs *benchSession) engine(p *interp.Program) interp.Engine {
	if engineHook != nil && needsCapture(p) {
		if e := engineHook(bs); e != nil {
			return e
		}
	}
	return interp.Host{Workers: 1}
}

// writeScores saves a report's scores as YAML "id: value" lines in
// benchmark order, with a comment saying what produced them.
func writeScores(path string, r *rank.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lpz rank scores: proxy %s, benchmark %s, data %s", r.Proxy, r.Bench, r.Data)
	if r.Capture != "" {
		fmt.Fprintf(&b, ", capture %s, backend %s", r.Capture, r.Backend)
	}
	b.WriteByte('\n')
	for i, id := range r.IDs {
		fmt.Fprintf(&b, "%s: %s\n", id, strconv.FormatFloat(r.Scores[i], 'g', -1, 64))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// needsCapture reports whether p reads anything beyond architecture scalars.
func needsCapture(p *interp.Program) bool {
	for _, name := range p.Inputs() {
		if c, ok := stdlib.LookupChannel(name); ok && c.Type.IsList() {
			return true
		}
	}
	return false
}

func runBench(env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: list | show NAME [ID] | build")
	}
	if args[0] == "build" {
		return runBenchBuild(env, args[1:])
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	data := fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
	fidelity := fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
	sub := args[0]
	if sub == "-h" || sub == "--help" || sub == "help" {
		return &helpRequest{fs: fs}
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		dir := bench.DataDir(*data)
		fmt.Fprintf(env.Stdout, "data directory: %s\n", dir)
		for _, name := range append(append([]string{}, bench.Names...), bench.Embedded...) {
			b, err := bench.LoadAny(name, dir)
			if err != nil {
				fmt.Fprintf(env.Stdout, "  %-15s not loaded: %v\n", name, firstLine(err.Error()))
				continue
			}
			lo, hi := truthRange(b)
			dir := "higher is better"
			if !b.HigherIsBetter {
				dir = "lower is better"
			}
			fmt.Fprintf(env.Stdout, "  %-15s %4d architectures  family %-9s  %s %.4g … %.4g (%s)\n", b.Name, len(b.Archs), b.Family, b.TruthName, lo, hi, dir)
		}
		return nil
	case "show":
		if len(pos) < 1 || len(pos) > 2 {
			return usagef("want: lpz bench show NAME [ID]")
		}
		bs, err := openBench(pos[0], *data, *fidelity)
		if err != nil {
			return err
		}
		if len(pos) == 1 {
			showBench(env, bs)
			return nil
		}
		a, err := findArch(bs.b, pos[1])
		if err != nil {
			return err
		}
		return showArch(env, bs, a)
	}
	return usagef("unknown subcommand %q (list | show)", sub)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func truthRange(b *bench.Benchmark) (lo, hi float64) {
	t := b.Truths()
	lo, hi = t[0], t[0]
	for _, v := range t {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

func showBench(env *Env, bs *benchSession) {
	b := bs.b
	lo, hi := truthRange(b)
	order := "higher is better"
	if !b.HigherIsBetter {
		order = "lower is better"
	}
	fmt.Fprintf(env.Stdout, "%s: %d architectures, family %s\n", b.Name, len(b.Archs), b.Family)
	fmt.Fprintf(env.Stdout, "ground truth: %s, %.4g … %.4g (%s)\n", b.TruthName, lo, hi, order)
	showSource(env.Stdout, b)
	strata := map[string]int{}
	for _, s := range bench.Strata(b) {
		strata[s]++
	}
	keys := make([]string, 0, len(strata))
	for k := range strata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprint(env.Stdout, "strata:")
	for _, k := range keys {
		fmt.Fprintf(env.Stdout, " %s(%d)", k, strata[k])
	}
	fmt.Fprintln(env.Stdout)
	ids := b.IDs()
	fmt.Fprintf(env.Stdout, "ids: %s … %s\n", strings.Join(ids[:min(5, len(ids))], " "), ids[len(ids)-1])
}

// showSource prints where b's data came from as labelled lines, and the
// directory it was read from only when it was read from one.
func showSource(w io.Writer, b *bench.Benchmark) {
	src := b.Source
	fmt.Fprintln(w, "source:")
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-9s %s\n", label, v)
		}
	}
	if cb, ok := bench.CustomInfo(b); ok {
		built := "lpz bench build, space " + cb.Space.Name
		if cb.N > 0 {
			built += fmt.Sprintf(", %d architectures drawn with seed %d", cb.N, cb.Seed)
		}
		line("built by", built)
		line("created", cb.Created)
		line("backend", cb.Backend)
		line("code", cb.CodeVersion)
	} else {
		line("upstream", src.Repo)
		line("branch", src.Branch)
		line("commit", src.Commit)
		line("path", src.Path)
		line("subset", src.Subset)
	}
	line("licence", src.Licence)
	fmt.Fprintf(w, "data: %s\n", dataLocation(src))
}

// dataLocation says where a benchmark's data was read from: "embedded
// (FILE)" for the ones built into the binary, else its directory.
func dataLocation(src bench.Source) string {
	data, embedded := strings.CutPrefix(src.Dir, "embedded:")
	switch {
	case embedded:
		return "embedded (" + data + ")"
	case filepath.Base(data) == "benchmark.json":
		return filepath.Dir(data)
	}
	return data
}

func showArch(env *Env, bs *benchSession, a bench.Arch) error {
	fmt.Fprintf(env.Stdout, "%s/%s\n", bs.b.Name, a.ID)
	fmt.Fprintf(env.Stdout, "  %s = %.6g\n", bs.b.TruthName, a.Truth)
	keys := make([]string, 0, len(a.Extra))
	for k := range a.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(env.Stdout, "  %s = %.6g\n", k, a.Extra[k])
	}
	m, err := bench.ArchScalarsErr(a, bs.mode)
	if err != nil {
		return err
	}
	for _, k := range bench.ScalarNames {
		fmt.Fprintf(env.Stdout, "  %s = %.0f\n", k, m[k])
	}
	fmt.Fprintf(env.Stdout, "  stratum = %s\n", bench.StratumOf(a))
	switch {
	case a.GPT2 != nil:
		c := a.GPT2
		fmt.Fprintf(env.Stdout, "  n_layer %d  d_model %d  d_embed %d  div_val %d  n_token %d  tgt_len %d\n", c.NLayer, c.DModel, c.DEmbed, c.DivVal, c.NToken, c.TgtLen)
		fmt.Fprintf(env.Stdout, "  n_head  %v\n  d_inner %v\n  cutoffs %v  tie_weight %v  tie_projs %v\n", c.NHead, c.DInner, c.Cutoffs, c.TieWeight, c.TieProjs)
	case a.Flexi != nil:
		fmt.Fprintf(env.Stdout, "  hidden_size %d (record)\n", a.Flexi.HiddenSize)
		for i, l := range a.Flexi.Layers {
			fmt.Fprintf(env.Stdout, "  layer %d: %s/%s heads %d ffn %d×%d\n", i, l.OpType, l.OpParam, l.Heads, l.NumFFN, l.FFNDim)
		}
	}
	return nil
}

// progress is a one-line progress bar on stderr with rate and ETA, shown
// only when the work is slow enough to need one. On a terminal it redraws in
// place; when stderr is a file (a job under nohup) it writes a plain line
// every logEvery, as the search's progress does, so a long capture's log
// shows where it is, and a last line if it wrote any.
type progress struct {
	w       *os.File
	label   string
	total   int
	enabled bool
	tty     bool
	start   nowFunc
	last    float64 // elapsed seconds at the last redraw or line
	logged  bool    // a plain line was written
}

type nowFunc func() float64

func newProgress(w any, label string, total int, enabled bool) *progress {
	f, _ := w.(*os.File)
	p := &progress{w: f, label: label, total: total, enabled: enabled && f != nil}
	p.tty = p.enabled && isTerminal(f)
	p.start = elapsedSince()
	return p
}

func (p *progress) update(done int) {
	if !p.enabled {
		return
	}
	el := p.start()
	every := 0.2
	if !p.tty {
		every = logEvery.Seconds()
	}
	final := done >= p.total && (p.tty || p.logged)
	if !final && el-p.last < every {
		return
	}
	p.last = el
	eta := 0.0
	if done > 0 {
		eta = el / float64(done) * float64(p.total-done)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r%s %d/%d  %.1fs elapsed  ETA %.0fs   ", p.label, done, p.total, el, eta)
		return
	}
	fmt.Fprintf(p.w, "%s %d/%d  %.0fs elapsed  ETA %.0fs\n", p.label, done, p.total, el, eta)
	p.logged = true
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
