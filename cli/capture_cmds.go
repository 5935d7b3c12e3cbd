package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/backends"

	"lpz/bench"
	"lpz/cache"
	"lpz/interp"
	"lpz/lang"
	"lpz/runtime"
	"lpz/tokenizer"
)

// Capture defaults for the 2-core CPU: see the README's performance
// section for the measurements behind them.
const (
	defaultCaptureBatch = 4
	defaultCaptureSeq   = 64
)

// captureSettings are the flags that define a capture (and its cache key).
type captureSettings struct {
	backend   string
	batch     int
	seq       int
	seed      uint64
	text      string
	tokenizer string
	cacheDir  string
	noCache   bool
	budgetGB  float64
}

func init() {
	captureFlagHooks = append(captureFlagHooks, func(fs *flag.FlagSet) {
		fs.String("backend", "", "compute backend: go (SimpleGo, default), go:OPTIONS, or xla:/path/plugin.so (builds with -tags xla); default $GOMLX_BACKEND")
		intFlag(fs, "batch", defaultCaptureBatch, 1, 4096, "capture minibatch: sequences")
		intFlag(fs, "seq", defaultCaptureSeq, 2, 4096, "capture minibatch: tokens per sequence")
		fs.Uint64("capture-seed", 0, "seed of the weights and of the minibatch windows")
		fs.String("text", "", "text for the minibatch (default: the embedded benchmarks' own text or token ids; the published ones DATA/../text/wikitext2_valid.txt)")
		fs.String("tokenizer", "", "GPT-2 tokenizer directory with vocab.json and merges.txt (default: DATA/../tokenizer/gpt2)")
		fs.String("cache", "", "capture cache directory (default: the user cache directory, lpz/captures)")
		fs.Bool("no-cache", false, "capture without reading or writing the cache")
		floatFlag(fs, "cache-budget", 0, "(0, 1e6]", cacheBudgetHelp)
	})
	captureSettingsHook = func(bs *benchSession, fs *flag.FlagSet) {
		get := func(name string) string {
			if f := fs.Lookup(name); f != nil {
				return f.Value.String()
			}
			return ""
		}
		s := captureSettings{backend: get("backend"), text: get("text"), tokenizer: get("tokenizer"), cacheDir: get("cache")}
		s.batch, _ = strconv.Atoi(get("batch"))
		s.seq, _ = strconv.Atoi(get("seq"))
		s.seed, _ = strconv.ParseUint(get("capture-seed"), 10, 64)
		s.noCache = get("no-cache") == "true"
		s.budgetGB, _ = strconv.ParseFloat(get("cache-budget"), 64)
		bs.settings = &s
	}
	captureProvider = newCapturer
	engineHook = func(bs *benchSession) interp.Engine {
		// On XLA the formula runs as one fused graph on the device; on
		// SimpleGo the host engine is faster (DESIGN.md §5).
		c := bs.capturer
		if c == nil || !strings.HasPrefix(c.s.backend, "xla") || c.backend == nil {
			return nil
		}
		return &runtime.GraphEngine{Backend: c.backend}
	}
	captureDescriptionHook = func(bs *benchSession) (string, string) {
		s := bs.settingsOrDefault()
		backend := s.backend
		if backend == "" {
			backend = os.Getenv(runtime.BackendEnvVar)
		}
		if backend == "" {
			backend = "go (SimpleGo)"
		}
		desc := fmt.Sprintf("batch %d × %d tokens, capture seed %d, text %s", s.batch, s.seq, s.seed, captureTextDesc(bs, s))
		if bs.b.Family == bench.FamilyFlexiBERT {
			desc += ", model fidelity " + string(bs.mode)
		}
		return backend, desc
	}
	register(&command{"capture", "capture channels into the cache: lpz capture --bench NAME [--archs N] [--shard i/n]", runCapture})
}

func (bs *benchSession) settingsOrDefault() captureSettings {
	if bs.settings != nil {
		return *bs.settings
	}
	return captureSettings{batch: defaultCaptureBatch, seq: defaultCaptureSeq, budgetGB: 0}
}

func (s captureSettings) textPath(data string) string {
	if s.text != "" {
		return s.text
	}
	return filepath.Join(data, "..", "text", "wikitext2_valid.txt")
}

