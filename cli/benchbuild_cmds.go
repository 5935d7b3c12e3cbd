package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"lpz/bench"
	"lpz/rank"
	"lpz/runtime"
	"lpz/tokenizer"
)

// lpz bench build: ground truth for a search space of your own (see
// bench/custom.go for the benchmark format and bench/space.go for spaces).

// buildOptions are the settings of one build.
type buildOptions struct {
	space       *bench.Space
	n           int
	seed        uint64
	textPath    string
	out         string
	name        string
	workers     int
	backend     string
	validFrac   float64
	tc          runtime.TrainConfig
	long        int
	longSteps   int
	quiet       bool
	interactive bool
	only        map[string]bool // train only these ids (nil: all)
}

// buildStopAfter, when > 0, interrupts a build after that many newly
// trained architectures (tests of resume).
var buildStopAfter int

func runBenchBuild(env *Env, args []string) error {
	fs := flag.NewFlagSet("bench build", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	space := fs.String("space", "", "search space: a built-in name ("+strings.Join(bench.SpaceNames(), ", ")+") or a YAML file")
	n := intFlag(fs, "n", 32, 1, 1_000_000, "architectures to sample")
	steps := intFlag(fs, "steps", 0, 0, math.MaxInt32, "training steps per architecture (0: the space's train.steps, else 40)")
	text := fs.String("text", "", "training/validation text (UTF-8, read as bytes)")
	out := fs.String("out", "", "output directory (created; re-running resumes)")
	seed := fs.Uint64("seed", 0, "seed of the sample, the weights and the batch order")
	workers := intFlag(fs, "workers", 1, 1, maxWorkers, "architectures trained at once (each training uses every core)")
	backend := fs.String("backend", "", "compute backend (default go: SimpleGo)")
	batch := intFlag(fs, "batch", 0, 0, 4096, "sequences per step (0: the space's train.batch, else 8)")
	seq := intFlag(fs, "seq", 0, 0, 4096, "tokens per sequence (0: the model's context; else at least 2)")
	lr := floatFlag(fs, "lr", 0, "[0, 10]", "peak learning rate (0: the space's train.lr, else 0.005)")
	evalBatches := intFlag(fs, "eval-batches", 0, 0, 1_000_000, "validation batches (0: the space's train.eval_batches, else 16)")
	validFrac := floatFlag(fs, "valid-frac", 0.1, "(0, 1)", "fraction of the text (its end) held out for validation")
	name := fs.String("name", "", "benchmark name (default: the space's name)")
	long := intFlag(fs, "long", 0, 0, 1_000_000, "evidence: train this many finished architectures (seeded subset) for --long-steps")
	longSteps := intFlag(fs, "long-steps", 0, 0, math.MaxInt32, "evidence: steps of the long runs (0: 5× --steps)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	only := fs.String("only", "", "comma-separated architecture ids: train only these of the sample (e.g. to spread a build over machines)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *space == "" || *out == "" || *text == "" {
		return usagef("want: lpz %s (built-in spaces: %s; lpz help bench build)", docs["bench build"].usage[0], strings.Join(bench.SpaceNames(), ", "))
	}
	sp, err := bench.LoadSpace(*space)
	if err != nil {
		return err
	}
	o := buildOptions{space: sp, n: *n, seed: *seed, textPath: *text, out: *out, name: *name, workers: max(1, *workers),
		backend: *backend, validFrac: *validFrac, long: *long, longSteps: *longSteps, quiet: *quiet}
	if f, ok := env.Stderr.(*os.File); ok && isTerminal(f) {
		o.interactive = true
	}
	def := func(flagV int, key string, dflt int) int {
		if flagV > 0 {
			return flagV
		}
		if v, ok := sp.Train[key]; ok {
			if x, ok := toFloat(v); ok && x > 0 {
				return int(x)
			}
		}
		return dflt
	}
	o.tc = runtime.DefaultTrainConfig()
	o.tc.Steps = def(*steps, "steps", 40)
	o.tc.Batch = def(*batch, "batch", 8)
	o.tc.EvalBatches = def(*evalBatches, "eval_batches", 16)
	o.tc.Seq = *seq
	o.tc.LR = 0.005
	if v, ok := toFloat(sp.Train["lr"]); ok && v > 0 {
		o.tc.LR = v
	}
	if *lr > 0 {
		o.tc.LR = *lr
	}
	o.tc.Seed = *seed
	o.tc.Warmup = max(1, o.tc.Steps/10)
	if o.longSteps <= 0 {
		o.longSteps = 5 * o.tc.Steps
	}
	if o.name == "" {
		o.name = sp.Name
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, id := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(id)] = true
		}
	}
	if *seq == 1 {
		return usagef("--seq 1: want 0 (the model's context) or at least 2 tokens")
	}
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	res, err := buildBenchmark(ctx, env, o)
	if res != nil {
		printBuildSummary(env, o, res)
	}
	return err
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// buildResult summarises a build invocation.
type buildResult struct {
	cb      *bench.CustomBench
	path    string
	trained int
	reused  int
	wall    time.Duration
}

// splitText cuts the byte ids at the first newline at or after
// (1-validFrac) of the text: the part before trains, the rest validates.
func splitText(raw []byte, validFrac float64) (train, valid []int, split string) {
	cut := int(float64(len(raw)) * (1 - validFrac))
	for cut < len(raw) && raw[cut] != '\n' {
		cut++
	}
	if cut < len(raw) {
		cut++
	}
	ids := tokenizer.Bytes{}.Encode(string(raw))
	return ids[:cut], ids[cut:], fmt.Sprintf("bytes [0, %d) train, [%d, %d) validation: the first newline at or after %.0f%% of the text; validation windows are consecutive non-overlapping seq+1 byte windows from the start of the validation part", cut, cut, len(raw), 100*(1-validFrac))
}

// trainRecipe is the recipe as recorded in benchmark.json.
func trainRecipe(tc runtime.TrainConfig, seq int) map[string]any {
	return map[string]any{"steps": tc.Steps, "batch": tc.Batch, "seq": seq, "lr": tc.LR, "min_lr": tc.MinLR,
		"warmup": tc.Warmup, "beta1": tc.Beta1, "beta2": tc.Beta2, "eps": tc.Eps, "weight_decay": tc.WeightDecay,
		"clip": tc.Clip, "eval_batches": tc.EvalBatches, "schedule": "linear warm-up, cosine to min_lr·lr",
		"optimizer": "AdamW (decoupled decay on matrices only), global-norm clipping; batches: uniform random seq+1 windows of the training part, PCG(seed)",
		"loss":      "mean next-token NLL (nats) over batch·seq tokens"}
}

func archSettings(o buildOptions, cfg map[string]any, tc runtime.TrainConfig, dataSHA, split string) string {
	h := sha256.New()
	enc, _ := json.Marshal(map[string]any{"code": runtime.TrainVersion + " " + familyVersion(o.space.Family),
		"config": cfg, "train": trainRecipe(tc, tc.Seq), "data": dataSHA, "split": split, "seed": o.seed, "backend": backendName(o.backend)})
	h.Write(enc)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// familyVersion is the model code version of a family: only it (and the
// training code's) invalidates a family's finished records.
func familyVersion(family string) string {
	if family == bench.FamilyLlama {
		return runtime.LlamaModelVersion
	}
	return runtime.GPT2ModelVersion
}

func backendName(spec string) string {
	if spec == "" {
		spec = os.Getenv(runtime.BackendEnvVar)
	}
	if spec == "" {
		spec = "go"
	}
	return spec
}

// trainArch trains one architecture of family.
func trainArch(be any, family string, cfg map[string]any, train, valid []int, tc runtime.TrainConfig, progress runtime.TrainProgress) (*runtime.TrainResult, error) {
	backend, err := runtime.NewBackend(be.(string))
	if err != nil {
		return nil, err
	}
	defer backend.Finalize()
	switch family {
	case bench.FamilyGPT2:
		c, err := bench.GPT2FromConfig(cfg)
		if err != nil {
			return nil, err
		}
		return runtime.TrainGPT2(backend, *c, train, valid, tc, progress)
	case bench.FamilyLlama:
		c, err := bench.LlamaFromConfig(cfg)
		if err != nil {
			return nil, err
		}
		return runtime.TrainLlama(backend, *c, train, valid, tc, progress)
	}
	return nil, fmt.Errorf("lpz bench build trains gpt2 and llama decoders, not %s", family)
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}

func readArchRecord(path string) (*bench.CustomArch, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var a bench.CustomArch
	if json.Unmarshal(data, &a) != nil {
		return nil, false
	}
	return &a, true
}

// buildBenchmark runs (or resumes) a build and writes DIR/benchmark.json.
func buildBenchmark(ctx context.Context, env *Env, o buildOptions) (*buildResult, error) {
	start := time.Now()
	sp := o.space
	if sp.Family != bench.FamilyGPT2 && sp.Family != bench.FamilyLlama {
		return nil, fmt.Errorf("space %s: lpz bench build trains gpt2 and llama decoders; %s is a documented space for sampling only", sp.Name, sp.Family)
	}
	if tk, ok := sp.Train["tokenizer"]; ok && fmt.Sprint(tk) != "bytes" {
		return nil, fmt.Errorf("space %s: tokenizer %v: the builder reads text as bytes (tokenizer: bytes)", sp.Name, tk)
	}
	archs, err := sp.Sample(o.n, o.seed)
	if err != nil {
		return nil, err
	}
	for _, a := range archs {
		if v, _ := toFloat(a.Config["n_token"]); v != 256 {
			return nil, fmt.Errorf("space %s: %s has n_token %v; byte-level text needs n_token 256", sp.Name, a.ID, a.Config["n_token"])
		}
	}
	raw, err := os.ReadFile(o.textPath)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	dataSHA := hex.EncodeToString(sum[:])
	train, valid, split := splitText(raw, o.validFrac)
	for _, sub := range []string{"archs", "long"} {
		if err := os.MkdirAll(filepath.Join(o.out, sub), 0o755); err != nil {
			return nil, err
		}
	}
	spaceSum := sha256.Sum256([]byte(sp.Source))
	seq := o.tc.Seq
	if seq <= 0 {
		if v, ok := toFloat(archs[0].Config["tgt_len"]); ok {
			seq = int(v)
		} else if v, ok := toFloat(archs[0].Config["seq_len"]); ok {
			seq = int(v)
		}
	}
	cb := &bench.CustomBench{Format: bench.CustomFormat, Name: o.name, Family: sp.Family, Truth: "valid_ppl",
		Tokenizer: "bytes", Space: bench.CustomSpace{Name: sp.Name, SHA256: hex.EncodeToString(spaceSum[:]), YAML: sp.Source},
		Train: trainRecipe(o.tc, seq), Seed: o.seed, N: o.n, Backend: backendName(o.backend),
		CodeVersion: runtime.TrainVersion + ", " + runtime.GPT2ModelVersion + ", " + runtime.LlamaModelVersion + ", " + buildVCS(),
		GoVersion:   goruntime.Version(), CPUs: goruntime.NumCPU(), Created: time.Now().UTC().Format(time.RFC3339),
		Data: bench.CustomData{Text: filepath.Base(o.textPath), SHA256: dataSHA, Bytes: len(raw), Split: split,
			TrainTokens: len(train), ValidTokens: min(len(valid), o.tc.EvalBatches*o.tc.Batch*seq)}}
	benchPath := filepath.Join(o.out, "benchmark.json")
	prevWall := 0.0
	if data, err := os.ReadFile(benchPath); err == nil {
		var prev bench.CustomBench
		if json.Unmarshal(data, &prev) == nil {
			prevWall = prev.WallSeconds
			if prev.Created != "" {
				cb.Created = prev.Created
			}
		}
	}
	res := &buildResult{cb: cb, path: benchPath}

	records := make([]*bench.CustomArch, len(archs))
	settings := make([]string, len(archs))
	var todo []int
	for i, a := range archs {
		settings[i] = archSettings(o, a.Config, o.tc, dataSHA, split)
		if r, ok := readArchRecord(filepath.Join(o.out, "archs", a.ID+".json")); ok && r.Settings == settings[i] && r.Status == "ok" {
			records[i] = r
			res.reused++
			continue
		}
		if o.only != nil && !o.only[a.ID] {
			continue
		}
		todo = append(todo, i)
	}
	var mu sync.Mutex
	flush := func() error {
		mu.Lock()
		defer mu.Unlock()
		cb.Archs = cb.Archs[:0]
		for _, r := range records {
			if r != nil {
				cb.Archs = append(cb.Archs, *r)
			}
		}
		cb.WallSeconds = math.Round((prevWall+time.Since(start).Seconds())*10) / 10
		return writeJSONAtomic(benchPath, cb)
	}
	prog := newBuildProgress(env.Stderr, o, len(todo), "train")
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	newly := 0
	err = runPool(runCtx, todo, o.workers, func(i int) error {
		a := archs[i]
		tc := o.tc
		tc.Stop = func() bool { return runCtx.Err() != nil }
		t0 := time.Now()
		tr, err := trainArch(o.backend, sp.Family, a.Config, train, valid, tc, prog.step(a.ID))
		if errors.Is(err, runtime.ErrTrainStopped) {
			return nil
		}
		rec := &bench.CustomArch{ID: a.ID, Config: a.Config, Settings: settings[i], TrainSecs: round3(time.Since(t0).Seconds())}
		if err != nil {
			rec.Status, rec.Error = "failed", err.Error()
		} else {
			rec.Status = "ok"
			rec.ValidLoss, rec.ValidPPL = tr.ValidLoss, tr.ValidPPL
			rec.InitLoss = tr.TrainLoss[0]
			rec.TrainLoss = tailMean(tr.TrainLoss, 5)
			rec.Params, rec.Tokens, rec.Steps = tr.Params, tr.Tokens, len(tr.TrainLoss)
		}
		if err := writeJSONAtomic(filepath.Join(o.out, "archs", a.ID+".json"), rec); err != nil {
			return err
		}
		mu.Lock()
		records[i] = rec
		newly++
		stopNow := buildStopAfter > 0 && newly >= buildStopAfter
		mu.Unlock()
		prog.done(rec)
		if stopNow {
			cancel()
		}
		return flush()
	})
	prog.finish()
	res.trained = newly
	if err != nil {
		return res, err
	}
	if ferr := flush(); ferr != nil {
		return res, ferr
	}
	if runCtx.Err() != nil {
		res.wall = time.Since(start)
		msg := fmt.Sprintf("%d of %d architectures are trained and written to %s; run the same command again to resume", len(cb.Archs), len(archs), benchPath)
		if stoppedBySignal(ctx) {
			return res, interrupted(ctx, "%s", msg)
		}
		return res, errors.New("interrupted: " + msg)
	}
	if o.long > 0 {
		if err := buildEvidence(runCtx, env, o, cb, records, train, valid, dataSHA, split); err != nil {
			res.wall = time.Since(start)
			return res, err
		}
		if err := flush(); err != nil {
			return res, err
		}
	}
	res.wall = time.Since(start)
	return res, nil
}

// buildEvidence trains a seeded subset of the finished architectures for
// o.longSteps and records the rank correlation of the two validation losses.
func buildEvidence(ctx context.Context, env *Env, o buildOptions, cb *bench.CustomBench, records []*bench.CustomArch, train, valid []int, dataSHA, split string) error {
	var ok []*bench.CustomArch
	for _, r := range records {
		if r != nil && r.Status == "ok" {
			ok = append(ok, r)
		}
	}
	idx := bench.SampleIndices(len(ok), o.long, int64(o.seed))
	tc := o.tc
	tc.Steps = o.longSteps
	tc.Warmup = max(1, tc.Steps/10)
	long := make([]float64, len(idx))
	prog := newBuildProgress(env.Stderr, o, len(idx), "long")
	var mu sync.Mutex
	trainSecs := 0.0
	err := runPool(ctx, seqInts(len(idx)), o.workers, func(k int) error {
		r := ok[idx[k]]
		path := filepath.Join(o.out, "long", r.ID+".json")
		set := archSettings(o, r.Config, tc, dataSHA, split)
		if prev, found := readArchRecord(path); found && prev.Settings == set && prev.Status == "ok" {
			mu.Lock()
			long[k] = prev.ValidLoss
			trainSecs += prev.TrainSecs
			mu.Unlock()
			prog.done(prev)
			return nil
		}
		t0 := time.Now()
		tcc := tc
		tcc.Stop = func() bool { return ctx.Err() != nil }
		tr, err := trainArch(o.backend, cb.Family, r.Config, train, valid, tcc, prog.step(r.ID))
		if errors.Is(err, runtime.ErrTrainStopped) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("long run of %s: %w", r.ID, err)
		}
		rec := &bench.CustomArch{ID: r.ID, Config: r.Config, Status: "ok", Settings: set, ValidLoss: tr.ValidLoss, ValidPPL: tr.ValidPPL,
			InitLoss: tr.TrainLoss[0], TrainLoss: tailMean(tr.TrainLoss, 5), Params: tr.Params, Tokens: tr.Tokens,
			Steps: len(tr.TrainLoss), TrainSecs: round3(time.Since(t0).Seconds())}
		mu.Lock()
		long[k] = tr.ValidLoss
		trainSecs += rec.TrainSecs
		mu.Unlock()
		prog.done(rec)
		return writeJSONAtomic(path, rec)
	})
	prog.finish()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		msg := "the benchmark is written; the evidence's long runs finished so far are kept: run the same command again to resume"
		if stoppedBySignal(ctx) {
			return interrupted(ctx, "%s", msg)
		}
		return errors.New("interrupted: " + msg)
	}
	ev := &bench.CustomEvidence{Steps: o.longSteps}
	for k, i := range idx {
		ev.IDs = append(ev.IDs, ok[i].ID)
		ev.Short = append(ev.Short, ok[i].ValidLoss)
		ev.Long = append(ev.Long, long[k])
	}
	if len(idx) >= 3 {
		ev.Spearman, _ = rank.Spearman(ev.Short, ev.Long)
		ev.Kendall, _ = rank.KendallTauB(ev.Short, ev.Long)
	}
	ev.WallSecs = math.Round(trainSecs*10) / 10
	cb.Evidence = ev
	return nil
}

