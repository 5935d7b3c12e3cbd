package stdlib

import "lpz/lang"

// Channel is one named input of a proxy: a capture channel of DESIGN.md §3
// or an architecture-level scalar. The table is the single source for the
// checker's input types, the REPL's completion, `lpz ops` and the runtime's
// capture (which produces exactly these names).
type Channel struct {
	Name string
	Type lang.Type
	Doc  string
}

// Families of list channels.
const (
	FamilyBlocks  = "blocks"
	FamilySoftmax = "softmax"
	FamilyWeights = "weights"
	FamilyInput   = "input"
)

// Channels is the channel table. Order is the documented order of `lpz ops`.
var Channels = []Channel{
	{"A", lang.ListOf(lang.Tensor, FamilyBlocks), "activations: output of the FFN nonlinearity of each block (the last one if the FFN has several)"},
	{"H", lang.ListOf(lang.Tensor, FamilyBlocks), "heads: the token-mixing op's output per block before its output projection"},
	{"S", lang.ListOf(lang.Tensor, FamilySoftmax), "attention probabilities of each block that has a softmax"},
	{"W", lang.ListOf(lang.Tensor, FamilyWeights), "every weight matrix of the blocks (token mixing + FFN), fixed order"},
	{"G", lang.ListOf(lang.Tensor, FamilyWeights), "∂loss/∂W for the same matrices as W"},
	{"J", lang.ListOf(lang.Tensor, FamilyInput), "∂(Σ model outputs)/∂(input embeddings), one entry [batch, seq, emb]"},
	{"params", lang.ScalarType, "number of trainable parameters of the architecture (tied tables counted once)"},
	{"dparams", lang.ScalarType, "decoder / non-embedding parameters (blocks and layer norms)"},
	{"layers", lang.ScalarType, "number of blocks (n_layer / encoder layers)"},
	{"width", lang.ScalarType, "model width (d_model / hidden size)"},
}

// LookupChannel finds a channel by name.
func LookupChannel(name string) (Channel, bool) {
	for _, c := range Channels {
		if c.Name == name {
			return c, true
		}
	}
	return Channel{}, false
}

// FamilyOf is the family of a list input named name; a name outside the
// channel table forms its own family so that it never mixes with others by
// accident.
func FamilyOf(name string) string {
	if c, ok := LookupChannel(name); ok && c.Type.IsList() {
		return c.Type.Family
	}
	return name
}
