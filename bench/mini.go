package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"lpz/bench/wt103mini"
)

// MiniName is the embedded slice of gpt2-wt103: the default benchmark of
// lpz search and lpz rank on a machine without benchmark data.
const MiniName = "gpt2-wt103-mini"

// SliceFormat is the format tag of an embedded slice file (bench/wt103mini/slice.json):
//
//	{
//	  "format": "lpz-slice/1",
//	  "name": "gpt2-wt103-mini", "of": "gpt2-wt103",
//	  "source": {"repo": …, "branch": …, "commit": …, "path": …, "licence": "MIT",
//	             "files": ["config_I/jK/model_config.yaml", …]},
//	  "rule": "how the architectures were chosen, stated before looking at results",
//	  "generator": "the command that rewrites this file from ../shared",
//	  "tokens": {"text": "bench/nano/text.txt", "text_sha256": …, "tokenizer": "gpt2",
//	             "tokenizer_sha256": {"vocab.json": …, "merges.txt": …}, "ids": [GPT-2 BPE ids]},
//	  "archs": [{"id": "config_9_j3", "config": {GPT2Config as resolved by the gpt2-wt103 loader},
//	             "valid_ppl": …, "extra": {"test_ppl": …, …}, "params": {"AdaEmb": …, "total": …}}, …]
//	}
//
// Architectures keep their gpt2-wt103 ids and order, so results on the
// slice can be looked up in the full benchmark.
const SliceFormat = "lpz-slice/1"

// SliceFile is an embedded slice of a published benchmark.
type SliceFile struct {
	Format    string      `json:"format"`
	Name      string      `json:"name"`
	Of        string      `json:"of"`
	Source    SliceSource `json:"source"`
	Rule      string      `json:"rule"`
	Generator string      `json:"generator"`
	Tokens    SliceTokens `json:"tokens"`
	Archs     []SliceArch `json:"archs"`
}

// SliceSource is where the published numbers come from.
type SliceSource struct {
	Repo    string   `json:"repo"`
	Branch  string   `json:"branch"`
	Commit  string   `json:"commit"`
	Path    string   `json:"path"`
	Licence string   `json:"licence"`
	Files   []string `json:"files"`
}

// SliceTokens are the capture text's token ids, measured by lpz's tokenizer
// on lpz's own text, so that capture needs neither the text nor the
// tokenizer files.
type SliceTokens struct {
	Text            string            `json:"text"`
	TextSHA256      string            `json:"text_sha256"`
	Tokenizer       string            `json:"tokenizer"`
	TokenizerSHA256 map[string]string `json:"tokenizer_sha256"`
	IDs             []int             `json:"ids"`
}

// SliceArch is one architecture with its published numbers.
type SliceArch struct {
	ID       string             `json:"id"`
	Config   *GPT2Config        `json:"config"`
	ValidPPL float64            `json:"valid_ppl"`
	Extra    map[string]float64 `json:"extra"`
	Params   map[string]int64   `json:"params"`
}

// Mini returns the embedded gpt2-wt103-mini benchmark. It needs no files.
func Mini() (*Benchmark, error) {
	b, err := ParseSlice(wt103mini.Slice, "embedded:bench/wt103mini/slice.json")
	if err != nil {
		return nil, err
	}
	b.Defaults = &miniDefaults
	return b, nil
}

// miniDefaults make `lpz search --sample 20` a one-minute first run with
// the paper's search budget (population 80, 1000 generations). Measured on
// 2 cores (docs/RESEARCH.md): with the six channels at 4 × 64, W and G
// (every block matrix and its gradient, 4–40 M floats per architecture)
// make an evaluation walk about 1 GB, 3 evaluations/s, and the cold run
// takes 8 minutes; without W and G at 2 × 32 it runs at 215
// evaluations/s and takes 33 s, capture included.
var miniDefaults = Defaults{Batch: 2, Seq: 32, Inputs: "A,H,S,J",
	Why: "a first run of about a minute; W and G hold nearly all of the evaluation cost here"}

// MiniSlice returns the embedded slice file as parsed, for provenance.
func MiniSlice() (*SliceFile, error) {
	return decodeSlice(wt103mini.Slice, "embedded:bench/wt103mini/slice.json")
}

func decodeSlice(data []byte, path string) (*SliceFile, error) {
	var sf SliceFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sf); err != nil {
		return nil, &LoadError{Bench: MiniName, File: path, Msg: "malformed JSON", Err: err}
	}
	if sf.Format != SliceFormat {
		return nil, &LoadError{Bench: sf.Name, File: path, Record: "format", Msg: fmt.Sprintf("format %q, want %q", sf.Format, SliceFormat)}
	}
	return &sf, nil
}

