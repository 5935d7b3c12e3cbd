package bench

// GPT2Config is one LiteTransformerSearch GPT-2 "flex" decoder as its
// model_config.yaml defines it, after archai's list mapping (per-layer lists
// have length NLayer). See ../shared/docs/GPT2_FLEX_MODEL.md §1.
type GPT2Config struct {
	NLayer        int     `json:"n_layer"`
	DModel        int     `json:"d_model"`
	NHead         []int   `json:"n_head"`
	DInner        []int   `json:"d_inner"`
	DEmbed        int     `json:"d_embed"` // already resolved: -1 in yaml means DModel
	DivVal        int     `json:"div_val"`
	NToken        int     `json:"n_token"`
	Cutoffs       []int   `json:"cutoffs"` // as written in the yaml, before cleaning
	TgtLen        int     `json:"tgt_len"`
	TieWeight     bool    `json:"tie_weight"`
	TieProjs      []bool  `json:"tie_projs"`
	WeightInitStd float64 `json:"weight_init_std"`
	ProjInitStd   float64 `json:"proj_init_std"`
	Dropout       float64 `json:"dropout"`
	DropAtt       float64 `json:"dropatt"`
}

// FlexiBERTConfig is one FlexiBERT encoder as its BERT_benchmark.json record
// defines it. See ../shared/docs/FLEXIBERT_MODEL.md.
type FlexiBERTConfig struct {
	HiddenSize int          `json:"hidden_size"` // 128 or 256 (the record's; the upstream proxy code ignored it)
	Layers     []FlexiLayer `json:"encoder_layers"`
}

// FlexiLayer is one encoder layer of a FlexiBERT record.
type FlexiLayer struct {
	OpType  string `json:"operation_type"`         // SA | LT | DSC
	OpParam string `json:"operation_parameter"`    // SDP|WMA (SA), DFT|DCT (LT), "5"|"9" (DSC kernel)
	Heads   int    `json:"num_operation_heads"`    // 2 | 4
	FFNDim  int    `json:"feed_forward_dimension"` // 512 | 1024
	NumFFN  int    `json:"num_feed_forward"`       // 1 | 3
}
