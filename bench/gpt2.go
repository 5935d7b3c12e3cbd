package bench

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

var (
	reConfigDir = regexp.MustCompile(`^config_([0-9]+)$`)
	reJDir      = regexp.MustCompile(`^j([0-9]+)$`)
)

// gpt2Required are the model_config.yaml keys the loader needs.
var gpt2Required = []string{"n_layer", "d_model", "n_head", "d_inner", "d_embed",
	"div_val", "n_token", "cutoffs", "tgt_len", "tie_weight"}

// maxGPT2Layers bounds n_layer: per-layer lists are built with that length
// (the published models have at most 16 layers).
const maxGPT2Layers = 1024

// gpt2Params are the keys every params_summary.yaml entry must have.
var gpt2ParamKeys = []string{"AdaEmb", "Attn", "FFN", "nonembedding", "total"}

func loadGPT2(dir string) (*Benchmark, error) {
	b := &Benchmark{
		Name:           "gpt2-wt103",
		Family:         FamilyGPT2,
		HigherIsBetter: false,
		TruthName:      "valid_ppl",
		TruthDefs:      slices.Clone(gpt2TruthDefs),
		Source: Source{Repo: GPT2Repo, Branch: GPT2Branch, Commit: GPT2Commit,
			Path: GPT2Path, Licence: GPT2Licence, Dir: dir, Hint: GPT2SourceHint},
	}
	lerr := func(file, rec, msg string, err error) error {
		return &LoadError{Bench: b.Name, File: file, Record: rec, Msg: msg, Hint: GPT2SourceHint, Err: err}
	}
	cfgs, err := gpt2ConfigPaths(dir, lerr)
	if err != nil {
		return nil, err
	}
	pplFile := filepath.Join(dir, "ppl_summary.yaml")
	ppl, err := readSummary(pplFile)
	if err != nil {
		return nil, lerr(pplFile, "", "cannot read", err)
	}
	parFile := filepath.Join(dir, "params_summary.yaml")
	par, err := readSummary(parFile)
	if err != nil {
		return nil, lerr(parFile, "", "cannot read", err)
	}
	seen := make(map[string]bool, len(cfgs))
	b.Archs = make([]Arch, 0, len(cfgs))
	for _, c := range cfgs {
		id := fmt.Sprintf("config_%d_j%d", c.i, c.j)
		if seen[id] {
			return nil, lerr(c.path, id, "duplicate architecture id (leading zeros in a directory name?)", nil)
		}
		seen[id] = true
		cfg, err := readGPT2Config(c.path)
		if err != nil {
			var le *LoadError
			if errors.As(err, &le) {
				le.Bench, le.Hint = b.Name, GPT2SourceHint
				return nil, le
			}
			return nil, lerr(c.path, "", "cannot read", err)
		}
		a := Arch{ID: id, GPT2: cfg, Extra: map[string]float64{}, Params: map[string]int64{}}
		if err := gpt2Truth(&a, ppl, pplFile, lerr); err != nil {
			return nil, err
		}
		if err := gpt2Params(&a, par, parFile, lerr); err != nil {
			return nil, err
		}
		b.Archs = append(b.Archs, a)
	}
	for _, s := range []struct {
		file string
		m    map[string]summaryEntry
	}{{pplFile, ppl}, {parFile, par}} {
		for k, e := range s.m {
			if !seen[k] {
				return nil, lerr(s.file, fmt.Sprintf("%s (line %d)", k, e.line),
					"key has no matching config_I/jK/model_config.yaml (incomplete copy?)", nil)
			}
		}
	}
	return b, nil
}

type loadErrorFunc func(file, rec, msg string, err error) error

type gpt2ConfigPath struct {
	i, j int
	path string
}

