package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestReadLlamaFromSpecBytes(t *testing.T) {
	for _, sharded := range []bool{false, true} {
		f := goodFixture(t)
		if sharded {
			f.shardOf = func(k int) string {
				return []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[k*2/len(f.tensors)]
			}
		}
		dir := t.TempDir()
		f.write(t, dir)
		m, err := ReadLlama(dir)
		if err != nil {
			t.Fatalf("sharded %v: %v", sharded, err)
		}
		if !reflect.DeepEqual(m.Config, tinyConfigRead()) {
			t.Errorf("sharded %v: config %+v, want %+v", sharded, m.Config, tinyConfigRead())
		}
		if !reflect.DeepEqual(m.Tensors, f.want()) {
			t.Errorf("sharded %v: tensors differ from the ones written", sharded)
		}
	}
}

// tinyConfigRead is what ReadLlama makes of tinyConfigJSON.
func tinyConfigRead() LlamaConfig {
	c := tinyConfig(false)
	c.Architectures = []string{"LlamaForCausalLM"}
	c.ModelType = "llama"
	c.TorchDtype = "float16"
	c.RopeScaling = json.RawMessage("null")
	return c
}

// The fixture's dtypes take turns, so that every dtype, and a value of every
// kind in halfValues, is read back by the test above.
func TestFixtureCoversEveryDtype(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range goodFixture(t).tensors {
		seen[s.dtype] = true
	}
	if len(seen) != 3 {
		t.Fatalf("dtypes %v, want F32, F16 and BF16", seen)
	}
}

