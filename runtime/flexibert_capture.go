package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"lpz/bench"
	"lpz/interp"
	"lpz/stdlib"
	"lpz/tensor"
)

// MLMBatch is one FlexiBERT minibatch: Inputs[b][t] are token ids in the
// 30522 vocabulary, all rows of the same length L ≤ 512, without padding.
// The masking is done by CaptureFlexiBERT.
type MLMBatch struct {
	Inputs [][]int
}

// FlexiOptions are the capture options of the FlexiBERT family.
type FlexiOptions struct {
	// Seed draws the weights and chooses the masked positions. Channels
	// are the stdlib channel names (empty = all of them) plus the optional
	// ChannelGones and the opt-in extra channels GA, HG, GS (see
	// CaptureOptions.Channels).
	CaptureOptions
	// Fidelity is bench.ModeRecords ("records", the default for "") or
	// bench.ModeUpstreamProxy ("upstream-proxy").
	Fidelity bench.FlexiMode
}

// ChannelGones is an extra, opt-in channel (not in stdlib.Channels, so not
// part of "all"): the upstream metric pass's weight gradients, ∂(Σ
// last_hidden_state)/∂W for the W matrices (family weights, W's names). It
// shares the backward pass of J, so it costs one more weight-gradient sweep
// over the layers.
const ChannelGones = "Gones"

// CaptureFlexiBERT instantiates cfg in opts.Fidelity with weights drawn from
// opts.Seed (NewFlexiBERT), masks batch, runs forward and backward in one
// graph execution on backend (eval mode: no dropout) and returns the
// requested channels.
//
// Channel entries (l = layer 0..n-1; shapes for batch B×L; W in
// PyTorch (out, in) layout):
//
//	A  blocks   layer{l}.ffn.act    [B,L,I_l]   output of the last GELU of the FFN
//	H  blocks   layer{l}.op.heads   [B,L,H]     SA: attention context, heads concatenated,
//	                                            before the SelfOutput dense; LT: the
//	                                            transform output (= the attention output);
//	                                            DSC: [attention heads | conv heads] before the dense
//	S  softmax  layer{l}.attn.probs [B,h,L,L]   SA layers; DSC layers: [B,n,L,L] and then
//	            layer{l}.conv.kernel [B,L,n,k]  the dynamic-conv kernel softmax
//	                                            (LT layers have no entry)
//	W  weights  see flexiWeightNames
//	G  weights  ∂loss/∂W, same names and shapes
//	J  input    embed [B,L,H]  ∂(Σ last_hidden_state)/∂x₀, x₀ = encoder input
//	                           (after embeddings_project when H ≠ E)
//	Gones       (opt-in) ∂(Σ last_hidden_state)/∂W, W's names and shapes
//	GA  blocks  (opt-in) A's names and shapes: ∂loss/∂A, from G's loss backward
//	HG  weights (opt-in) W's names and shapes: H·g by double backward with
//	            g = ∂loss/∂W held constant: ∂(Σ_k ⟨g_k, ∂loss/∂W_k⟩)/∂W
//	GS  weights (opt-in) W's names and shapes: the Synflow pass, a second graph
//	            execution: every parameter |θ|, the encoder input x₀ (J's x₀)
//	            all-ones, no dropout, float32; R = Σ last_hidden_state,
//	            GS = ∂R/∂W at |W| (GPT-2 differs in its input, see capture.go)
//	params      bench.FlexiParams(cfg, mode).Total (embeddings + layers; no MLM head)
//	dparams     the encoder layers only (params − embedding block)
//
// Loss: masked-LM NLL, the mean over the masked positions of
// −log softmax(logits)[original id], logits from the ELECTRA generator head
// (dense H→E, exact GELU, LN_E eps 1e-12, then the tied word table
// transposed plus an output bias; head weights drawn like every Linear).
// The head is a loss device, not part of the counted model.
//
// Masking: round(15% of B·L) positions (at least 1), chosen by a partial
// Fisher–Yates shuffle of the B·L flat positions from PCG(Seed,
// flexiMaskStream), get input id 103 ([MASK]); no 80/10/10 replacement.
// The positions depend only on Seed, B and L, so every architecture sees
// the same masked tokens.
func CaptureFlexiBERT(backend backends.Backend, cfg bench.FlexiBERTConfig, batch MLMBatch, opts FlexiOptions) (*Capture, error) {
	a, err := newFlexiArch(cfg, opts.Fidelity, flexiRealDims)
	if err != nil {
		return nil, err
	}
	return captureFlexi(backend, a, batch, opts, dtypes.Float32)
}

