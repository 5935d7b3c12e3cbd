package bench

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// LoNAS sub-networks (the paper's LLaMA setting, after Munoz et al.,
// LREC-COLING 2024): a trained LLaMA-style decoder, the super-network, is
// made elastic per layer in its attention heads (keep all, or drop the
// last fraction of them, as LLaMA-7B's 32 → 28) and in its SwiGLU width
// (the first fraction of the gate/up columns and down rows, as 11008 →
// 9632 … 5504). A sub-network keeps a prefix of each layer's heads and
// FFN channels: that is a mask over the trained weights, and lpz realises
// it by keeping the masked-in rows and columns only (the same function,
// and the channels keep the sub-network's true shapes).

// FamilyLoNAS is the family of sub-networks of a LoNAS super-network.
const FamilyLoNAS = "lonas"

// LonasConfig is one sub-network: per layer, the heads and FFN channels
// it keeps. Super is the super-network it is cut from (the loader of a
// benchmark fills it; a config alone names only the choice).
type LonasConfig struct {
	NHead []int     `json:"n_head"`
	DFF   []int     `json:"d_ff"`
	Super *Supernet `json:"super,omitempty"`
}

// Supernet identifies a trained super-network: its base configuration,
// the choices of its elastic space and where its checkpoint and adapter
// are. Digest (of the checkpoint's and adapter's files) is what cache keys
// see; the directories are not, so a moved benchmark keeps its cache.
type Supernet struct {
	Base       LlamaConfig `json:"base"`
	HeadFracs  []float64   `json:"heads"`  // fractions of each layer's heads a sub-network may keep
	WidthFracs []float64   `json:"widths"` // fractions of each layer's d_ff a sub-network may keep
	Digest     string      `json:"sha256"`
	Checkpoint string      `json:"-"` // Hugging Face LLaMA directory
	Adapter    string      `json:"-"` // PEFT LoRA directory ("": none)
}

// Choices are a sub-network's per-layer choice indices into HeadFracs and
// WidthFracs.
type Choices struct{ Heads, Widths []int }

// LonasFromConfig decodes a sub-network's config map ({"n_head": [...],
// "d_ff": [...]}).
func LonasFromConfig(cfg map[string]any) (*LonasConfig, error) {
	var c LonasConfig
	if err := decodeConfig(cfg, &c); err != nil {
		return nil, err
	}
	if len(c.NHead) == 0 || len(c.NHead) != len(c.DFF) {
		return nil, fmt.Errorf("lonas: n_head and d_ff need one entry per layer, have %d and %d", len(c.NHead), len(c.DFF))
	}
	return &c, nil
}

// Validate checks the super-network's space: a uniform base and
// fractions in (0, 1] that cut whole heads and channels.
func (s *Supernet) Validate() error {
	b := &s.Base
	if err := b.Validate(); err != nil {
		return err
	}
	if len(s.HeadFracs) == 0 || len(s.WidthFracs) == 0 {
		return fmt.Errorf("lonas: heads and widths need at least one fraction each")
	}
	for l := range b.NLayer {
		if b.NHead[l] != b.NHead[0] || b.DFF[l] != b.DFF[0] {
			return fmt.Errorf("lonas: the super-network must be uniform (layer %d has n_head %d, d_ff %d; layer 0 %d, %d)", l, b.NHead[l], b.DFF[l], b.NHead[0], b.DFF[0])
		}
	}
	for _, fr := range [][]float64{s.HeadFracs, s.WidthFracs} {
		for _, f := range fr {
			if f <= 0 || f > 1 {
				return fmt.Errorf("lonas: fraction %v outside (0, 1]", f)
			}
		}
	}
	for _, f := range s.HeadFracs {
		if _, ok := wholeFraction(b.NHead[0], f); !ok {
			return fmt.Errorf("lonas: heads fraction %v of %d heads is not a whole number of heads", f, b.NHead[0])
		}
	}
	for _, f := range s.WidthFracs {
		if _, ok := wholeFraction(b.DFF[0], f); !ok {
			return fmt.Errorf("lonas: width fraction %v of d_ff %d is not a whole number of channels", f, b.DFF[0])
		}
	}
	return nil
}

