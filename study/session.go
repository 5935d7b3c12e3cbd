package study

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"lpz/bench"
	"lpz/interp"
	"lpz/lang"
	"lpz/runtime"
	"lpz/stdlib"
	"lpz/tensor"
)

// Session is one benchmark opened for scoring: its architectures and
// ground truth, and how to make each architecture's inputs (architecture
// scalars always; capture channels through the runtime and the capture
// cache when a formula reads them). A Session is safe for concurrent use.
type Session struct {
	Bench    *bench.Benchmark
	Data     string          // the data directory it was opened from
	Fidelity bench.FlexiMode // how FlexiBERT architectures are modelled
	// Capture defines the captures (and their cache keys); set it before
	// the first call that captures.
	Capture CaptureSettings
	// Channels, when set, provides the capture channels instead of the
	// runtime and the cache: a Go program that runs its own models, or a
	// test, plugs in here.
	Channels ChannelSource
	// Log receives notes the user should see but that are not results:
	// cache evictions, damaged entries, a failing cache write. Nil: discarded.
	Log io.Writer

	mu       sync.Mutex
	capturer *Capturer
}

// ChannelSource provides the named capture channels of one architecture.
type ChannelSource func(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error)

// OptionError is bad input from the caller (an unknown benchmark, an
// impossible sample size); a command line reports it as a usage error.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

func optionErrorf(format string, args ...any) error {
	return &OptionError{fmt.Sprintf(format, args...)}
}

// BenchUsage describes what a benchmark name may be.
var BenchUsage = "benchmark: " + strings.Join(bench.Names, " | ") + " | " + strings.Join(bench.Embedded, " | ") +
	" (embedded) | DIR (from lpz bench build); default: " + bench.MiniName + " when --data holds no benchmark"

// Open loads benchmark name from data (a published name, an embedded one
// or an lpz bench build directory). With no name it is the embedded
// default when data holds no benchmark. fidelity is a bench.FlexiMode name.
func Open(name, data, fidelity string) (*Session, error) {
	if name == "" && !bench.HasData(bench.DataDir(data)) {
		name = bench.MiniName // fresh machine: the embedded slice of gpt2-wt103
	}
	if name == "" {
		return nil, optionErrorf("--bench NAME is required (one of %s)", bench.Known)
	}
	mode, err := bench.ParseFlexiMode(fidelity)
	if err != nil {
		return nil, optionErrorf("%v", err)
	}
	dir := bench.DataDir(data)
	if !slices.Contains(bench.Names, name) && !slices.Contains(bench.Embedded, name) && !bench.IsBenchDir(name) {
		hint := ""
		if best, ok := lang.Closest(name, append(append([]string{}, bench.Names...), bench.Embedded...)); ok {
			hint = fmt.Sprintf("; did you mean %q?", best)
		}
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			return nil, optionErrorf("--bench %s: the directory has no benchmark.json (lpz bench build writes one)", name)
		}
		return nil, optionErrorf("--bench %s: no such benchmark%s (%s)", name, hint, bench.Known)
	}
	b, err := bench.LoadAny(name, dir)
	if err != nil {
		return nil, err
	}
	return &Session{Bench: b, Data: dir, Fidelity: mode, Capture: DefaultCapture()}, nil
}

// SelectTruth ranks the session's benchmark against its ground truth name
// (lpz --truth; "" keeps the one it has). Call it before the session is
// shared: nothing the session holds is derived from the truth, but Bench
// is replaced. An unknown name is an OptionError listing the truths.
func (s *Session) SelectTruth(name string) error {
	if name == "" {
		return nil
	}
	b, err := s.Bench.WithTruth(name)
	var unknown *bench.UnknownTruthError
	if errors.As(err, &unknown) {
		hint := ""
		if near, ok := lang.Closest(name, unknown.Known); ok {
			hint = fmt.Sprintf("; did you mean %q?", near)
		}
		return optionErrorf("--truth %s: benchmark %s has no such ground truth%s (its truths: %s; lpz bench show describes them)",
			name, unknown.Bench, hint, strings.Join(unknown.Known, ", "))
	}
	if err != nil {
		return err
	}
	s.Bench = b
	return nil
}

