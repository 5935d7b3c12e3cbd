package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// lpz's own benchmark format (written by lpz bench build, read by LoadDir).
//
// A benchmark directory DIR holds:
//
//	DIR/benchmark.json   the benchmark (CustomBench below): everything a loader needs
//	DIR/archs/ID.json    one finished architecture each (CustomArch): the builder's
//	                     resume state; benchmark.json is rebuilt from them after
//	                     every architecture
//	DIR/long/ID.json     optional: the same architecture trained longer (evidence)
//
// benchmark.json (format "lpz-bench/1"):
//
//	{
//	  "format": "lpz-bench/1",
//	  "name": "nano", "family": "gpt2",           // family: gpt2 | llama | flexibert
//	  "truth": "valid_ppl", "higher_is_better": false,
//	  "truths": [{"name": "valid_ppl", "higher_is_better": false, "desc": "…"},   // optional
//	             {"name": "acc_cont4", "higher_is_better": true, "desc": "…"}],
//	  "tokenizer": "bytes",                        // how text becomes ids (bytes: vocabulary 256)
//	  "space": {"name": "nano", "sha256": "…", "yaml": "…"},
//	  "train": {"steps": 40, "batch": 8, "seq": 64, "lr": 0.005, "min_lr": 0.1, "warmup": 4,
//	            "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.01, "clip": 1,
//	            "eval_batches": 8, "optimizer": "AdamW …"},
//	  "data": {"text": "wikitext2_valid.txt", "sha256": "…", "bytes": N, "split": "…",
//	           "train_tokens": N, "valid_tokens": N},
//	  "seed": 0, "n": 32, "backend": "go", "code_version": "…", "go_version": "go1.26",
//	  "cpus": 2, "created": "RFC 3339", "wall_s": 600.5,
//	  "archs": [{"id": "nano_000", "config": {…family config…}, "status": "ok",
//	             "valid_loss": 2.9, "valid_ppl": 18.2, "init_loss": 5.5, "train_loss": 3.0,
//	             "params": 12345, "tokens": 20480, "steps": 40, "train_s": 14.2}, …
//	            {"id": "nano_017", "config": {…}, "status": "failed", "error": "…"}],
//	  "evidence": {"steps": 200, "ids": […], "short": […], "long": […],
//	               "spearman": 0.9, "kendall": 0.8, "train_s": 900}
//	}
//
// The ground truth is valid_ppl (exp of the mean next-token NLL in nats on
// the validation windows); lower is better. Failed architectures are kept in
// the file with their error but are not architectures of the loaded
// benchmark. Extra per architecture: valid_loss, init_loss, train_loss,
// train_s, params_trained, long_valid_loss where the evidence run has it,
// and the record's metrics.
//
// "truths" lists the ground truths a benchmark can be ranked against
// (lpz --truth NAME); "truth" names the default (absent: the first of
// truths). valid_ppl and valid_loss are read from those fields of a
// record, any other truth from its metrics. Without truths, the benchmark
// carries "truth" (default valid_ppl; it may name a metric) in the
// direction of "higher_is_better", and valid_loss, lower is better
// (valid_ppl when truth is valid_loss).

// CustomFormat is the format tag of benchmark.json.
const CustomFormat = "lpz-bench/1"

// CustomBench is benchmark.json.
type CustomBench struct {
	Format         string          `json:"format"`
	Name           string          `json:"name"`
	Family         string          `json:"family"`
	Truth          string          `json:"truth"`
	HigherIsBetter bool            `json:"higher_is_better"`
	Truths         []TruthDef      `json:"truths,omitempty"`
	Tokenizer      string          `json:"tokenizer"`
	Space          CustomSpace     `json:"space"`
	Train          map[string]any  `json:"train"`
	Data           CustomData      `json:"data"`
	Seed           uint64          `json:"seed"`
	N              int             `json:"n"`
	Backend        string          `json:"backend"`
	CodeVersion    string          `json:"code_version"`
	GoVersion      string          `json:"go_version"`
	CPUs           int             `json:"cpus"`
	Created        string          `json:"created"`
	WallSeconds    float64         `json:"wall_s"`
	Archs          []CustomArch    `json:"archs"`
	Evidence       *CustomEvidence `json:"evidence,omitempty"`
	// Supernet is set for family lonas: the super-network every
	// sub-network is cut from.
	Supernet *CustomSupernet `json:"supernet,omitempty"`
}