// gpt2ConfigPaths enumerates the config_I/jK directories of dir, ordered
// numerically.
func gpt2ConfigPaths(dir string, lerr loadErrorFunc) ([]gpt2ConfigPath, error) {
	var cfgs []gpt2ConfigPath
	top, err := os.ReadDir(dir)
	if err != nil {
		return nil, lerr(dir, "", "cannot read benchmark directory", err)
	}
	for _, e := range top {
		m := reConfigDir.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		i, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, lerr(filepath.Join(dir, e.Name()), "", "bad config index", err)
		}
		sub, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, lerr(filepath.Join(dir, e.Name()), "", "cannot read directory", err)
		}
		for _, s := range sub {
			mj := reJDir.FindStringSubmatch(s.Name())
			if mj == nil || !s.IsDir() {
				continue
			}
			j, err := strconv.Atoi(mj[1])
			if err != nil {
				return nil, lerr(filepath.Join(dir, e.Name(), s.Name()), "", "bad j index", err)
			}
			cfgs = append(cfgs, gpt2ConfigPath{i, j, filepath.Join(dir, e.Name(), s.Name(), "model_config.yaml")})
		}
	}
	if len(cfgs) == 0 {
		return nil, lerr(filepath.Join(dir, "config_*/j*/model_config.yaml"), "", "no model configs found", nil)
	}
	sort.Slice(cfgs, func(a, c int) bool {
		if cfgs[a].i != cfgs[c].i {
			return cfgs[a].i < cfgs[c].i
		}
		return cfgs[a].j < cfgs[c].j
	})
	return cfgs, nil
}

// gpt2Truth reads a's valid_ppl (the ground truth) and the other
// perplexity summary values from ppl_summary.yaml.
func gpt2Truth(a *Arch, ppl map[string]summaryEntry, file string, lerr loadErrorFunc) error {
	pe, ok := ppl[a.ID]
	if !ok {
		return lerr(file, a.ID, "no entry for this architecture", nil)
	}
	for k, v := range pe.vals {
		if k == "valid_ppl" {
			continue
		}
		a.Extra[k] = v
	}
	vp, ok := pe.vals["valid_ppl"]
	if !ok {
		return lerr(file, a.ID, "valid_ppl missing", nil)
	}
	if !(vp > 0) || math.IsInf(vp, 0) {
		return lerr(file, fmt.Sprintf("%s (line %d)", a.ID, pe.line), fmt.Sprintf("valid_ppl %v is not a positive finite number", vp), nil)
	}
	a.Truth = vp
	return nil
}

// gpt2Params reads a's published parameter counts from params_summary.yaml.
func gpt2Params(a *Arch, par map[string]summaryEntry, file string, lerr loadErrorFunc) error {
	pp, ok := par[a.ID]
	if !ok {
		return lerr(file, a.ID, "no entry for this architecture", nil)
	}
	for _, k := range gpt2ParamKeys {
		v, ok := pp.vals[k]
		if !ok {
			return lerr(file, a.ID, k+" missing", nil)
		}
		if v < 0 || v != math.Trunc(v) || v > 1<<53 {
			return lerr(file, a.ID, fmt.Sprintf("%s = %v is not a non-negative integer", k, v), nil)
		}
		a.Params[k] = int64(v)
	}
	return nil
}

type summaryEntry struct {
	line int
	vals map[string]float64
}

// readSummary reads a two-level yaml map key → {name: number}.
func readSummary(path string) (map[string]summaryEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("malformed yaml: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("top level is not a mapping of architecture keys")
	}
	top := doc.Content[0]
	out := make(map[string]summaryEntry, len(top.Content)/2)
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: key %q: value is not a mapping", k.Line, k.Value)
		}
		e := summaryEntry{line: k.Line, vals: make(map[string]float64, len(v.Content)/2)}
		for j := 0; j+1 < len(v.Content); j += 2 {
			kk, vv := v.Content[j], v.Content[j+1]
			if vv.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: %s.%s is not a number", vv.Line, k.Value, kk.Value)
			}
			f, err := strconv.ParseFloat(vv.Value, 64)
			if err != nil || math.IsNaN(f) {
				return nil, fmt.Errorf("line %d: %s.%s = %q is not a number", vv.Line, k.Value, kk.Value, vv.Value)
			}
			e.vals[kk.Value] = f
		}
		out[k.Value] = e
	}
	return out, nil
}

