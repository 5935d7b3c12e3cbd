package runtime

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"

	"lpz/bench"
)

// The FlexiBERT family (../shared/docs/FLEXIBERT_MODEL.md, "the spec"): the
// modified ELECTRA encoder of training-free-nas (ME), one model per
// BERT_benchmark.json record, built in one of two fidelity modes
// (bench.ModeRecords, bench.ModeUpstreamProxy).
//
// Decisions on the spec's §11 quirks (also in the README):
//
//  1. Record hidden_size / feed_forward_dimension: both modes are real.
//     records: H = the record's hidden_size, I_l = its feed_forward_dimension
//     (the extra num_feed_forward−1 linears are I_l×I_l); with H = E = 128
//     there is no embeddings_project. upstream-proxy: H = 256, I = 1024.
//  2. LT layers have no output dense, residual or LN (as ME).
//  3. num_feed_forward = 3 is one residual block H→I→I→I→H with 3 GELUs.
//  4. The attention mask is not applied (ME ignores it; our batches have no
//     padding anyway).
//  5. Eval mode: no dropout anywhere (upstream left dropout 0.1 on; a
//     deterministic capture needs it off). This is a deliberate deviation.
//  6. DFT/DCT are unnormalised (torch "backward" / scipy norm=None). Their
//     computed-and-discarded softmax is not built (it affects nothing, and S
//     only lists SA and DSC softmaxes).
//  7. DSC: d = H/h with n = max(h/2,1) heads per branch; attention heads
//     then conv heads are concatenated in that order.
//  8. WMA: a full A×A matrix applied to the query after its bias.
//  9. Word row 0 (pad) is zero; no embedding table is differentiated at all
//     (G covers the layers, J starts after the embeddings).
//  10. No dropout before embeddings_project, no LN after it.
//  11. GELU is the exact erf form.
//  13. J is a per-example input Jacobian (∂Σ last_hidden/∂x₀), not the
//     position-table gradient.

// Fixed ELECTRA-small sizes (CE defaults).
const (
	flexiInitStd   = 0.02
	flexiLNEps     = 1e-12
	flexiMaskID    = 103 // [MASK] in the BERT/ELECTRA uncased vocabulary
	flexiMaskRatio = 0.15
)

// flexiDims are the sizes that are fixed for the real family (bench.Flexi*
// constants) and shrunk in tests.
type flexiDims struct {
	V, P, TypeVocab, E int
}

var flexiRealDims = flexiDims{V: bench.FlexiVocab, P: bench.FlexiMaxPositions, TypeVocab: bench.FlexiTypeVocab, E: bench.FlexiEmbedding}

// flexiLayerArch is one resolved encoder layer.
type flexiLayerArch struct {
	op    string // SDP | WMA | DFT | DCT | DSC
	h     int    // num_operation_heads
	d     int    // head size H/h
	n     int    // DSC: heads per branch max(h/2,1); SA/LT: h
	A     int    // projection width (H for SA/LT, n·d for DSC)
	k     int    // DSC kernel size
	I     int    // intermediate size
	numFF int    // num_feed_forward
}

// flexiArch is a validated FlexiBERTConfig in one fidelity mode.
type flexiArch struct {
	cfg    bench.FlexiBERTConfig
	mode   bench.FlexiMode
	dims   flexiDims
	H      int
	layers []flexiLayerArch
}

