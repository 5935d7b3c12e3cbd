package interp

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

func npyBytes(t *tensor.Tensor) []byte {
	var b bytes.Buffer
	if err := tensor.EncodeNPY(&b, t); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func writeDir(t *testing.T, files map[string][]byte) string {
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadInputsDir(t *testing.T) {
	v := npyBytes(edgeTensor([]int{2}))
	dir := writeDir(t, map[string][]byte{
		"A_00.npy": npyBytes(edgeTensor([]int{1}, 10)), "A_01.npy": npyBytes(edgeTensor([]int{1}, 11)),
		"s.npy": npyBytes(edgeTensor(nil, 3)), "X.npy": v, "notes.txt": []byte("ignored"),
	})
	in, err := LoadInputsDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a := in["A"]; a.Type.Kind != lang.ListTensor || len(a.Tensors) != 2 || a.Tensors[0].Data[0] != 10 || a.Tensors[1].Data[0] != 11 {
		t.Errorf("zero-padded list A: %v", FormatValue(a))
	}
	if in["s"].Type.Kind != lang.Scalar || in["s"].Scalar != 3 || in["X"].Type.Kind != lang.Tensor {
		t.Errorf("s, X: %v, %v", FormatValue(in["s"]), FormatValue(in["X"]))
	}
}

// TestLoadInputsDirErrors: every layout or file problem is an error that
// names the file(s); nothing is silently dropped or half read.
func TestLoadInputsDirErrors(t *testing.T) {
	v := npyBytes(edgeTensor([]int{2}))
	for _, c := range []struct {
		name  string
		files map[string][]byte
		want  []string
	}{
		{"two files for one entry", map[string][]byte{"A_0.npy": v, "A_00.npy": v, "A_1.npy": v},
			[]string{"A_0.npy and ", "A_00.npy are both entry 0 of list A"}},
		{"trailing bytes", map[string][]byte{"X.npy": append(bytes.Clone(v), 0, 0)},
			[]string{"X.npy: npy: trailing bytes after the data (2 of them)"}},
		{"trailing bytes in a list entry", map[string][]byte{"A_0.npy": v, "A_1.npy": append(bytes.Clone(v), 9)},
			[]string{"A_1.npy: npy: trailing bytes"}},
		{"truncated", map[string][]byte{"X.npy": v[:len(v)-1]}, []string{"X.npy: npy: truncated data"}},
		{"gap", map[string][]byte{"A_0.npy": v, "A_2.npy": v}, []string{"list A has 2 files but no A_1.npy"}},
		{"clash", map[string][]byte{"A.npy": v, "A_0.npy": v}, []string{"both A.npy and A_0.npy"}},
		{"bad name", map[string][]byte{"9x.npy": v}, []string{"9x.npy: file name is not NAME.npy"}},
		{"no files", map[string][]byte{"x.txt": nil}, []string{"holds no .npy files"}},
	} {
		_, err := LoadInputsDir(writeDir(t, c.files))
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want %q", c.name, err, w)
			}
		}
	}
}

// fuzzBytes hands out a fuzz input a byte at a time, zeros once spent.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) next() int {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return int(c)
}

func (f *fuzzBytes) take(n int) []byte {
	n = min(n, len(f.b))
	out := f.b[:n]
	f.b = f.b[n:]
	return out
}

// edgeFloats are the values fuzzed tensors draw from, besides plain ones.
var edgeFloats = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 1e38, -1e38, math.MaxFloat32, 1e-45,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0.5, 3}

// fuzzTensor draws a tiny tensor: rank ≤ 3, dimensions ≤ 3 (0 included),
// elements from edgeFloats.
func fuzzTensor(f *fuzzBytes) *tensor.Tensor {
	shape := make([]int, f.next()%4)
	for i := range shape {
		shape[i] = f.next() % 4
	}
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = edgeFloats[f.next()%len(edgeFloats)]
	}
	return t
}

var fuzzFileNames = []string{"A_0.npy", "A_00.npy", "A_1.npy", "A_01.npy", "A.npy", "B_0.npy", "B_1.npy",
	"s.npy", "X.npy", "9x.npy", "notes.txt", "W_0.npy", "W_1.npy"}

// FuzzLoadInputsDir writes a fuzzed directory of .npy files (valid, with
// trailing bytes, truncated, or raw bytes) and loads it: the loader returns
// consistent inputs or an error, must reject two files for one list entry
// and any damaged file, and every unary op evaluates on what it loaded.
func FuzzLoadInputsDir(f *testing.F) {
	f.Add([]byte{2, 0, 0, 1, 2, 1, 4, 1, 0, 1, 3, 2})
	f.Add([]byte{3, 5, 0, 2, 0, 3, 6, 1, 1, 1, 7, 0, 2, 2, 2})
	f.Add([]byte{4, 0, 0, 1, 1, 1, 1, 0, 0, 2, 2, 9, 9, 9, 9, 7, 3, 20, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		fb := &fuzzBytes{b: b}
		files := map[string][]byte{}
		damaged := map[string]bool{}
		for n := fb.next() % 6; n > 0; n-- {
			name := fuzzFileNames[fb.next()%len(fuzzFileNames)]
			kind := fb.next() % 4
			raw := npyBytes(fuzzTensor(fb))
			switch kind {
			case 1:
				raw = append(raw, fb.take(1+fb.next()%3)...)
				raw = append(raw, 0) // at least one trailing byte
			case 2:
				raw = raw[:len(raw)-1-fb.next()%len(raw)]
			case 3:
				raw = bytes.Clone(fb.take(fb.next() % 64))
			}
			files[name], damaged[name] = raw, kind == 1 || kind == 2
		}
		in, err := LoadInputsDir(writeDir(t, files))
		mustFail := ""
		for name, bad := range damaged {
			if bad && strings.HasSuffix(name, ".npy") {
				mustFail = name
			}
		}
		if files["A_0.npy"] != nil && files["A_00.npy"] != nil || files["A_1.npy"] != nil && files["A_01.npy"] != nil {
			mustFail = "A"
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "inputs: ") {
				t.Fatalf("error without the inputs: prefix: %v", err)
			}
			return
		}
		if mustFail != "" {
			t.Fatalf("loaded %v although %s is damaged or ambiguous", InputTypes(in), mustFail)
		}
		evalLoaded(t, in)
	})
}

// evalLoaded applies every unary op to every loaded input: a value or a
// positioned error, never a panic.
func evalLoaded(t *testing.T, in Inputs) {
	for name, v := range in {
		if err := checkOutcome(name, v.Type, v, nil); err != nil {
			t.Fatal(err)
		}
		for _, op := range stdlib.Default.AllOps() {
			if op.Arity != 1 {
				continue
			}
			src := op.Name + "(" + name + ")"
			if err := evalEdge(src, in, Host{}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
