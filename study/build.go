package study

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/renameio/v2"

	"lpz/bench"
	"lpz/parallel"
	"lpz/rank"
	"lpz/runtime"
	"lpz/tokenizer"
)

// Benchmark building (lpz bench build): ground truth for a search space
// of one's own. Each sampled architecture is trained briefly on a text
// read as bytes and its validation perplexity recorded; the records are
// written one file per architecture as they finish, so a build that stops
// resumes where it was, and a record is reused only if everything that
// defines its run (config, recipe, data, seed, backend, code) is the same.
// It lives here rather than in bench/ because it trains models: bench is
// below runtime (runtime reads bench's configurations).

// BuildOptions are the settings of one build. Zero values take defaults.
type BuildOptions struct {
	Space    *bench.Space // what to sample (gpt2 and llama decoders train)
	N        int          // architectures to sample
	Seed     uint64       // of the sample, the weights and the batch order
	TextPath string       // training and validation text, read as bytes
	Out      string       // output directory (created; a second run resumes)
	Name     string       // benchmark name ("": the space's)
	Workers  int          // architectures trained at once (≤ 0: 1; each uses every core)
	Backend  string       // compute backend spec ("": $GOMLX_BACKEND, else go)
	// ValidFrac is the fraction of the text (its end) held out for
	// validation (0: 0.1).
	ValidFrac float64
	// The recipe: 0 takes the space's train: value, else the default
	// (steps 40, batch 8, eval_batches 16, lr 0.005). Seq 0 is the
	// model's context.
	Steps, Batch, Seq, EvalBatches int
	LR                             float64
	// Long > 0 adds evidence: that many finished architectures (a seeded
	// subset) trained for LongSteps (0: 5 × Steps), and the rank
	// correlation of their short and long validation losses.
	Long, LongSteps int
	Only            []string // train only these ids of the sample (nil: all)
	// Supernet and Adapter (lonas spaces) are a Hugging Face LLaMA
	// checkpoint to use as the super-network instead of training one
	// (a real LLaMA-2 directory), and a PEFT LoRA adapter of it to use
	// instead of training adapters.
	Supernet, Adapter string
	// Tasks are multiple-choice task files (lonas spaces; mctask's JSONL
	// formats: lpz's, HellaSwag, PIQA, WinoGrande, ARC, OpenBookQA,
	// BoolQ) measured on every sub-network besides the built-in cont task.
	Tasks []string
	// StopAfter > 0 stops the build, as a cancellation would, once that
	// many architectures are newly trained (tests of resume).
	StopAfter int
	// Revision names the program in the benchmark's code_version
	// ("": "lpz (unknown revision)").
	Revision string
	Progress BuildProgress // nil: none
}

// BuildProgress hears about a build as it goes. Step and Done are called
// from the training goroutines, several at once when Workers > 1.
type BuildProgress interface {
	// Phase starts a phase: "train" (the sample) or "long" (the evidence)
	// with total architectures to go.
	Phase(name string, total int)
	// Step is the per-step callback of one architecture's training (nil:
	// none).
	Step(id string) runtime.TrainProgress
	// Done reports an architecture finished (or failed, or reused in the
	// evidence).
	Done(r *bench.CustomArch)
}

// BuildResult is what a build wrote.
type BuildResult struct {
	Bench   *bench.CustomBench
	Path    string              // DIR/benchmark.json
	Train   runtime.TrainConfig // the recipe as resolved
	Trained int                 // architectures trained by this run
	Reused  int                 // finished records of an earlier run reused
	Wall    time.Duration
}

// BuildStopped is the error of a build that stopped before its end (ctx
// cancelled, or StopAfter): what is done is written and a second run
// resumes.
type BuildStopped struct{ Msg string }

func (e *BuildStopped) Error() string { return "interrupted: " + e.Msg }

