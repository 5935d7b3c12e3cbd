package runtime

import (
	"fmt"
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/bench"
	"lpz/interp"
	"lpz/stdlib"
	"lpz/tensor"
)

// Batch is one minibatch: Inputs[b][t] are token ids and Labels[b][t] the
// next tokens (labels[t] = ids[t+1] of the stream; the model does not shift,
// quirk 8). All rows have the same length T ≤ tgt_len.
type Batch struct {
	Inputs [][]int
	Labels [][]int
}

// CaptureOptions selects the weights' seed and the channels.
type CaptureOptions struct {
	Seed uint64
	// Channels is a subset of stdlib.Channels names (A H S W G J params
	// dparams); empty means all of those. The extra channels GA, HG and GS
	// (stdlib.ExtraChannels) are never part of "all": they are captured
	// only when named, e.g. {"GA", "HG", "GS"}, and then only the named
	// channels are returned (their dependencies, such as the loss
	// backward, are computed but not returned). Any other name is an
	// error. Work that no requested channel needs is skipped: without
	// G/GA/HG there is no loss backward, without J no input backward,
	// without HG no double backward, without GS no Synflow execution.
	// The forward pass (and the loss) always runs.
	Channels []string
}

// Timing is where a capture's time went.
type Timing struct {
	Init     time.Duration // drawing the weights on the host
	Build    time.Duration // building the graph (forward + gradients)
	Compile  time.Duration
	Execute  time.Duration // one graph execution
	Transfer time.Duration // results to host tensors
	Total    time.Duration
	// FLOPs is the analytic count of matmul floating-point operations the
	// execution performed (multiply-add = 2), see MatmulFLOPs.
	FLOPs float64
}

// addRun adds the graph stages of one more execution (the Synflow pass).
func (t *Timing) addRun(r Timing) {
	t.Build += r.Build
	t.Compile += r.Compile
	t.Execute += r.Execute
	t.Transfer += r.Transfer
}

// FLOPS is the achieved matmul FLOP rate of the execution.
func (t Timing) FLOPS() float64 {
	if t.Execute <= 0 {
		return 0
	}
	return t.FLOPs / t.Execute.Seconds()
}

// Capture is one architecture's captured channels, ready for the
// interpreter.
type Capture struct {
	Inputs interp.Inputs
	Loss   float64
	Timing Timing
}

// Channel entry names and order:
//
//	A  family blocks  block{l}.mlp.act     [B,T,f_l]  gelu_new output
//	H  family blocks  block{l}.attn.heads  [B,T,d]    attention context, heads concatenated, before c_proj
//	S  family softmax block{l}.attn.probs  [B,n_l,T,T] attention probabilities (causal, masked entries ≈ 0)
//	W  family weights block{l}.attn.c_attn [d,3d], block{l}.attn.c_proj [d,d],
//	                  block{l}.mlp.c_fc [d,f_l], block{l}.mlp.c_proj [f_l,d]  (Conv1D layout (in,out))
//	G  family weights same names and shapes: ∂loss/∂W
//	J  family input   embed [B,T,d]: ∂(Σ h_Lₙ)/∂h₀, h_Lₙ = residual stream after the last block
//	params, dparams   scalars: unique parameters (tied once), non-embedding (blocks + LNs)
//
// Extra channels (opt-in, see CaptureOptions.Channels):
//
//	GA family blocks  A's names and shapes: ∂loss/∂A, an extra output of G's loss backward
//	HG family weights W's names and shapes: H·g by double backward, g = ∂loss/∂W held
//	                  constant (StopGradient): ∂(Σ_k ⟨g_k, ∂loss/∂W_k⟩)/∂W; H is the
//	                  Hessian of the loss over the W matrices only (q|k|v columns of
//	                  c_attn are separate graph parameters, concatenated as in G)
//	GS family weights W's names and shapes: the Synflow pass, a second graph execution.
//	                  Every parameter is replaced by |θ| (on the host), no dropout (the
//	                  capture never has any), float32 like the other channels;
//	                  R = Σ of the residual stream after the last block (the hidden
//	                  state J uses), GS = ∂R/∂W at |W|. Input: every token id is 1
//	                  (the all-ones id tensor of the reference Synflow), so h₀ =
//	                  √d·|E|[1] + |wpe|[t]. Choice: replacing h₀ itself by all-ones
//	                  makes GS exactly 0 for GPT-2 at init (pre-LN blocks: LN of a
//	                  constant row is its bias β = 0, so every W's input is 0 — see
//	                  TestCaptureGS_OnesEmbeddingDegenerate); the all-ones ids keep
//	                  the reference's input and a non-degenerate R.
//
// Timing sums both executions when GS is asked for; FLOPs counts the
// standard channels' work only (the double backward and the Synflow pass
// are not in MatmulFLOPs).
//
// l runs over blocks 0..n_layer-1; W and G list the four matrices of block 0,
// then of block 1, and so on.
func weightNames(L int) []string {
	var names []string
	for l := 0; l < L; l++ {
		names = append(names,
			fmt.Sprintf("block%d.attn.c_attn", l), fmt.Sprintf("block%d.attn.c_proj", l),
			fmt.Sprintf("block%d.mlp.c_fc", l), fmt.Sprintf("block%d.mlp.c_proj", l))
	}
	return names
}

