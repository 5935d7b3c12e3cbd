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
	f := archFamilyOf(a)
	if f == nil {
		return nil, fmt.Errorf("bench: %s: architecture has no configuration", a.ID)
	}
	m, err := f.scalars(a, mode)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", a.ID, err)
	}
	return m, nil
}

// StratumOf returns the stratum of a: FlexiBERT "h<hidden>-L<layers>" with
// the record's hidden size (e.g. "h256-L4"), GPT-2 and LLaMA
// "d<d_model>" (e.g. "d512"). Within-stratum rank correlation shows whether
// a proxy sees more than depth and width (DESIGN.md §4).
func StratumOf(a Arch) string {
	if f := archFamilyOf(a); f != nil {
		return f.stratum(a)
	}
	return ""
}

// StrataBy says what a stratum is in a family ("?" for an unknown one).
func StrataBy(family string) string {
	for _, f := range archFamilies {
		if f.name == family {
			return f.strataBy
		}
	}
	return "?"
}

// archFamily is one family's row of bench's family table: counting an
// architecture's scalars and naming its stratum. (The runtime has its own
// table; data flows from bench to runtime, so bench cannot use it.)
type archFamily struct {
	name     string
	strataBy string // what a stratum is
	has      func(a Arch) bool
	scalars  func(a Arch, mode FlexiMode) (map[string]float64, error)
	stratum  func(a Arch) string
}

var archFamilies = []archFamily{
	{
		name: FamilyGPT2, strataBy: "d_model",
		has: func(a Arch) bool { return a.GPT2 != nil },
		scalars: func(a Arch, _ FlexiMode) (map[string]float64, error) {
			p, err := GPT2Params(a.GPT2)
			if err != nil {
				return nil, err
			}
			return map[string]float64{
				"params":  float64(p.Total),
				"dparams": float64(p.NonEmbedding),
				"layers":  float64(a.GPT2.NLayer),
				"width":   float64(a.GPT2.DModel),
			}, nil
		},
		stratum: func(a Arch) string { return "d" + strconv.Itoa(a.GPT2.DModel) },
	},
	{
		name: FamilyFlexiBERT, strataBy: "hidden size x layers",
		has: func(a Arch) bool { return a.Flexi != nil },
		scalars: func(a Arch, mode FlexiMode) (map[string]float64, error) {
			if mode == "" {
				mode = DefaultFlexiMode
			}
			p, err := FlexiParams(a.Flexi, mode)
			if err != nil {
				return nil, err
			}
			return map[string]float64{
				"params":  float64(p.Total),
				"dparams": float64(p.Encoder()),
				"layers":  float64(len(a.Flexi.Layers)),
				"width":   float64(p.Hidden),
			}, nil
		},
		stratum: func(a Arch) string {
			return "h" + strconv.Itoa(a.Flexi.HiddenSize) + "-L" + strconv.Itoa(len(a.Flexi.Layers))
		},
	},
	{
		name: FamilyLlama, strataBy: "d_model",
		has:     func(a Arch) bool { return a.Llama != nil },
		scalars: func(a Arch, _ FlexiMode) (map[string]float64, error) { return LlamaScalars(a.Llama), nil },
		stratum: func(a Arch) string { return "d" + strconv.Itoa(a.Llama.DModel) },
	},
	{
		name: FamilyLoNAS, strataBy: "mean FFN width choice",
		has:     func(a Arch) bool { return a.Lonas != nil },
		scalars: func(a Arch, _ FlexiMode) (map[string]float64, error) { return LonasScalars(a.Lonas) },
		stratum: func(a Arch) string { return lonasStratum(a.Lonas) },
	},
}

// archFamilyOf is the row of a's family (nil without a configuration).
func archFamilyOf(a Arch) *archFamily {
	for i := range archFamilies {
		if archFamilies[i].has(a) {
			return &archFamilies[i]
		}
	}
	return nil
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
