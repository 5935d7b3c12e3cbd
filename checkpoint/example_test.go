package checkpoint_test

import (
	"fmt"
	"log"
	"maps"
	"os"
	"slices"

	"lpz/checkpoint"
)

// A model is written as transformers saves one and read back, with every
// tensor checked against the config.
func ExampleReadLlama() {
	dir, err := os.MkdirTemp("", "llama")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	c := checkpoint.LlamaConfig{
		HiddenSize: 64, IntermediateSize: 172, NumAttentionHeads: 4, NumHiddenLayers: 2,
		VocabSize: 100, MaxPositionEmbeddings: 128, RMSNormEps: 1e-5, RopeTheta: 10000,
		HiddenAct: "silu", TieWordEmbeddings: true,
	}
	m := &checkpoint.Llama{Config: c, Tensors: map[string]checkpoint.Tensor{}}
	for name, shape := range checkpoint.LlamaShapes(c) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		m.Tensors[name] = checkpoint.Tensor{Shape: shape, Data: make([]float32, n)}
	}
	if err := checkpoint.WriteLlama(dir, m); err != nil {
		log.Fatal(err)
	}

	loaded, err := checkpoint.ReadLlama(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loaded.Config.ModelType, loaded.Config.TorchDtype, "head_dim", loaded.Config.HeadDim())
	fmt.Println(len(loaded.Tensors), "tensors; q_proj", loaded.Tensors["model.layers.0.self_attn.q_proj.weight"].Shape)

	// A checkpoint that disagrees with its config is refused, by file and tensor.
	delete(m.Tensors, "model.norm.weight")
	err = checkpoint.WriteLlama(dir, m)
	fmt.Println(err.(*checkpoint.Error).Tensor, "-", err.(*checkpoint.Error).Msg)
	// Output:
	// llama float32 head_dim 16
	// 20 tensors; q_proj [64 64]
	// model.norm.weight - missing; config wants shape [64]
}

// An adapter's tensors are named as PEFT names them, lora_A (r, in) and
// lora_B (out, r).
func ExampleAdapterShapes() {
	base := checkpoint.LlamaConfig{
		HiddenSize: 64, IntermediateSize: 172, NumAttentionHeads: 4, NumHiddenLayers: 1,
		VocabSize: 100, MaxPositionEmbeddings: 128, RMSNormEps: 1e-5, RopeTheta: 10000, HiddenAct: "silu",
	}
	lora := checkpoint.LoraConfig{
		PeftType: "LORA", TaskType: "CAUSAL_LM", Bias: "none",
		R: 8, LoraAlpha: 16, TargetModules: []string{"q_proj", "up_proj"},
	}
	shapes, err := checkpoint.AdapterShapes(lora, base)
	if err != nil {
		log.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(shapes))
	for _, name := range names {
		fmt.Println(name, shapes[name])
	}
	fmt.Println("scale", lora.Scale())
	// Output:
	// base_model.model.model.layers.0.mlp.up_proj.lora_A.weight [8 64]
	// base_model.model.model.layers.0.mlp.up_proj.lora_B.weight [172 8]
	// base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight [8 64]
	// base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight [64 8]
	// scale 2
}