// TrainConfig resolves the recipe of o over its space's train: values.
func (o BuildOptions) TrainConfig() runtime.TrainConfig {
	def := func(v int, key string, dflt int) int {
		if v > 0 {
			return v
		}
		if x, ok := toFloat(o.Space.Train[key]); ok && x > 0 {
			return int(x)
		}
		return dflt
	}
	tc := runtime.DefaultTrainConfig()
	tc.Steps = def(o.Steps, "steps", 40)
	tc.Batch = def(o.Batch, "batch", 8)
	tc.EvalBatches = def(o.EvalBatches, "eval_batches", 16)
	tc.Seq = o.Seq
	tc.LR = 0.005
	if v, ok := toFloat(o.Space.Train["lr"]); ok && v > 0 {
		tc.LR = v
	}
	if o.LR > 0 {
		tc.LR = o.LR
	}
	tc.Seed = o.Seed
	tc.Warmup = max(1, tc.Steps/10)
	return tc
}

// withDefaults fills the zero fields of o.
func (o BuildOptions) withDefaults() BuildOptions {
	o.Workers = max(1, o.Workers)
	if o.ValidFrac == 0 {
		o.ValidFrac = 0.1
	}
	if o.Name == "" {
		o.Name = o.Space.Name
	}
	if o.LongSteps <= 0 {
		o.LongSteps = 5 * o.TrainConfig().Steps
	}
	if o.Revision == "" {
		o.Revision = "lpz (unknown revision)"
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	return o
}

type noProgress struct{}

func (noProgress) Phase(string, int)                 {}
func (noProgress) Step(string) runtime.TrainProgress { return nil }
func (noProgress) Done(*bench.CustomArch)            {}

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

// builder is one build under way: the options resolved and what every
// phase reads.
type builder struct {
	o            BuildOptions
	tc           runtime.TrainConfig
	archs        []bench.SpaceArch
	train, valid []int
	dataSHA      string
	split        string // how the text was split (recorded, and part of each run's settings)
	cb           *bench.CustomBench
	path         string
	start        time.Time
	prevWall     float64 // wall seconds of the runs before this one
	mu           sync.Mutex
	records      []*bench.CustomArch // by sample index; nil until trained
}

// Build runs (or resumes) a build and writes DIR/benchmark.json. The
// result is non-nil once the sample is drawn, even with an error. A build
// stopped by ctx or StopAfter returns a *BuildStopped after writing what
// is done.
func Build(ctx context.Context, o BuildOptions) (*BuildResult, error) {
	if o.Seq == 1 {
		return nil, optionErrorf("--seq 1: want 0 (the model's context) or at least 2 tokens")
	}
	if o.Space != nil && o.Space.Family == bench.FamilyLoNAS {
		return buildLonas(ctx, o.withDefaults())
	}
	b, err := newBuilder(o.withDefaults())
	if err != nil {
		return nil, err
	}
	res := &BuildResult{Bench: b.cb, Path: b.path, Train: b.tc}
	todo := b.resume(res)
	res.Trained, err = b.trainSample(ctx, todo)
	if err == nil {
		err = b.flush()
	}
	if err == nil && b.o.Long > 0 {
		if err = b.evidence(ctx); err == nil {
			err = b.flush()
		}
	}
	res.Wall = time.Since(b.start)
	return res, err
}

// newBuilder checks the space, samples it and reads the text.
func newBuilder(o BuildOptions) (*builder, error) {
	b := &builder{o: o, tc: o.TrainConfig(), start: time.Now()}
	sp := o.Space
	if !runtime.Trainable(sp.Family) {
		return nil, fmt.Errorf("space %s: lpz bench build trains gpt2 and llama decoders; %s is a documented space for sampling only", sp.Name, sp.Family)
	}
	if tk, ok := sp.Train["tokenizer"]; ok && fmt.Sprint(tk) != "bytes" {
		return nil, fmt.Errorf("space %s: tokenizer %v: the builder reads text as bytes (tokenizer: bytes)", sp.Name, tk)
	}
	var err error
	if b.archs, err = sp.Sample(o.N, o.Seed); err != nil {
		return nil, err
	}
	for _, a := range b.archs {
		if v, _ := toFloat(a.Config["n_token"]); v != 256 {
			return nil, fmt.Errorf("space %s: %s has n_token %v; byte-level text needs n_token 256", sp.Name, a.ID, a.Config["n_token"])
		}
	}
	raw, err := os.ReadFile(o.TextPath)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	b.dataSHA = hex.EncodeToString(sum[:])
	b.train, b.valid, b.split = SplitText(raw, o.ValidFrac)
	for _, sub := range []string{"archs", "long"} {
		if err := os.MkdirAll(filepath.Join(o.Out, sub), 0o755); err != nil {
			return nil, err
		}
	}
	b.describe(raw)
	return b, nil
}

// describe makes the benchmark's header, keeping the creation time and
// the wall time of an earlier run of the same directory.
func (b *builder) describe(raw []byte) {
	o, sp := b.o, b.o.Space
	spaceSum := sha256.Sum256([]byte(sp.Source))
	seq := b.tc.Seq
	if seq <= 0 {
		if v, ok := toFloat(b.archs[0].Config["tgt_len"]); ok {
			seq = int(v)
		} else if v, ok := toFloat(b.archs[0].Config["seq_len"]); ok {
			seq = int(v)
		}
	}
	b.cb = &bench.CustomBench{Format: bench.CustomFormat, Name: o.Name, Family: sp.Family, Truth: "valid_ppl",
		Tokenizer: "bytes", Space: bench.CustomSpace{Name: sp.Name, SHA256: hex.EncodeToString(spaceSum[:]), YAML: sp.Source},
		Train: TrainRecipe(b.tc, seq), Seed: o.Seed, N: o.N, Backend: backendName(o.Backend),
		CodeVersion: runtime.TrainVersion + ", " + runtime.GPT2ModelVersion + ", " + runtime.LlamaModelVersion + ", " + o.Revision,
		GoVersion:   goruntime.Version(), CPUs: goruntime.NumCPU(), Created: time.Now().UTC().Format(time.RFC3339),
		Data: bench.CustomData{Text: filepath.Base(o.TextPath), SHA256: b.dataSHA, Bytes: len(raw), Split: b.split,
			TrainTokens: len(b.train), ValidTokens: min(len(b.valid), b.tc.EvalBatches*b.tc.Batch*seq)}}
	b.path = filepath.Join(o.Out, "benchmark.json")
	b.prevWall = keepEarlierRun(b.path, b.cb)
}

// keepEarlierRun carries an earlier run of the same directory into cb (its
// creation time) and returns that run's wall seconds (0 if none).
func keepEarlierRun(path string, cb *bench.CustomBench) float64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var prev bench.CustomBench
	if json.Unmarshal(data, &prev) != nil {
		return 0
	}
	if prev.Created != "" {
		cb.Created = prev.Created
	}
	return prev.WallSeconds
}

