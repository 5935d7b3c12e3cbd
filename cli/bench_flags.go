package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"lpz/bench"
	"lpz/cache"
	"lpz/study"
)

// The flags that open a benchmark and say how its channels are captured,
// shared by rank, table, capture, search, eval and the REPL.

// benchSession is a study.Session with the command line's plumbing: the
// capture flags read into its settings (captureFlags) and the benchmark's
// own defaults applied to them (applyDefaults).
type benchSession struct{ *study.Session }

var benchUsage = study.BenchUsage

func openBench(name, dataFlag, fidelity string) (*benchSession, error) {
	s, err := study.Open(name, dataFlag, fidelity)
	if err != nil {
		return nil, err
	}
	return &benchSession{s}, nil
}

// benchArgs are the flags that name a benchmark and which of its
// architectures a command works on.
type benchArgs struct {
	name, data, archs, ids, fidelity *string
	seed                             *int64
}

// addBenchArgs defines them (--ids only when withIDs).
func addBenchArgs(fs *flag.FlagSet, archsUsage string, withIDs bool) *benchArgs {
	a := &benchArgs{
		name:  fs.String("bench", "", benchUsage),
		archs: fs.String("archs", "all", archsUsage),
		ids:   new(string),
	}
	if withIDs {
		a.ids = fs.String("ids", "", "comma-separated architecture ids (instead of --archs)")
	}
	a.seed = fs.Int64("seed", 42, "seed of the architecture sample")
	a.data, a.fidelity = addDataFlags(fs)
	return a
}

// scoring are the flags of the commands that score a benchmark's
// architectures (rank, table): which ones, how many at once, JSON output,
// and the capture flags.
type scoring struct {
	*benchArgs
	json    *bool
	workers *int
}

func addScoringFlags(fs *flag.FlagSet, archsUsage string, withIDs bool) scoring {
	s := scoring{benchArgs: addBenchArgs(fs, archsUsage, withIDs), json: fs.Bool("json", false, "machine-readable output"),
		workers: intFlag(fs, "workers", runtime.NumCPU(), 1, maxWorkers, "architectures evaluated in parallel (default: all cores)")}
	addCaptureFlags(fs)
	return s
}

// open parses --archs, opens the benchmark and reads the capture flags of
// fs into its session, in that order; n is --archs (0: all).
func (a *benchArgs) open(fs *flag.FlagSet, w io.Writer) (bs *benchSession, n int, err error) {
	if n, err = study.ParseArchs(*a.archs); err != nil {
		return nil, 0, err
	}
	if bs, err = openBench(*a.name, *a.data, *a.fidelity); err != nil {
		return nil, 0, err
	}
	if err = bs.captureFlags(fs, w); err != nil {
		return nil, 0, err
	}
	return bs, n, nil
}

// selected opens the benchmark (see open) and picks the --ids or a seeded
// sample of --archs.
func (a *benchArgs) selected(fs *flag.FlagSet, w io.Writer) (*benchSession, []bench.Arch, error) {
	bs, n, err := a.open(fs, w)
	if err != nil {
		return nil, nil, err
	}
	sample, err := study.SelectArchs(bs.Bench, n, *a.seed, *a.ids)
	return bs, sample, err
}

// openBenchArch opens benchmark name and finds architecture id in it (see
// study.OpenArch).
func openBenchArch(name, id, data, fidelity string) (*benchSession, bench.Arch, error) {
	s, a, err := study.OpenArch(name, id, data, fidelity)
	if s == nil {
		return nil, a, err
	}
	return &benchSession{s}, a, err
}

// addDataFlags defines where benchmarks are read from, how FlexiBERT
// architectures are modelled and which ground truth ranks them (--truth,
// read by captureFlags), flags of every command that opens one.
func addDataFlags(fs *flag.FlagSet) (data, fidelity *string) {
	fs.String("truth", "", "ground truth to rank against (default: the benchmark's first; lpz bench show lists them)")
	return fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)"),
		fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
}

// selectTruth ranks the session against the ground truth --truth names.
func (bs *benchSession) selectTruth(fs *flag.FlagSet) error {
	f := fs.Lookup("truth")
	if f == nil {
		return nil
	}
	return bs.SelectTruth(f.Value.String())
}

