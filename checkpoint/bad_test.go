package checkpoint

import (
	"errors"
	"io/fs"
	"testing"
)

const (
	upProj  = "model.layers.1.mlp.up_proj.weight"
	modelST = "model.safetensors"
	shard1  = "model-00001-of-00002.safetensors"
	shard2  = "model-00002-of-00002.safetensors"
)

func TestReadLlamaRejects(t *testing.T) {
	tests := []struct {
		name              string
		edit              func(t *testing.T, f *fixture)
		file, tensor, msg string
	}{
		{"missing tensor", func(t *testing.T, f *fixture) { f.drop(upProj) },
			modelST, upProj, "missing; config wants shape [12 8]"},
		{"wrong shape", func(t *testing.T, f *fixture) { f.tensor(t, upProj).shape = []int{8, 12} },
			modelST, upProj, "shape [8 12], config wants [12 8]"},
		{"truncated", func(t *testing.T, f *fixture) { f.edit = cut(10) },
			modelST, "lm_head.weight", "past the end of the data"},
		{"header past the end", func(t *testing.T, f *fixture) { f.edit = keep(100) },
			modelST, "", "header length"},
		{"shorter than the header length", func(t *testing.T, f *fixture) { f.edit = keep(3) },
			modelST, "", "3 bytes"},
		{"bytes after the data", func(t *testing.T, f *fixture) { f.edit = appendBytes(4) },
			modelST, "", "the tensors end at byte"},
		{"I64", func(t *testing.T, f *fixture) { f.tensor(t, upProj).dtype = "I64" },
			modelST, upProj, "dtype I64 is not supported"},
		{"F64", func(t *testing.T, f *fixture) { f.tensor(t, upProj).dtype = "F64" },
			modelST, upProj, "dtype F64 is not supported"},
		{"dtype unknown to the library", func(t *testing.T, f *fixture) { f.tensor(t, upProj).dtype = "F8_E4M3" },
			modelST, upProj, "dtype F8_E4M3 is not supported"},
		{"malformed header", func(t *testing.T, f *fixture) { f.edit = overwrite(8, `{"model.norm.weight": [`) },
			modelST, "", "not a valid safetensors file"},
		{"config hidden_size disagrees", func(t *testing.T, f *fixture) { f.config["hidden_size"] = 16 },
			modelST, "model.norm.weight", "shape [8], config wants [16]"},
		{"config has fewer layers", func(t *testing.T, f *fixture) { f.config["num_hidden_layers"] = 1 },
			modelST, "model.layers.1.self_attn.v_proj.weight", "layer 1, but config.json has num_hidden_layers 1"},
		{"config has more layers", func(t *testing.T, f *fixture) { f.config["num_hidden_layers"] = 3 },
			modelST, "model.layers.2.input_layernorm.weight", "missing"},
		{"unknown tensor", func(t *testing.T, f *fixture) {
			f.tensors = append(f.tensors, specTensor{"model.layers.0.self_attn.q_norm.weight", "F32", []int{4}})
		}, modelST, "model.layers.0.self_attn.q_norm.weight", "not a tensor of a LLaMA checkpoint"},
		{"untied without lm_head", func(t *testing.T, f *fixture) { f.drop("lm_head.weight") },
			modelST, "lm_head.weight", "missing"},
		{"GQA", func(t *testing.T, f *fixture) { f.config["num_key_value_heads"] = 1 },
			"config.json", "", "grouped-query attention (num_key_value_heads 1, num_attention_heads 2) is not supported"},
		{"rope scaling", func(t *testing.T, f *fixture) {
			f.config["rope_scaling"] = map[string]any{"type": "linear", "factor": 2}
		},
			"config.json", "", "rope_scaling"},
		{"gelu", func(t *testing.T, f *fixture) { f.config["hidden_act"] = "gelu" },
			"config.json", "", `hidden_act "gelu" is not supported`},
		{"bias", func(t *testing.T, f *fixture) { f.config["attention_bias"] = true },
			"config.json", "", "attention_bias"},
		{"mistral", func(t *testing.T, f *fixture) { f.config["model_type"] = "mistral" },
			"config.json", "", `model_type "mistral"`},
		{"heads do not divide", func(t *testing.T, f *fixture) {
			f.config["num_attention_heads"] = 3
			f.config["num_key_value_heads"] = 3
		},
			"config.json", "", "not a multiple"},
		{"size as a string", func(t *testing.T, f *fixture) { f.config["hidden_size"] = "8" },
			"config.json", "", "hidden_size: JSON string where int is wanted"},
		{"no config.json", func(t *testing.T, f *fixture) { f.config = nil },
			"config.json", "", "no such file"},
		{"no weights", func(t *testing.T, f *fixture) { f.tensors = nil; f.edit = func(string, []byte) []byte { return nil } },
			modelST, "", "no such file, nor model.safetensors.index.json"},
		{"sharded: tensor in the wrong shard", func(t *testing.T, f *fixture) {
			f.shardOf = halves(f)
			f.editIndex = func(m map[string]string) { m[upProj] = shard2 }
		}, shard1, upProj, "weight_map does not put it here"},
		{"sharded: listed but absent", func(t *testing.T, f *fixture) {
			f.shardOf = halves(f)
			f.editIndex = func(m map[string]string) { m["model.layers.7.mlp.up_proj.weight"] = shard1 }
		}, shard1, "model.layers.7.mlp.up_proj.weight", "but it is not there"},
		{"sharded: shard outside the directory", func(t *testing.T, f *fixture) {
			f.shardOf = halves(f)
			f.editIndex = func(m map[string]string) { m[upProj] = "../" + shard1 }
		}, "model.safetensors.index.json", upProj, "not a file name in the index's directory"},
		{"sharded: truncated shard", func(t *testing.T, f *fixture) {
			f.shardOf = halves(f)
			f.edit = func(name string, b []byte) []byte {
				if name == shard2 {
					return b[:len(b)-1]
				}
				return b
			}
		}, shard2, "lm_head.weight", "file truncated?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodFixture(t)
			tt.edit(t, f)
			dir := t.TempDir()
			f.write(t, dir)
			_, err := ReadLlama(dir)
			wantError(t, err, tt.file, tt.tensor, tt.msg)
		})
	}
}

func TestReadLlamaMissingFilesAreNotExist(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadLlama(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty directory: %v, want fs.ErrNotExist", err)
	}
	f := goodFixture(t)
	f.edit = func(string, []byte) []byte { return nil }
	f.write(t, dir)
	if _, err := ReadLlama(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no weights: %v, want fs.ErrNotExist", err)
	}
}

// halves puts the first half of the fixture's tensors in one shard and the
// rest in another.
func halves(f *fixture) func(int) string {
	n := len(f.tensors)
	return func(k int) string {
		if k < n/2 {
			return shard1
		}
		return shard2
	}
}

func cut(n int) func(string, []byte) []byte {
	return func(_ string, b []byte) []byte { return b[:len(b)-n] }
}

func keep(n int) func(string, []byte) []byte {
	return func(_ string, b []byte) []byte { return b[:n] }
}

func appendBytes(n int) func(string, []byte) []byte {
	return func(_ string, b []byte) []byte { return append(b, make([]byte, n)...) }
}

// overwrite replaces the bytes at offset with s, keeping the file's length.
func overwrite(offset int, s string) func(string, []byte) []byte {
	return func(_ string, b []byte) []byte {
		copy(b[offset:], s)
		return b
	}
}
