package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"lpz/bench"
	"lpz/checkpoint"
)

// Hugging Face checkpoints of the llama family. lpz keeps weights (in, out)
// and Hugging Face's nn.Linear keeps (out, in), so every projection is
// transposed on the way in and out; the embedding, the norms and lm_head
// are stored as they are. Hugging Face LLaMA applies rotary embeddings in
// the rotate-half form lpz uses, so q_proj and k_proj need no permutation.

// hfName is the Hugging Face name of one of m's params and whether the
// tensor is transposed between the two.
func hfName(name string) (string, bool, error) {
	if s, ok := strings.CutPrefix(name, "layers."); ok {
		l, rest, _ := strings.Cut(s, ".")
		pre := "model.layers." + l + "."
		switch rest {
		case "attention_norm.weight":
			return pre + "input_layernorm.weight", false, nil
		case "ffn_norm.weight":
			return pre + "post_attention_layernorm.weight", false, nil
		case "attention.wq", "attention.wk", "attention.wv", "attention.wo":
			return pre + "self_attn." + rest[len("attention.w"):] + "_proj.weight", true, nil
		case "feed_forward.w_gate", "feed_forward.w_up", "feed_forward.w_down":
			return pre + "mlp." + rest[len("feed_forward.w_"):] + "_proj.weight", true, nil
		}
	}
	switch name {
	case "tok_embeddings.weight":
		return "model.embed_tokens.weight", false, nil
	case "norm.weight":
		return "model.norm.weight", false, nil
	case "output.weight":
		return "lm_head.weight", false, nil
	}
	return "", false, fmt.Errorf("runtime: no Hugging Face name for %s", name)
}

// transpose2 returns the (cols, rows) transpose of a row-major matrix.
func transpose2(data []float32, rows, cols int) []float32 {
	out := make([]float32, len(data))
	for r := range rows {
		for c := range cols {
			out[c*rows+r] = data[r*cols+c]
		}
	}
	return out
}

// HFConfig is cfg as a Hugging Face LlamaConfig; Hugging Face's config
// has one head count and one FFN width, so cfg must be uniform.
func HFConfig(cfg bench.LlamaConfig) (checkpoint.LlamaConfig, error) {
	for l := range cfg.NLayer {
		if cfg.NHead[l] != cfg.NHead[0] || cfg.DFF[l] != cfg.DFF[0] {
			return checkpoint.LlamaConfig{}, fmt.Errorf("runtime: a Hugging Face LlamaConfig needs the same n_head and d_ff in every layer (layer %d differs)", l)
		}
	}
	return checkpoint.LlamaConfig{
		Architectures: []string{"LlamaForCausalLM"}, ModelType: "llama",
		HiddenSize: cfg.DModel, IntermediateSize: cfg.DFF[0], NumAttentionHeads: cfg.NHead[0],
		NumKeyValueHeads: cfg.NHead[0], ExplicitHeadDim: cfg.HeadDim, NumHiddenLayers: cfg.NLayer,
		VocabSize: cfg.NToken, MaxPositionEmbeddings: cfg.SeqLen, RMSNormEps: cfg.NormEps,
		RopeTheta: cfg.RopeTheta, TieWordEmbeddings: cfg.TieWeight, HiddenAct: "silu",
		InitializerRange: cfg.InitStd, TorchDtype: "float32",
	}, nil
}

// ConfigFromHF is a Hugging Face LlamaConfig as a llama-family config
// (seq_len: max_position_embeddings).
func ConfigFromHF(c checkpoint.LlamaConfig) bench.LlamaConfig {
	L := c.NumHiddenLayers
	cfg := bench.LlamaConfig{NLayer: L, DModel: c.HiddenSize, HeadDim: c.HeadDim(), NToken: c.VocabSize,
		SeqLen: c.MaxPositionEmbeddings, RopeTheta: c.RopeTheta, NormEps: c.RMSNormEps,
		TieWeight: c.TieWordEmbeddings, InitStd: c.InitializerRange}
	for range L {
		cfg.NHead = append(cfg.NHead, c.NumAttentionHeads)
		cfg.DFF = append(cfg.DFF, c.IntermediateSize)
	}
	return cfg
}

