package checkpoint

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyConfig is a LLaMA small enough to write out by hand: hidden 8, two
// heads of 4, two layers, vocabulary 10.
func tinyConfig(tied bool) LlamaConfig {
	return LlamaConfig{
		HiddenSize: 8, IntermediateSize: 12, NumAttentionHeads: 2, NumHiddenLayers: 2,
		NumKeyValueHeads: 2, VocabSize: 10, MaxPositionEmbeddings: 16, RMSNormEps: 1e-5,
		RopeTheta: 10000, TieWordEmbeddings: tied, HiddenAct: "silu", InitializerRange: 0.02,
		BOSTokenID: 1, EOSTokenID: 2,
	}
}

func randomTensors(shapes map[string][]int, seed uint64) map[string]Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make(map[string]Tensor, len(shapes))
	for _, name := range sortedKeys(shapes) {
		shape := shapes[name]
		data := make([]float32, elements(shape))
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
		out[name] = Tensor{Shape: shape, Data: data}
	}
	return out
}

func randomLlama(tied bool, seed uint64) *Llama {
	c := tinyConfig(tied)
	return &Llama{Config: c, Tensors: randomTensors(LlamaShapes(c), seed)}
}

// wantError checks that err is an *Error about the file named file (a base
// name) and the tensor, whose text names both and contains msg.
func wantError(t *testing.T, err error, file, tensor, msg string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *checkpoint.Error", err, err)
	}
	text := err.Error()
	switch {
	case filepath.Base(ce.File) != file:
		t.Errorf("error %q is about file %q, want %q", text, ce.File, file)
	case ce.Tensor != tensor:
		t.Errorf("error %q is about tensor %q, want %q", text, ce.Tensor, tensor)
	case !strings.Contains(text, ce.File) || !strings.Contains(text, "tensor "+tensor) && tensor != "":
		t.Errorf("error %q does not name its file and tensor", text)
	case !strings.Contains(text, msg):
		t.Errorf("error %q does not say %q", text, msg)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
