package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"lpz/bench"
)

// ParamGroup is the §8 accounting group of a parameter.
type ParamGroup int

const (
	GroupEmbedding    ParamGroup = iota // AdaEmb: tables, embedding projections, wpe
	GroupNonEmbedding                   // blocks and layer norms
	GroupSoftmax                        // head parameters not shared with the embedding
)

// Param is one unique trainable tensor of a model, row-major float32 on the
// host. Tied parameters exist once (the output head reuses the embedding's
// Param objects, as upstream shares the nn.Parameter objects).
type Param struct {
	Name  string
	Shape []int
	Data  []float32 // nil for a shape-only model
	Group ParamGroup
	Std   float64 // N(0, Std²) draw; 0 = constant (Fill)
	Fill  float32 // value of a constant parameter (biases 0, LN gains 1)
}

// Size is the number of elements.
func (p *Param) Size() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

type gpt2Block struct {
	ln1G, ln1B     *Param
	cAttnW, cAttnB *Param // W (d, 3d) columns [q | k | v]; b (3d)
	aProjW, aProjB *Param // (d, d), (d)
	ln2G, ln2B     *Param
	fcW, fcB       *Param // (d, f), (f)
	mProjW, mProjB *Param // (f, d), (d)
}

// GPT2 is one instantiated LTS GPT-2 flex model: the resolved architecture
// and its seeded host weights (GPT2_FLEX_MODEL.md §1–§6).
type GPT2 struct {
	arch *gpt2Arch
	// Params lists every unique parameter in registration order (which is
	// also the order of the random draws, see initWeights).
	Params []*Param

	embTables []*Param // div_val 1: one (V, e) table; div_val > 1: one (s_i, d_i) per cluster
	embProjs  []*Param // div_val 1: none, or one (d, e) if e != d; div_val > 1: one (d, d_i) per cluster
	wpe       *Param   // (tgt_len, d)
	blocks    []gpt2Block
	lnfG      *Param
	lnfB      *Param
	clusterW  *Param   // (K-1, e) or nil when K == 1
	clusterB  *Param   // (K-1)
	outBiases []*Param // div_val 1: one (V); div_val > 1: one (s_i) per cluster
	outTables []*Param // own output tables when !tie_weight (same shapes as embTables), else nil

	// actDelta (tests only): when non-nil, actDelta[l] (B·T·f_l, or nil) is
	// added to block l's A node, to check GA by finite differences.
	actDelta [][]float32
	outProjs []*Param // per cluster: own (d, d_i) projection, or nil (then tied or none)
}

// NewGPT2 builds the model and draws its weights from seed (see
// initWeights for the documented order). The same seed gives bit-identical
// weights on every platform.
func NewGPT2(cfg bench.GPT2Config, seed uint64) (*GPT2, error) {
	m, err := newGPT2Shapes(cfg)
	if err != nil {
		return nil, err
	}
	m.initWeights(seed)
	return m, nil
}