// SaveLlama writes m as a Hugging Face LLaMA checkpoint directory.
func SaveLlama(dir string, m *Llama) error {
	hc, err := HFConfig(m.Cfg)
	if err != nil {
		return err
	}
	ck := &checkpoint.Llama{Config: hc, Tensors: map[string]checkpoint.Tensor{}}
	for _, p := range m.Params {
		name, tr, err := hfName(p.Name)
		if err != nil {
			return err
		}
		t := checkpoint.Tensor{Shape: append([]int(nil), p.Shape...), Data: p.Data}
		if tr {
			t = checkpoint.Tensor{Shape: []int{p.Shape[1], p.Shape[0]}, Data: transpose2(p.Data, p.Shape[0], p.Shape[1])}
		}
		ck.Tensors[name] = t
	}
	return checkpoint.WriteLlama(dir, ck)
}

// LoadLlama reads a Hugging Face LLaMA checkpoint directory (a real
// LLaMA/LLaMA-2 one included) into a Llama.
func LoadLlama(dir string) (*Llama, error) {
	ck, err := checkpoint.ReadLlama(dir)
	if err != nil {
		return nil, err
	}
	return llamaFromHF(ck, dir)
}

func llamaFromHF(ck *checkpoint.Llama, dir string) (*Llama, error) {
	cfg := ConfigFromHF(ck.Config)
	m, err := newLlamaShell(cfg)
	if err != nil {
		return nil, fmt.Errorf("runtime: %s: %w", dir, err)
	}
	for _, p := range m.Params {
		name, tr, err := hfName(p.Name)
		if err != nil {
			return nil, err
		}
		t, ok := ck.Tensors[name] // checkpoint.ReadLlama checked names and shapes against the config
		want := p.Shape
		if tr {
			want = []int{p.Shape[1], p.Shape[0]}
		}
		if !ok || len(t.Shape) != len(want) || len(t.Data) != len(p.Data) {
			return nil, fmt.Errorf("runtime: %s: tensor %s: missing or not of shape %v", dir, name, want)
		}
		if tr {
			p.Data = transpose2(t.Data, want[0], want[1])
		} else {
			p.Data = t.Data
		}
	}
	return m, nil
}

// newLlamaShell lays out cfg's params with zero weights (a loaded model
// overwrites them all).
func newLlamaShell(cfg bench.LlamaConfig) (*Llama, error) { return newLlama(cfg, 0, false) }

// adapterName is PEFT's name of an adapter tensor (lora_A or lora_B).
func adapterName(layer int, target, ab string) string {
	mod := "self_attn."
	if target == "up_proj" || target == "gate_proj" {
		mod = "mlp."
	}
	return fmt.Sprintf("base_model.model.model.layers.%d.%s%s.%s.weight", layer, mod, target, ab)
}

// SaveAdapters writes s's adapters as a PEFT LoRA directory (base names
// the base model in adapter_config.json).
func (s *Supernet) SaveAdapters(dir, base string) error {
	hc, err := HFConfig(s.Base.Cfg)
	if err != nil {
		return err
	}
	a := &checkpoint.Adapter{Config: checkpoint.LoraConfig{PeftType: "LORA", TaskType: "CAUSAL_LM", R: s.Rank,
		LoraAlpha: s.Alpha, TargetModules: append([]string(nil), LoraTargets...), Bias: "none",
		InferenceMode: true, BaseModelNameOrPath: base}, Tensors: map[string]checkpoint.Tensor{}}
	for _, lr := range s.lora {
		in, r, out := lr.a.Shape[0], lr.a.Shape[1], lr.b.Shape[1]
		a.Tensors[adapterName(lr.layer, lr.target, "lora_A")] = checkpoint.Tensor{Shape: []int{r, in}, Data: transpose2(lr.a.Data, in, r)}
		a.Tensors[adapterName(lr.layer, lr.target, "lora_B")] = checkpoint.Tensor{Shape: []int{out, r}, Data: transpose2(lr.b.Data, r, out)}
	}
	return checkpoint.WriteAdapter(dir, a, hc)
}