// OpenArch opens benchmark name and finds architecture id in it (no id:
// just the benchmark). Without a name it is the default benchmark, or else
// the first benchmark (of the data directory, or embedded) that has id.
func OpenArch(name, id, data, fidelity string) (*Session, bench.Arch, error) {
	s, err := Open(name, data, fidelity)
	if name == "" && id != "" && (err != nil || !hasArch(s.Bench, id)) {
		found, hint := benchWithArch(id, bench.DataDir(data))
		if found == "" {
			return nil, bench.Arch{}, fmt.Errorf("no benchmark has an architecture %q%s; --bench NAME names the benchmark (%s)", id, hint, bench.Known)
		}
		s, err = Open(found, data, fidelity)
	}
	if err != nil || id == "" {
		return s, bench.Arch{}, err
	}
	a, err := FindArch(s.Bench, id)
	return s, a, err
}

func hasArch(b *bench.Benchmark, id string) bool {
	_, ok := b.Arch(id)
	return ok
}

// benchWithArch names the benchmark of dir, or the embedded one, that has
// an architecture id; failing that, hint suggests the nearest id of them all.
func benchWithArch(id, dir string) (name, hint string) {
	var ids []string
	where := map[string]string{}
	for _, n := range append(append([]string{}, bench.Names...), bench.Embedded...) {
		b, err := bench.LoadAny(n, dir)
		if err != nil {
			continue
		}
		if _, ok := b.Arch(id); ok {
			return n, ""
		}
		for _, other := range b.IDs() {
			if _, dup := where[other]; !dup {
				where[other] = n
				ids = append(ids, other)
			}
		}
	}
	if near, ok := lang.Closest(id, ids); ok {
		hint = fmt.Sprintf(" (did you mean %q of %s?)", near, where[near])
	}
	return "", hint
}

// FindArch looks an architecture up, or says which ids there are and which
// one was probably meant.
func FindArch(b *bench.Benchmark, id string) (bench.Arch, error) {
	if a, ok := b.Arch(id); ok {
		return a, nil
	}
	ids := b.IDs()
	hint := ""
	if near, ok := lang.Closest(id, ids); ok {
		hint = fmt.Sprintf("; did you mean %q?", near)
	}
	some := ids
	if len(ids) > 4 {
		some = append(append([]string{}, ids[:3]...), "…", ids[len(ids)-1])
	}
	return bench.Arch{}, fmt.Errorf("benchmark %s has no architecture %q%s (its %d ids: %s; lpz bench show %s)", b.Name, id, hint, len(ids), strings.Join(some, " "), b.Name)
}

// SelectArchs picks architectures: the listed ids (comma-separated), or a
// seeded sample of n (0 = all) in benchmark order.
func SelectArchs(b *bench.Benchmark, n int, seed int64, ids string) ([]bench.Arch, error) {
	if ids == "" {
		if n > len(b.Archs) {
			return nil, optionErrorf("--archs %d: %s has %d architectures", n, b.Name, len(b.Archs))
		}
		return bench.Sample(b, n, seed), nil
	}
	var out []bench.Arch
	for _, id := range splitList(ids) {
		a, err := FindArch(b, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, optionErrorf("--ids names no architecture")
	}
	return out, nil
}

// splitList splits a comma-separated list, dropping blanks and repeats.
func splitList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range strings.Split(s, ",") {
		x = strings.TrimSpace(x)
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// ParseArchs reads an --archs value: "all" (or empty) is 0, else a positive count.
func ParseArchs(s string) (int, error) {
	if s == "" || s == "all" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, optionErrorf("--archs wants all or a positive number, got %q", s)
	}
	return n, nil
}

// ParseShard reads a --shard value "i/n": the i-th (0-based) of n shards.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, optionErrorf("--shard wants i/n with 0 ≤ i < n, got %q", s)
	}
	return i, n, nil
}

// DataLocation says where a benchmark's data was read from: "embedded
// (FILE)" for the ones built into the binary, else its directory.
func DataLocation(src bench.Source) string {
	data, embedded := strings.CutPrefix(src.Dir, "embedded:")
	switch {
	case embedded:
		return "embedded (" + data + ")"
	case filepath.Base(data) == "benchmark.json":
		return filepath.Dir(data)
	}
	return data
}

