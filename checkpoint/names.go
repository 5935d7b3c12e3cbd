package checkpoint

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
)

const lmHead = "lm_head.weight"

// LlamaShapes is the name → shape of every tensor a checkpoint of c must
// hold, in Hugging Face names and orientation (a linear layer's weight is
// (out, in)). With tied word embeddings lm_head.weight is not in it: a
// checkpoint may then leave it out, and one that keeps it must give it the
// embedding's shape.
func LlamaShapes(c LlamaConfig) map[string][]int {
	h, ff, v := c.HiddenSize, c.IntermediateSize, c.VocabSize
	q, kv := c.NumAttentionHeads*c.HeadDim(), c.kvHeads()*c.HeadDim()
	shapes := map[string][]int{
		"model.embed_tokens.weight": {v, h},
		"model.norm.weight":         {h},
	}
	if !c.TieWordEmbeddings {
		shapes[lmHead] = []int{v, h}
	}
	for i := range c.NumHiddenLayers {
		layer := fmt.Sprintf("model.layers.%d.", i)
		for name, shape := range map[string][]int{
			"self_attn.q_proj.weight":         {q, h},
			"self_attn.k_proj.weight":         {kv, h},
			"self_attn.v_proj.weight":         {kv, h},
			"self_attn.o_proj.weight":         {h, q},
			"mlp.gate_proj.weight":            {ff, h},
			"mlp.up_proj.weight":              {ff, h},
			"mlp.down_proj.weight":            {h, ff},
			"input_layernorm.weight":          {h},
			"post_attention_layernorm.weight": {h},
		} {
			shapes[layer+name] = shape
		}
	}
	return shapes
}

// rotaryInvFreq matches the rotary-embedding buffers that checkpoints saved
// by transformers before 4.31 carry; they are recomputed, never loaded.
var rotaryInvFreq = regexp.MustCompile(`^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$`)

var layerIndex = regexp.MustCompile(`^model\.layers\.(\d+)\.`)

// tensorCheck says of a tensor in a file whether to keep it, and when it
// does not belong there, why.
type tensorCheck func(name string, shape []int) (keep bool, problem string)

// shapeCheck accepts exactly the tensors of want with their shapes;
// optional holds tensors that may be present, and ignored is the pattern
// of harmless extras that are dropped.
func shapeCheck(want, optional map[string][]int, ignored *regexp.Regexp, unexpected func(string) string) tensorCheck {
	return func(name string, shape []int) (bool, string) {
		w, ok := want[name]
		if !ok {
			w, ok = optional[name]
		}
		switch {
		case ok && !slices.Equal(w, shape):
			return false, fmt.Sprintf("shape %v, config wants %v", shape, w)
		case ok:
			return true, ""
		case ignored != nil && ignored.MatchString(name):
			return false, ""
		}
		return false, unexpected(name)
	}
}

// llamaCheck is shapeCheck for a LLaMA checkpoint of c.
func llamaCheck(c LlamaConfig) tensorCheck {
	var optional map[string][]int
	if c.TieWordEmbeddings {
		optional = map[string][]int{lmHead: {c.VocabSize, c.HiddenSize}}
	}
	return shapeCheck(LlamaShapes(c), optional, rotaryInvFreq, func(name string) string {
		if m := layerIndex.FindStringSubmatch(name); m != nil {
			if i, err := strconv.Atoi(m[1]); err != nil || i >= c.NumHiddenLayers {
				return fmt.Sprintf("layer %s, but config.json has num_hidden_layers %d", m[1], c.NumHiddenLayers)
			}
		}
		return "not a tensor of a LLaMA checkpoint with this config.json"
	})
}
