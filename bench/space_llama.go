package bench

import "fmt"

// LlamaConfig is one LLaMA-style decoder of lpz's llama family: pre-norm
// blocks of RMSNorm → multi-head causal self-attention with rotary position
// embeddings (no biases) → residual, RMSNorm → SwiGLU feed-forward
// (down(silu(gate(x)) ⊙ up(x))) → residual, a final RMSNorm and an output
// head (tied to the embedding when TieWeight). Per layer: the number of
// attention heads (attention width n_head·head_dim, which need not equal
// d_model) and the SwiGLU width d_ff.
type LlamaConfig struct {
	NLayer    int     `json:"n_layer"`
	DModel    int     `json:"d_model"`
	NHead     []int   `json:"n_head"`   // per layer
	HeadDim   int     `json:"head_dim"` // per-head width (even: rotary pairs)
	DFF       []int   `json:"d_ff"`     // per layer SwiGLU hidden width
	NToken    int     `json:"n_token"`
	SeqLen    int     `json:"seq_len"` // longest sequence
	RopeTheta float64 `json:"rope_theta"`
	NormEps   float64 `json:"norm_eps"`
	TieWeight bool    `json:"tie_weight"`
	InitStd   float64 `json:"init_std"`
}

// LlamaFromConfig decodes a llama-family config map.
func LlamaFromConfig(cfg map[string]any) (*LlamaConfig, error) {
	var c LlamaConfig
	if err := decodeConfig(cfg, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate reports what makes c unbuildable.
func (c *LlamaConfig) Validate() error {
	switch {
	case c.NLayer <= 0 || c.DModel <= 0 || c.NToken <= 0 || c.SeqLen <= 0:
		return fmt.Errorf("llama: n_layer, d_model, n_token and seq_len must be positive")
	case c.HeadDim <= 0 || c.HeadDim%2 != 0:
		return fmt.Errorf("llama: head_dim %d must be positive and even", c.HeadDim)
	case len(c.NHead) != c.NLayer || len(c.DFF) != c.NLayer:
		return fmt.Errorf("llama: n_head and d_ff need %d entries, have %d and %d", c.NLayer, len(c.NHead), len(c.DFF))
	}
	for l := range c.NHead {
		if c.NHead[l] <= 0 || c.DFF[l] <= 0 {
			return fmt.Errorf("llama: layer %d: n_head %d and d_ff %d must be positive", l, c.NHead[l], c.DFF[l])
		}
	}
	return nil
}

// LlamaParams counts c's parameters: total (tied head counted once) and
// non-embedding (blocks and norms).
func LlamaParams(c *LlamaConfig) (total, nonEmbedding int64) {
	d := int64(c.DModel)
	for l := 0; l < c.NLayer; l++ {
		a := int64(c.NHead[l] * c.HeadDim)
		f := int64(c.DFF[l])
		nonEmbedding += 4*d*a + 3*d*f + 2*d
	}
	nonEmbedding += d // final norm
	total = nonEmbedding + int64(c.NToken)*d
	if !c.TieWeight {
		total += int64(c.NToken) * d
	}
	return
}

// LlamaScalars are the architecture-level scalars of a llama config (the
// ArchScalars names): params, dparams, layers, width (d_model).
func LlamaScalars(c *LlamaConfig) map[string]float64 {
	tot, ne := LlamaParams(c)
	return map[string]float64{"params": float64(tot), "dparams": float64(ne), "layers": float64(c.NLayer), "width": float64(c.DModel)}
}