// newFlexiArch resolves cfg in mode ("" = records) with the fixed sizes
// dims (flexiRealDims for the real family; tests shrink V, P and E and use
// records mode with a small hidden size and FFN dimension).
func newFlexiArch(cfg bench.FlexiBERTConfig, mode bench.FlexiMode, dims flexiDims) (*flexiArch, error) {
	if mode == "" {
		mode = bench.ModeRecords
	}
	a := &flexiArch{cfg: cfg, mode: mode, dims: dims}
	switch mode {
	case bench.ModeRecords:
		a.H = cfg.HiddenSize
	case bench.ModeUpstreamProxy:
		a.H = bench.FlexiProxyHidden
	default:
		return nil, fmt.Errorf("runtime: unknown FlexiBERT fidelity %q (want %q or %q)", mode, bench.ModeRecords, bench.ModeUpstreamProxy)
	}
	if a.H < 1 {
		return nil, fmt.Errorf("runtime: FlexiBERT hidden size %d", a.H)
	}
	if len(cfg.Layers) == 0 {
		return nil, fmt.Errorf("runtime: FlexiBERT config has no layers")
	}
	for l, fl := range cfg.Layers {
		la := flexiLayerArch{h: fl.Heads, numFF: fl.NumFFN}
		if la.h < 1 || a.H%la.h != 0 {
			return nil, fmt.Errorf("runtime: FlexiBERT layer %d: %d heads do not divide H = %d", l, la.h, a.H)
		}
		la.d = a.H / la.h
		la.n, la.A = la.h, a.H
		switch fl.OpType {
		case "SA":
			if fl.OpParam != "SDP" && fl.OpParam != "WMA" {
				return nil, fmt.Errorf("runtime: FlexiBERT layer %d: SA parameter %q", l, fl.OpParam)
			}
			la.op = fl.OpParam
		case "LT":
			if fl.OpParam != "DFT" && fl.OpParam != "DCT" {
				return nil, fmt.Errorf("runtime: FlexiBERT layer %d: LT parameter %q", l, fl.OpParam)
			}
			la.op = fl.OpParam
		case "DSC":
			k, err := strconv.Atoi(fl.OpParam)
			if err != nil || k < 1 || k%2 == 0 {
				return nil, fmt.Errorf("runtime: FlexiBERT layer %d: DSC kernel %q (want an odd integer)", l, fl.OpParam)
			}
			la.op, la.k = "DSC", k
			la.n = max(la.h/2, 1)
			la.A = la.n * la.d
			if 2*la.A != a.H {
				return nil, fmt.Errorf("runtime: FlexiBERT layer %d: DSC with %d heads gives width %d ≠ H = %d", l, la.h, 2*la.A, a.H)
			}
		default:
			return nil, fmt.Errorf("runtime: FlexiBERT layer %d: operation type %q", l, fl.OpType)
		}
		switch mode {
		case bench.ModeRecords:
			la.I = fl.FFNDim
		default:
			la.I = bench.FlexiProxyFFN
		}
		if la.I < 1 {
			return nil, fmt.Errorf("runtime: FlexiBERT layer %d: feed_forward_dimension %d", l, la.I)
		}
		if la.numFF < 1 {
			return nil, fmt.Errorf("runtime: FlexiBERT layer %d: num_feed_forward %d", l, la.numFF)
		}
		a.layers = append(a.layers, la)
	}
	return a, nil
}

// flexiLayer holds one layer's parameters (PyTorch layouts: Linear W is
// (out, in)). Unused fields are nil.
type flexiLayer struct {
	// SA / DSC
	qW, qB, kW, kB, vW, vB *Param
	wmaW                   *Param // WMA: (A, A), no bias
	// LT
	inW, inB *Param
	// DSC
	dwW      *Param // key_conv_attn_layer.depthwise (H, k) (torch (H,1,k))
	pwW      *Param // key_conv_attn_layer.pointwise (A, H) (torch (A,H,1))
	convB    *Param // key_conv_attn_layer.bias (A) (torch (A,1))
	kerW     *Param // conv_kernel_layer (n·k, A)
	kerB     *Param
	coW, coB *Param // conv_out_layer (A, H)
	// ElectraSelfOutput (SA, DSC)
	soW, soB, soG, soBeta *Param
	// FFN: dense_in (I,H), dense_list (I,I)×(n_ff−1), output dense (H,I), LN
	ffW, ffB      []*Param
	outG, outBeta *Param
}

// weights lists the layer's weight matrices in the W/G order (see
// flexiWeightNames): the op's linears (and DSC's conv weights), the
// SelfOutput dense, then the FFN linears.
func (fl *flexiLayer) weights() []*Param {
	var ws []*Param
	for _, p := range []*Param{fl.qW, fl.kW, fl.vW, fl.wmaW, fl.inW, fl.dwW, fl.pwW, fl.kerW, fl.coW, fl.soW} {
		if p != nil {
			ws = append(ws, p)
		}
	}
	return append(ws, fl.ffW...)
}

// FlexiBERT is one instantiated FlexiBERT encoder with its seeded host
// weights and the MLM head used for the loss.
type FlexiBERT struct {
	arch *flexiArch
	// Params lists every parameter in registration order, which is the
	// order of the random draws (see NewFlexiBERT).
	Params []*Param

	word, pos, typ *Param // (V,E), (P,E), (2,E)
	embG, embB     *Param // LN_E
	projW, projB   *Param // embeddings_project (H,E), (H); nil when H == E
	layers         []flexiLayer
	// MLM head (ELECTRA generator head, word table tied), GroupSoftmax:
	// not part of params/dparams.
	headW, headB, headG, headBeta *Param // dense (E,H), (E); LN_E
	outBias                       *Param // (V)

	// actDelta (tests only): when non-nil, actDelta[l] (B·L·I_l, or nil) is
	// added to layer l's A node, to check GA by finite differences.
	actDelta [][]float32
}

// flexiRNGStream is the second PCG word of the weight stream.
const flexiRNGStream = 0x6c707a2d666c6578 // "lpz-flex"