// rawGPT2Config is model_config.yaml as written; n_head and d_inner may be
// scalars or lists.
type rawGPT2Config struct {
	NLayer        *int      `yaml:"n_layer"`
	DModel        *int      `yaml:"d_model"`
	NHead         yaml.Node `yaml:"n_head"`
	DInner        yaml.Node `yaml:"d_inner"`
	DEmbed        *int      `yaml:"d_embed"`
	DivVal        *int      `yaml:"div_val"`
	NToken        *int      `yaml:"n_token"`
	Cutoffs       []int     `yaml:"cutoffs"`
	TgtLen        *int      `yaml:"tgt_len"`
	TieWeight     *bool     `yaml:"tie_weight"`
	TieProjs      []bool    `yaml:"tie_projs"`
	Adaptive      *bool     `yaml:"adaptive"`
	WeightInitStd float64   `yaml:"weight_init_std"`
	ProjInitStd   float64   `yaml:"proj_init_std"`
	Dropout       float64   `yaml:"dropout"`
	DropAtt       float64   `yaml:"dropatt"`
}

// readGPT2Config parses one model_config.yaml and applies archai's list
// mapping (_map_to_list for n_head/d_inner) and d_embed = -1 → d_model.
// tie_projs, if empty, gets archai's default [not adaptive, true, ...].
func readGPT2Config(path string) (*GPT2Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{File: path, Msg: "cannot read", Err: err}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &LoadError{File: path, Msg: "malformed model config", Err: err}
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &LoadError{File: path, Msg: "model config is not a yaml mapping"}
	}
	keys := map[string]bool{}
	for i := 0; i+1 < len(doc.Content[0].Content); i += 2 {
		keys[doc.Content[0].Content[i].Value] = true
	}
	for _, k := range gpt2Required {
		if !keys[k] {
			return nil, &LoadError{File: path, Record: k, Msg: "required key missing"}
		}
	}
	var raw rawGPT2Config
	if err := doc.Decode(&raw); err != nil {
		return nil, &LoadError{File: path, Msg: "malformed model config", Err: err}
	}
	bad := func(key, msg string) error { return &LoadError{File: path, Record: key, Msg: msg} }
	if raw.NLayer == nil || *raw.NLayer < 1 || *raw.NLayer > maxGPT2Layers {
		return nil, bad("n_layer", fmt.Sprintf("must be an integer from 1 to %d", maxGPT2Layers))
	}
	if raw.DModel == nil || *raw.DModel < 1 {
		return nil, bad("d_model", "must be a positive integer")
	}
	if raw.NToken == nil || *raw.NToken < 1 {
		return nil, bad("n_token", "must be a positive integer")
	}
	if raw.DivVal == nil || *raw.DivVal < 1 {
		return nil, bad("div_val", "must be a positive integer (div_val 0 is broken upstream)")
	}
	if raw.TgtLen == nil || *raw.TgtLen < 1 {
		return nil, bad("tgt_len", "must be a positive integer")
	}
	if raw.DEmbed == nil || (*raw.DEmbed < 1 && *raw.DEmbed != -1) {
		return nil, bad("d_embed", "must be a positive integer or -1 (= d_model)")
	}
	if raw.TieWeight == nil {
		return nil, bad("tie_weight", "must be true or false")
	}
	nl, d := *raw.NLayer, *raw.DModel
	nHead, err := mapToList(&raw.NHead, nl)
	if err != nil {
		return nil, bad("n_head", err.Error())
	}
	dInner, err := mapToList(&raw.DInner, nl)
	if err != nil {
		return nil, bad("d_inner", err.Error())
	}
	for l, h := range nHead {
		if h < 1 || d%h != 0 {
			return nil, bad("n_head", fmt.Sprintf("layer %d: %d heads do not divide d_model %d", l, h, d))
		}
	}
	for l, f := range dInner {
		if f < 1 {
			return nil, bad("d_inner", fmt.Sprintf("layer %d: %d is not positive", l, f))
		}
	}
	e := *raw.DEmbed
	if e == -1 {
		e = d
	}
	cfg := &GPT2Config{
		NLayer: nl, DModel: d, NHead: nHead, DInner: dInner, DEmbed: e,
		DivVal: *raw.DivVal, NToken: *raw.NToken, Cutoffs: raw.Cutoffs,
		TgtLen: *raw.TgtLen, TieWeight: *raw.TieWeight, TieProjs: raw.TieProjs,
		WeightInitStd: raw.WeightInitStd, ProjInitStd: raw.ProjInitStd,
		Dropout: raw.Dropout, DropAtt: raw.DropAtt,
	}
	cut, err := CleanCutoffs(cfg.Cutoffs, cfg.NToken)
	if err != nil {
		return nil, bad("cutoffs", err.Error())
	}
	if len(cfg.TieProjs) == 0 {
		adaptive := raw.Adaptive != nil && *raw.Adaptive
		cfg.TieProjs = make([]bool, len(cut))
		cfg.TieProjs[0] = !adaptive
		for i := 1; i < len(cut); i++ {
			cfg.TieProjs[i] = true
		}
	} else if len(cfg.TieProjs) < len(cut) {
		return nil, bad("tie_projs", fmt.Sprintf("has %d entries, the %d clusters need %d", len(cfg.TieProjs), len(cut), len(cut)))
	}
	for i := range cut {
		if d := cfg.DEmbed / ipow(cfg.DivVal, i); d < 1 {
			return nil, bad("div_val", fmt.Sprintf("cluster %d has width d_embed/div_val^%d = 0", i, i))
		}
	}
	return cfg, nil
}