func blockNames(L int, suffix string) []string {
	names := make([]string, L)
	for l := range names {
		names[l] = fmt.Sprintf("block%d.%s", l, suffix)
	}
	return names
}

// Extra channels the runtime captures on explicit request (see
// stdlib.ExtraChannels). They are not part of "all" (an empty Channels),
// whose set keys the cached captures.
const (
	ChannelGA = "GA"
	ChannelHG = "HG"
	ChannelGS = "GS"
)

// parseChannels resolves a channel request: empty = every stdlib.Channels
// name (never an extra channel); otherwise the names of stdlib.Channels
// and the extra channels GA, HG, GS. Any other name is an error (the
// derived subsets Wmix… are not captured by the runtime).
func parseChannels(list []string) (chanSet, map[string]bool, error) {
	wantAll := len(list) == 0
	sel := map[string]bool{}
	for _, c := range stdlib.Channels {
		if wantAll {
			sel[c.Name] = true
		}
	}
	for _, name := range list {
		known := name == ChannelGA || name == ChannelHG || name == ChannelGS
		for _, c := range stdlib.Channels {
			known = known || c.Name == name
		}
		if !known {
			if _, ok := stdlib.LookupChannel(name); ok {
				return chanSet{}, nil, fmt.Errorf("runtime: channel %q is not captured by the runtime (derived channels are built from W/G by the caller)", name)
			}
			return chanSet{}, nil, fmt.Errorf("runtime: unknown channel %q", name)
		}
		sel[name] = true
	}
	return chanSet{A: sel["A"], H: sel["H"], S: sel["S"], W: sel["W"], G: sel["G"], J: sel["J"],
		GA: sel[ChannelGA], HG: sel[ChannelHG], GS: sel[ChannelGS]}, sel, nil
}

func prepareBatch(a *gpt2Arch, b Batch) (*preparedBatch, error) {
	B := len(b.Inputs)
	if B == 0 || len(b.Labels) != B {
		return nil, fmt.Errorf("runtime: batch needs the same number (> 0) of input and label rows, got %d and %d", B, len(b.Labels))
	}
	T := len(b.Inputs[0])
	if T == 0 || T > a.tgtLen {
		return nil, fmt.Errorf("runtime: sequence length %d must be in [1, tgt_len=%d]", T, a.tgtLen)
	}
	pb := &preparedBatch{B: B, T: T, ids: make([]int32, 0, B*T), labels: make([]int32, 0, B*T)}
	for r := 0; r < B; r++ {
		if len(b.Inputs[r]) != T || len(b.Labels[r]) != T {
			return nil, fmt.Errorf("runtime: batch row %d has %d inputs and %d labels, want %d", r, len(b.Inputs[r]), len(b.Labels[r]), T)
		}
		for t := 0; t < T; t++ {
			id, y := b.Inputs[r][t], b.Labels[r][t]
			if id < 0 || id >= a.V || y < 0 || y >= a.V {
				return nil, fmt.Errorf("runtime: batch row %d position %d: token %d / label %d outside [0, n_token=%d)", r, t, id, y, a.V)
			}
			pb.ids = append(pb.ids, int32(id))
			pb.labels = append(pb.labels, int32(y))
		}
	}
	return pb, nil
}

