package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
)

// LlamaConfig is config.json of a Hugging Face LLaMA checkpoint; the JSON
// names are those of transformers' LlamaConfig.
type LlamaConfig struct {
	Architectures     []string `json:"architectures"`
	ModelType         string   `json:"model_type"`
	HiddenSize        int      `json:"hidden_size"`
	IntermediateSize  int      `json:"intermediate_size"`
	NumAttentionHeads int      `json:"num_attention_heads"`
	NumHiddenLayers   int      `json:"num_hidden_layers"`
	// NumKeyValueHeads 0 means NumAttentionHeads, as an absent
	// num_key_value_heads does in transformers; ReadLlama fills it in.
	NumKeyValueHeads int `json:"num_key_value_heads"`
	// ExplicitHeadDim is head_dim; 0 (absent) means
	// HiddenSize/NumAttentionHeads. HeadDim gives the one in effect.
	ExplicitHeadDim       int     `json:"head_dim,omitempty"`
	VocabSize             int     `json:"vocab_size"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	RMSNormEps            float64 `json:"rms_norm_eps"`
	RopeTheta             float64 `json:"rope_theta"`
	TieWordEmbeddings     bool    `json:"tie_word_embeddings"`
	HiddenAct             string  `json:"hidden_act"`
	InitializerRange      float64 `json:"initializer_range"`
	AttentionBias         bool    `json:"attention_bias"`
	MLPBias               bool    `json:"mlp_bias"`
	TorchDtype            string  `json:"torch_dtype"`
	BOSTokenID            int     `json:"bos_token_id"`
	EOSTokenID            int     `json:"eos_token_id"`
	// RopeScaling is kept as written so that Validate can refuse any
	// scaling: the models here implement plain RoPE only.
	RopeScaling json.RawMessage `json:"rope_scaling"`
}

const (
	llamaArchitecture = "LlamaForCausalLM"
	llamaModelType    = "llama"
)

// defaultLlamaConfig holds transformers' LlamaConfig defaults for the fields
// a config.json may leave out. The sizes have no default here: a checkpoint
// whose config.json omits one is refused rather than guessed at.
func defaultLlamaConfig() LlamaConfig {
	return LlamaConfig{
		HiddenAct:             "silu",
		RMSNormEps:            1e-6,
		RopeTheta:             10000,
		InitializerRange:      0.02,
		MaxPositionEmbeddings: 2048,
		BOSTokenID:            1,
		EOSTokenID:            2,
	}
}

// HeadDim is the size of one attention head.
func (c LlamaConfig) HeadDim() int {
	if c.ExplicitHeadDim > 0 || c.NumAttentionHeads <= 0 {
		return c.ExplicitHeadDim
	}
	return c.HiddenSize / c.NumAttentionHeads
}

func (c LlamaConfig) kvHeads() int {
	if c.NumKeyValueHeads == 0 {
		return c.NumAttentionHeads
	}
	return c.NumKeyValueHeads
}

// Validate reports the first thing in c that no checkpoint of this package
// can hold: a size that is not positive, heads that do not divide the
// hidden size, or a LLaMA variant the models do not implement.
func (c LlamaConfig) Validate() error {
	if err := c.validateSizes(); err != nil {
		return err
	}
	return c.validateVariant()
}

func (c LlamaConfig) validateSizes() error {
	sizes := []struct {
		name string
		v    int
	}{
		{"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_attention_heads", c.NumAttentionHeads}, {"num_hidden_layers", c.NumHiddenLayers},
		{"num_key_value_heads", c.kvHeads()}, {"vocab_size", c.VocabSize},
		{"max_position_embeddings", c.MaxPositionEmbeddings},
	}
	for _, s := range sizes {
		if s.v <= 0 {
			return fmt.Errorf("%s is %d, must be positive", s.name, s.v)
		}
	}
	if c.ExplicitHeadDim < 0 {
		return fmt.Errorf("head_dim is %d, must be positive", c.ExplicitHeadDim)
	}
	if c.ExplicitHeadDim == 0 && c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	}
	if c.HeadDim()%2 != 0 {
		return fmt.Errorf("head dimension %d is odd; rotary embeddings rotate pairs of features", c.HeadDim())
	}
	if !(c.RMSNormEps > 0) || !(c.RopeTheta > 0) {
		return fmt.Errorf("rms_norm_eps %g and rope_theta %g must be positive", c.RMSNormEps, c.RopeTheta)
	}
	return nil
}

func (c LlamaConfig) validateVariant() error {
	switch {
	case c.ModelType != "" && c.ModelType != llamaModelType:
		return fmt.Errorf("model_type %q, want %q", c.ModelType, llamaModelType)
	case len(c.Architectures) > 0 && !slices.Equal(c.Architectures, []string{llamaArchitecture}):
		return fmt.Errorf("architectures %q, want [%q]", c.Architectures, llamaArchitecture)
	case c.kvHeads() != c.NumAttentionHeads:
		return fmt.Errorf("grouped-query attention (num_key_value_heads %d, num_attention_heads %d) is not supported", c.kvHeads(), c.NumAttentionHeads)
	case c.HiddenAct != "silu":
		return fmt.Errorf("hidden_act %q is not supported, only \"silu\"", c.HiddenAct)
	case c.AttentionBias || c.MLPBias:
		return errors.New("attention_bias and mlp_bias are not supported; both must be false")
	case isSet(c.RopeScaling):
		return fmt.Errorf("rope_scaling %s is not supported; only plain RoPE (rope_scaling null)", c.RopeScaling)
	}
	return nil
}

// isSet says whether a kept JSON value is present and not null.
func isSet(raw json.RawMessage) bool {
	v := bytes.TrimSpace(raw)
	return len(v) > 0 && !bytes.Equal(v, []byte("null"))
}

// readLlamaConfig reads and validates config.json, filling in what
// transformers would default.
func readLlamaConfig(path string) (LlamaConfig, error) {
	c := defaultLlamaConfig()
	if err := readJSON(path, &c); err != nil {
		return c, err
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	if err := c.Validate(); err != nil {
		return c, &Error{File: path, Msg: err.Error(), Err: err}
	}
	return c, nil
}

// readJSON decodes the JSON file at path into v.
func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fileError(path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &Error{File: path, Msg: jsonMessage(err), Err: err}
	}
	return nil
}

// jsonMessage positions a JSON decoding error in words.
func jsonMessage(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("%s: JSON %s where %s is wanted", typ.Field, typ.Value, typ.Type)
	}
	return "invalid JSON: " + err.Error()
}
