package study

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	DefaultBatch = 4
	DefaultSeq   = 64
)

// CaptureSettings define a capture (and so its cache key) and where the
// cache lives.
type CaptureSettings struct {
	Backend   string  // "go", "go:OPTIONS", "xla:/path/plugin.so"; "" is $GOMLX_BACKEND, else go
	Batch     int     // minibatch sequences
	Seq       int     // tokens per sequence
	Seed      uint64  // seed of the weights and of the minibatch windows
	Text      string  // minibatch text file ("": the benchmark's own)
	Tokenizer string  // GPT-2 tokenizer directory ("": DATA/../tokenizer/gpt2)
	CacheDir  string  // "": the user cache directory, lpz/captures
	NoCache   bool    // capture without reading or writing the cache
	BudgetGiB float64 // cache size budget; 0: cache.AutoBudget's rule
}

// DefaultCapture are the settings a session starts with.
func DefaultCapture() CaptureSettings {
	return CaptureSettings{Batch: DefaultBatch, Seq: DefaultSeq}
}

func (s CaptureSettings) textPath(data string) string {
	if s.Text != "" {
		return s.Text
	}
	return filepath.Join(data, "..", "text", "wikitext2_valid.txt")
}

func (s CaptureSettings) tokenizerDir(data string) string {
	if s.Tokenizer != "" {
		return s.Tokenizer
	}
	return filepath.Join(data, "..", "tokenizer", "gpt2")
}

// BackendName is the backend a capture runs on, in words.
func (s CaptureSettings) BackendName() string {
	backend := s.Backend
	if backend == "" {
		backend = os.Getenv(runtime.BackendEnvVar)
	}
	if backend == "" {
		backend = "go (SimpleGo)"
	}
	return backend
}

// Describe says which backend and capture settings produce the session's
// captures, as reports print them.
func (s *Session) Describe() (backend, capture string) {
	c := s.Capture
	desc := fmt.Sprintf("batch %d × %d tokens, capture seed %d, text %s", c.Batch, c.Seq, c.Seed, s.TextDescription())
	if runtime.HasFidelity(s.Bench.Family) {
		desc += ", model fidelity " + string(s.Fidelity)
	}
	return c.BackendName(), desc
}

// TextDescription names the capture text.
func (s *Session) TextDescription() string {
	if _, custom := bench.CustomInfo(s.Bench); custom {
		if s.Capture.Text == "" {
			return "embedded nano text (lpz's own prose), bytes"
		}
		return s.Capture.Text + " (bytes)"
	}
	if s.Capture.Text == "" && s.Bench.Tokens != nil {
		return s.Bench.TokensDesc
	}
	return s.Capture.textPath(s.Data)
}

// Capturer is the session's capturer, opened on first use with the
// session's settings (which must not change afterwards).
func (s *Session) Capturer() (*Capturer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.capturer == nil {
		c, err := s.openCapturer()
		if err != nil {
			return nil, err
		}
		s.capturer = c
	}
	return s.capturer, nil
}

// Capturer captures architectures of one benchmark: one backend, one
// minibatch, one cache. Captures run one at a time (the backend already
// uses every core); cache reads are concurrent.
type Capturer struct {
	sess     *Session
	s        CaptureSettings
	mu       sync.Mutex
	backend  backends.Backend
	ids      [][]int // the minibatch windows, seq+1 tokens each
	batchSHA string
	cache    *cache.Cache
	stats    CaptureStats
	statsMu  sync.Mutex
	// A failed cache write (a full disk) costs only the cache: the
	// capture is used, the first failure is said on the session's Log,
	// and unstored counts them (lpz capture, whose job is the cache, fails).
	warnPut  sync.Once
	unstored atomic.Int64
}

// CaptureStats count what a capturer did.
type CaptureStats struct {
	Captured  int
	Cached    int
	Recovered int // corrupt entries detected and recomputed
	Times     []time.Duration
	FLOPS     []float64
}

func (s *Session) openCapturer() (*Capturer, error) {
	cs := s.Capture
	if cs.Batch < 1 || cs.Seq < 2 {
		return nil, optionErrorf("--batch must be ≥ 1 and --seq ≥ 2")
	}
	c := &Capturer{sess: s, s: cs}
	if err := c.loadMinibatch(); err != nil {
		return nil, err
	}
	if !cs.NoCache {
		dir := cs.CacheDir
		if dir == "" {
			d, err := cache.DefaultDir()
			if err != nil {
				return nil, err
			}
			dir = d
		}
		budget, _ := CacheBudget(dir, cs.BudgetGiB)
		cc, err := cache.Open(dir, budget)
		if err != nil {
			return nil, err
		}
		cc.Notify(newCacheNotes(s.log(), cc, s.Bench).event)
		c.cache = cc
	}
	return c, nil
}

func (s *Session) log() io.Writer {
	if s.Log == nil {
		return io.Discard
	}
	return s.Log
}