func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// runPool runs f over items with w workers (in item order per worker
// pick-up); it stops handing out items once ctx is done and returns the
// first error.
func runPool(ctx context.Context, items []int, w int, f func(int) error) error {
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(items) || first != nil || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				i := items[next]
				next++
				mu.Unlock()
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func tailMean(x []float64, k int) float64 {
	k = min(k, len(x))
	if k == 0 {
		return 0
	}
	s := 0.0
	for _, v := range x[len(x)-k:] {
		s += v
	}
	return s / float64(k)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// buildVCS is the binary's VCS revision (from the build info), if known.
func buildVCS() string {
	b := readBuild()
	if b.revision == "" {
		return "lpz (unknown revision)"
	}
	dirty := ""
	if b.modified {
		dirty = "+dirty"
	}
	return "lpz " + b.revision[:min(12, len(b.revision))] + dirty
}

// buildProgress reports a build on stderr: a redrawn step line on a
// terminal, one line per finished architecture always (unless quiet).
type buildProgress struct {
	mu     sync.Mutex
	w      io.Writer
	o      buildOptions
	label  string
	total  int
	done_  int
	start  time.Time
	secs   float64
	active map[string]string
}

func newBuildProgress(w io.Writer, o buildOptions, total int, label string) *buildProgress {
	return &buildProgress{w: w, o: o, total: total, label: label, start: time.Now(), active: map[string]string{}}
}

func (p *buildProgress) eta() string {
	if p.done_ == 0 {
		return "?"
	}
	left := time.Duration(float64(time.Since(p.start)) / float64(p.done_) * float64(p.total-p.done_))
	return left.Round(time.Second).String()
}

func (p *buildProgress) step(id string) runtime.TrainProgress {
	if p.o.quiet || !p.o.interactive {
		return nil
	}
	return func(step, steps int, loss float64) {
		p.mu.Lock()
		defer p.mu.Unlock()
		fmt.Fprintf(p.w, "\r%s %d/%d  %s step %d/%d loss %.3f  elapsed %s  ETA %s   ", p.label, p.done_, p.total, id, step, steps, loss,
			time.Since(p.start).Round(time.Second), p.eta())
	}
}

func (p *buildProgress) done(r *bench.CustomArch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done_++
	if p.o.quiet {
		return
	}
	if p.o.interactive {
		fmt.Fprint(p.w, "\r\033[K")
	}
	if r.Status == "ok" {
		fmt.Fprintf(p.w, "%s %d/%d  %-14s valid_loss %.4f  ppl %7.3f  %7d params  %6.1fs  ETA %s\n", p.label, p.done_, p.total, r.ID,
			r.ValidLoss, r.ValidPPL, r.Params, r.TrainSecs, p.eta())
	} else {
		fmt.Fprintf(p.w, "%s %d/%d  %-14s FAILED: %s\n", p.label, p.done_, p.total, r.ID, r.Error)
	}
}

func (p *buildProgress) finish() {}

func printBuildSummary(env *Env, o buildOptions, res *buildResult) {
	cb := res.cb
	okN, failed := 0, 0
	var secs []float64
	for _, a := range cb.Archs {
		if a.Status == "ok" {
			okN++
			secs = append(secs, a.TrainSecs)
		} else {
			failed++
		}
	}
	sort.Float64s(secs)
	fmt.Fprintf(env.Stdout, "benchmark     %s (%s, space %s): %d architectures ok, %d failed, of %d\n", res.path, cb.Name, cb.Space.Name, okN, failed, cb.N)
	fmt.Fprintf(env.Stdout, "recipe        %d steps × %d × %v tokens, lr %g, seed %d, backend %s\n", o.tc.Steps, o.tc.Batch, cb.Train["seq"], o.tc.LR, o.seed, cb.Backend)
	fmt.Fprintf(env.Stdout, "this run      trained %d, reused %d, wall %s (total build wall %.0fs)\n", res.trained, res.reused, res.wall.Round(time.Second), cb.WallSeconds)
	if len(secs) > 0 {
		t := 0.0
		for _, s := range secs {
			t += s
		}
		fmt.Fprintf(env.Stdout, "train time    min %.1fs  median %.1fs  max %.1fs  mean %.1fs per architecture\n", secs[0], secs[len(secs)/2], secs[len(secs)-1], t/float64(len(secs)))
	}
	if ev := cb.Evidence; ev != nil {
		fmt.Fprintf(env.Stdout, "evidence      %d architectures × %d steps: Spearman ρ %.3f, Kendall τ %.3f (short vs long validation loss), %.0fs\n", len(ev.IDs), ev.Steps, ev.Spearman, ev.Kendall, ev.WallSecs)
	}
	if st, err := os.Stat(res.path); err == nil {
		fmt.Fprintf(env.Stdout, "size          %d bytes\n", st.Size())
	}
}
