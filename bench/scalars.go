package bench

import (
	"fmt"
	"strconv"
)

// DefaultFlexiMode is the FlexiBERT mode used when none is given: the model
// as the record defines it (the configs the GLUE scores were trained with).
const DefaultFlexiMode = ModeRecords

// ScalarNames are the architecture-level scalars ArchScalars returns, in a
// stable order:
//
//	params   total parameter count (GPT-2: params_summary "total", tied
//	         tables counted once; FlexiBERT: FlexiParams(...).Total)
//	dparams  decoder / non-embedding parameters (GPT-2: "nonembedding" =
//	         Attn + FFN + LayerNorms; FlexiBERT: everything except the
//	         embedding block, i.e. the encoder layers)
//	layers   number of blocks (n_layer / encoder layers)
//	width    model width (GPT-2 d_model; FlexiBERT hidden size H of the mode)
var ScalarNames = []string{"params", "dparams", "layers", "width"}

// ArchScalars returns the architecture-level scalars of a (see ScalarNames).
// mode applies to FlexiBERT only ("" = DefaultFlexiMode) and is ignored for
// GPT-2. It returns nil if the configuration cannot be counted, which does not
// happen for architectures returned by Load (see ArchScalarsErr).
func ArchScalars(a Arch, mode FlexiMode) map[string]float64 {
	m, err := ArchScalarsErr(a, mode)
	if err != nil {
		return nil
	}
	return m
}

// ArchScalarsErr is ArchScalars with the reason when counting fails.
func ArchScalarsErr(a Arch, mode FlexiMode) (map[string]float64, error) {
	switch {
	case a.GPT2 != nil:
		p, err := GPT2Params(a.GPT2)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", a.ID, err)
		}
		return map[string]float64{
			"params":  float64(p.Total),
			"dparams": float64(p.NonEmbedding),
			"layers":  float64(a.GPT2.NLayer),
			"width":   float64(a.GPT2.DModel),
		}, nil
	case a.Flexi != nil:
		if mode == "" {
			mode = DefaultFlexiMode
		}
		p, err := FlexiParams(a.Flexi, mode)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", a.ID, err)
		}
		return map[string]float64{
			"params":  float64(p.Total),
			"dparams": float64(p.Encoder()),
			"layers":  float64(len(a.Flexi.Layers)),
			"width":   float64(p.Hidden),
		}, nil
	}
	if a.Llama != nil {
		return LlamaScalars(a.Llama), nil
	}
	return nil, fmt.Errorf("bench: %s: architecture has no configuration", a.ID)
}

// StratumOf returns the stratum of a: FlexiBERT "h<hidden>-L<layers>" with
// the record's hidden size (e.g. "h256-L4"), GPT-2 "d<d_model>" (e.g. "d512").
// Within-stratum rank correlation shows whether a proxy sees more than depth
// and width (DESIGN.md §4).
func StratumOf(a Arch) string {
	switch {
	case a.Flexi != nil:
		return "h" + strconv.Itoa(a.Flexi.HiddenSize) + "-L" + strconv.Itoa(len(a.Flexi.Layers))
	case a.GPT2 != nil:
		return "d" + strconv.Itoa(a.GPT2.DModel)
	case a.Llama != nil:
		return "d" + strconv.Itoa(a.Llama.DModel)
	}
	return ""
}

// Strata returns StratumOf for every architecture of b, in benchmark order.
func Strata(b *Benchmark) []string {
	return StrataOf(b.Archs)
}

// StrataOf returns StratumOf for each of archs.
func StrataOf(archs []Arch) []string {
	s := make([]string, len(archs))
	for i, a := range archs {
		s[i] = StratumOf(a)
	}
	return s
}