// cacheBudgetHelp is the help of --cache-budget: the rule behind its default.
var cacheBudgetHelp = fmt.Sprintf("capture cache size budget in GiB; least recently used entries are evicted beyond it, with a note on stderr (default: half of the free disk space at the cache directory plus what the cache holds, between %d and %d GiB)",
	cache.MinAutoBudget>>30, cache.MaxAutoBudget>>30)

// addCaptureFlags defines the capture settings shared by every command
// that may capture channels; captureFlags reads them back.
func addCaptureFlags(fs *flag.FlagSet) {
	fs.String("backend", "", "compute backend: go (SimpleGo, default), go:OPTIONS, or xla:/path/plugin.so (builds with -tags xla); default $GOMLX_BACKEND")
	intFlag(fs, "batch", study.DefaultBatch, 1, 4096, "capture minibatch: sequences")
	intFlag(fs, "seq", study.DefaultSeq, 2, 4096, "capture minibatch: tokens per sequence")
	fs.Uint64("capture-seed", 0, "seed of the weights and of the minibatch windows")
	fs.String("text", "", "text for the minibatch (default: the embedded benchmarks' own text or token ids; the published ones DATA/../text/wikitext2_valid.txt)")
	fs.String("tokenizer", "", "GPT-2 tokenizer directory with vocab.json and merges.txt (default: DATA/../tokenizer/gpt2)")
	fs.String("cache", "", "capture cache directory (default: the user cache directory, lpz/captures)")
	fs.Bool("no-cache", false, "capture without reading or writing the cache")
	floatFlag(fs, "cache-budget", 0, "(0, 1e6]", cacheBudgetHelp)
}

// captureFlags reads the flags of fs into the session, right after it is
// opened: the ground truth (--truth), then the capture settings, after
// setting those the user did not give to the benchmark's defaults (said on
// w). The session's notes (cache evictions, damaged entries) go to the
// process's stderr, whatever w is, as they did before the library existed.
func (bs *benchSession) captureFlags(fs *flag.FlagSet, w io.Writer) error {
	if err := bs.selectTruth(fs); err != nil {
		return err
	}
	bs.applyDefaults(fs, w)
	bs.Log = os.Stderr
	if fs.Lookup("batch") == nil {
		return nil
	}
	get := func(name string) any { return fs.Lookup(name).Value.(flag.Getter).Get() }
	bs.Capture = study.CaptureSettings{
		Backend: get("backend").(string), Batch: get("batch").(int), Seq: get("seq").(int),
		Seed: get("capture-seed").(uint64), Text: get("text").(string), Tokenizer: get("tokenizer").(string),
		CacheDir: get("cache").(string), NoCache: get("no-cache").(bool), BudgetGiB: get("cache-budget").(float64),
	}
	return nil
}

// applyDefaults sets the flags of fs that the benchmark has defaults for
// and the user left alone; --inputs only for lpz search, whose terminals
// it names (elsewhere --inputs is a directory).
func (bs *benchSession) applyDefaults(fs *flag.FlagSet, w io.Writer) {
	d := bs.Bench.Defaults
	if d == nil {
		return
	}
	var set []string
	apply := func(name, value string) {
		if value == "" || value == "0" || fs.Lookup(name) == nil || flagSet(fs, name) {
			return
		}
		if err := fs.Set(name, value); err == nil {
			set = append(set, "--"+name+" "+value)
		}
	}
	if fs.Name() == "search" {
		apply("inputs", d.Inputs)
	}
	apply("batch", strconv.Itoa(d.Batch))
	apply("seq", strconv.Itoa(d.Seq))
	if len(set) > 0 && w != nil {
		fmt.Fprintf(w, "%s sets %s (%s; give the flags to change them)\n", bs.Bench.Name, strings.Join(set, " "), d.Why)
	}
}

// isCaptureFlag tells the flags addCaptureFlags defines.
func isCaptureFlag(name string) bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	addCaptureFlags(fs)
	return fs.Lookup(name) != nil
}