// Stats are a copy of what the capturer has done so far.
func (c *Capturer) Stats() CaptureStats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	st := c.stats
	st.Times = slices.Clone(st.Times)
	st.FLOPS = slices.Clone(st.FLOPS)
	return st
}

// Cache is the capture cache (nil with NoCache).
func (c *Capturer) Cache() *cache.Cache { return c.cache }

// Unstored counts captures the cache could not store.
func (c *Capturer) Unstored() int64 { return c.unstored.Load() }

// CaptureIdentity says what the session's captures depend on, by content
// (the minibatch's tokens), so that a checkpoint can tell whether it is
// resumed on the same captures from any working directory; "" when the
// session has captured nothing.
func (s *Session) CaptureIdentity() string {
	s.mu.Lock()
	c := s.capturer
	s.mu.Unlock()
	if c == nil {
		return ""
	}
	backend, _ := s.Describe()
	return fmt.Sprintf("capture %d × %d tokens %.12s, seed %d, backend %s, fidelity %s", c.s.Batch, c.s.Seq, c.batchSHA, c.s.Seed, backend, s.Fidelity)
}

// loadMinibatch tokenizes the text and draws the seeded windows. For
// FlexiBERT the GPT-2 ids are folded into its 30522-entry vocabulary (the
// same ids for every architecture; see tokenizer.FoldIDs).
func (c *Capturer) loadMinibatch() error {
	b := c.sess.Bench
	textPath := c.s.textPath(c.sess.Data)
	ids, custom, err := c.customIDs() // lpz-bench/1 benchmarks: bytes of --text or of the embedded text
	if err != nil {
		return err
	}
	switch {
	case custom:
	case c.s.Text == "" && b.Tokens != nil:
		// An embedded benchmark's own ids: no text or tokenizer files.
		ids, textPath = b.Tokens, b.TokensDesc
	default:
		raw, err := os.ReadFile(textPath)
		if err != nil {
			return fmt.Errorf("capture needs real text for its minibatch: %w (pass --text FILE)", err)
		}
		dir := c.s.tokenizerDir(c.sess.Data)
		tok, err := tokenizer.Load(dir)
		if err != nil {
			if b.Tokens != nil {
				return fmt.Errorf("--text %s needs GPT-2's tokenizer to turn it into %s's ids, and it is not in %s: %w (pass --tokenizer DIR with GPT-2's vocab.json and merges.txt, or leave out --text to use the benchmark's embedded ids)", c.s.Text, b.Name, dir, err)
			}
			return fmt.Errorf("%w (pass --tokenizer DIR with GPT-2's vocab.json and merges.txt)", err)
		}
		ids = tok.Encode(string(raw))
	}
	windows, err := tokenizer.Windows(ids, c.s.Batch, runtime.WindowLen(b.Family, c.s.Seq), c.s.Seed)
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

// customIDs gives the capture minibatch's token ids for lpz-bench/1
// benchmarks (ok = true): they read text as bytes (tokenizer "bytes"), from
// the settings' Text if given, else from the text embedded in the binary
// (bench.NanoText: a few KB of lpz's own prose), so the nano benchmark
// captures identically on every machine with no files. ok = false for the
// published benchmarks (GPT-2 BPE / folded ids).
func (c *Capturer) customIDs() (ids []int, ok bool, err error) {
	info, custom := bench.CustomInfo(c.sess.Bench)
	if !custom {
		return nil, false, nil
	}
	var enc tokenizer.Encoder = tokenizer.Bytes{}
	switch info.Tokenizer {
	case "", "bytes":
	case TokenizerSentencePiece: // a LoNAS benchmark over a given checkpoint: its tokenizer.json
		a := c.sess.Bench.Archs[0]
		if a.Lonas == nil || a.Lonas.Super == nil {
			return nil, true, fmt.Errorf("benchmark %s: tokenizer %s needs a super-network checkpoint", c.sess.Bench.Name, info.Tokenizer)
		}
		tok, err := tokenizer.LoadHF(filepath.Join(a.Lonas.Super.Checkpoint, "tokenizer.json"))
		if err != nil {
			return nil, true, err
		}
		enc = tok
	default:
		return nil, true, fmt.Errorf("benchmark %s: tokenizer %q is not supported (bytes, %s)", c.sess.Bench.Name, info.Tokenizer, TokenizerSentencePiece)
	}
	text := bench.NanoText()
	if c.s.Text != "" {
		raw, err := os.ReadFile(c.s.Text)
		if err != nil {
			return nil, true, fmt.Errorf("capture text: %w", err)
		}
		text = string(raw)
	}
	return enc.Encode(text), true, nil
}

// captureKey identifies one capture in the cache: anything that changes the
// captured tensors is in it. Its JSON is the cache key: changing a field's
// spelling invalidates every cached capture.
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

// StandardChannels is the channel set of a standard cache entry (the
// baselines' extra channels are stored apart).
const StandardChannels = "A,G,H,J,S,W,dparams,params"

func (c *Capturer) key(a bench.Arch) captureKey {
	k := captureKey{Format: "lpz-capture/2", Seed: c.s.Seed, Batch: c.s.Batch, Seq: c.s.Seq, Tokens: c.batchSHA, Channels: StandardChannels}
	k.Backend = c.s.Backend
	if k.Backend == "" {
		k.Backend = os.Getenv(runtime.BackendEnvVar)
	}
	if k.Backend == "" {
		k.Backend = "go"
	}
	if s, err := runtime.SpecOf(a, c.sess.Fidelity); err == nil {
		k.Model, k.Config, k.Fidelity = s.Version, s.Config, string(s.Fidelity)
	}
	return k
}

// extraCaptured are the channels a runtime captures only on request (the
// baselines' Fisher, GraSP and Synflow inputs); they live in their own cache
// entries so the standard entries stay valid.
var extraCaptured = []string{"GA", "GS", "HG"}

// Capture returns a's channels (nil: the standard set): from the cache
// when present and intact, else by running the model (and storing the
// result).
func (c *Capturer) Capture(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error) {
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
		got, err := c.captureSet(ctx, a, StandardChannels, nil, listsToRead(base))
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

func (c *Capturer) count(f func(*CaptureStats)) {
	c.statsMu.Lock()
	f(&c.stats)
	c.statsMu.Unlock()
}

// captureSet reads one cache entry (the channel set `set`), capturing it
// with runtime channels run (nil: the standard set) when it is missing.
func (c *Capturer) captureSet(ctx context.Context, a bench.Arch, set string, run []string, lists []string) (interp.Inputs, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := c.key(a)
	key.Channels = set
	if c.cache != nil {
		e, ok, err := c.cache.GetLists(key, lists)
		if err != nil {
			c.count(func(st *CaptureStats) { st.Recovered++ })
			fmt.Fprintf(c.sess.log(), "lpz: cache entry of %s is damaged (%v); capturing again\n", a.ID, err)
		}
		if ok && holds(e, run) {
			c.count(func(st *CaptureStats) { st.Cached++ })
			return entryInputs(e), nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cache != nil { // another goroutine may have captured it meanwhile
		if e, ok, _ := c.cache.GetLists(key, lists); ok && holds(e, run) {
			return entryInputs(e), nil
		}
	}
	if c.backend == nil {
		b, err := runtime.NewBackend(c.s.Backend)
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
	c.count(func(st *CaptureStats) {
		st.Captured++
		st.Times = append(st.Times, cap.Timing.Total)
		st.FLOPS = append(st.FLOPS, cap.Timing.FLOPS())
	})
	if c.cache != nil {
		c.store(key, a, cap.Inputs)
	}
	return cap.Inputs, nil
}

func (c *Capturer) store(key captureKey, a bench.Arch, in interp.Inputs) {
	stored := in
	if s, err := runtime.SpecOf(a, c.sess.Fidelity); err == nil && s.CacheOmitsW {
		// W is a pure function of (config, seed): rebuilt on load
		// instead of stored, which halves every entry.
		stored = interp.Inputs{}
		for k, v := range in {
			if k != "W" {
				stored[k] = v
			}
		}
	}
	if err := c.cache.Put(key, inputsEntry(stored, a.ID, c.sess.Bench.Name)); err != nil {
		c.unstored.Add(1)
		c.warnPut.Do(func() {
			fmt.Fprintf(c.sess.log(), "lpz: could not write the capture cache (%v); going on without storing captures (they will be captured again next time)\n", err)
		})
	}
}

// holds reports whether an entry of an opt-in channel set has every channel
// it was captured for: LLaMA entries written before that family captured
// GA, HG and GS are empty, and are captured again instead of read.
func holds(e *cache.Entry, run []string) bool {
	for _, ch := range run {
		if _, ok := e.Lists[ch]; !ok {
			return false
		}
	}
	return true
}

// listsToRead are the stored lists a request needs (nil: all).
func listsToRead(channels []string) []string {
	if len(channels) == 0 {
		return nil
	}
	return append([]string{}, channels...)
}

// complete restores what a cache entry leaves out (W, see
// runtime.Spec.CacheOmitsW), when the request needs it.
func (c *Capturer) complete(a bench.Arch, in interp.Inputs, channels []string) (interp.Inputs, error) {
	needW := len(channels) == 0 || slices.Contains(channels, "W")
	if _, ok := in["W"]; !ok && needW {
		s, err := runtime.SpecOf(a, c.sess.Fidelity)
		if err != nil {
			return nil, err
		}
		w, err := s.Weights(c.s.Seed)
		if err != nil {
			return nil, err
		}
		in["W"] = w
	}
	return in, nil
}

func (c *Capturer) run(a bench.Arch, channels []string) (*runtime.Capture, error) {
	s, err := runtime.SpecOf(a, c.sess.Fidelity)
	if err != nil {
		return nil, err
	}
	return s.Capture(c.backend, c.ids, runtime.CaptureOptions{Seed: c.s.Seed, Channels: channels})
}

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