// CaptureGPT2 instantiates cfg with seeded weights, runs batch forward and
// backward in one graph execution on backend, and returns the requested
// channels as interpreter inputs.
func CaptureGPT2(backend backends.Backend, cfg bench.GPT2Config, batch Batch, opts CaptureOptions) (*Capture, error) {
	return captureGPT2(backend, cfg, batch, opts, dtypes.Float32)
}

func captureGPT2(backend backends.Backend, cfg bench.GPT2Config, batch Batch, opts CaptureOptions, dt dtypes.DType) (c *Capture, err error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	start := time.Now()
	want, sel, err := parseChannels(opts.Channels)
	if err != nil {
		return nil, err
	}
	m, err := NewGPT2(cfg, opts.Seed)
	if err != nil {
		return nil, err
	}
	pb, err := prepareBatch(m.arch, batch)
	if err != nil {
		return nil, err
	}
	c = &Capture{Inputs: interp.Inputs{}}
	c.Timing.Init = time.Since(start)
	res, tm, err := m.run(backend, pb, want, dt)
	if err != nil {
		return nil, err
	}
	c.Timing.addRun(tm)
	c.Timing.FLOPs = MatmulFLOPs(cfg, batch, want.G || want.GA || want.HG, want.J)
	var gs []*tensor.Tensor
	if want.GS {
		sres, stm, err := m.run(backend, synflowBatch(pb), chanSet{synflow: true}, dt)
		if err != nil {
			return nil, err
		}
		gs = sres.G
		c.Timing.addRun(stm)
	}
	c.Loss = res.loss
	L := m.arch.L
	if want.A {
		c.Inputs["A"] = interp.TensorList(stdlib.FamilyBlocks, blockNames(L, "mlp.act"), res.A)
	}
	if want.H {
		c.Inputs["H"] = interp.TensorList(stdlib.FamilyBlocks, blockNames(L, "attn.heads"), res.H)
	}
	if want.S {
		c.Inputs["S"] = interp.TensorList(stdlib.FamilySoftmax, blockNames(L, "attn.probs"), res.S)
	}
	if want.W {
		var ws []*tensor.Tensor
		for _, b := range m.blocks {
			for _, p := range []*Param{b.cAttnW, b.aProjW, b.fcW, b.mProjW} {
				t, _ := tensor.FromData(p.Data, p.Shape...)
				ws = append(ws, t)
			}
		}
		c.Inputs["W"] = interp.TensorList(stdlib.FamilyWeights, weightNames(L), ws)
	}
	if want.G {
		c.Inputs["G"] = interp.TensorList(stdlib.FamilyWeights, weightNames(L), res.G)
	}
	if want.J {
		c.Inputs["J"] = interp.TensorList(stdlib.FamilyInput, []string{"embed"}, []*tensor.Tensor{res.J})
	}
	if want.GA {
		c.Inputs[ChannelGA] = interp.TensorList(stdlib.FamilyBlocks, blockNames(L, "mlp.act"), res.GA)
	}
	if want.HG {
		c.Inputs[ChannelHG] = interp.TensorList(stdlib.FamilyWeights, weightNames(L), res.HG)
	}
	if want.GS {
		c.Inputs[ChannelGS] = interp.TensorList(stdlib.FamilyWeights, weightNames(L), gs)
	}
	total, nonEmb := m.NumParams()
	if sel["params"] {
		c.Inputs["params"] = interp.ScalarValue(float64(total))
	}
	if sel["dparams"] {
		c.Inputs["dparams"] = interp.ScalarValue(float64(nonEmb))
	}
	c.Timing.Total = time.Since(start)
	return c, nil
}