func wholeFraction(n int, f float64) (int, bool) {
	k := f * float64(n)
	r := int(k + 0.5)
	return r, r > 0 && math.Abs(k-float64(r)) < 1e-9
}

// Layers is the number of elastic layers.
func (s *Supernet) Layers() int { return s.Base.NLayer }

// Config is the sub-network of ch (indices into the fractions).
func (s *Supernet) Config(ch Choices) (*LonasConfig, error) {
	L := s.Layers()
	if len(ch.Heads) != L || len(ch.Widths) != L {
		return nil, fmt.Errorf("lonas: a sub-network needs %d head and width choices, have %d and %d", L, len(ch.Heads), len(ch.Widths))
	}
	c := &LonasConfig{Super: s}
	for l := range L {
		h, w := ch.Heads[l], ch.Widths[l]
		if h < 0 || h >= len(s.HeadFracs) || w < 0 || w >= len(s.WidthFracs) {
			return nil, fmt.Errorf("lonas: layer %d: choice (%d, %d) out of range", l, h, w)
		}
		nh, _ := wholeFraction(s.Base.NHead[l], s.HeadFracs[h])
		f, _ := wholeFraction(s.Base.DFF[l], s.WidthFracs[w])
		c.NHead = append(c.NHead, nh)
		c.DFF = append(c.DFF, f)
	}
	return c, nil
}

// Choices recovers c's choice indices (an error if c is not a sub-network
// of s).
func (s *Supernet) Choices(c *LonasConfig) (Choices, error) {
	L := s.Layers()
	if len(c.NHead) != L || len(c.DFF) != L {
		return Choices{}, fmt.Errorf("lonas: sub-network has %d layers, super-network %d", len(c.NHead), L)
	}
	find := func(n int, fracs []float64, want int) int {
		for i, f := range fracs {
			if k, _ := wholeFraction(n, f); k == want {
				return i
			}
		}
		return -1
	}
	var ch Choices
	for l := range L {
		h, w := find(s.Base.NHead[l], s.HeadFracs, c.NHead[l]), find(s.Base.DFF[l], s.WidthFracs, c.DFF[l])
		if h < 0 || w < 0 {
			return Choices{}, fmt.Errorf("lonas: layer %d: n_head %d / d_ff %d is not a choice of the super-network", l, c.NHead[l], c.DFF[l])
		}
		ch.Heads, ch.Widths = append(ch.Heads, h), append(ch.Widths, w)
	}
	return ch, nil
}

// ID is the stable name of a sub-network: "h" and one head-choice digit
// per layer, then "-w" and one width-choice digit per layer (0 = the
// first fraction, the whole layer), e.g. h0100-w2403.
func (ch Choices) ID() string {
	var b strings.Builder
	b.WriteByte('h')
	for _, h := range ch.Heads {
		b.WriteString(strconv.Itoa(h))
	}
	b.WriteString("-w")
	for _, w := range ch.Widths {
		b.WriteString(strconv.Itoa(w))
	}
	return b.String()
}

// Llama is the sub-network as a llama-family configuration.
func (c *LonasConfig) Llama() (LlamaConfig, error) {
	if c.Super == nil {
		return LlamaConfig{}, fmt.Errorf("lonas: sub-network without its super-network")
	}
	lc := c.Super.Base
	if len(c.NHead) != lc.NLayer || len(c.DFF) != lc.NLayer {
		return LlamaConfig{}, fmt.Errorf("lonas: sub-network has %d layers, super-network %d", len(c.NHead), lc.NLayer)
	}
	lc.NHead = append([]int(nil), c.NHead...)
	lc.DFF = append([]int(nil), c.DFF...)
	return lc, lc.Validate()
}

// SpaceSize is the number of sub-networks.
func (s *Supernet) SpaceSize() float64 {
	n := 1.0
	for range s.Layers() {
		n *= float64(len(s.HeadFracs) * len(s.WidthFracs))
	}
	return n
}

// LonasStream is the PCG stream of sub-network sampling.
const LonasStream = 0x6c707a2d6c6f6e61 // "lpz-lona"

