package checkpoint

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
)

// peftConfigJSON is adapter_config.json as PEFT 0.10 writes it.
const peftConfigJSON = `{
  "alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "meta-llama/Llama-2-7b-hf",
  "bias": "none", "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true,
  "layer_replication": null, "layers_pattern": null, "layers_to_transform": null, "loftq_config": {},
  "lora_alpha": 16, "lora_dropout": 0.05, "megatron_config": null, "megatron_core": "megatron.core",
  "modules_to_save": null, "peft_type": "LORA", "r": 4, "rank_pattern": {}, "revision": null,
  "target_modules": ["v_proj", "q_proj"], "task_type": "CAUSAL_LM", "use_dora": false, "use_rslora": false
}`

const qLoraA = "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"

// adapterFixture writes a PEFT adapter of peftConfigJSON (after edit) for
// tinyConfig, its tensors built from the specification, and returns the
// tensors ReadAdapter should give.
func adapterFixture(t *testing.T, dir string, edit func(config map[string]any, tensors map[string]specTensor)) map[string]Tensor {
	t.Helper()
	var config map[string]any
	if err := json.Unmarshal([]byte(peftConfigJSON), &config); err != nil {
		t.Fatal(err)
	}
	tensors := make(map[string]specTensor)
	for _, layer := range []string{"0", "1"} {
		for _, m := range []string{"q_proj", "v_proj"} {
			p := "base_model.model.model.layers." + layer + ".self_attn." + m
			tensors[p+".lora_A.weight"] = specTensor{p + ".lora_A.weight", "BF16", []int{4, 8}}
			tensors[p+".lora_B.weight"] = specTensor{p + ".lora_B.weight", "F16", []int{8, 4}}
		}
	}
	if edit != nil {
		edit(config, tensors)
	}
	data, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "adapter_config.json"), data)
	var list []specTensor
	want := make(map[string]Tensor)
	for _, name := range sortedKeys(tensors) {
		list = append(list, tensors[name])
		_, values := specData(tensors[name])
		want[name] = Tensor{Shape: tensors[name].shape, Data: values}
	}
	writeFile(t, filepath.Join(dir, "adapter_model.safetensors"), specFile(list, 0, 0))
	return want
}

func TestReadAdapterFromSpecBytes(t *testing.T) {
	dir := t.TempDir()
	want := adapterFixture(t, dir, nil)
	a, err := ReadAdapter(dir, tinyConfig(false))
	if err != nil {
		t.Fatal(err)
	}
	wantConfig := LoraConfig{
		PeftType: "LORA", TaskType: "CAUSAL_LM", R: 4, LoraAlpha: 16, LoraDropout: 0.05,
		TargetModules: []string{"v_proj", "q_proj"}, Bias: "none", InferenceMode: true,
		BaseModelNameOrPath: "meta-llama/Llama-2-7b-hf",
	}
	if !reflect.DeepEqual(a.Config, wantConfig) {
		t.Errorf("config %+v, want %+v", a.Config, wantConfig)
	}
	if !reflect.DeepEqual(a.Tensors, want) {
		t.Error("tensors differ from the ones written")
	}
	if a.Config.Scale() != 4 {
		t.Errorf("Scale() = %v, want 16/4", a.Config.Scale())
	}
}

func TestAdapterRoundTrip(t *testing.T) {
	for _, tied := range []bool{false, true} {
		base := tinyConfig(tied)
		c := LoraConfig{R: 2, LoraAlpha: 8, TargetModules: []string{"q_proj", "k_proj", "v_proj", "up_proj", "gate_proj"}, InferenceMode: true}
		shapes, err := AdapterShapes(LoraConfig{PeftType: "LORA", TaskType: "CAUSAL_LM", Bias: "none", R: 2, LoraAlpha: 8, TargetModules: c.TargetModules}, base)
		if err != nil {
			t.Fatal(err)
		}
		if len(shapes) != 2*5*base.NumHiddenLayers {
			t.Fatalf("%d adapter tensors, want %d", len(shapes), 2*5*base.NumHiddenLayers)
		}
		a := &Adapter{Config: c, Tensors: randomTensors(shapes, 9)}
		dir := filepath.Join(t.TempDir(), "adapter")
		if err := WriteAdapter(dir, a, base); err != nil {
			t.Fatal(err)
		}
		got, err := ReadAdapter(dir, base)
		if err != nil {
			t.Fatal(err)
		}
		c.PeftType, c.TaskType, c.Bias = "LORA", "CAUSAL_LM", "none"
		if !reflect.DeepEqual(got.Config, c) || !reflect.DeepEqual(got.Tensors, a.Tensors) {
			t.Errorf("tied %v: adapter differs after the round trip: %+v", tied, got.Config)
		}
	}
}