// resume takes the finished records of an earlier run whose settings
// match and returns the sample indices left to train.
func (b *builder) resume(res *BuildResult) (todo []int) {
	var only map[string]bool
	if b.o.Only != nil {
		only = map[string]bool{}
		for _, id := range b.o.Only {
			only[strings.TrimSpace(id)] = true
		}
	}
	b.records = make([]*bench.CustomArch, len(b.archs))
	for i, a := range b.archs {
		set := b.settings(a.Config, b.tc)
		if r, ok := readArchRecord(filepath.Join(b.o.Out, "archs", a.ID+".json")); ok && r.Settings == set && r.Status == "ok" {
			b.records[i] = r
			res.Reused++
			continue
		}
		if only != nil && !only[a.ID] {
			continue
		}
		todo = append(todo, i)
	}
	return todo
}

// flush writes benchmark.json with the records finished so far.
func (b *builder) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cb.Archs = b.cb.Archs[:0]
	for _, r := range b.records {
		if r != nil {
			b.cb.Archs = append(b.cb.Archs, *r)
		}
	}
	b.cb.WallSeconds = math.Round((b.prevWall+time.Since(b.start).Seconds())*10) / 10
	return writeJSONAtomic(b.path, b.cb)
}

// trainSample trains the architectures todo (sample indices), writing each
// record as it finishes, and returns how many it trained.
func (b *builder) trainSample(ctx context.Context, todo []int) (int, error) {
	b.o.Progress.Phase("train", len(todo))
	newly, stopped, err := recordLoop(ctx, b.o, todo, &b.mu, b.records, b.flush, func(run context.Context, i int) (*bench.CustomArch, error) {
		a := b.archs[i]
		return b.trainOne(run, a.ID, a.Config, b.tc)
	})
	if !stopped || err != nil {
		return newly, err
	}
	done := 0
	for _, r := range b.records {
		if r != nil {
			done++
		}
	}
	return newly, &BuildStopped{fmt.Sprintf("%d of %d architectures are trained and written to %s; run the same command again to resume", done, len(b.archs), b.path)}
}