// mapToList is archai's Config._map_to_list: a scalar is repeated n times, a
// longer list is truncated, a shorter one is padded with its first element.
func mapToList(n *yaml.Node, length int) ([]int, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		var v int
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %q is not an integer", n.Line, n.Value)
		}
		out := make([]int, length)
		for i := range out {
			out[i] = v
		}
		return out, nil
	case yaml.SequenceNode:
		var vs []int
		if err := n.Decode(&vs); err != nil {
			return nil, fmt.Errorf("line %d: not a list of integers", n.Line)
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("line %d: empty list", n.Line)
		}
		out := make([]int, length)
		for i := range out {
			if i < len(vs) {
				out[i] = vs[i]
			} else {
				out[i] = vs[0]
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("line %d: must be an integer or a list of integers", n.Line)
	}
}

// CleanCutoffs is archai's clean_cutoffs (AdaptiveEmbedding ≡
// ProjectedAdaptiveLogSoftmax): copy; empty → [nToken]; walk from index 1
// requiring strictly increasing entries and stop at the first entry > nToken
// (it and everything after are dropped); then clamp a last entry > nToken to
// nToken, or append nToken if the last entry is smaller. For wt103,
// [19997 39997 199997 50264] → [19997 39997 50264].
func CleanCutoffs(cutoffs []int, nToken int) ([]int, error) {
	c := append([]int(nil), cutoffs...)
	if len(c) == 0 {
		c = []int{nToken}
	}
	i := 1
	for ; i < len(c); i++ {
		if c[i] <= c[i-1] {
			return nil, fmt.Errorf("cutoff at %d (%d) is <= cutoff at %d (%d)", i, c[i], i-1, c[i-1])
		}
		if c[i] > nToken {
			break
		}
	}
	c = c[:i]
	if c[len(c)-1] > nToken {
		c[len(c)-1] = nToken
	}
	if c[len(c)-1] < nToken {
		c = append(c, nToken)
	}
	if c[0] < 1 {
		return nil, fmt.Errorf("first cutoff %d is not positive", c[0])
	}
	return c, nil
}

// ipow is b^e for b ≥ 1, saturating at math.MaxInt (a width divided by it
// is then 0, reported as such, instead of a division by an overflowed 0).
func ipow(b, e int) int {
	r := 1
	for ; e > 0; e-- {
		if r > math.MaxInt/b {
			return math.MaxInt
		}
		r *= b
	}
	return r
}

