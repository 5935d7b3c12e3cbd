package checkpoint

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/nlpodyssey/safetensors"
)

// FuzzReadSafetensors feeds arbitrary bytes to the path every file takes:
// header parse, dtype check, diagnosis of a rejected file, conversion.
// Whatever it accepts must convert to as many values as its shape holds,
// and write and parse back to the same values.
func FuzzReadSafetensors(f *testing.F) {
	good := []specTensor{{"a", "F32", []int{2, 3}}, {"b", "F16", []int{4}}, {"c", "BF16", []int{1, 2}}}
	f.Add(specFile(good, 1, 0))
	f.Add(specFile(good, 0, 3)[:40])
	f.Add(specFile([]specTensor{{"x", "I64", []int{2}}}, -1, 0))
	f.Add(specFile([]specTensor{{"s", "F32", nil}, {"e", "F16", []int{0, 5}}}, -1, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseSafetensors("fuzz.safetensors", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "fuzz.safetensors" {
				t.Fatalf("error %v (%T) does not name the file", err, err)
			}
			return
		}
		tensors := make(map[string]Tensor)
		for _, name := range st.Names() {
			view, _ := st.Tensor(name)
			shape, ok := intShape(view.Shape())
			if !ok {
				continue
			}
			tensors[name] = toFloat32(view, shape)
			if n := len(tensors[name].Data); n != elements(shape) {
				t.Fatalf("%s: %d values for shape %v", name, n, shape)
			}
		}
		checkRewrite(t, tensors)
	})
}

// checkRewrite writes tensors with the writer's view and parses them back.
func checkRewrite(t *testing.T, tensors map[string]Tensor) {
	views := make(map[string]f32View, len(tensors))
	for name, tt := range tensors {
		views[name] = f32View{tt}
	}
	var buf bytes.Buffer
	if err := safetensors.SerializeToWriter(views, map[string]string{"format": "pt"}, &buf); err != nil {
		t.Fatal(err)
	}
	st, err := parseSafetensors("rewritten", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range tensors {
		view, ok := st.Tensor(name)
		if !ok {
			t.Fatalf("%s lost in the rewrite", name)
		}
		shape, _ := intShape(view.Shape())
		got := toFloat32(view, shape)
		for i := range want.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Fatalf("%s[%d]: %v rewritten as %v", name, i, want.Data[i], got.Data[i])
			}
		}
	}
}