// NewFlexiBERT builds cfg in the given fidelity mode ("" = records) and
// draws its weights from seed.
//
// Draw order: one math/rand/v2 PCG(seed, flexiRNGStream) stream; every
// parameter with Std > 0 in the order of Params, each in row-major order,
// float32(NormFloat64·0.02). Params are registered as: word, position and
// token-type tables, embedding LN, embeddings_project (if H ≠ E); per layer
// the op (SA: query, key, value [W then b each], WMA weight, SelfOutput dense
// + LN; LT: input; DSC: query, key, value, depthwise, pointwise, conv bias,
// conv_kernel, conv_out, SelfOutput dense + LN), then the FFN (dense_in,
// dense_list…, output dense, LN); then the MLM head (dense, LN, output
// bias). Biases and LN β are 0 and LN γ 1 (no draws). After drawing, word
// row 0 (pad) is set to 0. So the embedding tables are identical for every
// architecture under one seed, and a layer's weights depend on the shapes
// of the layers before it.
func NewFlexiBERT(cfg bench.FlexiBERTConfig, mode bench.FlexiMode, seed uint64) (*FlexiBERT, error) {
	a, err := newFlexiArch(cfg, mode, flexiRealDims)
	if err != nil {
		return nil, err
	}
	m := newFlexiShapes(a)
	m.initWeights(seed)
	return m, nil
}

// newFlexiShapes registers every parameter without data.
func newFlexiShapes(a *flexiArch) *FlexiBERT {
	m := &FlexiBERT{arch: a}
	E, H := a.dims.E, a.H
	add := func(name string, g ParamGroup, std float64, fill float32, shape ...int) *Param {
		p := &Param{Name: name, Shape: shape, Group: g, Std: std, Fill: fill}
		m.Params = append(m.Params, p)
		return p
	}
	const std = flexiInitStd
	emb, enc := GroupEmbedding, GroupNonEmbedding
	m.word = add("embeddings.word_embeddings.weight", emb, std, 0, a.dims.V, E)
	m.pos = add("embeddings.position_embeddings.weight", emb, std, 0, a.dims.P, E)
	m.typ = add("embeddings.token_type_embeddings.weight", emb, std, 0, a.dims.TypeVocab, E)
	m.embG = add("embeddings.LayerNorm.weight", emb, 0, 1, E)
	m.embB = add("embeddings.LayerNorm.bias", emb, 0, 0, E)
	if H != E {
		m.projW = add("embeddings_project.weight", emb, std, 0, H, E)
		m.projB = add("embeddings_project.bias", emb, 0, 0, H)
	}
	for l, la := range a.layers {
		pre := fmt.Sprintf("encoder.layer.%d.", l)
		var fl flexiLayer
		lin := func(name string, out, in int) (*Param, *Param) {
			return add(pre+name+".weight", enc, std, 0, out, in), add(pre+name+".bias", enc, 0, 0, out)
		}
		switch la.op {
		case "SDP", "WMA", "DSC":
			fl.qW, fl.qB = lin("operation.query", la.A, H)
			fl.kW, fl.kB = lin("operation.key", la.A, H)
			fl.vW, fl.vB = lin("operation.value", la.A, H)
			if la.op == "WMA" {
				fl.wmaW = add(pre+"operation.weight.weight", enc, std, 0, la.A, la.A)
			}
			if la.op == "DSC" {
				fl.dwW = add(pre+"operation.key_conv_attn_layer.depthwise.weight", enc, std, 0, H, la.k)
				fl.pwW = add(pre+"operation.key_conv_attn_layer.pointwise.weight", enc, std, 0, la.A, H)
				fl.convB = add(pre+"operation.key_conv_attn_layer.bias", enc, 0, 0, la.A)
				fl.kerW, fl.kerB = lin("operation.conv_kernel_layer", la.n*la.k, la.A)
				fl.coW, fl.coB = lin("operation.conv_out_layer", la.A, H)
			}
			fl.soW, fl.soB = lin("attention.output.dense", H, H)
			fl.soG = add(pre+"attention.output.LayerNorm.weight", enc, 0, 1, H)
			fl.soBeta = add(pre+"attention.output.LayerNorm.bias", enc, 0, 0, H)
		case "DFT", "DCT":
			fl.inW, fl.inB = lin("operation.input", H, H)
		}
		in := H
		for j := 0; j < la.numFF; j++ {
			name := "intermediate.dense_in"
			if j > 0 {
				name = fmt.Sprintf("intermediate.dense_list.%d", j-1)
			}
			w, b := lin(name, la.I, in)
			fl.ffW, fl.ffB = append(fl.ffW, w), append(fl.ffB, b)
			in = la.I
		}
		w, b := lin("output.dense", H, la.I)
		fl.ffW, fl.ffB = append(fl.ffW, w), append(fl.ffB, b)
		fl.outG = add(pre+"output.LayerNorm.weight", enc, 0, 1, H)
		fl.outBeta = add(pre+"output.LayerNorm.bias", enc, 0, 0, H)
		m.layers = append(m.layers, fl)
	}
	head := GroupSoftmax
	m.headW = add("generator_predictions.dense.weight", head, std, 0, E, H)
	m.headB = add("generator_predictions.dense.bias", head, 0, 0, E)
	m.headG = add("generator_predictions.LayerNorm.weight", head, 0, 1, E)
	m.headBeta = add("generator_predictions.LayerNorm.bias", head, 0, 0, E)
	m.outBias = add("generator_lm_head.bias", head, 0, 0, a.dims.V)
	return m
}

