package runtime

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"lpz/bench"
)

// CaptureGPT2 instantiates cfg with seeded weights, runs batch forward and
// backward in one graph execution on backend, and returns the requested
// channels as interpreter inputs.
//
// Channel entries (names and order):
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
func CaptureGPT2(backend backends.Backend, cfg bench.GPT2Config, batch Batch, opts CaptureOptions) (*Capture, error) {
	return captureGPT2(backend, cfg, batch, opts, dtypes.Float32)
}

func captureGPT2(backend backends.Backend, cfg bench.GPT2Config, batch Batch, opts CaptureOptions, dt dtypes.DType) (*Capture, error) {
	return capture(backend, bench.FamilyGPT2, func() (Model, error) { return NewGPT2(cfg, opts.Seed) }, batch, opts, dt)
}

// weightNames are W's entry names (see CaptureGPT2).
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

// Family is bench.FamilyGPT2.
func (m *GPT2) Family() string { return bench.FamilyGPT2 }

// Entries names the channel entries (see CaptureGPT2).
func (m *GPT2) Entries() Entries {
	L := m.arch.L
	return Entries{A: blockNames(L, "mlp.act"), H: blockNames(L, "attn.heads"), S: blockNames(L, "attn.probs"), W: weightNames(L)}
}

// WeightParams are the four matrices of each block (see CaptureGPT2).
func (m *GPT2) WeightParams() []*Param {
	var ws []*Param
	for _, b := range m.blocks {
		ws = append(ws, b.cAttnW, b.aProjW, b.fcW, b.mProjW)
	}
	return ws
}

func (m *GPT2) prepare(b Batch, _ uint64) (minibatch, error) { return prepareBatch(m.arch, b) }

func (m *GPT2) flops(in minibatch, want chanSet) float64 {
	pb := in.(*preparedBatch)
	return matmulFLOPs(m.arch, pb.B, pb.T, pb.labels, want.G || want.GA || want.HG, want.J)
}
