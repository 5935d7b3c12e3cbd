// Package bench loads the two benchmarks of the paper (FlexiBERT and the
// LiteTransformerSearch GPT-2 models on WikiText-103) with their ground truth,
// counts their parameters analytically, assigns strata, samples reproducible
// subsets and reads per-architecture score files. Three benchmarks are
// embedded and need no data: gpt2-wt103-mini (a slice of gpt2-wt103, the
// default), nano (built by lpz bench build) and lonas-nano (sub-networks of
// a LoNAS super-network lpz trained, the paper's LLaMA setting; see
// lonas.go).
//
// Data layout and provenance: SOURCES.md (and the constants in sources.go).
package bench

import (
	"fmt"
	"os"
	"path/filepath"
)

// Family names.
const (
	FamilyGPT2      = "gpt2"
	FamilyFlexiBERT = "flexibert"
)

// Benchmark is a set of architectures with their ground truth.
type Benchmark struct {
	Name   string // "flexibert" | "gpt2-wt103"
	Family string // FamilyGPT2 | FamilyFlexiBERT
	// Archs in a stable, documented order: GPT-2 by config index then j index
	// (numerically); FlexiBERT in file order.
	Archs          []Arch
	Source         Source
	HigherIsBetter bool   // false for valid_ppl (lower perplexity is better)
	TruthName      string // the ground truth Arch.Truth holds: "valid_ppl", "glue", …
	// TruthDefs are the ground truths the benchmark carries, the default
	// first; WithTruth selects another.
	TruthDefs []TruthDef
	// Tokens are the token ids of the capture text that ships with the
	// benchmark (the embedded gpt2-wt103-mini: GPT-2 BPE ids of lpz's own
	// text), used when no --text is given; TokensDesc says what they are.
	// Nil for the others, which read their text (and tokenizer) from files.
	Tokens     []int
	TokensDesc string
	// Defaults are the settings the benchmark asks for when the user gives
	// none (nil: the commands' own); see Defaults.
	Defaults *Defaults

	index map[string]int
}

// Defaults are flag values a benchmark sets when the user does not give
// them: the embedded quick-start benchmark keeps a first run to a minute.
type Defaults struct {
	Batch, Seq int    // capture minibatch (sequences × tokens)
	Inputs     string // search terminals
	Why        string // one line, said when they are applied
}

// Source records where a benchmark's data came from.
type Source struct {
	Repo    string // upstream repository URL
	Branch  string // may be empty
	Commit  string
	Path    string // path inside the upstream repository
	Licence string
	Dir     string // the local directory the data was read from
	Subset  string // for a slice: which architectures, chosen by what rule
	Hint    string // how to obtain the data (quoted in errors)
}

// Arch is one architecture of a benchmark.
type Arch struct {
	// ID is stable: "config_0_j1" for GPT-2; the record id as a decimal
	// string ("0", "17") for FlexiBERT.
	ID    string
	GPT2  *GPT2Config      // set for the gpt2 family
	Flexi *FlexiBERTConfig // set for the flexibert family
	Llama *LlamaConfig     // set for the llama family (lpz bench build benchmarks)
	Lonas *LonasConfig     // set for sub-networks of a LoNAS super-network
	Truth float64          // ground truth (see Benchmark.TruthName)
	// Extra holds the other numbers, the other truths' values among them:
	// the eight GLUE task scores and time_to_train (FlexiBERT); test_ppl,
	// test_ppl_nomem, test_word_ppl, test_word_ppl_nomem, train_elapsed
	// (GPT-2); valid_loss and the record's metrics (lpz-bench/1).
	Extra map[string]float64
	// Params holds published parameter counts: the params_summary.yaml entry
	// for GPT-2 (AdaEmb, Attn, FFN, nonembedding, total); nil for FlexiBERT
	// (whose data has none; see FlexiParams).
	Params map[string]int64
}

// Arch returns the architecture with the given id. Load builds the id index,
// so a loaded Benchmark is safe for concurrent readers; a Benchmark assembled
// by hand gets its index on the first call (call it once before sharing), and
// must not change Archs afterwards.
func (b *Benchmark) Arch(id string) (Arch, bool) {
	if b.index == nil {
		b.buildIndex()
	}
	i, ok := b.index[id]
	if !ok {
		return Arch{}, false
	}
	return b.Archs[i], true
}

// IDs returns the architecture ids in benchmark order.
func (b *Benchmark) IDs() []string {
	ids := make([]string, len(b.Archs))
	for i, a := range b.Archs {
		ids[i] = a.ID
	}
	return ids
}

// Truths returns the ground truth values in benchmark order.
func (b *Benchmark) Truths() []float64 {
	t := make([]float64, len(b.Archs))
	for i, a := range b.Archs {
		t[i] = a.Truth
	}
	return t
}

func (b *Benchmark) buildIndex() {
	b.index = make(map[string]int, len(b.Archs))
	for i, a := range b.Archs {
		b.index[a.ID] = i
	}
}

// LoadError is returned by Load for a missing or malformed file. Its message
// names the file, the record or key (when there is one), what is wrong, and
// how to obtain the data.
type LoadError struct {
	Bench  string
	File   string
	Record string // record id or yaml key; may be empty
	Msg    string
	Hint   string
	Err    error // underlying error, if any
}

func (e *LoadError) Error() string {
	s := "bench " + e.Bench + ": " + e.File
	if e.Record != "" {
		s += ": " + e.Record
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

func (e *LoadError) Unwrap() error { return e.Err }

// DataDir resolves the data directory: flag if non-empty, else $LPZ_DATA if
// non-empty, else "./data".
func DataDir(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("LPZ_DATA"); env != "" {
		return env
	}
	return "data"
}

// Load reads the benchmark name ("flexibert" or "gpt2-wt103") from
// dataDir/<name>/. See SOURCES.md for the layout.
func Load(name, dataDir string) (*Benchmark, error) {
	var (
		b   *Benchmark
		err error
	)
	switch name {
	case "flexibert":
		b, err = loadFlexiBERT(filepath.Join(dataDir, "flexibert"))
	case "gpt2-wt103":
		b, err = loadGPT2(filepath.Join(dataDir, "gpt2-wt103"))
	default:
		return nil, fmt.Errorf("bench: unknown benchmark %q (known: %s)", name, Known)
	}
	if err != nil {
		return nil, err
	}
	b.buildIndex()
	return b, nil
}
