// Package runtime instantiates benchmark architectures in GoMLX, runs one
// seeded minibatch forward and backward, and captures the proxy channels of
// DESIGN.md §3 as interpreter inputs; it also trains decoders from scratch
// (lpz bench build).
//
// # Model families
//
// A family (GPT-2 flex, FlexiBERT, LLaMA) is one implementation of Model —
// an architecture with seeded host weights that names its parameters and
// channel entries and builds its forward graph — plus one row of the family
// table (family.go: name, code version, opt-in channels, how a bench
// configuration becomes a Model). That is all a new family writes.
// Everything else exists once: choosing the channels (selectChannels; a
// channel the family cannot give is an error), the gradients they need
// (forward.outputs), the graph execution (execute), the Synflow pass and
// packaging the results as interpreter inputs (capture, pack), and the
// training loop (trainLoop). Callers outside the package reach a family
// only through Spec (SpecOf a bench.Arch, or SpecFromConfig): its Capture,
// Weights and Train, and the fields a capture cache key needs; no other
// package switches on the family.
//
// # Backends
//
// NewBackend("") / NewBackend("go") is SimpleGo (pure Go, no cgo) with
// "parallelism=-1" (fastest measured, no deadlock); "xla:/abs/plugin.so" (or
// $GOMLX_BACKEND) is XLA/PJRT, compiled only with `-tags xla`; a default
// build returns an error that says so. GoMLX's own default selection (XLA
// with a plugin download) is never used.
//
// # Fast matmul gradients
//
// Importing this package replaces GoMLX v0.26's VJPs of DotGeneral and Dot
// (broadcast-multiply + reduce-sum) by DotGeneral + transpose ones (vjp.go):
// 11.8× faster forward+backward of a tiny GPT-2 on SimpleGo (0.58 s vs
// 6.8 s, BenchmarkMatmulVJP).
//
// # GPT-2 flex (LiteTransformerSearch) — decisions
//
// The model follows ../shared/docs/GPT2_FLEX_MODEL.md; each quirk of its §10
// is decided as follows.
//
//  1. Cutoffs are cleaned exactly like archai (CleanCutoffs): wt103's
//     [19997, 39997, 199997, 50264] → [19997, 39997, 50264], 3 clusters.
//  2. div_val = 1 is still a 3-cluster adaptive softmax; with e = d there is
//     no projection at all.
//  3. div_val > 1 always has projections (embedding and softmax).
//  4. tie_projs is truncated to K; the head cluster's projection is its own
//     parameter, tails reuse the embedding projections; tables are tied
//     (tie_weight) — one Param object serves both sides. Missing tie_projs
//     entries default to [false, true, true, …] (archai's default with
//     adaptive = true).
//  5. Token embeddings are multiplied by √d_model; wpe is not scaled.
//  6. The cluster column of tail i in the head is s₀ + i − 1 (archai order).
//  7. Only the mean NLL over all B·T tokens is used, so the per-token order
//     (upstream groups by cluster) is irrelevant; no per-token channel is
//     exported.
//  8. Labels are given by the caller (Batch.Labels = next tokens); the model
//     does not shift.
//  9. Both c_proj weights (attention and MLP) are drawn with
//     σ/√(2·n_layer); biases 0.
//  10. The causal mask replaces future scores by −1e4 (not −∞); the additive
//     attention mask is 0 and omitted.
//  11. Always pre-LN; pre_lnorm, weight_init_type, weight_init_range and the
//     other inert yaml keys are ignored.
//  12. The activation is gelu_new (tanh approximation).
//  13. T ≤ tgt_len is enforced (wpe has tgt_len rows).
//  14. out_layers_biases and cluster_bias start at 0.
//  15. Eval mode: no dropout anywhere (upstream scores with net.train(), so
//     residual dropout 0.1 was active there). Deliberate deviation: captures
//     must be deterministic and bit-reproducible.
//  16. Parameter accounting as upstream: `dparams` = non-embedding =
//     attention + FFN + all layer norms; `params` = all unique parameters
//     with tied tables once (= params_summary.yaml `total`; all 200
//     architectures checked in TestWT103ParamCounts).
//  17. The log-prob output bug does not apply (no per-token outputs).
//  18. div_val = 0 is rejected with an error.
//
// Initialisation (§6) uses our own RNG, not PyTorch's: one math/rand/v2 PCG
// stream seeded with (seed, 0x6c707a2d67707432) draws float32(N(0,1)·σ) for
// every random tensor in a fixed order — embedding tables (cluster order),
// embedding projections, wpe, then per block c_attn.W, attn.c_proj.W,
// mlp.c_fc.W, mlp.c_proj.W, then cluster_weight, the head's own
// projections, own output tables if untied — each row-major (GPT2.Params
// lists them in this order). Tied tables are drawn once (upstream draws them
// twice from the same distribution). The same seed gives bit-identical
// weights on every platform and backend.
//
// Numerics: float32 everywhere (float64 is used by the tests); layer norm
// uses the biased variance and eps 1e-5; the NLL is logsumexp − picked logit
// per token, summed in float32 and divided by B·T.
//
// Graph structure: no Slice/Pad on a differentiated path (SimpleGo has no
// Pad, which Slice's VJP needs). The q/k/v column blocks of c_attn, the
// per-cluster row blocks of tied tables and biases, and wpe[:T] are separate
// graph parameters cut on the host; lookups use Gather (VJP = ScatterSum);
// the adaptive input is Σ_i mask_i ⊙ E_i[clamp(id − l_i)], exact because the
// masks are 0/1. Tail clusters gather only the rows of the tokens whose label
// falls in them (labels are known when the graph is built).
//
// # Channels (one graph execution per architecture)
//
// See CaptureGPT2 for names, shapes and order.
// J deviates from "Σ of the final hidden state after LN_f": with LN_f's gain
// γ = 1 and bias β = 0 at initialisation, Σ_d LN(h)_d = Σ_d (h_d − μ)/σ = 0
// identically, so that gradient is exactly zero (only rounding noise would be
// captured). J is therefore ∂(Σ h_Lₙ)/∂h₀ with h_Lₙ the residual stream
// after the last block, *before* LN_f, and h₀ = √d·emb + wpe (the block
// stack's input).
//
// The extra channels GA, HG and GS (stdlib.ExtraChannels) are opt-in: an
// empty channel list never includes them (cached captures are keyed by that
// set). GA is an extra output of the loss backward; HG adds a double
// backward to the same execution; GS is a second execution (the Synflow
// graph: |θ|, all-ones token ids, R = Σ h_Lₙ — see CaptureGPT2 for why not
// an all-ones h₀). Measured once on the shared 2-core machine, median
// architecture (9 layers, d 256, div_val 2) at 4×64, SimpleGo: default
// channels 8.7 s; GA alone 6.9 s, HG alone 19.8 s, GS alone 7.2 s; default +
// GA + HG + GS in one request 24.0 s (+15.3 s, ≈2.8×), almost all of it
// execution (HG's double backward ≈ 2× a forward+backward).
//
// # Default minibatch on CPU
//
// DefaultBatch × DefaultSeqLen = 4 × 64 (the paper uses 16 × 192). Measured
// on the shared 2-core machine (noisy: other processes use the same cores):
// execution is ~85% SimpleGo DotGeneral and runs at 5–9 GFLOP/s (analytic
// matmul FLOPs, MatmulFLOPs) when the machine is otherwise idle, ~1.3 GFLOP/s
// at load 12. The 200 architectures need 5.6 / 11.2 / 22.5 / 70.5 TFLOP per
// full capture at 4×64 / 8×64 / 16×64 / 16×192; a 10-architecture sample
// (BenchmarkWT103Sample) projected 12.7 min for all 200 at 4×64 and 35 min
// at 8×64 (with one other capture process running), so 4×64 is the largest
// of these that stays under 30 min with margin.
//
// SimpleGo configuration: "parallelism=2" (the library default, NumCPU, on
// this machine) deadlocks on these graphs — goroutines wait forever in
// workersPool.WaitToStart under execDotGeneralLarge; "parallelism=-1" does
// not, and forcing dotgeneral_large was no faster (dotgeneral_small 1.5×
// slower).
package runtime

// DefaultBatch and DefaultSeqLen are the CPU default minibatch (B × T).
const (
	DefaultBatch  = 4
	DefaultSeqLen = 64
)