func (m *FlexiBERT) initWeights(seed uint64) {
	src := rand.NewPCG(seed, flexiRNGStream)
	r := rand.New(src)
	// The three embedding tables come first in the stream and do not depend
	// on the architecture: they are drawn once per (seed, sizes) and then
	// copied, with the stream resumed from the saved PCG state (the
	// values are bit-identical to drawing them).
	tables := m.Params[:3] // word, position, token type
	key := flexiEmbKey{seed: seed, dims: m.arch.dims}
	flexiEmbMemo.Lock()
	hit := flexiEmbMemo.key == key && flexiEmbMemo.state != nil
	if hit {
		for i, p := range tables {
			p.Data = slices.Clone(flexiEmbMemo.data[i])
		}
		if err := src.UnmarshalBinary(flexiEmbMemo.state); err != nil {
			panic(err) // a state we marshalled ourselves
		}
	}
	flexiEmbMemo.Unlock()
	if !hit {
		drawParams(tables, r.NormFloat64)
		clear(m.word.Data[:m.arch.dims.E]) // padding_idx 0
		state, err := src.MarshalBinary()
		if err != nil {
			panic(err)
		}
		flexiEmbMemo.Lock()
		flexiEmbMemo.key, flexiEmbMemo.state = key, state
		flexiEmbMemo.data = [3][]float32{slices.Clone(tables[0].Data), slices.Clone(tables[1].Data), slices.Clone(tables[2].Data)}
		flexiEmbMemo.Unlock()
	}
	drawParams(m.Params[3:], r.NormFloat64)
}

type flexiEmbKey struct {
	seed uint64
	dims flexiDims
}

// flexiEmbMemo keeps the embedding tables of the last seed (a capture run
// over many architectures uses one seed).
var flexiEmbMemo struct {
	sync.Mutex
	key   flexiEmbKey
	data  [3][]float32
	state []byte
}

// NumParams counts the model's parameters: total (embedding block +
// encoder layers; the MLM head is a loss device and not counted, so this
// is bench.FlexiParams(...).Total) and the encoder layers alone (dparams).
func (m *FlexiBERT) NumParams() (total, encoder int) {
	for _, p := range m.Params {
		switch p.Group {
		case GroupEmbedding:
			total += p.Size()
		case GroupNonEmbedding:
			total += p.Size()
			encoder += p.Size()
		}
	}
	return
}

// FlexiBERTParams counts cfg's parameters in mode from the built (shape-only)
// model, without drawing weights.
func FlexiBERTParams(cfg bench.FlexiBERTConfig, mode bench.FlexiMode) (total, encoder int, err error) {
	a, err := newFlexiArch(cfg, mode, flexiRealDims)
	if err != nil {
		return 0, 0, err
	}
	total, encoder = newFlexiShapes(a).NumParams()
	return total, encoder, nil
}

// flexiWeightNames are the W/G entry names, per layer in flexiLayer.weights
// order:
//
//	SDP: op.query, op.key, op.value, op.dense
//	WMA: op.query, op.key, op.value, op.weight, op.dense
//	DFT/DCT: op.input
//	DSC: op.query, op.key, op.value, op.depthwise, op.pointwise,
//	     op.conv_kernel, op.conv_out, op.dense
//	then ffn.dense_in, ffn.dense_list.{i}…, ffn.dense_out
//
// each prefixed with "layer{l}.".
func flexiWeightNames(a *flexiArch) []string {
	var names []string
	for l, la := range a.layers {
		pre := fmt.Sprintf("layer%d.", l)
		var ops []string
		switch la.op {
		case "SDP":
			ops = []string{"query", "key", "value", "dense"}
		case "WMA":
			ops = []string{"query", "key", "value", "weight", "dense"}
		case "DFT", "DCT":
			ops = []string{"input"}
		case "DSC":
			ops = []string{"query", "key", "value", "depthwise", "pointwise", "conv_kernel", "conv_out", "dense"}
		}
		for _, o := range ops {
			names = append(names, pre+"op."+o)
		}
		names = append(names, pre+"ffn.dense_in")
		for j := 1; j < la.numFF; j++ {
			names = append(names, fmt.Sprintf("%sffn.dense_list.%d", pre, j-1))
		}
		names = append(names, pre+"ffn.dense_out")
	}
	return names
}