// CustomSupernet is a LoNAS benchmark's super-network: where its
// checkpoint and adapter are (relative to benchmark.json's directory),
// their digest, its space, and how it was trained and measured.
type CustomSupernet struct {
	Checkpoint   string         `json:"checkpoint"`
	Adapter      string         `json:"adapter,omitempty"`
	SHA256       string         `json:"sha256"`
	Base         LlamaConfig    `json:"base"`
	Heads        []float64      `json:"heads"`
	Widths       []float64      `json:"widths"`
	Train        map[string]any `json:"train,omitempty"`
	AdapterTrain map[string]any `json:"adapter_train,omitempty"`
	Eval         map[string]any `json:"eval,omitempty"`
}

// Supernet resolves the record against the directory of benchmark.json.
func (cs *CustomSupernet) Supernet(dir string) *Supernet {
	at := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	return &Supernet{Base: cs.Base, HeadFracs: cs.Heads, WidthFracs: cs.Widths, Digest: cs.SHA256,
		Checkpoint: at(cs.Checkpoint), Adapter: at(cs.Adapter)}
}

// CustomSpace records the space an architecture sample came from.
type CustomSpace struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	YAML   string `json:"yaml"`
}

// CustomData records the text (not the text itself).
type CustomData struct {
	Text        string `json:"text"`
	SHA256      string `json:"sha256"`
	Bytes       int    `json:"bytes"`
	Split       string `json:"split"`
	TrainTokens int    `json:"train_tokens"`
	ValidTokens int    `json:"valid_tokens"`
}

// CustomArch is one architecture's record.
type CustomArch struct {
	ID        string         `json:"id"`
	Config    map[string]any `json:"config"`
	Status    string         `json:"status"` // ok | failed
	Error     string         `json:"error,omitempty"`
	ValidLoss float64        `json:"valid_loss,omitempty"`
	ValidPPL  float64        `json:"valid_ppl,omitempty"`
	InitLoss  float64        `json:"init_loss,omitempty"`
	TrainLoss float64        `json:"train_loss,omitempty"` // mean of the last 5 steps' losses
	Params    int            `json:"params,omitempty"`
	Tokens    int64          `json:"tokens,omitempty"`
	Steps     int            `json:"steps,omitempty"`
	TrainSecs float64        `json:"train_s,omitempty"`
	// Settings is a digest of everything that defines the run (config,
	// recipe, data, seed, backend): resume reuses a record only if it matches.
	Settings string `json:"settings,omitempty"`
	// Metrics are further measurements (a task's accuracy, the
	// perplexity on each half of the validation text, …), loaded as Extra.
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// CustomEvidence is a longer training of a subset: how well the short
// training ranks architectures.
type CustomEvidence struct {
	Steps    int       `json:"steps"`
	IDs      []string  `json:"ids"`
	Short    []float64 `json:"short"` // valid_loss after the benchmark's steps
	Long     []float64 `json:"long"`  // valid_loss after Steps
	Spearman float64   `json:"spearman"`
	Kendall  float64   `json:"kendall"`
	WallSecs float64   `json:"train_s"` // sum of the long runs' training times (they may run in parallel or on other machines)
}

var customInfo sync.Map // *Benchmark → *CustomBench

// CustomInfo returns the lpz-bench/1 record behind b (nil, false for the
// published benchmarks). Capture uses its Tokenizer.
func CustomInfo(b *Benchmark) (*CustomBench, bool) {
	v, ok := customInfo.Load(b)
	if !ok {
		return nil, false
	}
	return v.(*CustomBench), true
}

// LoadDir loads an lpz-bench/1 benchmark from DIR/benchmark.json (or from
// the file, if dir is one).
func LoadDir(dir string) (*Benchmark, error) {
	path := dir
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		path = filepath.Join(dir, "benchmark.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Bench: dir, File: path, Msg: "cannot read lpz benchmark", Err: err,
			Hint: "build one with lpz bench build --space SPACE --out DIR"}
	}
	return ParseCustom(data, path)
}