// synflowBatch is the GS pass's input: every token id 1 (the all-ones id
// tensor of the reference's Synflow), same B×T; no labels are used.
func synflowBatch(pb *preparedBatch) *preparedBatch {
	n := pb.B * pb.T
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = 1
	}
	return &preparedBatch{B: pb.B, T: pb.T, ids: ids, labels: make([]int32, n)}
}

type runResult struct {
	loss       float64
	A, H, S, G []*tensor.Tensor
	J          *tensor.Tensor
	GA, HG     []*tensor.Tensor
}

// run builds, compiles and executes the model's graph once.
func (m *GPT2) run(backend backends.Backend, pb *preparedBatch, want chanSet, dt dtypes.DType) (res *runResult, tm Timing, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: gpt2 graph: %v", r)
		}
	}()
	t0 := time.Now()
	g := graph.NewGraph(backend, "gpt2")
	defer g.Finalize()
	if want.HG {
		markDoubleBackward(g)
		defer unmarkDoubleBackward(g)
	}
	gg := m.buildGraph(g, dt, pb, want)
	outs := []*graph.Node{gg.loss}
	if want.A {
		outs = append(outs, gg.A...)
	}
	if want.H {
		outs = append(outs, gg.H...)
	}
	if want.S {
		outs = append(outs, gg.S...)
	}
	if want.G || want.synflow {
		outs = append(outs, gg.G...)
	}
	if want.J {
		outs = append(outs, gg.J)
	}
	if want.GA {
		outs = append(outs, gg.GA...)
	}
	if want.HG {
		outs = append(outs, gg.HG...)
	}
	tm.Build = time.Since(t0)
	t0 = time.Now()
	g.Compile(outs...)
	tm.Compile = time.Since(t0)
	inputs := make([]any, len(gg.inputs))
	for i, in := range gg.inputs {
		if dt == dtypes.Float64 {
			buf := make([]float64, len(in.data))
			for j, v := range in.data {
				buf[j] = float64(v)
			}
			inputs[i] = tensors.FromFlatDataAndDimensions(buf, in.dims...)
		} else {
			inputs[i] = tensors.FromFlatDataAndDimensions(in.data, in.dims...)
		}
	}
	t0 = time.Now()
	results := g.Run(inputs...)
	tm.Execute = time.Since(t0)
	t0 = time.Now()
	res = &runResult{}
	next := 0
	take := func() *tensor.Tensor {
		t := toHost(results[next])
		results[next].FinalizeAll()
		next++
		return t
	}
	if dt == dtypes.Float64 {
		res.loss = tensors.MustCopyFlatData[float64](results[0])[0] // exact, for gradient checks
	} else {
		res.loss = float64(tensors.MustCopyFlatData[float32](results[0])[0])
	}
	results[0].FinalizeAll()
	next++
	L := len(m.blocks)
	grab := func(n int) []*tensor.Tensor {
		out := make([]*tensor.Tensor, n)
		for i := range out {
			out[i] = take()
		}
		return out
	}
	if want.A {
		res.A = grab(L)
	}
	if want.H {
		res.H = grab(L)
	}
	if want.S {
		res.S = grab(L)
	}
	if want.G || want.synflow {
		res.G = grab(4 * L)
	}
	if want.J {
		res.J = take()
	}
	if want.GA {
		res.GA = grab(L)
	}
	if want.HG {
		res.HG = grab(4 * L)
	}
	tm.Transfer = time.Since(t0)
	return res, tm, nil
}

// toHost copies a result to a host float32 tensor.
func toHost(t *tensors.Tensor) *tensor.Tensor {
	dims := slices.Clone(t.Shape().Dimensions)
	switch t.DType() {
	case dtypes.Float64:
		d64 := tensors.MustCopyFlatData[float64](t)
		d32 := make([]float32, len(d64))
		for i, v := range d64 {
			d32[i] = float32(v)
		}
		out, _ := tensor.FromData(d32, dims...)
		return out
	default:
		out, _ := tensor.FromData(tensors.MustCopyFlatData[float32](t), dims...)
		return out
	}
}