// SampleSubnets draws n distinct sub-networks, each layer's head and width
// choice uniform and independent, from PCG(seed, LonasStream).
func (s *Supernet) SampleSubnets(n int, seed uint64) ([]Choices, error) {
	if float64(n) > s.SpaceSize() {
		return nil, fmt.Errorf("lonas: %d sub-networks asked, the space has %.0f", n, s.SpaceSize())
	}
	r := rand.New(rand.NewPCG(seed, LonasStream))
	seen := map[string]bool{}
	var out []Choices
	for len(out) < n {
		var ch Choices
		for range s.Layers() {
			ch.Heads = append(ch.Heads, r.IntN(len(s.HeadFracs)))
			ch.Widths = append(ch.Widths, r.IntN(len(s.WidthFracs)))
		}
		if id := ch.ID(); !seen[id] {
			seen[id] = true
			out = append(out, ch)
		}
	}
	return out, nil
}

// Heuristic is LoNAS's heuristic sub-network: the middle choice of every
// layer.
func (s *Supernet) Heuristic() Choices {
	var ch Choices
	for range s.Layers() {
		ch.Heads = append(ch.Heads, len(s.HeadFracs)/2)
		ch.Widths = append(ch.Widths, len(s.WidthFracs)/2)
	}
	return ch
}

// LonasScalars are the architecture scalars of a sub-network (exact
// parameter counts of the kept weights; LoRA adapters merged into them
// add none).
func LonasScalars(c *LonasConfig) (map[string]float64, error) {
	lc, err := c.Llama()
	if err != nil {
		return nil, err
	}
	return LlamaScalars(&lc), nil
}

// lonasStratum groups sub-networks by their mean width choice.
func lonasStratum(c *LonasConfig) string {
	if c.Super == nil {
		return "?"
	}
	ch, err := c.Super.Choices(c)
	if err != nil {
		return "?"
	}
	sum := 0
	for _, w := range ch.Widths {
		sum += w
	}
	return "w" + strconv.Itoa((2*sum+len(ch.Widths))/(2*len(ch.Widths)))
}

// LonasSpace is a lonas space's supernet: section: the super-network to
// train, its elastic choices, its adapters and how sub-networks are
// measured.
type LonasSpace struct {
	Base         LlamaConfig
	Heads        []float64
	Widths       []float64
	LoraRank     int
	LoraAlpha    float64
	AdapterTrain map[string]any
	Eval         LonasEval
}

// LonasEval says how a sub-network's ground truths are measured on the
// held-out text: perplexity over PPLWindows consecutive windows of
// seq_len+1 bytes (and over each half of them, for stability), and a
// multiple-choice task of TaskItems items built from the text after them
// (TaskContext bytes of passage, Choices candidate continuations of
// TaskContinuation bytes), Batch sequences per graph execution.
type LonasEval struct {
	PPLWindows       int `yaml:"ppl_windows" json:"ppl_windows"`
	TaskItems        int `yaml:"task_items" json:"task_items"`
	TaskContext      int `yaml:"task_context" json:"task_context"`
	TaskContinuation int `yaml:"task_continuation" json:"task_continuation"`
	Choices          int `yaml:"choices" json:"choices"`
	Batch            int `yaml:"batch" json:"batch"`
}

// LonasSpaceOf reads s's supernet: section. The base takes scalar n_head
// and d_ff (the super-network is uniform).
func LonasSpaceOf(s *Space) (*LonasSpace, error) {
	if s.Family != FamilyLoNAS || s.Supernet == nil {
		return nil, fmt.Errorf("bench: space %s is not a lonas space", s.Name)
	}
	var raw struct {
		Base         map[string]any `yaml:"base"`
		Heads        []float64      `yaml:"heads"`
		Widths       []float64      `yaml:"widths"`
		LoraRank     int            `yaml:"lora_rank"`
		LoraAlpha    float64        `yaml:"lora_alpha"`
		AdapterTrain map[string]any `yaml:"adapter_train"`
		Eval         LonasEval      `yaml:"eval"`
	}
	if err := remarshalYAML(s.Supernet, &raw); err != nil {
		return nil, fmt.Errorf("bench: space %s: supernet: %w", s.Name, err)
	}
	ls := &LonasSpace{Heads: raw.Heads, Widths: raw.Widths, LoraRank: raw.LoraRank,
		LoraAlpha: raw.LoraAlpha, AdapterTrain: raw.AdapterTrain, Eval: raw.Eval}
	e := ls.Eval
	if ls.LoraRank <= 0 || e.PPLWindows < 2 || e.TaskItems < 2 || e.TaskContext < 1 || e.TaskContinuation < 1 || e.Choices < 2 || e.Batch < 1 {
		return nil, fmt.Errorf("bench: space %s: supernet: lora_rank and eval's ppl_windows (≥ 2), task_items (≥ 2), task_context, task_continuation, choices (≥ 2) and batch must be positive", s.Name)
	}
	if raw.Base == nil { // the base is a checkpoint given to the build (lpz bench build --supernet DIR)
		return ls, nil
	}
	lc, err := uniformLlama(raw.Base)
	if err != nil {
		return nil, fmt.Errorf("bench: space %s: supernet.base: %w", s.Name, err)
	}
	if err := ls.SetBase(*lc); err != nil {
		return nil, fmt.Errorf("bench: space %s: %w", s.Name, err)
	}
	return ls, nil
}

