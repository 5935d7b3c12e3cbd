package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"lpz/cache"
	"lpz/study"
)

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

// captureFlags reads the capture flags into the session's settings, after
// setting those the user did not give to the benchmark's defaults (said on
// w). The session's notes (cache evictions, damaged entries) go to the
// process's stderr, whatever w is, as they did before the library existed.
func (bs *benchSession) captureFlags(fs *flag.FlagSet, w io.Writer) {
	bs.applyDefaults(fs, w)
	bs.Log = os.Stderr
	if fs.Lookup("batch") == nil {
		return
	}
	get := func(name string) any { return fs.Lookup(name).Value.(flag.Getter).Get() }
	bs.Capture = study.CaptureSettings{
		Backend: get("backend").(string), Batch: get("batch").(int), Seq: get("seq").(int),
		Seed: get("capture-seed").(uint64), Text: get("text").(string), Tokenizer: get("tokenizer").(string),
		CacheDir: get("cache").(string), NoCache: get("no-cache").(bool), BudgetGiB: get("cache-budget").(float64),
	}
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
