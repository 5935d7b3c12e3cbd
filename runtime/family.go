package runtime

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"lpz/bench"
	"lpz/interp"
	"lpz/tokenizer"
)

// family is one model family's row of the family table: the one place in
// lpz that tells the families apart.
type family struct {
	name    string // bench.Family…
	version string // model code version (cache keys, build records)
	// extra are the opt-in channels the family captures beyond the
	// standard ones (see CaptureOptions.Channels).
	extra []string
	// decoder: a minibatch row is one token longer than the sequence, the
	// next-token labels; otherwise rows are GPT-2 ids folded into the
	// family's vocabulary (masked-LM encoders).
	decoder bool
	vocab   int // encoders: the vocabulary ids are folded into
	// fidelity: the family's models have a bench.FlexiMode (the records'
	// own model or the upstream proxy code's), part of a capture's identity.
	fidelity bool
	// omitW: a capture cache leaves W out of an entry and rebuilds it from
	// (config, seed) on load (half of every GPT-2 entry; the other
	// families' entries have always held W, so they keep it).
	omitW bool
	// config is a's configuration when a belongs to the family.
	config func(a bench.Arch) (any, bool)
	decode func(cfg map[string]any) (any, error)
	// instantiate draws the weights of cfg (FlexiBERT in fidelity mode).
	instantiate func(cfg any, mode bench.FlexiMode, seed uint64) (Model, error)
	// train is nil for a family that cannot be trained.
	train func(backend backends.Backend, cfg any, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error)
}

var extraChannels = []string{ChannelGA, ChannelHG, ChannelGS}

// families is the family table, fixed at compile time.
var families = []family{
	{
		name: bench.FamilyGPT2, version: GPT2ModelVersion, extra: extraChannels, decoder: true, omitW: true,
		config: func(a bench.Arch) (any, bool) { return a.GPT2, a.GPT2 != nil },
		decode: func(cfg map[string]any) (any, error) { return bench.GPT2FromConfig(cfg) },
		instantiate: func(cfg any, _ bench.FlexiMode, seed uint64) (Model, error) {
			return NewGPT2(*cfg.(*bench.GPT2Config), seed)
		},
		train: func(be backends.Backend, cfg any, train, valid []int, tc TrainConfig, p TrainProgress) (*TrainResult, error) {
			return TrainGPT2(be, *cfg.(*bench.GPT2Config), train, valid, tc, p)
		},
	},
	{
		name: bench.FamilyFlexiBERT, version: FlexiBERTModelVersion, vocab: bench.FlexiVocab, fidelity: true,
		extra:  append([]string{ChannelGones}, extraChannels...),
		config: func(a bench.Arch) (any, bool) { return a.Flexi, a.Flexi != nil },
		decode: func(cfg map[string]any) (any, error) { return bench.FlexiFromConfig(cfg) },
		instantiate: func(cfg any, mode bench.FlexiMode, seed uint64) (Model, error) {
			return NewFlexiBERT(*cfg.(*bench.FlexiBERTConfig), mode, seed)
		},
	},
	{
		name: bench.FamilyLlama, version: LlamaModelVersion, extra: extraChannels, decoder: true,
		config: func(a bench.Arch) (any, bool) { return a.Llama, a.Llama != nil },
		decode: func(cfg map[string]any) (any, error) { return bench.LlamaFromConfig(cfg) },
		instantiate: func(cfg any, _ bench.FlexiMode, seed uint64) (Model, error) {
			return NewLlama(*cfg.(*bench.LlamaConfig), seed)
		},
		train: func(be backends.Backend, cfg any, train, valid []int, tc TrainConfig, p TrainProgress) (*TrainResult, error) {
			return TrainLlama(be, *cfg.(*bench.LlamaConfig), train, valid, tc, p)
		},
	},
	{
		// Sub-networks carry trained weights: their seed draws nothing.
		name: bench.FamilyLoNAS, version: LonasModelVersion, extra: extraChannels, decoder: true,
		config: func(a bench.Arch) (any, bool) { return a.Lonas, a.Lonas != nil },
		decode: func(cfg map[string]any) (any, error) { return bench.LonasFromConfig(cfg) },
		instantiate: func(cfg any, _ bench.FlexiMode, _ uint64) (Model, error) {
			c := cfg.(*bench.LonasConfig)
			if c.Super == nil {
				return nil, fmt.Errorf("runtime: sub-network %v/%v without its super-network (load it from its benchmark)", c.NHead, c.DFF)
			}
			s, err := LoadSupernet(c.Super)
			if err != nil {
				return nil, err
			}
			return s.Subnet(c)
		},
	},
}

// familyNamed is the table row of a family name (nil if unknown).
func familyNamed(name string) *family {
	for i := range families {
		if families[i].name == name {
			return &families[i]
		}
	}
	return nil
}