// ParseSlice parses a slice file (path names it in errors and is the
// Source.Dir). Every architecture's analytic parameter count must equal
// its published one: a config that no longer matches its numbers is an
// error, not a silently different benchmark.
func ParseSlice(data []byte, path string) (*Benchmark, error) {
	sf, err := decodeSlice(data, path)
	if err != nil {
		return nil, err
	}
	lerr := func(rec, msg string) error { return &LoadError{Bench: sf.Name, File: path, Record: rec, Msg: msg} }
	if sf.Of != "gpt2-wt103" {
		return nil, lerr("of", fmt.Sprintf("a slice of %q cannot be loaded (gpt2-wt103)", sf.Of))
	}
	if len(sf.Archs) == 0 {
		return nil, lerr("archs", "no architectures")
	}
	if len(sf.Tokens.IDs) == 0 {
		return nil, lerr("tokens", "no token ids")
	}
	src := sf.Source
	b := &Benchmark{Name: sf.Name, Family: FamilyGPT2, TruthName: "valid_ppl", TruthDefs: slices.Clone(gpt2TruthDefs),
		Source: Source{Repo: src.Repo, Branch: src.Branch, Commit: src.Commit, Path: src.Path,
			Licence: src.Licence, Dir: path, Subset: sf.Rule,
			Hint: "embedded in lpz; the whole benchmark is --bench gpt2-wt103"},
		Tokens:     sf.Tokens.IDs,
		TokensDesc: fmt.Sprintf("embedded GPT-2 BPE ids of %s (lpz's own text, %d tokens)", sf.Tokens.Text, len(sf.Tokens.IDs)),
	}
	for _, sa := range sf.Archs {
		a, err := sliceArch(sa)
		if err != nil {
			return nil, lerr(sa.ID, err.Error())
		}
		for _, id := range sf.Tokens.IDs {
			if id < 0 || id >= a.GPT2.NToken {
				return nil, lerr("tokens", fmt.Sprintf("id %d is outside the vocabulary of %s (%d)", id, a.ID, a.GPT2.NToken))
			}
		}
		b.Archs = append(b.Archs, a)
	}
	b.buildIndex()
	if len(b.index) != len(b.Archs) {
		return nil, lerr("archs", "duplicate architecture ids")
	}
	return b, nil
}

// sliceArch checks one record against its own published counts.
func sliceArch(sa SliceArch) (Arch, error) {
	if sa.Config == nil {
		return Arch{}, fmt.Errorf("no config")
	}
	if !(sa.ValidPPL > 0) || math.IsInf(sa.ValidPPL, 0) {
		return Arch{}, fmt.Errorf("valid_ppl %v is not a positive finite number", sa.ValidPPL)
	}
	c := sa.Config
	for _, f := range []struct {
		key string
		v   int
	}{{"n_layer", c.NLayer}, {"d_model", c.DModel}, {"d_embed", c.DEmbed}, {"div_val", c.DivVal}, {"n_token", c.NToken}, {"tgt_len", c.TgtLen}} {
		if f.v < 1 {
			return Arch{}, fmt.Errorf("%s %d is not a positive integer", f.key, f.v)
		}
	}
	if len(c.NHead) != c.NLayer || len(c.DInner) != c.NLayer {
		return Arch{}, fmt.Errorf("n_head/d_inner have %d/%d entries, n_layer is %d", len(c.NHead), len(c.DInner), c.NLayer)
	}
	for l, h := range c.NHead {
		if h < 1 || c.DModel%h != 0 {
			return Arch{}, fmt.Errorf("layer %d: %d heads do not divide d_model %d", l, h, c.DModel)
		}
	}
	cut, err := CleanCutoffs(c.Cutoffs, c.NToken)
	if err != nil {
		return Arch{}, err
	}
	if c.DEmbed/ipow(c.DivVal, len(cut)-1) < 1 {
		return Arch{}, fmt.Errorf("div_val %d leaves the last of %d clusters no width", c.DivVal, len(cut))
	}
	p, err := GPT2Params(c)
	if err != nil {
		return Arch{}, err
	}
	counted := map[string]int64{"AdaEmb": p.AdaEmb, "Attn": p.Attn, "FFN": p.FFN, "nonembedding": p.NonEmbedding, "total": p.Total}
	for _, k := range gpt2ParamKeys {
		got, ok := sa.Params[k]
		if !ok {
			return Arch{}, fmt.Errorf("params: %s missing", k)
		}
		if got != counted[k] {
			return Arch{}, fmt.Errorf("params: %s is %d but the config counts %d", k, got, counted[k])
		}
	}
	return Arch{ID: sa.ID, GPT2: c, Truth: sa.ValidPPL, Extra: sa.Extra, Params: sa.Params}, nil
}

// MarshalSlice writes sf as the generator does: a readable header, one
// line per architecture, token ids in rows, so that a diff of a
// regenerated file shows what changed.
func MarshalSlice(sf *SliceFile) ([]byte, error) {
	var buf bytes.Buffer
	field := func(name string, v any, last bool) error {
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, " %q: %s", name, j)
		if !last {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		return nil
	}
	buf.WriteString("{\n")
	for _, f := range []struct {
		name string
		v    any
	}{{"format", sf.Format}, {"name", sf.Name}, {"of", sf.Of}, {"source", sf.Source}, {"rule", sf.Rule}, {"generator", sf.Generator}} {
		if err := field(f.name, f.v, false); err != nil {
			return nil, err
		}
	}
	tok := sf.Tokens
	ids := tok.IDs
	tok.IDs = nil
	head, err := json.Marshal(tok)
	if err != nil {
		return nil, err
	}
	head = bytes.TrimSuffix(head, []byte(`"ids":null}`))
	fmt.Fprintf(&buf, " \"tokens\": %s\"ids\": [\n", head)
	const row = 20
	for i := 0; i < len(ids); i += row {
		nums := make([]string, 0, row)
		for _, id := range ids[i:min(i+row, len(ids))] {
			nums = append(nums, fmt.Sprint(id))
		}
		sep := ","
		if i+row >= len(ids) {
			sep = ""
		}
		fmt.Fprintf(&buf, "  %s%s\n", strings.Join(nums, ","), sep)
	}
	buf.WriteString(" ]},\n \"archs\": [\n")
	for i, a := range sf.Archs {
		j, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		sep := ","
		if i == len(sf.Archs)-1 {
			sep = ""
		}
		fmt.Fprintf(&buf, "  %s%s\n", j, sep)
	}
	buf.WriteString(" ]\n}\n")
	return buf.Bytes(), nil
}