// flexiMaskStream is the second PCG word of the masking stream.
const flexiMaskStream = 0x6c707a2d6d6c6d31 // "lpz-mlm1"

// maskPositions chooses the masked flat positions for a B×L batch.
func maskPositions(seed uint64, B, L int) []int32 {
	N := B * L
	nm := max(1, int(math.Round(flexiMaskRatio*float64(N))))
	r := rand.New(rand.NewPCG(seed, flexiMaskStream))
	perm := make([]int32, N)
	for i := range perm {
		perm[i] = int32(i)
	}
	for i := 0; i < nm; i++ {
		j := i + r.IntN(N-i)
		perm[i], perm[j] = perm[j], perm[i]
	}
	pos := slices.Clone(perm[:nm])
	slices.Sort(pos)
	return pos
}

func prepareMLMBatch(a *flexiArch, b MLMBatch, seed uint64) (*flexiBatch, error) {
	B := len(b.Inputs)
	if B == 0 {
		return nil, fmt.Errorf("runtime: empty FlexiBERT batch")
	}
	L := len(b.Inputs[0])
	if L == 0 || L > a.dims.P {
		return nil, fmt.Errorf("runtime: sequence length %d must be in [1, %d]", L, a.dims.P)
	}
	fb := &flexiBatch{B: B, L: L, ids: make([]int32, 0, B*L)}
	for r, row := range b.Inputs {
		if len(row) != L {
			return nil, fmt.Errorf("runtime: batch row %d has %d tokens, want %d", r, len(row), L)
		}
		for t, id := range row {
			if id < 0 || id >= a.dims.V {
				return nil, fmt.Errorf("runtime: batch row %d position %d: token %d outside [0, %d)", r, t, id, a.dims.V)
			}
			fb.ids = append(fb.ids, int32(id))
		}
	}
	maskID := int32(flexiMaskID)
	if int(maskID) >= a.dims.V { // tiny test vocabularies
		maskID = int32(a.dims.V - 1)
	}
	fb.maskPos = maskPositions(seed, B, L)
	fb.labels = make([]int32, len(fb.maskPos))
	for i, p := range fb.maskPos {
		fb.labels[i] = fb.ids[p]
		fb.ids[p] = maskID
	}
	return fb, nil
}

func captureFlexi(backend backends.Backend, a *flexiArch, batch MLMBatch, opts FlexiOptions, dt dtypes.DType) (*Capture, error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	start := time.Now()
	var std []string
	wantOnes := false
	for _, c := range opts.Channels {
		if c == ChannelGones {
			wantOnes = true
		} else {
			std = append(std, c)
		}
	}
	want, sel, err := parseChannels(std)
	if err != nil {
		return nil, err
	}
	if wantOnes && len(std) == 0 { // only Gones was asked for, not "all"
		want, sel = chanSet{}, map[string]bool{}
	}
	fb, err := prepareMLMBatch(a, batch, opts.Seed)
	if err != nil {
		return nil, err
	}
	m := newFlexiShapes(a)
	m.initWeights(opts.Seed)
	c := &Capture{Inputs: interp.Inputs{}}
	c.Timing.Init = time.Since(start)
	res, tm, err := m.run(backend, fb, want, wantOnes, dt)
	if err != nil {
		return nil, err
	}
	c.Timing.addRun(tm)
	c.Timing.FLOPs = flexiFLOPs(a, fb.B, fb.L, len(fb.maskPos), want.G || want.GA || want.HG, want.J, wantOnes)
	var gs []*tensor.Tensor
	if want.GS {
		sres, stm, err := m.run(backend, fb, chanSet{synflow: true}, false, dt)
		if err != nil {
			return nil, err
		}
		gs = sres.G
		c.Timing.addRun(stm)
	}
	c.Loss = res.loss
	n := len(a.layers)
	if want.A {
		c.Inputs["A"] = interp.TensorList(stdlib.FamilyBlocks, flexiLayerNames(n, "ffn.act"), res.A)
	}
	if want.H {
		c.Inputs["H"] = interp.TensorList(stdlib.FamilyBlocks, flexiLayerNames(n, "op.heads"), res.H)
	}
	if want.S {
		c.Inputs["S"] = interp.TensorList(stdlib.FamilySoftmax, flexiSoftmaxNames(a), res.S)
	}
	wnames := flexiWeightNames(a)
	if want.W {
		c.Inputs["W"] = m.weightList()
	}
	if want.G {
		c.Inputs["G"] = interp.TensorList(stdlib.FamilyWeights, wnames, res.G)
	}
	if want.J {
		c.Inputs["J"] = interp.TensorList(stdlib.FamilyInput, []string{"embed"}, []*tensor.Tensor{res.J})
	}
	if wantOnes {
		c.Inputs[ChannelGones] = interp.TensorList(stdlib.FamilyWeights, slices.Clone(wnames), res.Gones)
	}
	if want.GA {
		c.Inputs[ChannelGA] = interp.TensorList(stdlib.FamilyBlocks, flexiLayerNames(n, "ffn.act"), res.GA)
	}
	if want.HG {
		c.Inputs[ChannelHG] = interp.TensorList(stdlib.FamilyWeights, slices.Clone(wnames), res.HG)
	}
	if want.GS {
		c.Inputs[ChannelGS] = interp.TensorList(stdlib.FamilyWeights, slices.Clone(wnames), gs)
	}
	total, encoder := m.NumParams()
	if sel["params"] {
		c.Inputs["params"] = interp.ScalarValue(float64(total))
	}
	if sel["dparams"] {
		c.Inputs["dparams"] = interp.ScalarValue(float64(encoder))
	}
	c.Timing.Total = time.Since(start)
	return c, nil
}