// ParseCustom parses benchmark.json (path names it in errors and is the
// Source.Dir).
func ParseCustom(data []byte, path string) (*Benchmark, error) {
	var cb CustomBench
	lerr := func(rec, msg string, err error) error {
		return &LoadError{Bench: cb.Name, File: path, Record: rec, Msg: msg, Err: err}
	}
	if err := json.Unmarshal(data, &cb); err != nil {
		return nil, lerr("", "malformed JSON", err)
	}
	if cb.Format != CustomFormat {
		return nil, lerr("format", fmt.Sprintf("format %q, want %q", cb.Format, CustomFormat), nil)
	}
	defs, err := customTruthDefs(&cb)
	if err != nil {
		return nil, lerr("truths", err.Error(), nil)
	}
	truth := defs[0].Name
	b := &Benchmark{Name: cb.Name, Family: cb.Family, HigherIsBetter: defs[0].HigherIsBetter, TruthName: truth, TruthDefs: defs,
		Source: Source{Repo: "lpz bench build", Path: "space " + cb.Space.Name, Licence: "measured by lpz", Dir: path,
			Hint: "built with lpz bench build; see its benchmark.json for provenance"}}
	long := map[string]float64{}
	if ev := cb.Evidence; ev != nil {
		for i, id := range ev.IDs {
			if i < len(ev.Long) {
				long[id] = ev.Long[i]
			}
		}
	}
	for _, ca := range cb.Archs {
		if ca.Status != "ok" {
			continue
		}
		a := Arch{ID: ca.ID, Extra: map[string]float64{"valid_loss": ca.ValidLoss, "init_loss": ca.InitLoss,
			"train_loss": ca.TrainLoss, "train_s": ca.TrainSecs, "params_trained": float64(ca.Params)}}
		if l, ok := long[ca.ID]; ok {
			a.Extra["long_valid_loss"] = l
		}
		for k, v := range ca.Metrics {
			a.Extra[k] = v
		}
		for _, d := range defs[1:] {
			if v, ok := customTruth(ca, d.Name); ok {
				a.Extra[d.Name] = v
			}
		}
		if a.Truth, err = customDefaultTruth(ca, truth); err != nil {
			return nil, lerr(ca.ID, err.Error(), nil)
		}
		delete(a.Extra, truth)
		switch cb.Family {
		case FamilyGPT2:
			a.GPT2, err = GPT2FromConfig(ca.Config)
		case FamilyFlexiBERT:
			a.Flexi, err = FlexiFromConfig(ca.Config)
		case FamilyLlama:
			a.Llama, err = LlamaFromConfig(ca.Config)
		case FamilyLoNAS:
			a.Lonas, err = lonasArch(&cb, path, ca.Config)
		default:
			err = fmt.Errorf("family %q cannot be loaded as a benchmark yet", cb.Family)
		}
		if err == nil {
			err = ValidateSpaceConfig(cb.Family, ca.Config)
		}
		if err != nil {
			return nil, lerr(ca.ID, "bad config", err)
		}
		b.Archs = append(b.Archs, a)
	}
	if len(b.Archs) == 0 {
		return nil, lerr("archs", "no finished architectures", nil)
	}
	b.buildIndex()
	if len(b.index) != len(b.Archs) {
		return nil, lerr("archs", "duplicate architecture ids", nil)
	}
	customInfo.Store(b, &cb)
	return b, nil
}

// IsBenchDir reports whether path is a directory holding benchmark.json or an
// lpz benchmark file.
func IsBenchDir(path string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	if st.IsDir() {
		_, err := os.Stat(filepath.Join(path, "benchmark.json"))
		return err == nil
	}
	return filepath.Ext(path) == ".json"
}

// LoadAny resolves a --bench value: an lpz benchmark directory (or its
// benchmark.json), one of the embedded benchmarks ("gpt2-wt103-mini",
// "nano"), or a published benchmark under dataDir (Load).
func LoadAny(name, dataDir string) (*Benchmark, error) {
	switch {
	case IsBenchDir(name):
		return LoadDir(name)
	case name == NanoName:
		return Nano()
	case name == LonasNanoName:
		return LonasNano()
	case name == MiniName:
		return Mini()
	}
	return Load(name, dataDir)
}

// HasData reports whether dataDir holds any published benchmark's directory
// (dataDir/NAME for NAME in Names). With no --bench and no data, commands
// default to the embedded gpt2-wt103-mini benchmark.
func HasData(dataDir string) bool {
	for _, n := range Names {
		if st, err := os.Stat(filepath.Join(dataDir, n)); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// lonasArch decodes a sub-network's config and ties it to the benchmark's
// super-network.
func lonasArch(cb *CustomBench, path string, cfg map[string]any) (*LonasConfig, error) {
	if cb.Supernet == nil {
		return nil, fmt.Errorf("a lonas benchmark needs its supernet record")
	}
	c, err := LonasFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.Super = cb.Supernet.Supernet(filepath.Dir(path))
	if err := c.Super.Validate(); err != nil {
		return nil, err
	}
	if _, err := c.Super.Choices(c); err != nil {
		return nil, err
	}
	return c, nil
}