func TestLlamaRoundTrip(t *testing.T) {
	tiedWithHead := randomLlama(true, 3)
	tiedWithHead.Tensors[lmHead] = tiedWithHead.Tensors["model.embed_tokens.weight"]
	for name, m := range map[string]*Llama{
		"untied": randomLlama(false, 1), "tied": randomLlama(true, 2), "tied with lm_head": tiedWithHead,
	} {
		dir := filepath.Join(t.TempDir(), "out")
		if err := WriteLlama(dir, m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := ReadLlama(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := m.Config
		want.Architectures, want.ModelType, want.TorchDtype = []string{"LlamaForCausalLM"}, "llama", "float32"
		want.RopeScaling = json.RawMessage("null")
		if !reflect.DeepEqual(got.Config, want) {
			t.Errorf("%s: config %+v, want %+v", name, got.Config, want)
		}
		if !reflect.DeepEqual(got.Tensors, m.Tensors) {
			t.Errorf("%s: tensors differ after the round trip", name)
		}
	}
}

// WriteLlama's file is checked against the specification by hand: F32,
// names sorted, transformers' metadata, data where the offsets say.
func TestWriteLlamaFollowsSpec(t *testing.T) {
	dir := t.TempDir()
	m := randomLlama(false, 4)
	if err := WriteLlama(dir, m); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	if string(header["__metadata__"]) != `{"format":"pt"}` {
		t.Errorf("__metadata__ %s, want {\"format\":\"pt\"}", header["__metadata__"])
	}
	data := b[8+n:]
	var end uint64
	for _, name := range sortedKeys(m.Tensors) {
		var info struct {
			DType       string   `json:"dtype"`
			Shape       []int    `json:"shape"`
			DataOffsets []uint64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(header[name], &info); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := m.Tensors[name]
		if info.DType != "F32" || !slices.Equal(info.Shape, want.Shape) || info.DataOffsets[0] != end {
			t.Fatalf("%s: %+v, want F32 of shape %v at %d (names sorted)", name, info, want.Shape, end)
		}
		end = info.DataOffsets[1]
		for i, x := range want.Data {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(data[info.DataOffsets[0]+4*uint64(i):])); got != x {
				t.Fatalf("%s[%d] = %v, want %v", name, i, got, x)
			}
		}
	}
	if end != uint64(len(data)) {
		t.Errorf("data is %d bytes, tensors end at %d", len(data), end)
	}
}

func TestWriteLlamaConfigJSON(t *testing.T) {
	dir := t.TempDir()
	if err := WriteLlama(dir, randomLlama(true, 5)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"architectures": []any{"LlamaForCausalLM"}, "model_type": "llama", "torch_dtype": "float32",
		"hidden_size": 8.0, "num_key_value_heads": 2.0, "tie_word_embeddings": true, "rope_scaling": nil,
		"rms_norm_eps": 1e-5, "hidden_act": "silu",
	} {
		if !reflect.DeepEqual(got[key], want) {
			t.Errorf("config.json %s = %v, want %v", key, got[key], want)
		}
	}
	if !bytes.HasPrefix(b, []byte("{\n  \"")) {
		t.Errorf("config.json is not indented: %.40s", b)
	}
}

// A single-file checkpoint written over a sharded one replaces it; a
// tokenizer beside it stays.
func TestWriteLlamaReplacesShards(t *testing.T) {
	dir := t.TempDir()
	f := goodFixture(t)
	f.shardOf = func(k int) string { return []string{"a.safetensors", "b.safetensors"}[k%2] }
	f.write(t, dir)
	writeFile(t, filepath.Join(dir, "tokenizer.json"), []byte("{}"))
	m := randomLlama(false, 6)
	if err := WriteLlama(dir, m); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"config.json", "model.safetensors", "tokenizer.json"}; !slices.Equal(names, want) {
		t.Errorf("directory holds %v, want %v", names, want)
	}
	got, err := ReadLlama(dir)
	if err != nil || !reflect.DeepEqual(got.Tensors, m.Tensors) {
		t.Errorf("read back: %v", err)
	}
}

func TestWriteLlamaRejects(t *testing.T) {
	tests := []struct {
		name, file, tensor, msg string
		edit                    func(m *Llama)
	}{
		{"missing", "model.safetensors", "model.norm.weight", "missing",
			func(m *Llama) { delete(m.Tensors, "model.norm.weight") }},
		{"shape", "model.safetensors", "model.norm.weight", "config wants [8]",
			func(m *Llama) { m.Tensors["model.norm.weight"] = Tensor{Shape: []int{9}, Data: make([]float32, 9)} }},
		{"data", "model.safetensors", "model.norm.weight", "data has 7",
			func(m *Llama) { m.Tensors["model.norm.weight"] = Tensor{Shape: []int{8}, Data: make([]float32, 7)} }},
		{"extra", "model.safetensors", "model.layers.2.mlp.up_proj.weight", "num_hidden_layers 2",
			func(m *Llama) {
				m.Tensors["model.layers.2.mlp.up_proj.weight"] = m.Tensors["model.layers.1.mlp.up_proj.weight"]
			}},
		{"gqa", "config.json", "", "grouped-query attention", func(m *Llama) { m.Config.NumKeyValueHeads = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			m := randomLlama(false, 7)
			tt.edit(m)
			wantError(t, WriteLlama(dir, m), tt.file, tt.tensor, tt.msg)
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a rejected model left %s behind", dir)
			}
		})
	}
}

func TestIsLlamaDir(t *testing.T) {
	good := t.TempDir()
	goodFixture(t).write(t, good)
	noWeights := t.TempDir()
	writeFile(t, filepath.Join(noWeights, "config.json"), []byte(tinyConfigJSON))
	gpt2 := t.TempDir()
	writeFile(t, filepath.Join(gpt2, "config.json"), []byte(`{"model_type": "gpt2"}`))
	writeFile(t, filepath.Join(gpt2, "model.safetensors"), nil)
	for dir, want := range map[string]bool{good: true, noWeights: false, gpt2: false, t.TempDir(): false} {
		if got := IsLlamaDir(dir); got != want {
			t.Errorf("IsLlamaDir(%s) = %v, want %v", dir, got, want)
		}
	}
}