func flexiLayerNames(n int, suffix string) []string {
	names := make([]string, n)
	for l := range names {
		names[l] = fmt.Sprintf("layer%d.%s", l, suffix)
	}
	return names
}

// flexiSoftmaxNames are the S entry names (see CaptureFlexiBERT).
func flexiSoftmaxNames(a *flexiArch) []string {
	var names []string
	for l, la := range a.layers {
		switch la.op {
		case "SDP", "WMA":
			names = append(names, fmt.Sprintf("layer%d.attn.probs", l))
		case "DSC":
			names = append(names, fmt.Sprintf("layer%d.attn.probs", l), fmt.Sprintf("layer%d.conv.kernel", l))
		}
	}
	return names
}

type flexiResult struct {
	loss       float64
	A, H, S, G []*tensor.Tensor
	J          *tensor.Tensor
	Gones      []*tensor.Tensor
	GA, HG     []*tensor.Tensor
}

// run builds, compiles and executes the model's graph once.
func (m *FlexiBERT) run(backend backends.Backend, fb *flexiBatch, want chanSet, wantOnes bool, dt dtypes.DType) (res *flexiResult, tm Timing, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: flexibert graph: %v", r)
		}
	}()
	t0 := time.Now()
	gb := newGraphBuilder(backend, "flexibert", dt)
	gb.abs = want.synflow
	defer gb.g.Finalize()
	if want.HG {
		markDoubleBackward(gb.g)
		defer unmarkDoubleBackward(gb.g)
	}
	fg := m.buildGraph(gb, fb, want, wantOnes)
	outs := []*graph.Node{fg.loss}
	type part struct {
		on   bool
		dst  *[]*tensor.Tensor
		srcs []*graph.Node
	}
	res = &flexiResult{}
	var J []*tensor.Tensor
	var jn []*graph.Node
	if fg.J != nil {
		jn = []*graph.Node{fg.J}
	}
	parts := []part{
		{want.A, &res.A, fg.A}, {want.H, &res.H, fg.H}, {want.S, &res.S, fg.S},
		{want.G || want.synflow, &res.G, fg.G}, {want.J, &J, jn}, {wantOnes, &res.Gones, fg.Gones},
		{want.GA, &res.GA, fg.GA}, {want.HG, &res.HG, fg.HG},
	}
	for _, p := range parts {
		if p.on {
			outs = append(outs, p.srcs...)
		}
	}
	tm.Build = time.Since(t0)
	loss, rest, etm, err := gb.execute(outs)
	if err != nil {
		return nil, tm, err
	}
	tm.Compile, tm.Execute, tm.Transfer = etm.Compile, etm.Execute, etm.Transfer
	res.loss = loss
	for _, p := range parts {
		if p.on {
			*p.dst, rest = rest[:len(p.srcs)], rest[len(p.srcs):]
		}
	}
	if len(J) == 1 {
		res.J = J[0]
	}
	return res, tm, nil
}