func (s captureSettings) tokenizerDir(data string) string {
	if s.tokenizer != "" {
		return s.tokenizer
	}
	return filepath.Join(data, "..", "tokenizer", "gpt2")
}

// capturer captures architectures of one benchmark: one backend, one
// minibatch, one cache. Captures run one at a time (the backend already uses
// every core); cache reads are concurrent.
type capturer struct {
	bs       *benchSession
	s        captureSettings
	mu       sync.Mutex
	backend  backends.Backend
	ids      [][]int // the minibatch windows, seq+1 tokens each
	batchSHA string
	cache    *cache.Cache
	stats    captureStats
	// A failed cache write (a full disk) costs only the cache: the
	// capture is used, the first failure is said on stderr, and
	// unstored counts them (lpz capture, whose job is the cache, fails).
	warnPut  sync.Once
	unstored atomic.Int64
}

type captureStats struct {
	mu        sync.Mutex
	captured  int
	cached    int
	recovered int // corrupt entries detected and recomputed
	times     []time.Duration
	flops     []float64
}

func newCapturer(bs *benchSession) (captureFunc, string, error) {
	c, err := openCapturer(bs)
	if err != nil {
		return nil, "", err
	}
	bs.capturer = c
	return c.capture, "", nil
}

func openCapturer(bs *benchSession) (*capturer, error) {
	s := bs.settingsOrDefault()
	if s.batch < 1 || s.seq < 2 {
		return nil, usagef("--batch must be ≥ 1 and --seq ≥ 2")
	}
	c := &capturer{bs: bs, s: s}
	if err := c.loadMinibatch(); err != nil {
		return nil, err
	}
	if !s.noCache {
		dir := s.cacheDir
		if dir == "" {
			d, err := cache.DefaultDir()
			if err != nil {
				return nil, err
			}
			dir = d
		}
		budget, _ := captureBudget(dir, s.budgetGB)
		cc, err := cache.Open(dir, budget)
		if err != nil {
			return nil, err
		}
		cc.Notify(newCacheNotes(os.Stderr, cc, bs).event)
		c.cache = cc
	}
	return c, nil
}

// loadMinibatch tokenizes the text and draws the seeded windows. For
// FlexiBERT the GPT-2 ids are folded into its 30522-entry vocabulary (the
// same ids for every architecture; see tokenizer.FoldIDs).
func (c *capturer) loadMinibatch() error {
	textPath := c.s.textPath(c.bs.data)
	ids, custom, err := c.customIDs() // lpz-bench/1 benchmarks: bytes of --text or of the embedded text
	if err != nil {
		return err
	}
	switch {
	case custom:
	case c.s.text == "" && c.bs.b.Tokens != nil:
		// An embedded benchmark's own ids: no text or tokenizer files.
		ids, textPath = c.bs.b.Tokens, c.bs.b.TokensDesc
	default:
		raw, err := os.ReadFile(textPath)
		if err != nil {
			return fmt.Errorf("capture needs real text for its minibatch: %w (pass --text FILE)", err)
		}
		dir := c.s.tokenizerDir(c.bs.data)
		tok, err := tokenizer.Load(dir)
		if err != nil {
			if c.bs.b.Tokens != nil {
				return fmt.Errorf("--text %s needs GPT-2's tokenizer to turn it into %s's ids, and it is not in %s: %w (pass --tokenizer DIR with GPT-2's vocab.json and merges.txt, or leave out --text to use the benchmark's embedded ids)", c.s.text, c.bs.b.Name, dir, err)
			}
			return fmt.Errorf("%w (pass --tokenizer DIR with GPT-2's vocab.json and merges.txt)", err)
		}
		ids = tok.Encode(string(raw))
	}
	length := c.s.seq
	if c.bs.b.Family == bench.FamilyGPT2 || c.bs.b.Family == bench.FamilyLlama {
		length++ // decoders: labels are the next tokens
	}
	windows, err := tokenizer.Windows(ids, c.s.batch, length, c.s.seed)
	if err != nil {
		return fmt.Errorf("%s: %w", textPath, err)
	}
	h := sha256.New()
	for _, w := range windows {
		for _, id := range w {
			fmt.Fprintf(h, "%d,", id)
		}
		h.Write([]byte{'\n'})
	}
	c.ids, c.batchSHA = windows, hex.EncodeToString(h.Sum(nil))
	return nil
}