func TestAdapterShapesOrientation(t *testing.T) {
	c := LoraConfig{PeftType: "LORA", TaskType: "CAUSAL_LM", Bias: "none", R: 3, LoraAlpha: 1, TargetModules: []string{"up_proj"}}
	shapes, err := AdapterShapes(c, tinyConfig(false))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"base_model.model.model.layers.0.mlp.up_proj.lora_A.weight": {3, 8},  // (r, hidden)
		"base_model.model.model.layers.0.mlp.up_proj.lora_B.weight": {12, 3}, // (intermediate, r)
		"base_model.model.model.layers.1.mlp.up_proj.lora_A.weight": {3, 8},
		"base_model.model.model.layers.1.mlp.up_proj.lora_B.weight": {12, 3},
	}
	if !reflect.DeepEqual(shapes, want) {
		t.Errorf("AdapterShapes = %v, want %v", shapes, want)
	}
}

func TestReadAdapterRejects(t *testing.T) {
	const cfg, weights = "adapter_config.json", "adapter_model.safetensors"
	tests := []struct {
		name              string
		edit              func(c map[string]any, ts map[string]specTensor)
		base              func(*LlamaConfig)
		file, tensor, msg string
	}{
		{"lora_A of another rank", func(c map[string]any, ts map[string]specTensor) {
			ts[qLoraA] = specTensor{qLoraA, "F32", []int{2, 8}}
		}, nil, weights, qLoraA, "shape [2 8], config wants [4 8]"},
		{"missing lora_B", func(c map[string]any, ts map[string]specTensor) {
			delete(ts, "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")
		}, nil, weights, "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight", "missing"},
		{"untargeted module", func(c map[string]any, ts map[string]specTensor) {
			n := "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"
			ts[n] = specTensor{n, "F32", []int{4, 8}}
		}, nil, weights, "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", "not a tensor of a LoRA adapter"},
		{"I64", func(c map[string]any, ts map[string]specTensor) {
			ts[qLoraA] = specTensor{qLoraA, "I64", []int{4, 8}}
		}, nil, weights, qLoraA, "dtype I64"},
		{"DoRA", func(c map[string]any, _ map[string]specTensor) { c["use_dora"] = true }, nil, cfg, "", "use_dora is not supported"},
		{"rsLoRA", func(c map[string]any, _ map[string]specTensor) { c["use_rslora"] = true }, nil, cfg, "", "use_rslora is not supported"},
		{"rank pattern", func(c map[string]any, _ map[string]specTensor) { c["rank_pattern"] = map[string]any{"q_proj": 8} },
			nil, cfg, "", "rank_pattern"},
		{"some layers", func(c map[string]any, _ map[string]specTensor) { c["layers_to_transform"] = []int{0} },
			nil, cfg, "", "layers_to_transform"},
		{"target pattern", func(c map[string]any, _ map[string]specTensor) { c["target_modules"] = "all-linear" },
			nil, cfg, "", "target_modules: JSON string"},
		{"o_proj", func(c map[string]any, _ map[string]specTensor) { c["target_modules"] = []string{"o_proj"} },
			nil, cfg, "", `target module "o_proj" is not supported`},
		{"prefix tuning", func(c map[string]any, _ map[string]specTensor) { c["peft_type"] = "PREFIX_TUNING" },
			nil, cfg, "", `peft_type "PREFIX_TUNING"`},
		{"GQA base", nil, func(b *LlamaConfig) { b.NumKeyValueHeads = 1 }, cfg, "", "base model: grouped-query attention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			adapterFixture(t, dir, tt.edit)
			base := tinyConfig(false)
			if tt.base != nil {
				tt.base(&base)
			}
			_, err := ReadAdapter(dir, base)
			wantError(t, err, tt.file, tt.tensor, tt.msg)
		})
	}
}

func TestWriteAdapterRejects(t *testing.T) {
	base := tinyConfig(false)
	c := LoraConfig{R: 2, LoraAlpha: 8, TargetModules: []string{"q_proj"}}
	filled := c
	filled.PeftType, filled.TaskType, filled.Bias = "LORA", "CAUSAL_LM", "none"
	shapes, err := AdapterShapes(filled, base)
	if err != nil {
		t.Fatal(err)
	}
	a := &Adapter{Config: c, Tensors: randomTensors(shapes, 1)}
	delete(a.Tensors, qLoraA)
	wantError(t, WriteAdapter(t.TempDir(), a, base), "adapter_model.safetensors", qLoraA, "missing")
	a.Config.UseDora = true
	wantError(t, WriteAdapter(t.TempDir(), a, base), "adapter_config.json", "", "use_dora")
}