// uniformLlama decodes a base: with one n_head and one d_ff for every
// layer.
func uniformLlama(raw map[string]any) (*LlamaConfig, error) {
	base := map[string]any{}
	for k, v := range raw {
		base[k] = v
	}
	L, _ := toInt(base["n_layer"])
	for _, k := range []string{"n_head", "d_ff"} {
		v, ok := toInt(base[k])
		if !ok {
			return nil, fmt.Errorf("%s: want one integer (the super-network is uniform)", k)
		}
		per := make([]any, max(L, 0))
		for i := range per {
			per[i] = v
		}
		base[k] = per
	}
	return LlamaFromConfig(base)
}

// HasBase says whether the super-network's configuration is known (from
// the space's base: or from SetBase).
func (ls *LonasSpace) HasBase() bool { return ls.Base.NLayer > 0 }

// SetBase sets the super-network's configuration (a space's base:, or a
// checkpoint's config) and checks the space's choices and task fit it.
func (ls *LonasSpace) SetBase(c LlamaConfig) error {
	ls.Base = c
	if err := ls.Supernet().Validate(); err != nil {
		return err
	}
	e := ls.Eval
	if e.TaskContext+e.TaskContinuation > c.SeqLen+1 {
		return fmt.Errorf("task_context + task_continuation %d exceed seq_len+1 = %d", e.TaskContext+e.TaskContinuation, c.SeqLen+1)
	}
	return nil
}

// Supernet is the space's super-network before training (no checkpoint).
func (ls *LonasSpace) Supernet() *Supernet {
	return &Supernet{Base: ls.Base, HeadFracs: ls.Heads, WidthFracs: ls.Widths}
}

// remarshalYAML decodes a YAML-decoded map into out's yaml-tagged fields,
// rejecting unknown keys.
func remarshalYAML(in map[string]any, out any) error {
	raw, err := yaml.Marshal(in)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	return dec.Decode(out)
}

// sampleLonas is Space.Sample of a lonas space: n distinct sub-networks
// (SampleSubnets) named by their Choices.ID.
func sampleLonas(s *Space, n int, seed uint64) ([]SpaceArch, error) {
	ls, err := LonasSpaceOf(s)
	if err != nil {
		return nil, err
	}
	if !ls.HasBase() {
		return nil, fmt.Errorf("bench: space %s: its sub-networks depend on the checkpoint given to lpz bench build --supernet", s.Name)
	}
	return ls.Sample(n, seed)
}

// Sample draws n distinct sub-networks (SampleSubnets) as space
// architectures named by their Choices.ID.
func (ls *LonasSpace) Sample(n int, seed uint64) ([]SpaceArch, error) {
	sn := ls.Supernet()
	chs, err := sn.SampleSubnets(n, seed)
	if err != nil {
		return nil, err
	}
	out := make([]SpaceArch, len(chs))
	for i, ch := range chs {
		c, err := sn.Config(ch)
		if err != nil {
			return nil, err
		}
		out[i] = SpaceArch{ID: ch.ID(), Config: map[string]any{"n_head": c.NHead, "d_ff": c.DFF}}
	}
	return out, nil
}
