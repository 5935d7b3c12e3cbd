package runtime

import (
	"fmt"

	"lpz/bench"
)

// gpt2Arch is a validated GPT2Config with the derived quantities of
// GPT2_FLEX_MODEL.md §1–§3 and §5 resolved.
type gpt2Arch struct {
	cfg      bench.GPT2Config
	L, d, e  int
	V        int
	divVal   int
	nHead    []int // per layer
	dInner   []int // per layer
	cutoffs  []int // cleaned (§2): last entry == V
	bounds   []int // [0, cutoffs...]: cluster i is [bounds[i], bounds[i+1])
	sizes    []int // cluster sizes s_i
	dims     []int // cluster widths d_i = e // div_val^i (div_val == 1: all e)
	tieProjs []bool
	tgtLen   int
	std      float64
	projStd  float64
}

// K is the number of clusters (head + tails).
func (a *gpt2Arch) K() int { return len(a.cutoffs) }

// CleanCutoffs implements archai's clean_cutoffs (GPT2_FLEX_MODEL.md §2):
// walk from index 1, stop at the first entry > V (dropping it and the rest),
// clamp a last entry > V to V, append V if the last entry is < V.
func CleanCutoffs(cutoffs []int, V int) ([]int, error) {
	c := append([]int(nil), cutoffs...)
	if len(c) == 0 {
		c = []int{V}
	}
	for i := 1; i < len(c); i++ {
		if c[i] <= c[i-1] {
			return nil, fmt.Errorf("cutoffs %v are not strictly increasing", cutoffs)
		}
		if c[i] > V {
			c = c[:i]
			break
		}
	}
	switch last := c[len(c)-1]; {
	case last > V:
		c[len(c)-1] = V
	case last < V:
		c = append(c, V)
	}
	if c[0] <= 0 {
		return nil, fmt.Errorf("cutoffs %v: first cluster is empty", cutoffs)
	}
	for i := 1; i < len(c); i++ {
		if c[i] <= c[i-1] {
			return nil, fmt.Errorf("cutoffs %v clean to %v, which is not strictly increasing", cutoffs, c)
		}
	}
	return c, nil
}

// mapToList is archai's Config._map_to_list: a longer list is truncated, a
// shorter one is padded with its first element.
func mapToList(v []int, n int) ([]int, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("empty per-layer list")
	}
	out := make([]int, n)
	for i := range out {
		if i < len(v) {
			out[i] = v[i]
		} else {
			out[i] = v[0]
		}
	}
	return out, nil
}

