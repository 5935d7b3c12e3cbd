package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// This file builds safetensors files byte by byte from the format's
// specification (an 8-byte little-endian header length, a JSON header of
// dtype, shape and data_offsets per tensor and optional "__metadata__",
// padded with spaces, then the raw little-endian data), independently of
// the library and of writeSafetensors, so that the loader is checked
// against the format and not against our own writer.

// specTensor is one tensor of such a file; its data is specData's.
type specTensor struct {
	name  string
	dtype string
	shape []int
}

// specSizes is the element size of each dtype the tests write.
var specSizes = map[string]int{"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "F8_E4M3": 1}

// halfValues are values both 16-bit formats hold exactly, with their bit
// patterns as IEEE 754 binary16 and bfloat16 define them.
var halfValues = []struct {
	v         float32
	f16, bf16 uint16
}{
	{1, 0x3C00, 0x3F80}, {-2, 0xC000, 0xC000}, {0.5, 0x3800, 0x3F00}, {0.25, 0x3400, 0x3E80},
	{3, 0x4200, 0x4040}, {-0.75, 0xBA00, 0xBF40}, {1.5, 0x3E00, 0x3FC0}, {0, 0x0000, 0x0000},
	{0x1p-24, 0x0001, 0x3380}, // the smallest binary16 subnormal
}

// specData is a tensor's bytes and the float32 values they hold, which
// depend on its name (zeros for a dtype the loader refuses).
func specData(t specTensor) ([]byte, []float32) {
	k := 0
	for _, c := range t.name {
		k += int(c)
	}
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	raw := make([]byte, 0, n*specSizes[t.dtype])
	values := make([]float32, n)
	for i := range values {
		h := halfValues[(i+k)%len(halfValues)]
		switch t.dtype {
		case "F32":
			values[i] = float32(i)*0.1 - float32(k%97)
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(values[i]))
		case "F16":
			values[i] = h.v
			raw = binary.LittleEndian.AppendUint16(raw, h.f16)
		case "BF16":
			values[i] = h.v
			raw = binary.LittleEndian.AppendUint16(raw, h.bf16)
		default:
			raw = append(raw, make([]byte, specSizes[t.dtype])...)
		}
	}
	return raw, values
}

// specFile is a safetensors file of tensors in the order given, the
// metadata entry written before the tensor at index metadataAt, and the
// header padded with spaces to a multiple of 8 and then pad more.
func specFile(tensors []specTensor, metadataAt, pad int) []byte {
	var header strings.Builder
	var data []byte
	header.WriteString("{")
	for k, t := range tensors {
		if k == metadataAt {
			header.WriteString(`"__metadata__": {"format": "pt"}, `)
		}
		raw, _ := specData(t)
		dims := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(t.shape)), ", "), "[]")
		fmt.Fprintf(&header, `"%s": {"dtype": "%s", "shape": [%s], "data_offsets": [%d, %d]}, `,
			t.name, t.dtype, dims, len(data), len(data)+len(raw))
		data = append(data, raw...)
	}
	h := strings.TrimSuffix(header.String(), ", ") + "}"
	h += strings.Repeat(" ", (8-len(h)%8)%8+pad)
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

// tinyConfigJSON is config.json of tinyConfig(false) in the form
// transformers wrote LLaMA-2's, fields it does not read included.
const tinyConfigJSON = `{
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 8, "initializer_range": 0.02, "intermediate_size": 12,
  "max_position_embeddings": 16, "model_type": "llama", "num_attention_heads": 2,
  "num_hidden_layers": 2, "num_key_value_heads": 2, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
  "rope_scaling": null, "rope_theta": 10000.0, "tie_word_embeddings": false,
  "torch_dtype": "float16", "transformers_version": "4.31.0.dev0", "use_cache": true, "vocab_size": 10
}`

const invFreq = "model.layers.0.self_attn.rotary_emb.inv_freq"

// fixture is a checkpoint directory built from the specification.
type fixture struct {
	config  map[string]any // config.json; nil writes none
	tensors []specTensor   // in file order
	// shardOf, when set, makes the checkpoint sharded: the shard file of
	// the k-th tensor, listed so in the index's weight_map.
	shardOf   func(k int) string
	editIndex func(weightMap map[string]string)
	edit      func(file string, b []byte) []byte // nil leaves the file out
}

// goodFixture is tinyConfig(false) in reverse name order, the dtypes taking
// turns, with an old checkpoint's inv_freq buffer among them.
func goodFixture(t *testing.T) *fixture {
	var config map[string]any
	if err := json.Unmarshal([]byte(tinyConfigJSON), &config); err != nil {
		t.Fatal(err)
	}
	shapes := LlamaShapes(tinyConfig(false))
	shapes[invFreq] = []int{2}
	f := &fixture{config: config}
	for k, name := range slices.Backward(sortedKeys(shapes)) {
		dtype := []string{"F32", "F16", "BF16"}[k%3]
		f.tensors = append(f.tensors, specTensor{name, dtype, shapes[name]})
	}
	return f
}

// tensor is the fixture's tensor called name, for a test to change.
func (f *fixture) tensor(t *testing.T, name string) *specTensor {
	for k := range f.tensors {
		if f.tensors[k].name == name {
			return &f.tensors[k]
		}
	}
	t.Fatalf("no tensor %s", name)
	return nil
}

func (f *fixture) drop(name string) {
	f.tensors = slices.DeleteFunc(f.tensors, func(s specTensor) bool { return s.name == name })
}

// want is what ReadLlama should return for the fixture's tensors.
func (f *fixture) want() map[string]Tensor {
	out := make(map[string]Tensor)
	for _, s := range f.tensors {
		if s.name != invFreq {
			_, values := specData(s)
			out[s.name] = Tensor{Shape: s.shape, Data: values}
		}
	}
	return out
}

func (f *fixture) write(t *testing.T, dir string) {
	t.Helper()
	if f.config != nil {
		data, err := json.MarshalIndent(f.config, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "config.json"), data)
	}
	files := map[string][]byte{"model.safetensors": specFile(f.tensors, len(f.tensors)/2, 8)}
	if f.shardOf != nil {
		files = f.shards(t, dir)
	}
	for name, b := range files {
		if f.edit != nil {
			b = f.edit(name, b)
		}
		if b != nil {
			writeFile(t, filepath.Join(dir, name), b)
		}
	}
}

// shards are the fixture's shard files; the index is written here.
func (f *fixture) shards(t *testing.T, dir string) map[string][]byte {
	byShard := make(map[string][]specTensor)
	weightMap := make(map[string]string)
	for k, s := range f.tensors {
		shard := f.shardOf(k)
		byShard[shard] = append(byShard[shard], s)
		weightMap[s.name] = shard
	}
	files := make(map[string][]byte)
	for shard, tensors := range byShard {
		files[shard] = specFile(tensors, 0, 0)
	}
	if f.editIndex != nil {
		f.editIndex(weightMap)
	}
	index, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 0}, "weight_map": weightMap})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "model.safetensors.index.json"), index)
	return files
}