// Spec is one architecture bound to its family's code, before any weights
// are drawn: cheap to make, it names the model in cache keys and build
// records and instantiates, captures and trains it.
type Spec struct {
	Family  string // bench.FamilyGPT2 | bench.FamilyFlexiBERT | bench.FamilyLlama | bench.FamilyLoNAS
	Version string // the family's model code version
	// Config is the architecture's configuration as bench holds it:
	// *bench.GPT2Config, *bench.FlexiBERTConfig or *bench.LlamaConfig.
	Config any
	// Fidelity is FlexiBERT's model mode as given ("" = records); always
	// "" for the other families.
	Fidelity bench.FlexiMode
	// CacheOmitsW: W is a pure function of (Config, seed) that a capture
	// cache leaves out of its entries and rebuilds with Weights.
	CacheOmitsW bool

	fam *family
}

// SpecOf binds a benchmark architecture to its family; mode is the
// FlexiBERT fidelity (ignored by the other families).
func SpecOf(a bench.Arch, mode bench.FlexiMode) (Spec, error) {
	for i := range families {
		if cfg, ok := families[i].config(a); ok {
			return newSpec(&families[i], cfg, mode), nil
		}
	}
	return Spec{}, fmt.Errorf("architecture %s has no model configuration", a.ID)
}

// SpecFromConfig binds a configuration map of a search space or
// lpz-bench/1 file (bench.GPT2FromConfig and its siblings) to family.
func SpecFromConfig(familyName string, cfg map[string]any) (Spec, error) {
	f := familyNamed(familyName)
	if f == nil {
		return Spec{}, fmt.Errorf("runtime: unknown model family %q", familyName)
	}
	c, err := f.decode(cfg)
	if err != nil {
		return Spec{}, err
	}
	return newSpec(f, c, ""), nil
}

func newSpec(f *family, cfg any, mode bench.FlexiMode) Spec {
	s := Spec{Family: f.name, Version: f.version, Config: cfg, CacheOmitsW: f.omitW, fam: f}
	if f.fidelity {
		s.Fidelity = mode
	}
	return s
}

// New instantiates the architecture with weights drawn from seed.
func (s Spec) New(seed uint64) (Model, error) {
	if s.fam == nil {
		return nil, fmt.Errorf("runtime: Spec not made by SpecOf or SpecFromConfig")
	}
	return s.fam.instantiate(s.Config, s.Fidelity, seed)
}

// VersionOf is a family's model code version ("" for an unknown family).
func VersionOf(familyName string) string {
	if f := familyNamed(familyName); f != nil {
		return f.version
	}
	return ""
}

// HasFidelity says whether the family's models have a bench.FlexiMode.
func HasFidelity(familyName string) bool {
	f := familyNamed(familyName)
	return f != nil && f.fidelity
}

// Trainable says whether Spec.Train can train the family's architectures.
func Trainable(familyName string) bool {
	f := familyNamed(familyName)
	return f != nil && f.train != nil
}

// WindowLen is the number of token ids a minibatch row of a family needs
// for seq positions (decoders read one more: the labels).
func WindowLen(familyName string, seq int) int {
	if f := familyNamed(familyName); f != nil && f.decoder {
		return seq + 1
	}
	return seq
}

// Batch is the family's minibatch made of token windows of WindowLen ids
// each: decoders read inputs and next-token labels from them, encoders
// fold the (GPT-2) ids into their vocabulary (tokenizer.FoldIDs).
func (s Spec) Batch(windows [][]int) Batch {
	var b Batch
	for _, w := range windows {
		switch {
		case s.fam != nil && s.fam.decoder:
			b.Inputs = append(b.Inputs, w[:len(w)-1])
			b.Labels = append(b.Labels, w[1:])
		case s.fam != nil:
			b.Inputs = append(b.Inputs, tokenizer.FoldIDs(w, s.fam.vocab))
		}
	}
	return b
}

// Capture instantiates the architecture with opts.Seed, runs the minibatch
// made of windows (see Batch) forward and backward on backend and returns
// the requested channels.
func (s Spec) Capture(backend backends.Backend, windows [][]int, opts CaptureOptions) (*Capture, error) {
	if s.fam == nil {
		return nil, fmt.Errorf("runtime: Spec not made by SpecOf or SpecFromConfig")
	}
	return capture(backend, s.Family, func() (Model, error) { return s.New(opts.Seed) }, s.Batch(windows), opts, dtypes.Float32)
}

// Weights rebuilds the W channel of a capture with seed (see CacheOmitsW).
func (s Spec) Weights(seed uint64) (interp.Value, error) {
	m, err := s.New(seed)
	if err != nil {
		return interp.Value{}, err
	}
	return weightsValue(m), nil
}

// Train trains the architecture from its seeded initialisation (tc.Seed)
// with the loop of TrainGPT2.
func (s Spec) Train(backend backends.Backend, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error) {
	if s.fam == nil || s.fam.train == nil {
		return nil, fmt.Errorf("runtime: the %s family cannot be trained (gpt2 and llama decoders can)", s.Family)
	}
	return s.fam.train(backend, s.Config, train, valid, tc, progress)
}
