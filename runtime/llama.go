package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/bench"
	"lpz/interp"
	"lpz/stdlib"
	"lpz/tensor"
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
}

// NewLlama builds cfg and draws its weights from seed.
func NewLlama(cfg bench.LlamaConfig, seed uint64) (*Llama, error) {
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
	r := rand.New(rand.NewPCG(seed, llamaStream))
	drawParams(m.Params, r.NormFloat64)
	return m, nil
}

// NumParams counts unique parameters: total and non-embedding.
func (m *Llama) NumParams() (total, nonEmbedding int) {
	for _, p := range m.Params {
		total += p.Size()
		if p.Group == GroupNonEmbedding {
			nonEmbedding += p.Size()
		}
	}
	return
}

// llamaOut is the built graph.
type llamaOut struct {
	loss          *Node
	grads         []*Node // per Param
	A, H, S, G, J []*Node
}

// build builds the graph; its parameters are ids (B,T) int32, label pairs
// (B·T,2) int32 and then every Param in order.
func (m *Llama) build(g *Graph, B, T int, wantGrads bool, want chanSet) *llamaOut {
	c := m.Cfg
	dt := dtypes.Float32
	d, N, dh := c.DModel, B*T, c.HeadDim
	ids := Parameter(g, "ids", shapes.Make(dtypes.Int32, B, T))
	pairs := Parameter(g, "pairs", shapes.Make(dtypes.Int32, N, 2))
	nodes := map[*Param]*Node{}
	var all []*Node
	for _, p := range m.Params {
		nodes[p] = Parameter(g, p.Name, shapes.Make(dt, p.Shape...))
		all = append(all, nodes[p])
	}
	scalar := func(x float64) *Node { return Scalar(g, dt, x) }
	mm := func(x, w *Node) *Node { return DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{0}, nil) }
	rms := func(x, gain *Node) *Node {
		ms := ReduceAndKeep(Mul(x, x), ReduceMean, -1)
		y := Div(x, Sqrt(Add(ms, scalar(c.NormEps))))
		return Mul(y, broadcastLast(gain, y.Shape().Dimensions...))
	}
	// RoPE constants: cos/sin (T, dh) and the rotate-half matrix P (dh, dh)
	// with x·P = [-x₂, x₁].
	half := dh / 2
	cosv := make([]float32, T*dh)
	sinv := make([]float32, T*dh)
	for t := 0; t < T; t++ {
		for i := 0; i < half; i++ {
			ang := float64(t) / math.Pow(c.RopeTheta, float64(2*i)/float64(dh))
			for _, j := range []int{i, i + half} {
				cosv[t*dh+j] = float32(math.Cos(ang))
				sinv[t*dh+j] = float32(math.Sin(ang))
			}
		}
	}
	rot := make([]float32, dh*dh)
	for i := 0; i < half; i++ {
		rot[(i+half)*dh+i] = -1 // out[i] = -x[i+half]
		rot[i*dh+i+half] = 1    // out[i+half] = x[i]
	}
	cosN := Reshape(Const(g, cosv), 1, 1, T, dh)
	sinN := Reshape(Const(g, sinv), 1, 1, T, dh)
	rotN := Reshape(Const(g, rot), dh, dh)
	rope := func(x *Node) *Node { // (B,n,T,dh)
		dims := x.Shape().Dimensions
		return Add(Mul(x, BroadcastToDims(cosN, dims...)), Mul(mm(x, rotN), BroadcastToDims(sinN, dims...)))
	}
	causal := make([]bool, T*T)
	for q := 0; q < T; q++ {
		for k := 0; k <= q; k++ {
			causal[q*T+k] = true
		}
	}
	causalNode := Reshape(Const(g, causal), 1, 1, T, T)

	out := &llamaOut{}
	h0 := Gather(nodes[m.emb], Reshape(ids, B, T, 1)) // (B,T,d)
	h := h0
	for l, b := range m.blocks {
		nh := c.NHead[l]
		a := nh * dh
		x := rms(h, nodes[b.attnNorm])
		heads := func(y *Node) *Node { return TransposeAllAxes(Reshape(y, B, T, nh, dh), 0, 2, 1, 3) }
		q := rope(heads(mm(x, nodes[b.wq])))
		k := rope(heads(mm(x, nodes[b.wk])))
		v := heads(mm(x, nodes[b.wv]))
		scores := Div(DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}), scalar(math.Sqrt(float64(dh))))
		scores = Where(BroadcastToDims(causalNode, B, nh, T, T), scores, scalar(-1e4))
		probs := Softmax(scores, -1)
		ctx := DotGeneral(probs, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
		ctx = Reshape(TransposeAllAxes(ctx, 0, 2, 1, 3), B, T, a)
		h = Add(h, mm(ctx, nodes[b.wo]))
		x = rms(h, nodes[b.ffnNorm])
		gate := mm(x, nodes[b.wg])
		act := Mul(Mul(gate, Sigmoid(gate)), mm(x, nodes[b.wu]))
		h = Add(h, mm(act, nodes[b.wd]))
		out.A = append(out.A, act)
		out.H = append(out.H, ctx)
		out.S = append(out.S, probs)
	}
	hPre := h
	hf := Reshape(rms(h, nodes[m.norm]), N, d)
	w := nodes[m.emb]
	if m.head != nil {
		w = nodes[m.head]
	}
	z := DotGeneral(hf, []int{1}, nil, w, []int{1}, nil) // (N,V)
	picked := Gather(z, pairs)
	mx := StopGradient(ReduceAndKeep(z, ReduceMax, -1))
	lse := Add(Log(ReduceSum(Exp(Sub(z, mx)), -1)), Reshape(mx, N))
	out.loss = Div(ReduceAllSum(Sub(lse, picked)), scalar(float64(N)))
	if wantGrads {
		out.grads = Gradient(out.loss, all...)
	}
	if want.G {
		var ws []*Node
		for _, b := range m.blocks {
			for _, p := range []*Param{b.wq, b.wk, b.wv, b.wo, b.wg, b.wu, b.wd} {
				ws = append(ws, nodes[p])
			}
		}
		out.G = Gradient(out.loss, ws...)
	}
	if want.J {
		out.J = Gradient(ReduceAllSum(hPre), h0)
	}
	return out
}

