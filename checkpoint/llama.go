package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Llama is a loaded checkpoint: its config and every tensor by Hugging Face
// name.
type Llama struct {
	Config  LlamaConfig
	Tensors map[string]Tensor
}

const (
	llamaConfigName  = "config.json"
	llamaWeightsName = "model.safetensors"
	llamaIndexName   = "model.safetensors.index.json"
)

var llamaLayout = layout{config: llamaConfigName, weights: llamaWeightsName}

// ReadLlama reads the checkpoint in dir: config.json, and model.safetensors
// or, when there is none, the shards model.safetensors.index.json names
// (the order transformers looks for them in). Weights stored as F32, F16 or
// BF16 become float32. Every tensor of LlamaShapes must be there with its
// exact shape, and no other tensor but the rotary inv_freq buffers of old
// checkpoints (dropped) and a tied lm_head.weight.
func ReadLlama(dir string) (*Llama, error) {
	c, err := readLlamaConfig(filepath.Join(dir, llamaConfigName))
	if err != nil {
		return nil, err
	}
	files, where, err := llamaWeightFiles(dir)
	if err != nil {
		return nil, err
	}
	tensors, err := readTensors(files, llamaCheck(c))
	if err != nil {
		return nil, err
	}
	if err := checkPresent(LlamaShapes(c), tensors, where); err != nil {
		return nil, err
	}
	return &Llama{Config: c, Tensors: tensors}, nil
}

// llamaWeightFiles lists the safetensors files of the checkpoint in dir,
// and where says which of them, or the index, should hold a tensor.
func llamaWeightFiles(dir string) (files []weightFile, where func(string) string, err error) {
	single := filepath.Join(dir, llamaWeightsName)
	index := filepath.Join(dir, llamaIndexName)
	hasSingle, err := exists(single)
	if err != nil {
		return nil, nil, err
	}
	if hasSingle {
		return []weightFile{{path: single}}, func(string) string { return single }, nil
	}
	hasIndex, err := exists(index)
	if err != nil {
		return nil, nil, err
	}
	if !hasIndex {
		return nil, nil, &Error{File: single, Err: fs.ErrNotExist, Msg: "no such file, nor " + llamaIndexName +
			" (pytorch_model.bin checkpoints are not read: save with safe_serialization=True)"}
	}
	weightMap, err := readIndex(index)
	if err != nil {
		return nil, nil, err
	}
	byShard := make(map[string]map[string]bool)
	for name, shard := range weightMap {
		if byShard[shard] == nil {
			byShard[shard] = make(map[string]bool)
		}
		byShard[shard][name] = true
	}
	for _, shard := range sortedKeys(byShard) {
		files = append(files, weightFile{path: filepath.Join(dir, shard), listed: byShard[shard]})
	}
	return files, func(name string) string {
		if shard, ok := weightMap[name]; ok {
			return filepath.Join(dir, shard)
		}
		return index
	}, nil
}

// readIndex reads the weight_map of a sharded checkpoint's index: tensor
// name → shard file, a plain name in the index's directory.
func readIndex(index string) (map[string]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := readJSON(index, &idx); err != nil {
		return nil, err
	}
	if len(idx.WeightMap) == 0 {
		return nil, &Error{File: index, Msg: "weight_map is missing or empty"}
	}
	for _, name := range sortedKeys(idx.WeightMap) {
		shard := idx.WeightMap[name]
		if !filepath.IsLocal(shard) || filepath.Base(shard) != shard {
			return nil, &Error{File: index, Tensor: name, Msg: fmt.Sprintf("weight_map names shard %q, which is not a file name in the index's directory", shard)}
		}
	}
	return idx.WeightMap, nil
}

// exists says whether path names something, as an Error when it cannot tell.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fileError(path, err)
}

// WriteLlama writes m into dir as transformers would save it in float32:
// config.json (architectures, model_type and torch_dtype set to say so) and
// one model.safetensors of F32 tensors. m is checked as ReadLlama checks a
// checkpoint before anything is written. config.json is removed first and
// written last, each file by rename, so a crash leaves dir with the old
// checkpoint, the new one, or weights without config.json, never a mix. A
// sharded checkpoint already in dir is removed; other files stay.
func WriteLlama(dir string, m *Llama) error {
	configPath := filepath.Join(dir, llamaConfigName)
	if m == nil {
		return &Error{File: configPath, Msg: "no model to write"}
	}
	c := m.Config
	c.Architectures = []string{llamaArchitecture}
	c.ModelType = llamaModelType
	c.TorchDtype = "float32"
	c.NumKeyValueHeads = c.kvHeads()
	if err := c.Validate(); err != nil {
		return &Error{File: configPath, Msg: err.Error(), Err: err}
	}
	tensors, err := checkForWrite(filepath.Join(dir, llamaWeightsName), m.Tensors, LlamaShapes(c), llamaCheck(c))
	if err != nil {
		return err
	}
	return writeCheckpoint(dir, llamaLayout, c, tensors, staleShards(dir))
}

// staleShards lists the index and shards of a sharded checkpoint in dir,
// which a new single-file one replaces. An index that cannot be read names
// only itself.
func staleShards(dir string) []string {
	index := filepath.Join(dir, llamaIndexName)
	weightMap, _ := readIndex(index)
	stale := []string{index}
	for _, shard := range weightMap {
		stale = append(stale, filepath.Join(dir, shard))
	}
	slices.Sort(stale)
	return slices.Compact(stale)
}

// IsLlamaDir says whether dir looks like a LLaMA checkpoint ReadLlama can
// try: a config.json of model_type "llama" and safetensors weights. It
// reads only config.json.
func IsLlamaDir(dir string) bool {
	var c struct {
		ModelType string `json:"model_type"`
	}
	if readJSON(filepath.Join(dir, llamaConfigName), &c) != nil || c.ModelType != llamaModelType {
		return false
	}
	for _, name := range []string{llamaWeightsName, llamaIndexName} {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil && info.Mode().IsRegular() {
			return true
		}
	}
	return false
}