// captureKey identifies one capture in the cache: anything that changes the
// captured tensors is in it.
type captureKey struct {
	Format   string `json:"format"`
	Model    string `json:"model"` // family and model code version
	Config   any    `json:"config"`
	Fidelity string `json:"fidelity,omitempty"`
	Seed     uint64 `json:"seed"`
	Batch    int    `json:"batch"`
	Seq      int    `json:"seq"`
	Tokens   string `json:"tokens_sha256"`
	Backend  string `json:"backend"`
	Channels string `json:"channels"`
}

const allChannels = "A,G,H,J,S,W,dparams,params"

func (c *capturer) key(a bench.Arch) captureKey {
	k := captureKey{Format: "lpz-capture/2", Seed: c.s.seed, Batch: c.s.batch, Seq: c.s.seq, Tokens: c.batchSHA, Channels: allChannels}
	k.Backend = c.s.backend
	if k.Backend == "" {
		k.Backend = os.Getenv(runtime.BackendEnvVar)
	}
	if k.Backend == "" {
		k.Backend = "go"
	}
	switch {
	case a.GPT2 != nil:
		k.Model, k.Config = runtime.GPT2ModelVersion, a.GPT2
	case a.Flexi != nil:
		k.Model, k.Config, k.Fidelity = runtime.FlexiBERTModelVersion, a.Flexi, string(c.bs.mode)
	case a.Llama != nil:
		k.Model, k.Config = runtime.LlamaModelVersion, a.Llama
	}
	return k
}

// extraCaptured are the channels a runtime captures only on request (the
// baselines' Fisher, GraSP and Synflow inputs); they live in their own cache
// entries so the standard entries stay valid.
var extraCaptured = []string{"GA", "GS", "HG"}

// capture returns a's channels: from the cache when present and intact,
// else by running the model (and storing the result).
func (c *capturer) capture(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error) {
	var base, extra []string
	for _, ch := range channels {
		if slices.Contains(extraCaptured, ch) {
			extra = append(extra, ch)
		} else {
			base = append(base, ch)
		}
	}
	in := interp.Inputs{}
	if len(channels) == 0 || len(base) > 0 {
		got, err := c.captureSet(ctx, a, allChannels, nil, c.listsToRead(base))
		if err != nil {
			return nil, err
		}
		if got, err = c.complete(a, got, base); err != nil {
			return nil, err
		}
		in = got
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		got, err := c.captureSet(ctx, a, strings.Join(extra, ","), extra, extra)
		if err != nil {
			return nil, err
		}
		for k, v := range got {
			in[k] = v
		}
	}
	return in, nil
}