func (m *Llama) weightList() (names []string, ps []*Param) {
	for l, b := range m.blocks {
		for i, p := range []*Param{b.wq, b.wk, b.wv, b.wo, b.wg, b.wu, b.wd} {
			names = append(names, fmt.Sprintf("block%d.%s", l, []string{"attn.wq", "attn.wk", "attn.wv", "attn.wo", "mlp.w_gate", "mlp.w_up", "mlp.w_down"}[i]))
			ps = append(ps, p)
		}
	}
	return
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
	o := t.m.build(g, B, T, grads, chanSet{})
	return o.loss, o.grads
}

// TrainLlama trains cfg from NewLlama(cfg, tc.Seed) with the loop and
// recipe of TrainGPT2.
func TrainLlama(backend backends.Backend, cfg bench.LlamaConfig, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	m, err := NewLlama(cfg, tc.Seed)
	if err != nil {
		return nil, err
	}
	t := &llamaTrainer{m: m}
	for _, p := range m.Params {
		t.ts = append(t.ts, &trainTensor{name: p.Name, data: p.Data, dims: p.Shape, decay: len(p.Shape) >= 2})
	}
	return trainLoop(backend, t, train, valid, tc, progress)
}

// CaptureLlama instantiates cfg with seeded weights, runs batch forward and
// backward once and returns the requested channels (see the table above).
func CaptureLlama(backend backends.Backend, cfg bench.LlamaConfig, batch Batch, opts CaptureOptions) (c *Capture, err error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	start := time.Now()
	want, sel, err := parseChannels(opts.Channels)
	if err != nil {
		return nil, err
	}
	m, err := NewLlama(cfg, opts.Seed)
	if err != nil {
		return nil, err
	}
	B := len(batch.Inputs)
	if B == 0 || len(batch.Labels) != B {
		return nil, fmt.Errorf("runtime: batch needs the same number (> 0) of input and label rows")
	}
	T := len(batch.Inputs[0])
	if T == 0 || T > m.Cfg.SeqLen {
		return nil, fmt.Errorf("runtime: sequence length %d must be in [1, seq_len=%d]", T, m.Cfg.SeqLen)
	}
	ids := make([]int32, 0, B*T)
	pairs := make([]int32, 0, 2*B*T)
	for r := 0; r < B; r++ {
		if len(batch.Inputs[r]) != T || len(batch.Labels[r]) != T {
			return nil, fmt.Errorf("runtime: batch row %d: want %d inputs and labels", r, T)
		}
		for t := 0; t < T; t++ {
			id, y := batch.Inputs[r][t], batch.Labels[r][t]
			if id < 0 || id >= m.Cfg.NToken || y < 0 || y >= m.Cfg.NToken {
				return nil, fmt.Errorf("runtime: batch row %d position %d: token %d / label %d outside [0, %d)", r, t, id, y, m.Cfg.NToken)
			}
			ids = append(ids, int32(id))
			pairs = append(pairs, int32(len(pairs)/2), int32(y))
		}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: llama graph: %v", r)
		}
	}()
	c = &Capture{Inputs: interp.Inputs{}}
	c.Timing.Init = time.Since(start)
	t0 := time.Now()
	g := NewGraph(backend, "llama")
	defer g.Finalize()
	o := m.build(g, B, T, false, want)
	outs := []*Node{o.loss}
	L := m.Cfg.NLayer
	if want.A {
		outs = append(outs, o.A...)
	}
	if want.H {
		outs = append(outs, o.H...)
	}
	if want.S {
		outs = append(outs, o.S...)
	}
	if want.G {
		outs = append(outs, o.G...)
	}
	if want.J {
		outs = append(outs, o.J...)
	}
	c.Timing.Build = time.Since(t0)
	t0 = time.Now()
	g.Compile(outs...)
	c.Timing.Compile = time.Since(t0)
	inputs := []any{tensors.FromFlatDataAndDimensions(ids, B, T), tensors.FromFlatDataAndDimensions(pairs, B*T, 2)}
	for _, p := range m.Params {
		inputs = append(inputs, tensors.FromFlatDataAndDimensions(p.Data, p.Shape...))
	}
	t0 = time.Now()
	res := g.Run(inputs...)
	c.Timing.Execute = time.Since(t0)
	t0 = time.Now()
	c.Loss = float64(tensors.MustCopyFlatData[float32](res[0])[0])
	next := 1
	grab := func(n int) []*tensor.Tensor {
		ts := make([]*tensor.Tensor, n)
		for i := range ts {
			ts[i] = toHost(res[next])
			next++
		}
		return ts
	}
	wNames, wParams := m.weightList()
	if want.A {
		c.Inputs["A"] = interp.TensorList(stdlib.FamilyBlocks, blockNames(L, "mlp.act"), grab(L))
	}
	if want.H {
		c.Inputs["H"] = interp.TensorList(stdlib.FamilyBlocks, blockNames(L, "attn.heads"), grab(L))
	}
	if want.S {
		c.Inputs["S"] = interp.TensorList(stdlib.FamilySoftmax, blockNames(L, "attn.probs"), grab(L))
	}
	if want.G {
		c.Inputs["G"] = interp.TensorList(stdlib.FamilyWeights, wNames, grab(len(wNames)))
	}
	if want.J {
		c.Inputs["J"] = interp.TensorList(stdlib.FamilyInput, []string{"embed"}, grab(1))
	}
	for _, r := range res {
		r.FinalizeAll()
	}
	if want.W {
		var ws []*tensor.Tensor
		for _, p := range wParams {
			t, _ := tensor.FromData(p.Data, p.Shape...)
			ws = append(ws, t)
		}
		c.Inputs["W"] = interp.TensorList(stdlib.FamilyWeights, wNames, ws)
	}
	total, nonEmb := m.NumParams()
	if sel["params"] {
		c.Inputs["params"] = interp.ScalarValue(float64(total))
	}
	if sel["dparams"] {
		c.Inputs["dparams"] = interp.ScalarValue(float64(nonEmb))
	}
	c.Timing.Transfer = time.Since(t0)
	c.Timing.Total = time.Since(start)
	return c, nil
}