// recordLoop runs produce over the sample indices todo on o.Workers workers:
// each record it returns (nil: ctx stopped it) is written to
// OUT/archs/ID.json, stored in records[i], reported and flushed;
// o.StopAfter new records cancel the rest. stopped says the loop ended
// early (ctx or StopAfter), after a last flush.
func recordLoop(ctx context.Context, o BuildOptions, todo []int, mu *sync.Mutex, records []*bench.CustomArch, flush func() error,
	produce func(run context.Context, i int) (*bench.CustomArch, error)) (newly int, stopped bool, err error) {
	run, cancel := context.WithCancel(ctx)
	defer cancel()
	err = forEachUntilError(run, len(todo), o.Workers, func(k int) error {
		i := todo[k]
		rec, err := produce(run, i)
		if rec == nil || err != nil {
			return err
		}
		if err := writeJSONAtomic(filepath.Join(o.Out, "archs", rec.ID+".json"), rec); err != nil {
			return err
		}
		mu.Lock()
		records[i] = rec
		newly++
		stopNow := o.StopAfter > 0 && newly >= o.StopAfter
		mu.Unlock()
		o.Progress.Done(rec)
		if stopNow {
			cancel()
		}
		return flush()
	})
	if err != nil || run.Err() == nil {
		return newly, false, err
	}
	return newly, true, flush()
}

// trainOne trains one architecture with recipe tc and returns its record
// (Status failed with the error when the training fails); nil when ctx
// stopped it.
func (b *builder) trainOne(ctx context.Context, id string, cfg map[string]any, tc runtime.TrainConfig) (*bench.CustomArch, error) {
	tc.Stop = func() bool { return ctx.Err() != nil }
	t0 := time.Now()
	tr, err := trainArch(b.o.Backend, b.o.Space.Family, cfg, b.train, b.valid, tc, b.o.Progress.Step(id))
	if errors.Is(err, runtime.ErrTrainStopped) {
		return nil, nil
	}
	rec := &bench.CustomArch{ID: id, Config: cfg, Settings: b.settings(cfg, tc), TrainSecs: round3(time.Since(t0).Seconds())}
	if err != nil {
		rec.Status, rec.Error = "failed", err.Error()
		return rec, nil
	}
	rec.Status = "ok"
	rec.ValidLoss, rec.ValidPPL = tr.ValidLoss, tr.ValidPPL
	rec.InitLoss = tr.TrainLoss[0]
	rec.TrainLoss = tailMean(tr.TrainLoss, 5)
	rec.Params, rec.Tokens, rec.Steps = tr.Params, tr.Tokens, len(tr.TrainLoss)
	return rec, nil
}