// GPT2ParamCount is the exact parameter count of a GPT-2 flex model,
// following ../shared/docs/GPT2_FLEX_MODEL.md §8. It reproduces every field
// of params_summary.yaml (AdaEmb, Attn, FFN, nonembedding, total).
type GPT2ParamCount struct {
	AdaEmb       int64 // adaptive input embedding (tables + projections) + position table tgt_len·d
	Attn         int64 // Lₙ·(4d² + 4d): c_attn + c_proj, weights and biases
	FFN          int64 // Σ_l (2·d·f_l + f_l + d)
	LN           int64 // 4d·Lₙ + 2d: two LNs per block + the final LN
	NonEmbedding int64 // Attn + FFN + LN ("nonembedding" of params_summary.yaml)
	SoftmaxOwn   int64 // parameters of the adaptive softmax not shared with the embedding
	Total        int64 // AdaEmb + NonEmbedding + SoftmaxOwn (tied tensors counted once)
}

// GPT2Params counts the parameters of cfg exactly (see GPT2ParamCount).
// Cutoffs are cleaned as archai does (CleanCutoffs) and tie_projs truncated to
// the number of clusters.
func GPT2Params(cfg *GPT2Config) (GPT2ParamCount, error) {
	var p GPT2ParamCount
	cut, err := CleanCutoffs(cfg.Cutoffs, cfg.NToken)
	if err != nil {
		return p, err
	}
	if len(cfg.NHead) != cfg.NLayer || len(cfg.DInner) != cfg.NLayer {
		return p, fmt.Errorf("n_head/d_inner have %d/%d entries, n_layer is %d", len(cfg.NHead), len(cfg.DInner), cfg.NLayer)
	}
	if cfg.DivVal < 1 {
		return p, fmt.Errorf("div_val %d is not a positive integer", cfg.DivVal)
	}
	K := int64(len(cut))
	if len(cfg.TieProjs) < len(cut) {
		return p, fmt.Errorf("tie_projs has %d entries, %d clusters need %d", len(cfg.TieProjs), K, K)
	}
	d, e, V := int64(cfg.DModel), int64(cfg.DEmbed), int64(cfg.NToken)
	L := int64(cfg.NLayer)
	sizes := make([]int64, K)
	dims := make([]int64, K)
	prev := int64(0)
	for i, c := range cut {
		sizes[i] = int64(c) - prev
		prev = int64(c)
		dims[i] = e / int64(ipow(cfg.DivVal, i))
	}
	ne := int64(0)
	if e != d {
		ne = 1
	}

	// Embedding.
	p.AdaEmb = int64(cfg.TgtLen) * d
	if cfg.DivVal == 1 {
		p.AdaEmb += V*e + ne*d*e
	} else {
		for i := range sizes {
			p.AdaEmb += sizes[i]*dims[i] + d*dims[i]
		}
	}
	// Blocks.
	p.Attn = L * (4*d*d + 4*d)
	for _, f := range cfg.DInner {
		f := int64(f)
		p.FFN += 2*d*f + f + d
	}
	p.LN = 4*d*L + 2*d
	p.NonEmbedding = p.Attn + p.FFN + p.LN
	// Softmax: cluster weight/bias, output biases (V in all), untied tables,
	// untied projections.
	p.SoftmaxOwn = (K-1)*(e+1) + V
	if !cfg.TieWeight {
		if cfg.DivVal == 1 {
			p.SoftmaxOwn += V * e
		} else {
			for i := range sizes {
				p.SoftmaxOwn += sizes[i] * dims[i]
			}
		}
	}
	for i := int64(0); i < K; i++ {
		if cfg.TieProjs[i] {
			continue
		}
		if cfg.DivVal == 1 {
			p.SoftmaxOwn += ne * d * e
		} else {
			p.SoftmaxOwn += d * dims[i]
		}
	}
	p.Total = p.AdaEmb + p.NonEmbedding + p.SoftmaxOwn
	return p, nil
}