// TruthRange is the smallest and the largest ground truth of b.
func TruthRange(b *bench.Benchmark) (lo, hi float64) {
	t := b.Truths()
	lo, hi = t[0], t[0]
	for _, v := range t {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// ScalarInputs are a's architecture-level inputs (params, dparams, …).
func (s *Session) ScalarInputs(a bench.Arch) (interp.Inputs, error) {
	m, err := bench.ArchScalarsErr(a, s.Fidelity)
	if err != nil {
		return nil, err
	}
	in := interp.Inputs{}
	for k, v := range m {
		in[k] = interp.ScalarValue(v)
	}
	return in, nil
}

// Inputs returns a's inputs for the given channel names (nil: scalars
// only), capturing (or reading from the cache) what the scalars lack.
func (s *Session) Inputs(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error) {
	in, err := s.ScalarInputs(a)
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
	source := s.Channels
	if source == nil {
		c, err := s.Capturer()
		if err != nil {
			return nil, err
		}
		source = c.Capture
	}
	captured, err := source(ctx, a, need)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.ID, err)
	}
	for k, v := range captured {
		in[k] = v
	}
	DeriveSubsets(in)
	return in, nil
}

// MissingChannel names the first requested channel a capture did not
// provide.
func (s *Session) MissingChannel(a bench.Arch, in interp.Inputs, channels []string) error {
	for _, c := range channels {
		if _, ok := in[c]; !ok {
			return fmt.Errorf("%s: channel %s is not captured by the %s runtime in this version (lpz ops lists what each channel needs)", a.ID, c, s.Bench.Family)
		}
	}
	return nil
}

// ArchInputs returns a's inputs for the named channels (see Inputs), or
// names the first one a's family cannot capture. When ctx is cancelled the
// error is ctx's, though the captures that finished are cached.
func (s *Session) ArchInputs(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error) {
	in, err := s.Inputs(ctx, a, channels)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil {
		err = s.MissingChannel(a, in, channels)
	}
	if err != nil {
		return nil, err
	}
	return in, nil
}

// DeriveSubsets adds the channels of stdlib.Subsets (W/G by module) that
// in lacks and whose source carries entry names.
func DeriveSubsets(in interp.Inputs) {
	for name, sub := range stdlib.Subsets {
		if _, ok := in[name]; ok {
			continue
		}
		src, ok := in[sub.From]
		if !ok || src.Type.Kind != lang.ListTensor || len(src.Names) != len(src.Tensors) {
			continue
		}
		var names []string
		var ts []*tensor.Tensor
		for i, n := range src.Names {
			if sub.Match(n) {
				names, ts = append(names, n), append(ts, src.Tensors[i])
			}
		}
		if len(ts) > 0 {
			ch, _ := stdlib.LookupChannel(name)
			in[name] = interp.TensorList(ch.Type.Family, names, ts)
		}
	}
}

// ChannelTypes types every input a benchmark can provide: the channel
// table's inputs (the baselines' extra channels included) and the
// architecture scalars.
func ChannelTypes() map[string]lang.Type {
	m := map[string]lang.Type{}
	for _, c := range stdlib.AllChannels() {
		m[c.Name] = c.Type
	}
	return m
}

// Compile checks a proxy formula against every input a benchmark can
// provide; a proxy ranked over architectures must be a scalar.
func Compile(src string) (*interp.Program, error) {
	p, err := interp.CompileSource(src, ChannelTypes(), stdlib.Default)
	if err != nil {
		return nil, err
	}
	if t := p.Type(); t.Kind != lang.Scalar {
		return nil, fmt.Errorf("%s has type %s; a proxy ranked over architectures must be a scalar (wrap it in sum(...))", p.String(), t)
	}
	return p, nil
}

// NeedsCapture reports whether p reads anything beyond architecture scalars.
func NeedsCapture(p *interp.Program) bool {
	return NeedsCaptureNames(p.Inputs())
}

// NeedsCaptureNames reports whether any of the named inputs is a captured list.
func NeedsCaptureNames(names []string) bool {
	for _, name := range names {
		if c, ok := stdlib.LookupChannel(name); ok && c.Type.IsList() {
			return true
		}
	}
	return false
}

// Engine picks how p is evaluated: on an XLA backend a formula that reads
// captures runs as one fused graph on the device; on SimpleGo the host
// engine is faster (DESIGN.md §5).
func (s *Session) Engine(p *interp.Program) interp.Engine {
	if NeedsCapture(p) && strings.HasPrefix(s.Capture.Backend, "xla") {
		s.mu.Lock()
		c := s.capturer
		s.mu.Unlock()
		if c != nil && c.backend != nil {
			return &runtime.GraphEngine{Backend: c.backend}
		}
	}
	return interp.Host{Workers: 1}
}