// newGPT2Shapes allocates the parameter list without data (for counting).
func newGPT2Shapes(cfg bench.GPT2Config) (*GPT2, error) {
	a, err := newGPT2Arch(cfg)
	if err != nil {
		return nil, err
	}
	m := &GPT2{arch: a}
	d, e, K := a.d, a.e, a.K()
	cPStd := a.std / math.Sqrt(2*float64(a.L)) // quirk 9: both c_proj weights
	add := func(name string, g ParamGroup, std float64, fill float32, shape ...int) *Param {
		p := &Param{Name: name, Shape: shape, Group: g, Std: std, Fill: fill}
		m.Params = append(m.Params, p)
		return p
	}
	// Adaptive input embedding (AE).
	if a.divVal == 1 {
		m.embTables = []*Param{add("wte.emb_layers.0.weight", GroupEmbedding, a.std, 0, a.V, e)}
		if e != d {
			m.embProjs = []*Param{add("wte.emb_projs.0", GroupEmbedding, a.projStd, 0, d, e)}
		}
	} else {
		for i := 0; i < K; i++ {
			m.embTables = append(m.embTables, add(fmt.Sprintf("wte.emb_layers.%d.weight", i), GroupEmbedding, a.std, 0, a.sizes[i], a.dims[i]))
		}
		for i := 0; i < K; i++ {
			m.embProjs = append(m.embProjs, add(fmt.Sprintf("wte.emb_projs.%d", i), GroupEmbedding, a.projStd, 0, d, a.dims[i]))
		}
	}
	m.wpe = add("wpe.weight", GroupEmbedding, a.std, 0, a.tgtLen, d)
	// Blocks.
	for l := 0; l < a.L; l++ {
		f := a.dInner[l]
		pre := fmt.Sprintf("h.%d.", l)
		var b gpt2Block
		b.ln1G = add(pre+"ln_1.weight", GroupNonEmbedding, 0, 1, d)
		b.ln1B = add(pre+"ln_1.bias", GroupNonEmbedding, 0, 0, d)
		b.cAttnW = add(pre+"attn.c_attn.weight", GroupNonEmbedding, a.std, 0, d, 3*d)
		b.cAttnB = add(pre+"attn.c_attn.bias", GroupNonEmbedding, 0, 0, 3*d)
		b.aProjW = add(pre+"attn.c_proj.weight", GroupNonEmbedding, cPStd, 0, d, d)
		b.aProjB = add(pre+"attn.c_proj.bias", GroupNonEmbedding, 0, 0, d)
		b.ln2G = add(pre+"ln_2.weight", GroupNonEmbedding, 0, 1, d)
		b.ln2B = add(pre+"ln_2.bias", GroupNonEmbedding, 0, 0, d)
		b.fcW = add(pre+"mlp.c_fc.weight", GroupNonEmbedding, a.std, 0, d, f)
		b.fcB = add(pre+"mlp.c_fc.bias", GroupNonEmbedding, 0, 0, f)
		b.mProjW = add(pre+"mlp.c_proj.weight", GroupNonEmbedding, cPStd, 0, f, d)
		b.mProjB = add(pre+"mlp.c_proj.bias", GroupNonEmbedding, 0, 0, d)
		m.blocks = append(m.blocks, b)
	}
	m.lnfG = add("ln_f.weight", GroupNonEmbedding, 0, 1, d)
	m.lnfB = add("ln_f.bias", GroupNonEmbedding, 0, 0, d)
	// Projected adaptive log-softmax (PALS).
	if K > 1 {
		m.clusterW = add("crit.cluster_weight", GroupSoftmax, a.std, 0, K-1, e)
		m.clusterB = add("crit.cluster_bias", GroupSoftmax, 0, 0, K-1)
	}
	m.outProjs = make([]*Param, K)
	for i := 0; i < K; i++ {
		if a.tieProjs[i] {
			continue
		}
		if a.divVal == 1 {
			if e != d {
				m.outProjs[i] = add(fmt.Sprintf("crit.out_projs.%d", i), GroupSoftmax, a.projStd, 0, d, e)
			}
		} else {
			m.outProjs[i] = add(fmt.Sprintf("crit.out_projs.%d", i), GroupSoftmax, a.projStd, 0, d, a.dims[i])
		}
	}
	if !a.cfg.TieWeight {
		for i, t := range m.embTables {
			m.outTables = append(m.outTables, add(fmt.Sprintf("crit.out_layers_weights.%d", i), GroupSoftmax, a.std, 0, t.Shape...))
		}
	}
	if a.divVal == 1 {
		m.outBiases = []*Param{add("crit.out_layers_biases.0", GroupSoftmax, 0, 0, a.V)}
	} else {
		for i := 0; i < K; i++ {
			m.outBiases = append(m.outBiases, add(fmt.Sprintf("crit.out_layers_biases.%d", i), GroupSoftmax, 0, 0, a.sizes[i]))
		}
	}
	return m, nil
}

// rngStream is the second PCG word; the first is the capture seed.
const rngStream = 0x6c707a2d67707432 // "lpz-gpt2"

// initWeights draws every parameter with Std > 0, in the order of Params
// (embedding tables, embedding projections, wpe, then per block c_attn.W,
// attn.c_proj.W, mlp.c_fc.W, mlp.c_proj.W, then cluster_weight, the head's
// own projections, own output tables if untied), each tensor in row-major
// order, as float32(N(0,1)·std) from one math/rand/v2 PCG(seed, rngStream)
// stream (NormFloat64 is pure Go, so values are platform independent).
// Constants (biases 0, layer-norm gains 1) take no draws. Tied tables are
// drawn once (upstream draws them twice, the second draw from the same
// distribution overwriting the first).
func (m *GPT2) initWeights(seed uint64) {
	r := rand.New(rand.NewPCG(seed, rngStream))
	drawParams(m.Params, r.NormFloat64)
}

// NumParams counts unique allocated parameters: total and non-embedding
// (blocks + layer norms), the `params` and `dparams` scalars.
func (m *GPT2) NumParams() (total, nonEmbedding int) { return countParams(m.Params) }

// Summary groups the allocated parameters like ParamSummary (Attn/FFN/LN are
// split by name).
func (m *GPT2) Summary() ParamSummary {
	var s ParamSummary
	for _, p := range m.Params {
		n := p.Size()
		switch p.Group {
		case GroupEmbedding:
			s.AdaEmb += n
		case GroupSoftmax:
			s.SoftmaxOwn += n
		case GroupNonEmbedding:
			s.NonEmbedding += n
			switch {
			case strings.Contains(p.Name, ".attn."):
				s.Attn += n
			case strings.Contains(p.Name, ".mlp."):
				s.FFN += n
			default:
				s.LN += n
			}
		}
		s.Total += n
	}
	return s
}