// evidence trains a seeded subset of the finished architectures for
// LongSteps and records the rank correlation of the two validation losses
// in the benchmark.
func (b *builder) evidence(ctx context.Context) error {
	var ok []*bench.CustomArch
	for _, r := range b.records {
		if r != nil && r.Status == "ok" {
			ok = append(ok, r)
		}
	}
	idx := bench.SampleIndices(len(ok), b.o.Long, int64(b.o.Seed))
	tc := b.tc
	tc.Steps = b.o.LongSteps
	tc.Warmup = max(1, tc.Steps/10)
	long := make([]float64, len(idx))
	var mu sync.Mutex
	trainSecs := 0.0
	b.o.Progress.Phase("long", len(idx))
	err := forEachUntilError(ctx, len(idx), b.o.Workers, func(k int) error {
		r := ok[idx[k]]
		path := filepath.Join(b.o.Out, "long", r.ID+".json")
		rec, found := readArchRecord(path)
		if !found || rec.Settings != b.settings(r.Config, tc) || rec.Status != "ok" {
			var err error
			if rec, err = b.trainOne(ctx, r.ID, r.Config, tc); rec == nil || err != nil {
				return err
			}
			if rec.Status != "ok" {
				return fmt.Errorf("long run of %s: %s", r.ID, rec.Error)
			}
			found = false
		}
		mu.Lock()
		long[k] = rec.ValidLoss
		trainSecs += rec.TrainSecs
		mu.Unlock()
		b.o.Progress.Done(rec)
		if found {
			return nil
		}
		return writeJSONAtomic(path, rec)
	})
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &BuildStopped{"the benchmark is written; the evidence's long runs finished so far are kept: run the same command again to resume"}
	}
	ev := &bench.CustomEvidence{Steps: b.o.LongSteps}
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
	b.cb.Evidence = ev
	return nil
}

// forEachUntilError runs f over [0, n) with parallel.For and returns f's first
// error; after it no further index starts (those running finish).
func forEachUntilError(ctx context.Context, n, workers int, f func(i int) error) error {
	var mu sync.Mutex
	var first error
	_ = parallel.For(ctx, n, parallel.Options{Workers: workers, KeepGoing: true}, func(i int) error {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			return nil
		}
		if err := f(i); err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
		return nil
	})
	return first
}

// SplitText cuts the byte ids at the first newline at or after
// (1-validFrac) of the text: the part before trains, the rest validates.
// split describes the cut for the benchmark's record.
func SplitText(raw []byte, validFrac float64) (train, valid []int, split string) {
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

// TrainRecipe is the recipe as recorded in benchmark.json.
func TrainRecipe(tc runtime.TrainConfig, seq int) map[string]any {
	return map[string]any{"steps": tc.Steps, "batch": tc.Batch, "seq": seq, "lr": tc.LR, "min_lr": tc.MinLR,
		"warmup": tc.Warmup, "beta1": tc.Beta1, "beta2": tc.Beta2, "eps": tc.Eps, "weight_decay": tc.WeightDecay,
		"clip": tc.Clip, "eval_batches": tc.EvalBatches, "schedule": "linear warm-up, cosine to min_lr·lr",
		"optimizer": "AdamW (decoupled decay on matrices only), global-norm clipping; batches: uniform random seq+1 windows of the training part, PCG(seed)",
		"loss":      "mean next-token NLL (nats) over batch·seq tokens"}
}

// settings is the digest of everything that defines one training run: a
// record is reused only when it matches.
func (b *builder) settings(cfg map[string]any, tc runtime.TrainConfig) string {
	h := sha256.New()
	enc, _ := json.Marshal(map[string]any{"code": runtime.TrainVersion + " " + modelVersion(b.o.Space.Family, cfg),
		"config": cfg, "train": TrainRecipe(tc, tc.Seq), "data": b.dataSHA, "split": b.split, "seed": b.o.Seed, "backend": backendName(b.o.Backend)})
	h.Write(enc)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// modelVersion is the model code version of cfg's family: only it (and
// the training code's) invalidates the family's finished records. A config
// that does not decode has none; its training fails, and a failed record
// is never reused.
func modelVersion(family string, cfg map[string]any) string {
	spec, err := runtime.SpecFromConfig(family, cfg)
	if err != nil {
		return ""
	}
	return spec.Version
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

// trainArch trains one architecture of family on a backend of its own.
func trainArch(backendSpec, family string, cfg map[string]any, train, valid []int, tc runtime.TrainConfig, progress runtime.TrainProgress) (*runtime.TrainResult, error) {
	backend, err := runtime.NewBackend(backendSpec)
	if err != nil {
		return nil, err
	}
	defer backend.Finalize()
	spec, err := runtime.SpecFromConfig(family, cfg)
	if err != nil {
		return nil, err
	}
	return spec.Train(backend, train, valid, tc, progress)
}

func writeJSONAtomic(path string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(path, append(data, '\n'), 0o644, renameio.WithExistingPermissions())
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