// loadAdapters reads a PEFT LoRA directory onto s (its targets must be
// among LoraTargets).
func (s *Supernet) loadAdapters(dir string) error {
	hc, err := HFConfig(s.Base.Cfg)
	if err != nil {
		return err
	}
	ad, err := checkpoint.ReadAdapter(dir, hc)
	if err != nil {
		return err
	}
	s.Rank, s.Alpha, s.lora, s.merged = ad.Config.R, ad.Config.LoraAlpha, nil, nil
	for l, b := range s.Base.blocks {
		for _, t := range ad.Config.TargetModules {
			w := b.target(t)
			if w == nil {
				return fmt.Errorf("runtime: %s: LoRA target %q is not one of %s", dir, t, strings.Join(LoraTargets, ", "))
			}
			in, out, r := w.Shape[0], w.Shape[1], s.Rank
			ta, tb := ad.Tensors[adapterName(l, t, "lora_A")], ad.Tensors[adapterName(l, t, "lora_B")]
			if len(ta.Data) != r*in || len(tb.Data) != out*r {
				return fmt.Errorf("runtime: %s: tensor %s: shapes do not fit the base model", dir, adapterName(l, t, "lora_A"))
			}
			s.lora = append(s.lora, &lora{layer: l, target: t, base: w,
				a: &Param{Name: fmt.Sprintf("layers.%d.%s.lora_A", l, t), Shape: []int{in, r}, Data: transpose2(ta.Data, r, in)},
				b: &Param{Name: fmt.Sprintf("layers.%d.%s.lora_B", l, t), Shape: []int{r, out}, Data: transpose2(tb.Data, out, r)}})
		}
	}
	return nil
}

// SupernetFiles are the files whose digest identifies a super-network:
// config.json, the index and every .safetensors file of the checkpoint,
// and adapter_config.json and the adapter's tensors.
func SupernetFiles(checkpointDir, adapterDir string) ([]string, error) {
	var files []string
	for _, dir := range []string{checkpointDir, adapterDir} {
		if dir == "" {
			continue
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			n := e.Name()
			if !e.IsDir() && (strings.HasSuffix(n, ".safetensors") || n == "config.json" || n == "adapter_config.json" || n == "model.safetensors.index.json") {
				files = append(files, filepath.Join(dir, n))
			}
		}
	}
	return files, nil
}

var supernets sync.Map // Checkpoint + "\x00" + Adapter + "\x00" + Digest → *supernetOnce

type supernetOnce struct {
	once sync.Once
	s    *Supernet
	err  error
}

// LoadSupernet reads spec's checkpoint and adapter once per process and
// checks they are the files the benchmark was built from.
func LoadSupernet(spec *bench.Supernet) (*Supernet, error) {
	v, _ := supernets.LoadOrStore(spec.Checkpoint+"\x00"+spec.Adapter+"\x00"+spec.Digest, &supernetOnce{})
	so := v.(*supernetOnce)
	so.once.Do(func() { so.s, so.err = loadSupernet(spec) })
	return so.s, so.err
}

func loadSupernet(spec *bench.Supernet) (*Supernet, error) {
	files, err := SupernetFiles(spec.Checkpoint, spec.Adapter)
	if err != nil {
		return nil, err
	}
	digest, err := checkpoint.DirDigest(files...)
	if err != nil {
		return nil, err
	}
	if spec.Digest != "" && digest != spec.Digest {
		return nil, fmt.Errorf("runtime: the super-network at %s (adapter %s) is not the one the benchmark was built from (sha256 %s, recorded %s)", spec.Checkpoint, spec.Adapter, digest, spec.Digest)
	}
	base, err := LoadLlama(spec.Checkpoint)
	if err != nil {
		return nil, err
	}
	s := &Supernet{Spec: spec, Base: base}
	if spec.Adapter != "" {
		if err := s.loadAdapters(spec.Adapter); err != nil {
			return nil, err
		}
	}
	return s, nil
}