// captureSet reads one cache entry (the channel set `set`), capturing it
// with runtime channels run (nil: the standard set) when it is missing.
func (c *capturer) captureSet(ctx context.Context, a bench.Arch, set string, run []string, lists []string) (interp.Inputs, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := c.key(a)
	key.Channels = set
	if c.cache != nil {
		e, ok, err := c.cache.GetLists(key, lists)
		if err != nil {
			c.stats.mu.Lock()
			c.stats.recovered++
			c.stats.mu.Unlock()
			fmt.Fprintf(os.Stderr, "lpz: cache entry of %s is damaged (%v); capturing again\n", a.ID, err)
		}
		if ok {
			c.stats.mu.Lock()
			c.stats.cached++
			c.stats.mu.Unlock()
			return entryInputs(e), nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache != nil { // another goroutine may have captured it meanwhile
		if e, ok, _ := c.cache.GetLists(key, lists); ok {
			return entryInputs(e), nil
		}
	}
	if c.backend == nil {
		b, err := runtime.NewBackend(c.s.backend)
		if err != nil {
			return nil, err
		}
		c.backend = b
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cap, err := c.run(a, run)
	if err != nil {
		return nil, err
	}
	c.stats.mu.Lock()
	c.stats.captured++
	c.stats.times = append(c.stats.times, cap.Timing.Total)
	c.stats.flops = append(c.stats.flops, cap.Timing.FLOPS())
	c.stats.mu.Unlock()
	if c.cache != nil {
		stored := cap.Inputs
		if a.GPT2 != nil {
			// W is a pure function of (config, seed): rebuilt on load
			// instead of stored, which halves every entry.
			stored = interp.Inputs{}
			for k, v := range cap.Inputs {
				if k != "W" {
					stored[k] = v
				}
			}
		}
		if err := c.cache.Put(key, inputsEntry(stored, a.ID, c.bs.b.Name)); err != nil {
			c.unstored.Add(1)
			c.warnPut.Do(func() {
				fmt.Fprintf(os.Stderr, "lpz: could not write the capture cache (%v); going on without storing captures (they will be captured again next time)\n", err)
			})
		}
	}
	return cap.Inputs, nil
}

// listsToRead are the stored lists a request needs (nil: all).
func (c *capturer) listsToRead(channels []string) []string {
	if len(channels) == 0 {
		return nil
	}
	return append([]string{}, channels...)
}

// complete restores what a cache entry leaves out (GPT-2 weights), when the
// request needs it.
func (c *capturer) complete(a bench.Arch, in interp.Inputs, channels []string) (interp.Inputs, error) {
	needW := len(channels) == 0 || slices.Contains(channels, "W")
	if _, ok := in["W"]; !ok && needW && a.GPT2 != nil {
		w, err := runtime.GPT2WeightList(*a.GPT2, c.s.seed)
		if err != nil {
			return nil, err
		}
		in["W"] = w
	}
	return in, nil
}

func (c *capturer) run(a bench.Arch, channels []string) (*runtime.Capture, error) {
	switch {
	case a.GPT2 != nil:
		batch := runtime.Batch{}
		for _, w := range c.ids {
			batch.Inputs = append(batch.Inputs, w[:len(w)-1])
			batch.Labels = append(batch.Labels, w[1:])
		}
		return runtime.CaptureGPT2(c.backend, *a.GPT2, batch, runtime.CaptureOptions{Seed: c.s.seed, Channels: channels})
	case a.Flexi != nil:
		return captureFlexi(c, a, channels)
	case a.Llama != nil:
		return c.runLlama(*a.Llama, channels)
	}
	return nil, fmt.Errorf("architecture %s has no model configuration", a.ID)
}

// captureFlexi captures a FlexiBERT encoder: the text's GPT-2 ids folded
// into its 30522-entry vocabulary (tokenizer.FoldIDs), masked-LM loss.
func captureFlexi(c *capturer, a bench.Arch, channels []string) (*runtime.Capture, error) {
	batch := runtime.MLMBatch{}
	for _, w := range c.ids {
		batch.Inputs = append(batch.Inputs, tokenizer.FoldIDs(w, flexiVocab))
	}
	return runtime.CaptureFlexiBERT(c.backend, *a.Flexi, batch, runtime.FlexiOptions{
		CaptureOptions: runtime.CaptureOptions{Seed: c.s.seed, Channels: channels},
		Fidelity:       c.bs.mode,
	})
}

// flexiVocab is the ELECTRA-small vocabulary size of every FlexiBERT model.
const flexiVocab = 30522

func inputsEntry(in interp.Inputs, id, benchName string) *cache.Entry {
	e := &cache.Entry{Lists: map[string]cache.List{}, Scalars: map[string]float64{}, Meta: map[string]string{"arch": id, "bench": benchName}}
	for name, v := range in {
		switch v.Type.Kind {
		case lang.ListTensor:
			e.Lists[name] = cache.List{Family: v.Type.Family, Names: v.Names, Tensors: v.Tensors}
		case lang.Scalar:
			e.Scalars[name] = v.Scalar
		}
	}
	return e
}

func entryInputs(e *cache.Entry) interp.Inputs {
	in := interp.Inputs{}
	for name, l := range e.Lists {
		in[name] = interp.TensorList(l.Family, l.Names, l.Tensors)
	}
	for name, x := range e.Scalars {
		in[name] = interp.ScalarValue(x)
	}
	return in
}

func runCapture(env *Env, args []string) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	benchName := fs.String("bench", "", benchUsage)
	data := fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
	archs := fs.String("archs", "all", "all, or a seeded sample of N")
	ids := fs.String("ids", "", "comma-separated architecture ids (instead of --archs)")
	seed := fs.Int64("seed", 42, "seed of the architecture sample")
	shard := fs.String("shard", "", "i/n: capture only the i-th of n deterministic shards (0-based), e.g. for a Kubernetes Indexed Job or a Slurm array")
	workers := intFlag(fs, "workers", 1, 1, maxWorkers, "architectures captured at once (each capture already uses every core)")
	fidelity := fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
	addCaptureFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
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
	if bs.settingsOrDefault().noCache {
		return usagef("lpz capture fills the cache; --no-cache makes no sense here")
	}
	sample, err := selectArchs(bs.b, n, *seed, *ids)
	if err != nil {
		return err
	}
	if *shard != "" {
		i, k, err := parseShard(*shard)
		if err != nil {
			return err
		}
		var mine []bench.Arch
		for j, a := range sample {
			if j%k == i {
				mine = append(mine, a)
			}
		}
		sample = mine
	}
	c, err := openCapturer(bs)
	if err != nil {
		return err
	}
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	start := time.Now()
	bar := newProgress(env.Stderr, "capture", len(sample), true)
	var failed []string
	var failMu sync.Mutex
	sem := make(chan struct{}, max(1, *workers))
	var wg sync.WaitGroup
	done := 0
	var doneMu sync.Mutex
	for _, a := range sample {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(a bench.Arch) {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.capture(ctx, a, nil); err != nil && ctx.Err() == nil {
				failMu.Lock()
				failed = append(failed, fmt.Sprintf("%s: %v", a.ID, err))
				failMu.Unlock()
			}
			doneMu.Lock()
			done++
			bar.update(done)
			doneMu.Unlock()
		}(a)
	}
	wg.Wait()
	bar.finish()
	st := &c.stats
	fmt.Fprintf(env.Stdout, "benchmark     %s (%d architectures", bs.b.Name, len(sample))
	if *shard != "" {
		fmt.Fprintf(env.Stdout, ", shard %s", *shard)
	}
	fmt.Fprintln(env.Stdout, ")")
	backend, spec := bs.captureDescription()
	fmt.Fprintf(env.Stdout, "capture       %s; backend %s\n", spec, backend)
	fmt.Fprintf(env.Stdout, "cache         %s\n", c.cache.Root())
	fmt.Fprintf(env.Stdout, "captured      %d   already cached %d   recomputed damaged %d   failed %d\n", st.captured, st.cached, st.recovered, len(failed))
	if len(st.times) > 0 {
		ts := append([]time.Duration(nil), st.times...)
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		var sum time.Duration
		for _, t := range ts {
			sum += t
		}
		var fl float64
		for _, f := range st.flops {
			fl += f
		}
		fmt.Fprintf(env.Stdout, "per arch      min %.2fs  median %.2fs  max %.2fs  mean %.2fs  (%.2f GFLOP/s matmul)\n",
			ts[0].Seconds(), ts[len(ts)/2].Seconds(), ts[len(ts)-1].Seconds(), sum.Seconds()/float64(len(ts)), fl/float64(len(st.flops))/1e9)
	}
	if stats, err := c.cache.Stats(); err == nil {
		fmt.Fprintf(env.Stdout, "cache size    %s\n", fmtStats(stats))
	}
	fmt.Fprintf(env.Stdout, "wall time     %.1fs   peak RSS %.0f MB\n", time.Since(start).Seconds(), peakRSSMB())
	for _, f := range failed {
		fmt.Fprintf(env.Stderr, "failed: %s\n", f)
	}
	if ctx.Err() != nil {
		return interrupted(ctx, "%d of %d architectures are captured and cached; run the same command again to resume", st.captured+st.cached, len(sample))
	}
	if n := c.unstored.Load(); n > 0 {
		return fmt.Errorf("%d captures could not be written to the cache %s", n, c.cache.Root())
	}
	if len(failed) > 0 {
		return &exitError{1}
	}
	return nil
}

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usagef("--shard wants i/n with 0 ≤ i < n, got %q", s)
	}
	return i, n, nil
}

func fmtStats(s cache.Stats) string {
	return fmt.Sprintf("%d entries, %.1f MB", s.Entries, float64(s.Bytes)/1e6)
}

// peakRSSMB is the process's peak resident set size (Linux ru_maxrss, KiB).
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
