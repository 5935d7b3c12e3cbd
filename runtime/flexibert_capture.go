package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"lpz/bench"
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
//	            GS = ∂R/∂W at |W| (GPT-2 differs in its input, see CaptureGPT2)
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
	newModel := func() (Model, error) {
		m := newFlexiShapes(a)
		m.initWeights(opts.Seed)
		return m, nil
	}
	return capture(backend, bench.FamilyFlexiBERT, newModel, Batch{Inputs: batch.Inputs}, opts.CaptureOptions, dt)
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

// Family is bench.FamilyFlexiBERT.
func (m *FlexiBERT) Family() string { return bench.FamilyFlexiBERT }

// Entries names the channel entries (see CaptureFlexiBERT).
func (m *FlexiBERT) Entries() Entries {
	n := len(m.arch.layers)
	return Entries{A: flexiLayerNames(n, "ffn.act"), H: flexiLayerNames(n, "op.heads"),
		S: flexiSoftmaxNames(m.arch), W: flexiWeightNames(m.arch)}
}

// WeightParams are the layers' weight matrices (see flexiWeightNames).
func (m *FlexiBERT) WeightParams() []*Param {
	var ws []*Param
	for i := range m.layers {
		ws = append(ws, m.layers[i].weights()...)
	}
	return ws
}

// prepare masks b with seed (see CaptureFlexiBERT); labels are not read.
func (m *FlexiBERT) prepare(b Batch, seed uint64) (minibatch, error) {
	return prepareMLMBatch(m.arch, MLMBatch{Inputs: b.Inputs}, seed)
}

func (m *FlexiBERT) flops(in minibatch, want chanSet) float64 {
	fb := in.(*flexiBatch)
	return flexiFLOPs(m.arch, fb.B, fb.L, len(fb.maskPos), want.G || want.GA || want.HG, want.J, want.Gones)
}
