package checkpoint

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
)

// LoraConfig is adapter_config.json as PEFT writes it for a LoRA adapter.
type LoraConfig struct {
	PeftType            string   `json:"peft_type"`
	TaskType            string   `json:"task_type"`
	R                   int      `json:"r"`
	LoraAlpha           float64  `json:"lora_alpha"`
	LoraDropout         float64  `json:"lora_dropout"`
	TargetModules       []string `json:"target_modules"`
	Bias                string   `json:"bias"`
	FanInFanOut         bool     `json:"fan_in_fan_out"`
	InferenceMode       bool     `json:"inference_mode"`
	BaseModelNameOrPath string   `json:"base_model_name_or_path"`
	ModulesToSave       []string `json:"modules_to_save"`
	UseRslora           bool     `json:"use_rslora"`
	UseDora             bool     `json:"use_dora"`
}

// Adapter is a loaded LoRA adapter: its config and every tensor by PEFT
// name.
type Adapter struct {
	Config  LoraConfig
	Tensors map[string]Tensor
}

const (
	adapterConfigName  = "adapter_config.json"
	adapterWeightsName = "adapter_model.safetensors"
	peftPrefix         = "base_model.model."
)

var adapterLayout = layout{config: adapterConfigName, weights: adapterWeightsName}

// loraTargets maps each module LoRA may adapt to the block of a LLaMA layer
// holding it: the projections the runtime's LoRA implements.
var loraTargets = map[string]string{
	"q_proj":    "self_attn",
	"k_proj":    "self_attn",
	"v_proj":    "self_attn",
	"gate_proj": "mlp",
	"up_proj":   "mlp",
}

// Scale is the factor PEFT multiplies B·A by: lora_alpha / r, its scaling
// when use_rslora is false (Validate refuses rsLoRA).
func (c LoraConfig) Scale() float64 {
	return c.LoraAlpha / float64(c.R)
}

// Validate reports the first setting of c that makes an adapter other than
// plain LoRA on the projections in loraTargets of a LLaMA model.
func (c LoraConfig) Validate() error {
	switch {
	case c.PeftType != "LORA":
		return fmt.Errorf("peft_type %q, want \"LORA\"", c.PeftType)
	case c.TaskType != "CAUSAL_LM":
		return fmt.Errorf("task_type %q, want \"CAUSAL_LM\"", c.TaskType)
	case c.R <= 0:
		return fmt.Errorf("r is %d, must be positive", c.R)
	case !(c.LoraAlpha > 0) || math.IsInf(c.LoraAlpha, 0):
		return fmt.Errorf("lora_alpha is %g, must be positive", c.LoraAlpha)
	case !(c.LoraDropout >= 0 && c.LoraDropout < 1):
		return fmt.Errorf("lora_dropout is %g, must be in [0, 1)", c.LoraDropout)
	case c.Bias != "none":
		return fmt.Errorf("bias %q is not supported, only \"none\"", c.Bias)
	case c.FanInFanOut:
		return errors.New("fan_in_fan_out is not supported: LLaMA's projections are nn.Linear")
	case len(c.ModulesToSave) > 0:
		return fmt.Errorf("modules_to_save %q is not supported", c.ModulesToSave)
	case c.UseRslora:
		return errors.New("use_rslora is not supported: its scale lora_alpha/sqrt(r) is not the runtime's lora_alpha/r")
	case c.UseDora:
		return errors.New("use_dora is not supported: DoRA adds a magnitude vector the runtime does not apply")
	}
	return c.validateTargets()
}

func (c LoraConfig) validateTargets() error {
	if len(c.TargetModules) == 0 {
		return errors.New("target_modules is empty")
	}
	for i, t := range c.TargetModules {
		if _, ok := loraTargets[t]; !ok {
			return fmt.Errorf("target module %q is not supported; the supported ones are %q", t, sortedKeys(loraTargets))
		}
		if slices.Contains(c.TargetModules[:i], t) {
			return fmt.Errorf("target module %q is listed twice", t)
		}
	}
	return nil
}

