package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"

	"lpz/bench"
)

// LLaMA-style decoders (bench.LlamaConfig).
//
// Block l (pre-norm, no biases anywhere):
//
//	x  = RMSNorm(h)·g_attn                      RMSNorm(x) = x / √(mean(x²) + eps)
//	q, k, v = x·Wq, x·Wk, x·Wv                  (d, a_l) each, a_l = n_head_l·head_dim
//	q, k ← RoPE(q), RoPE(k)                     rotate-half form (HF LLaMA), θ = rope_theta
//	ctx = softmax(q·kᵀ/√head_dim + causal)·v    heads concatenated → (B,T,a_l)      [H, S]
//	h  = h + ctx·Wo                             (a_l, d)
//	x  = RMSNorm(h)·g_ffn
//	act = silu(x·Wgate) ⊙ (x·Wup)               (B,T,f_l): the SwiGLU product      [A]
//	h  = h + act·Wdown                          (f_l, d)
//
// then a final RMSNorm and logits h·Eᵀ (tied) or h·Woutᵀ. Input: token
// embedding rows (no scaling, no position table: positions enter through
// RoPE only). Weights are (in, out) like GPT-2's Conv1D.
//
// Initialisation: every matrix N(0, init_std²) (default 0.02), Wo and Wdown
// scaled by 1/√(2·n_layer) (GPT-2's residual scaling), norm gains 1; drawn in
// the order of Params from one math/rand/v2 PCG(seed, llamaStream) stream,
// row-major (the scheme of drawParams).
//
// Channels (CaptureLlama):
//
//	A  blocks   block{l}.mlp.act     [B,T,f_l]   the SwiGLU product silu(x·Wgate)⊙(x·Wup),
//	                                              the input of Wdown (the FFN's last nonlinearity output)
//	H  blocks   block{l}.attn.heads  [B,T,a_l]   attention context before Wo
//	S  softmax  block{l}.attn.probs  [B,n_l,T,T]
//	W  weights  block{l}.attn.wq, .attn.wk, .attn.wv [d,a_l], .attn.wo [a_l,d],
//	            block{l}.mlp.w_gate, .mlp.w_up [d,f_l], .mlp.w_down [f_l,d]   (7 per block)
//	G  weights  ∂loss/∂W, same names and shapes
//	J  input    embed [B,T,d]: ∂(Σ h_L)/∂h₀ (h₀ = embedding rows, h_L = residual after the last block)
//	params, dparams: all unique parameters; blocks + norms
//	GA  blocks  (opt-in) A's names and shapes: ∂loss/∂A, from G's loss backward
//	HG  weights (opt-in) W's names and shapes: H·g by double backward, g = ∂loss/∂W
//	            held constant: ∂(Σ_k ⟨g_k, ∂loss/∂W_k⟩)/∂W
//	GS  weights (opt-in) W's names and shapes: the Synflow pass, a second execution
//	            with every parameter |θ| and every token id 1 (as GPT-2's);
//	            R = Σ h_L, GS = ∂R/∂W at |W|

// LlamaModelVersion is the llama family's code version (cache keys, builds).
const LlamaModelVersion = "llama/1"

const llamaStream = 0x6c707a2d6c6c6d61 // "lpz-llma"

type llamaBlock struct {
	attnNorm, wq, wk, wv, wo *Param
	ffnNorm, wg, wu, wd      *Param
}

// Llama is an instantiated LLaMA-style decoder with seeded host weights.
type Llama struct {
	Cfg    bench.LlamaConfig
	Params []*Param
	emb    *Param
	blocks []llamaBlock
	norm   *Param
	head   *Param // nil when tied
	// family is bench.FamilyLoNAS for a sub-network cut from a
	// super-network, else empty (bench.FamilyLlama).
	family string

	// actDelta (tests only): when non-nil, actDelta[l] (B·T·f_l, or nil) is
	// added to block l's A node, to check GA by finite differences.
	actDelta [][]float32
}

// NewLlama builds cfg and draws its weights from seed.
func NewLlama(cfg bench.LlamaConfig, seed uint64) (*Llama, error) { return newLlama(cfg, seed, true) }

