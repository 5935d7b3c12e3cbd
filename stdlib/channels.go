package stdlib

import (
	"strings"

	"lpz/lang"
)

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
	{"J", lang.ListOf(lang.Tensor, FamilyInput), "∂(Σ last hidden state)/∂(input embeddings), one entry [batch, seq, width]; GPT-2: the residual stream after the last block, before the final layer norm (whose output sums to 0 at init); FlexiBERT: the last layer's output"},
	{"params", lang.ScalarType, "number of trainable parameters of the architecture (tied tables counted once)"},
	{"dparams", lang.ScalarType, "decoder / non-embedding parameters (blocks and layer norms)"},
	{"layers", lang.ScalarType, "number of blocks (n_layer / encoder layers)"},
	{"width", lang.ScalarType, "model width (d_model / hidden size)"},
}

// nonNegativeChannels hold values ≥ 0 by construction (probabilities and
// counts); the rules' nonneg guard reads them (abs(width) -> width).
var nonNegativeChannels = map[string]bool{"S": true, "params": true, "dparams": true, "layers": true, "width": true}

// Families of the extra channels.
const (
	FamilyMixWeights = "mixweights" // the token-mixing op's weight matrices
	FamilyFFNWeights = "ffnweights" // the FFN's weight matrices
)

// ExtraChannels are the inputs that baseline proxies of the literature need
// beyond the six capture channels (corpus/baselines/). They are not in
// Channels: the default capture set (and its cache entries) and the search's
// default terminals stay the six. The runtime captures GA, HG and GS only on
// request, into cache entries of their own; the subsets need no capture.
// Same minibatch, seed and weights as the other channels:
//
//	GA    ∂loss/∂A: the gradient of the same loss as G with respect to each
//	      block's A tensor, same names and shapes as A (one more output of
//	      the loss backward).
//	HG    Hessian·gradient (GraSP): with g = ∂loss/∂W held constant, HG =
//	      ∂(Σ_k ⟨g_k, ∂loss/∂W_k⟩)/∂W, i.e. H·g for the Hessian of the loss
//	      over the W matrices (double backward). Same names and shapes as W.
//	GS    Synflow pass: every parameter replaced by its absolute value, no
//	      dropout; R = Σ of the last hidden state (GPT-2: the residual stream
//	      after the last block, every token id set to 1 — an all-ones h₀
//	      would make GS exactly 0, since every block input is layer-normed
//	      to its bias 0; FlexiBERT: the encoder input set to all-ones);
//	      GS = ∂R/∂W at |W|, same names and shapes as W.
//	Wmix, Gmix, Wffn, Gffn
//	      subsets of W and G by entry name: Wmix/Gmix the token-mixing
//	      matrices (names with ".attn." — GPT-2 — or ".op." — FlexiBERT),
//	      Wffn/Gffn the FFN matrices (".mlp." or ".ffn."); see Subsets.
var ExtraChannels = []Channel{
	{"GA", lang.ListOf(lang.Tensor, FamilyBlocks), "∂loss/∂A for the same tensors as A (Fisher); captured on request"},
	{"HG", lang.ListOf(lang.Tensor, FamilyWeights), "Hessian·gradient H·(∂loss/∂W) by double backward, shapes of W (GraSP); captured on request"},
	{"GS", lang.ListOf(lang.Tensor, FamilyWeights), "∂R/∂W of the Synflow pass (|weights|, constant input, R = Σ last hidden state), shapes of W (Synflow); captured on request"},
	{"Wmix", lang.ListOf(lang.Tensor, FamilyMixWeights), "the token-mixing weight matrices of W (attention / LT / DSC op)"},
	{"Gmix", lang.ListOf(lang.Tensor, FamilyMixWeights), "∂loss/∂W for the matrices of Wmix"},
	{"Wffn", lang.ListOf(lang.Tensor, FamilyFFNWeights), "the FFN weight matrices of W"},
	{"Gffn", lang.ListOf(lang.Tensor, FamilyFFNWeights), "∂loss/∂W for the matrices of Wffn"},
}

// Subset is a channel made of some entries of another channel, chosen by
// entry name (the runtime's W/G entry names).
type Subset struct {
	From  string
	Match func(entry string) bool
}

func nameHas(parts ...string) func(string) bool {
	return func(entry string) bool {
		for _, p := range parts {
			if strings.Contains(entry, p) {
				return true
			}
		}
		return false
	}
}

// Subsets derives Wmix, Gmix, Wffn and Gffn from W and G.
var Subsets = map[string]Subset{
	"Wmix": {From: "W", Match: nameHas(".attn.", ".op.")},
	"Gmix": {From: "G", Match: nameHas(".attn.", ".op.")},
	"Wffn": {From: "W", Match: nameHas(".mlp.", ".ffn.")},
	"Gffn": {From: "G", Match: nameHas(".mlp.", ".ffn.")},
}

// LookupChannel finds a channel by name (in Channels, then ExtraChannels).
func LookupChannel(name string) (Channel, bool) {
	for _, c := range Channels {
		if c.Name == name {
			return c, true
		}
	}
	for _, c := range ExtraChannels {
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