// AdapterShapes is the name → shape of every tensor an adapter of lc on a
// model of base must hold, in PEFT's names: for each layer and target,
// lora_A (r, in) and lora_B (out, r), where the adapted projection's weight
// is (out, in).
func AdapterShapes(lc LoraConfig, base LlamaConfig) (map[string][]int, error) {
	if err := base.Validate(); err != nil {
		return nil, fmt.Errorf("base model: %w", err)
	}
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	baseShapes := LlamaShapes(base)
	shapes := make(map[string][]int)
	for i := range base.NumHiddenLayers {
		for _, t := range lc.TargetModules {
			module := fmt.Sprintf("model.layers.%d.%s.%s", i, loraTargets[t], t)
			w := baseShapes[module+".weight"]
			shapes[peftPrefix+module+".lora_A.weight"] = []int{lc.R, w[1]}
			shapes[peftPrefix+module+".lora_B.weight"] = []int{w[0], lc.R}
		}
	}
	return shapes, nil
}

// peftOnly holds the PEFT settings that make an adapter this package does
// not read; they have no field in LoraConfig because no adapter it accepts
// sets them.
type peftOnly struct {
	RankPattern       map[string]any `json:"rank_pattern"`
	AlphaPattern      map[string]any `json:"alpha_pattern"`
	LayersToTransform any            `json:"layers_to_transform"`
	ExcludeModules    any            `json:"exclude_modules"`
	LoraBias          bool           `json:"lora_bias"`
}

func (p peftOnly) validate() error {
	switch {
	case len(p.RankPattern) > 0 || len(p.AlphaPattern) > 0:
		return errors.New("rank_pattern and alpha_pattern are not supported: every module must have r and lora_alpha")
	case p.LayersToTransform != nil:
		return errors.New("layers_to_transform is not supported: every layer must be adapted")
	case p.ExcludeModules != nil:
		return errors.New("exclude_modules is not supported")
	case p.LoraBias:
		return errors.New("lora_bias is not supported")
	}
	return nil
}

// readLoraConfig reads and validates adapter_config.json.
func readLoraConfig(path string) (LoraConfig, error) {
	var c LoraConfig
	var extra peftOnly
	if err := readJSON(path, &c); err != nil {
		return c, err
	}
	if err := readJSON(path, &extra); err != nil {
		return c, err
	}
	err := extra.validate()
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		return c, &Error{File: path, Msg: err.Error(), Err: err}
	}
	return c, nil
}

// ReadAdapter reads the LoRA adapter in dir, adapter_config.json and
// adapter_model.safetensors, for a model of base, with ReadLlama's checks.
func ReadAdapter(dir string, base LlamaConfig) (*Adapter, error) {
	configPath := filepath.Join(dir, adapterConfigName)
	c, err := readLoraConfig(configPath)
	if err != nil {
		return nil, err
	}
	shapes, err := AdapterShapes(c, base)
	if err != nil {
		return nil, &Error{File: configPath, Msg: err.Error(), Err: err}
	}
	weights := filepath.Join(dir, adapterWeightsName)
	tensors, err := readTensors([]weightFile{{path: weights}}, adapterCheck(shapes))
	if err != nil {
		return nil, err
	}
	if err := checkPresent(shapes, tensors, func(string) string { return weights }); err != nil {
		return nil, err
	}
	return &Adapter{Config: c, Tensors: tensors}, nil
}

func adapterCheck(shapes map[string][]int) tensorCheck {
	return shapeCheck(shapes, nil, nil, func(string) string {
		return "not a tensor of a LoRA adapter with this adapter_config.json and base config"
	})
}

// WriteAdapter writes a into dir as PEFT saves an adapter, in float32:
// adapter_config.json (peft_type, task_type and bias filled in when empty)
// and adapter_model.safetensors. a is checked as ReadAdapter checks an
// adapter before anything is written, and written as WriteLlama writes a
// model, adapter_config.json last.
func WriteAdapter(dir string, a *Adapter, base LlamaConfig) error {
	configPath := filepath.Join(dir, adapterConfigName)
	if a == nil {
		return &Error{File: configPath, Msg: "no adapter to write"}
	}
	c := a.Config
	c.PeftType = cmp.Or(c.PeftType, "LORA")
	c.TaskType = cmp.Or(c.TaskType, "CAUSAL_LM")
	c.Bias = cmp.Or(c.Bias, "none")
	shapes, err := AdapterShapes(c, base)
	if err != nil {
		return &Error{File: configPath, Msg: err.Error(), Err: err}
	}
	tensors, err := checkForWrite(filepath.Join(dir, adapterWeightsName), a.Tensors, shapes, adapterCheck(shapes))
	if err != nil {
		return err
	}
	return writeCheckpoint(dir, adapterLayout, c, tensors, nil)
}