func newLlama(cfg bench.LlamaConfig, seed uint64, draw bool) (*Llama, error) {
	if cfg.InitStd <= 0 {
		cfg.InitStd = 0.02
	}
	if cfg.RopeTheta <= 0 {
		cfg.RopeTheta = 10000
	}
	if cfg.NormEps <= 0 {
		cfg.NormEps = 1e-5
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Llama{Cfg: cfg}
	add := func(name string, g ParamGroup, std float64, fill float32, shape ...int) *Param {
		p := &Param{Name: name, Shape: shape, Group: g, Std: std, Fill: fill}
		m.Params = append(m.Params, p)
		return p
	}
	d, std := cfg.DModel, cfg.InitStd
	res := std / math.Sqrt(2*float64(cfg.NLayer))
	m.emb = add("tok_embeddings.weight", GroupEmbedding, std, 0, cfg.NToken, d)
	for l := 0; l < cfg.NLayer; l++ {
		a, f := cfg.NHead[l]*cfg.HeadDim, cfg.DFF[l]
		pre := fmt.Sprintf("layers.%d.", l)
		var b llamaBlock
		b.attnNorm = add(pre+"attention_norm.weight", GroupNonEmbedding, 0, 1, d)
		b.wq = add(pre+"attention.wq", GroupNonEmbedding, std, 0, d, a)
		b.wk = add(pre+"attention.wk", GroupNonEmbedding, std, 0, d, a)
		b.wv = add(pre+"attention.wv", GroupNonEmbedding, std, 0, d, a)
		b.wo = add(pre+"attention.wo", GroupNonEmbedding, res, 0, a, d)
		b.ffnNorm = add(pre+"ffn_norm.weight", GroupNonEmbedding, 0, 1, d)
		b.wg = add(pre+"feed_forward.w_gate", GroupNonEmbedding, std, 0, d, f)
		b.wu = add(pre+"feed_forward.w_up", GroupNonEmbedding, std, 0, d, f)
		b.wd = add(pre+"feed_forward.w_down", GroupNonEmbedding, res, 0, f, d)
		m.blocks = append(m.blocks, b)
	}
	m.norm = add("norm.weight", GroupNonEmbedding, 0, 1, d)
	if !cfg.TieWeight {
		m.head = add("output.weight", GroupSoftmax, std, 0, cfg.NToken, d)
	}
	if draw {
		r := rand.New(rand.NewPCG(seed, llamaStream))
		drawParams(m.Params, r.NormFloat64)
	} else {
		for _, p := range m.Params {
			p.Data = make([]float32, p.Size())
		}
	}
	return m, nil
}

// NumParams counts unique parameters: total and non-embedding.
func (m *Llama) NumParams() (total, nonEmbedding int) { return countParams(m.Params) }

// graph builds the forward pass on in (a *preparedBatch).
func (m *Llama) graph(gb *graphBuilder, in minibatch, want chanSet) *forward {
	f, _ := m.graphParams(gb, in.(*preparedBatch), want)
	return f
}

// graphParams builds the graph and returns it with every Param's node. Its
// parameters are ids (B,T) int32, label pairs (B·T,2) int32 and then every
// Param in order, so that the training loop can feed one compiled graph
// per step (pb's ids and labels are nil there).
func (m *Llama) graphParams(gb *graphBuilder, pb *preparedBatch, want chanSet) (*forward, []*Node) {
	ids, pairs := m.batchNodes(gb, pb)
	nodes := map[*Param]*Node{}
	var all []*Node
	for _, p := range m.Params {
		nodes[p] = gb.full(p)
		all = append(all, nodes[p])
	}
	f, _ := m.forwardWith(gb, pb.B, pb.T, ids, pairs, nodes, nil, want)
	return f, all
}

// batchNodes registers a batch's ids (B,T) and next-token (row, label)
// pairs (B·T,2) as the graph's first two parameters.
func (m *Llama) batchNodes(gb *graphBuilder, pb *preparedBatch) (ids, pairs *Node) {
	var pairData []int32
	for n, y := range pb.labels {
		pairData = append(pairData, int32(n), y)
	}
	return gb.intParam("ids", pb.ids, pb.B, pb.T), gb.intParam("pairs", pairData, pb.B*pb.T, 2)
}

// elastic makes a graph of the whole model compute one of its
// sub-networks (LoNAS): per layer a 0/1 mask over the attention context's
// columns (whole heads) and over the SwiGLU channels, and low-rank updates
// added to some weights (LoRA). Masking a head's context or a channel of
// the SwiGLU product removes exactly its contribution, so the masked graph
// is the sub-network, and one compiled graph serves every sub-network.
type elastic struct {
	headMask, ffnMask []*Node // per layer: (a_l) and (f_l)
	delta             map[*Param]*Node
}

// rope returns the rotary embedding of (B,n,T,dh) nodes for T positions.
func (m *Llama) rope(gb *graphBuilder, T int) func(x *Node) *Node {
	dh := m.Cfg.HeadDim
	half := dh / 2
	cosv := make([]float64, T*dh)
	sinv := make([]float64, T*dh)
	for t := 0; t < T; t++ {
		for i := 0; i < half; i++ {
			ang := float64(t) / math.Pow(m.Cfg.RopeTheta, float64(2*i)/float64(dh))
			for _, j := range []int{i, i + half} {
				cosv[t*dh+j] = math.Cos(ang)
				sinv[t*dh+j] = math.Sin(ang)
			}
		}
	}
	// the rotate-half matrix P (dh, dh) with x·P = [-x₂, x₁]
	rot := make([]float64, dh*dh)
	for i := 0; i < half; i++ {
		rot[(i+half)*dh+i] = -1 // out[i] = -x[i+half]
		rot[i*dh+i+half] = 1    // out[i+half] = x[i]
	}
	cosN := gb.constant(cosv, 1, 1, T, dh)
	sinN := gb.constant(sinv, 1, 1, T, dh)
	rotN := gb.constant(rot, dh, dh)
	return func(x *Node) *Node {
		dims := x.Shape().Dimensions
		return Add(Mul(x, BroadcastToDims(cosN, dims...)), Mul(linearInOut(x, rotN, nil), BroadcastToDims(sinN, dims...)))
	}
}

// forwardWith builds the forward pass over the given parameter nodes (e:
// nil for the plain model). It returns the channels and loss, and the
// logits (B·T, V) (nil in the Synflow pass).
func (m *Llama) forwardWith(gb *graphBuilder, B, T int, ids, pairs *Node, nodes map[*Param]*Node, e *elastic, want chanSet) (*forward, *Node) {
	c := m.Cfg
	d, N := c.DModel, B*T
	scalar := gb.scalar
	mm := func(x, w *Node) *Node { return linearInOut(x, w, nil) }
	weight := func(p *Param) *Node {
		if e != nil && e.delta[p] != nil {
			return Add(nodes[p], e.delta[p])
		}
		return nodes[p]
	}
	rms := func(x, gain *Node) *Node {
		ms := ReduceAndKeep(Mul(x, x), ReduceMean, -1)
		y := Div(x, Sqrt(Add(ms, scalar(c.NormEps))))
		return Mul(y, broadcastLast(gain, y.Shape().Dimensions...))
	}
	rope := m.rope(gb, T)
	mask := causalMask(gb.g, T)

	out := &forward{}
	h0 := Gather(nodes[m.emb], Reshape(ids, B, T, 1)) // (B,T,d)
	h := h0
	for l, b := range m.blocks {
		nh := c.NHead[l]
		x := rms(h, nodes[b.attnNorm])
		q := rope(splitHeads(mm(x, weight(b.wq)), nh))
		k := rope(splitHeads(mm(x, weight(b.wk)), nh))
		v := splitHeads(mm(x, weight(b.wv)), nh)
		probs, ctx := attention(q, k, v, mask)
		ctx = mergeHeads(ctx)
		if e != nil {
			ctx = Mul(ctx, broadcastLast(e.headMask[l], ctx.Shape().Dimensions...))
		}
		h = Add(h, mm(ctx, nodes[b.wo]))
		x = rms(h, nodes[b.ffnNorm])
		gate := mm(x, weight(b.wg))
		act := Mul(Mul(gate, Sigmoid(gate)), mm(x, weight(b.wu)))
		if e != nil {
			act = Mul(act, broadcastLast(e.ffnMask[l], act.Shape().Dimensions...))
		}
		if l < len(m.actDelta) && m.actDelta[l] != nil {
			act = Add(act, gb.param(fmt.Sprintf("block%d.actDelta", l), m.actDelta[l], act.Shape().Dimensions...))
		}
		h = Add(h, mm(act, nodes[b.wd]))
		out.A = append(out.A, act)
		out.H = append(out.H, ctx)
		out.S = append(out.S, probs)
	}
	out.input, out.last = h0, h
	for _, p := range m.WeightParams() {
		out.weights = append(out.weights, nodes[p])
	}
	if want.synflow { // GS pass: R = Σ last hidden state at |θ|, no head
		return out, nil
	}
	hf := Reshape(rms(h, nodes[m.norm]), N, d)
	w := nodes[m.emb]
	if m.head != nil {
		w = nodes[m.head]
	}
	z := DotGeneral(hf, []int{1}, nil, w, []int{1}, nil) // (N,V)
	out.loss = Div(nllSumAt(z, pairs, N), scalar(float64(N)))
	return out, z
}

// Family is bench.FamilyLlama.
func (m *Llama) Family() string {
	if m.family != "" {
		return m.family
	}
	return bench.FamilyLlama
}

// Entries names the channel entries (see the table at the top of llama.go).
func (m *Llama) Entries() Entries {
	L := m.Cfg.NLayer
	var w []string
	for l := 0; l < L; l++ {
		for _, s := range []string{"attn.wq", "attn.wk", "attn.wv", "attn.wo", "mlp.w_gate", "mlp.w_up", "mlp.w_down"} {
			w = append(w, fmt.Sprintf("block%d.%s", l, s))
		}
	}
	return Entries{A: blockNames(L, "mlp.act"), H: blockNames(L, "attn.heads"), S: blockNames(L, "attn.probs"), W: w}
}

// WeightParams are the seven matrices of each block.
func (m *Llama) WeightParams() []*Param {
	var ps []*Param
	for _, b := range m.blocks {
		ps = append(ps, b.wq, b.wk, b.wv, b.wo, b.wg, b.wu, b.wd)
	}
	return ps
}

func (m *Llama) prepare(b Batch, _ uint64) (minibatch, error) {
	return prepareDecoderBatch(b, m.Cfg.NToken, m.Cfg.SeqLen, "seq_len")
}

// flops counts the capture's matmul FLOPs as matmulFLOPs does for GPT-2:
// per block q, k, v, o (d × a_l each), scores and context (T × T × a_l),
// gate, up and down (d × f_l each), the rotary rotation (T × dh × dh per
// head on q and k), and the head (N × d × V); G adds the head once and the
// blocks twice, J the blocks once.
func (m *Llama) flops(in minibatch, want chanSet) float64 {
	pb := in.(*preparedBatch)
	B, T := float64(pb.B), float64(pb.T)
	N, d, dh := B*T, float64(m.Cfg.DModel), float64(m.Cfg.HeadDim)
	var blocks float64
	for l := range m.Cfg.NLayer {
		a, f := float64(m.Cfg.NHead[l])*dh, float64(m.Cfg.DFF[l])
		blocks += 2*N*d*a*4 + 2*2*B*T*T*a + 2*N*d*f*3 + 2*2*N*a*dh
	}
	head := 2 * N * d * float64(m.Cfg.NToken)
	if want.synflow {
		head = 0
	}
	total := blocks + head
	if want.G || want.GA || want.HG {
		total += head + 2*blocks
	}
	if want.J {
		total += blocks
	}
	return total
}

// llamaTrainer adapts Llama to the training loop (every Param trained as is).
type llamaTrainer struct {
	m  *Llama
	ts []*trainTensor
}

func (t *llamaTrainer) tensors() []*trainTensor { return t.ts }
func (t *llamaTrainer) context() int            { return t.m.Cfg.SeqLen }
func (t *llamaTrainer) vocab() int              { return t.m.Cfg.NToken }
func (t *llamaTrainer) build(g *Graph, B, T int, grads bool) (*Node, []*Node) {
	f, params := t.m.graphParams(&graphBuilder{g: g, dt: dtypes.Float32}, &preparedBatch{B: B, T: T}, chanSet{})
	if !grads {
		return f.loss, nil
	}
	return f.loss, Gradient(f.loss, params...)
}

// TrainLlama trains cfg from NewLlama(cfg, tc.Seed) with the loop and
// recipe of TrainGPT2.
func TrainLlama(backend backends.Backend, cfg bench.LlamaConfig, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error) {
	m, err := NewLlama(cfg, tc.Seed)
	if err != nil {
		return nil, err
	}
	return m.Train(backend, train, valid, tc, progress)
}

// Train trains every parameter of m in place with the loop and recipe of
// TrainGPT2 (tc.Seed orders the batches only: m's weights are what they
// are). The LoNAS super-network is a Llama trained this way and saved.
func (m *Llama) Train(backend backends.Backend, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	t := &llamaTrainer{m: m}
	for _, p := range m.Params {
		t.ts = append(t.ts, &trainTensor{name: p.Name, data: p.Data, dims: p.Shape, decay: len(p.Shape) >= 2})
	}
	return trainLoop(backend, t, train, valid, tc, progress)
}

// CaptureLlama instantiates cfg with seeded weights, runs batch forward and
// backward once and returns the requested channels (see the table above).
func CaptureLlama(backend backends.Backend, cfg bench.LlamaConfig, batch Batch, opts CaptureOptions) (*Capture, error) {
	return capture(backend, bench.FamilyLlama, func() (Model, error) { return NewLlama(cfg, opts.Seed) }, batch, opts, dtypes.Float32)
}