func newGPT2Arch(cfg bench.GPT2Config) (*gpt2Arch, error) {
	a := &gpt2Arch{cfg: cfg, L: cfg.NLayer, d: cfg.DModel, e: cfg.DEmbed, V: cfg.NToken, divVal: cfg.DivVal,
		tgtLen: cfg.TgtLen, std: cfg.WeightInitStd, projStd: cfg.ProjInitStd}
	if a.e <= 0 {
		a.e = a.d // d_embed = -1 means d_model
	}
	switch {
	case a.L <= 0:
		return nil, fmt.Errorf("gpt2: n_layer %d must be positive", a.L)
	case a.d <= 0:
		return nil, fmt.Errorf("gpt2: d_model %d must be positive", a.d)
	case a.V <= 0:
		return nil, fmt.Errorf("gpt2: n_token %d must be positive", a.V)
	case a.divVal < 1:
		return nil, fmt.Errorf("gpt2: div_val %d is not supported (must be >= 1; 0 is broken upstream, quirk 18)", a.divVal)
	case a.tgtLen <= 0:
		return nil, fmt.Errorf("gpt2: tgt_len %d must be positive", a.tgtLen)
	}
	if a.std == 0 {
		a.std = 0.02
	}
	if a.projStd == 0 {
		a.projStd = 0.01
	}
	var err error
	if a.nHead, err = mapToList(cfg.NHead, a.L); err != nil {
		return nil, fmt.Errorf("gpt2: n_head: %w", err)
	}
	if a.dInner, err = mapToList(cfg.DInner, a.L); err != nil {
		return nil, fmt.Errorf("gpt2: d_inner: %w", err)
	}
	for l, n := range a.nHead {
		if n <= 0 || a.d%n != 0 {
			return nil, fmt.Errorf("gpt2: layer %d: n_head %d does not divide d_model %d", l, n, a.d)
		}
		if a.dInner[l] <= 0 {
			return nil, fmt.Errorf("gpt2: layer %d: d_inner %d must be positive", l, a.dInner[l])
		}
	}
	if a.cutoffs, err = CleanCutoffs(cfg.Cutoffs, a.V); err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	a.bounds = append([]int{0}, a.cutoffs...)
	K := len(a.cutoffs)
	a.sizes = make([]int, K)
	a.dims = make([]int, K)
	div := 1
	for i := 0; i < K; i++ {
		a.sizes[i] = a.bounds[i+1] - a.bounds[i]
		if a.divVal == 1 {
			a.dims[i] = a.e
		} else {
			a.dims[i] = a.e / div
			div *= a.divVal
		}
		if a.dims[i] <= 0 {
			return nil, fmt.Errorf("gpt2: cluster %d has width d_embed // div_val^%d = 0", i, i)
		}
	}
	// clean_tie_projs: truncate to K. Missing entries (a shorter list, or
	// an empty list = archai's default_tie_proj with adaptive true) are
	// [false, true, true, …].
	a.tieProjs = make([]bool, K)
	for i := range a.tieProjs {
		if i < len(cfg.TieProjs) {
			a.tieProjs[i] = cfg.TieProjs[i]
		} else {
			a.tieProjs[i] = i != 0
		}
	}
	return a, nil
}

// ParamSummary is the parameter accounting of GPT2_FLEX_MODEL.md §8 (the
// fields of archai's params_summary.yaml plus the softmax's own parameters).
type ParamSummary struct {
	AdaEmb       int // adaptive input embedding (tables + projections) + wpe
	Attn         int // all c_attn and attn.c_proj weights and biases
	FFN          int // all c_fc and mlp.c_proj weights and biases
	LN           int // all layer norms (2 per block + final)
	NonEmbedding int // Attn + FFN + LN
	SoftmaxOwn   int // head parameters not shared with the embedding
	Total        int // unique parameters, tied tables counted once
}

// GPT2ParamCount is the analytic count of §8, computed from the formulas and
// independent of the model construction (tests compare the two).
func GPT2ParamCount(cfg bench.GPT2Config) (ParamSummary, error) {
	a, err := newGPT2Arch(cfg)
	if err != nil {
		return ParamSummary{}, err
	}
	var p ParamSummary
	d, e, V, K := a.d, a.e, a.V, a.K()
	b := func(x bool) int {
		if x {
			return 1
		}
		return 0
	}
	p.AdaEmb = a.tgtLen * d
	tables := 0
	if a.divVal == 1 {
		tables = V * e
		p.AdaEmb += V*e + b(e != d)*d*e
	} else {
		for i := 0; i < K; i++ {
			tables += a.sizes[i] * a.dims[i]
			p.AdaEmb += a.sizes[i]*a.dims[i] + d*a.dims[i]
		}
	}
	p.Attn = a.L * (4*d*d + 4*d)
	for _, f := range a.dInner {
		p.FFN += 2*d*f + f + d
	}
	p.LN = 4*d*a.L + 2*d
	p.NonEmbedding = p.Attn + p.FFN + p.LN
	p.SoftmaxOwn = (K-1)*(e+1) + V + b(!cfg.TieWeight)*tables
	for i := 0; i < K; i++ {
		if a.tieProjs[i] {
			continue
		}
		if a.divVal == 1 {
			p.SoftmaxOwn += b(e != d) * d * e
		} else {
			p.SoftmaxOwn += d * a.dims[i]
		}
	}
	p.Total = p.AdaEmb + p.NonEmbedding + p.SoftmaxOwn
	return p, nil
}
