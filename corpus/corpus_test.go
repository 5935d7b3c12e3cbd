package corpus

import (
	"context"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lpz/interp"
	"lpz/tensor"
)

var update = flag.Bool("update", false, "rewrite the golden #> lines and regenerate inputs/tiny")

const tinyDir = "inputs/tiny"

// tinyInputs is a capture-shaped input set small enough to commit: two
// blocks of a toy decoder (batch 2, sequence 4, width 8, FFN 16, 2 heads),
// its 8 weight matrices and gradients, the input Jacobian and the
// architecture scalars. Values are seeded normals (gradients smaller,
// attention rows normalised) so every proxy has something to chew on.
func tinyInputs() interp.Inputs {
	r := rand.New(rand.NewPCG(2024, 10))
	mk := func(scale float64, shape ...int) *tensor.Tensor {
		t := tensor.New(shape...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64() * scale)
		}
		return t
	}
	probs := func() *tensor.Tensor {
		t := mk(1, 2, 2, 4, 4)
		for row := 0; row < len(t.Data)/4; row++ {
			z := 0.0
			for j := 0; j < 4; j++ {
				z += math.Exp(float64(t.Data[row*4+j]))
			}
			for j := 0; j < 4; j++ {
				t.Data[row*4+j] = float32(math.Exp(float64(t.Data[row*4+j])) / z)
			}
		}
		return t
	}
	gelu := func(t *tensor.Tensor) *tensor.Tensor {
		for i, x := range t.Data {
			t.Data[i] = float32(0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2)))
		}
		return t
	}
	var w, g []*tensor.Tensor
	for b := 0; b < 2; b++ {
		for _, s := range [][2]int{{8, 24}, {8, 8}, {8, 16}, {16, 8}} {
			w = append(w, mk(0.02, s[0], s[1]))
			g = append(g, mk(0.001, s[0], s[1]))
		}
	}
	in := interp.Inputs{
		"A":       interp.TensorList("blocks", nil, []*tensor.Tensor{gelu(mk(1, 2, 4, 16)), gelu(mk(1, 2, 4, 16))}),
		"H":       interp.TensorList("blocks", nil, []*tensor.Tensor{mk(0.5, 2, 4, 8), mk(0.5, 2, 4, 8)}),
		"S":       interp.TensorList("softmax", nil, []*tensor.Tensor{probs(), probs()}),
		"W":       interp.TensorList("weights", nil, w),
		"G":       interp.TensorList("weights", nil, g),
		"J":       interp.TensorList("input", nil, []*tensor.Tensor{mk(0.1, 2, 4, 8)}),
		"params":  interp.ScalarValue(2 * (8*24 + 24 + 8*8 + 8 + 8*16 + 16 + 16*8 + 8 + 4*8)),
		"dparams": interp.ScalarValue(2 * (8*24 + 8*8 + 8*16 + 16*8)),
		"layers":  interp.ScalarValue(2),
		"width":   interp.ScalarValue(8),
	}
	// The extra channels of the baselines (stdlib.ExtraChannels), drawn
	// after the others so that the committed values above do not move:
	// ∂loss/∂A, Hessian·gradient, the Synflow-pass gradients (positive, as
	// under |W| and an all-ones input) and the W/G subsets by module.
	var hg, gs []*tensor.Tensor
	for _, x := range w {
		hg = append(hg, mk(1e-4, x.Shape...))
		t := mk(1, x.Shape...)
		for i, v := range t.Data {
			t.Data[i] = float32(math.Abs(float64(v)) * 50)
		}
		gs = append(gs, t)
	}
	in["GA"] = interp.TensorList("blocks", nil, []*tensor.Tensor{mk(0.01, 2, 4, 16), mk(0.01, 2, 4, 16)})
	in["HG"] = interp.TensorList("weights", nil, hg)
	in["GS"] = interp.TensorList("weights", nil, gs)
	pick := func(ts []*tensor.Tensor, idx ...int) []*tensor.Tensor {
		var out []*tensor.Tensor
		for _, i := range idx {
			out = append(out, ts[i])
		}
		return out
	}
	in["Wmix"] = interp.TensorList("mixweights", nil, pick(w, 0, 1, 4, 5))
	in["Gmix"] = interp.TensorList("mixweights", nil, pick(g, 0, 1, 4, 5))
	in["Wffn"] = interp.TensorList("ffnweights", nil, pick(w, 2, 3, 6, 7))
	in["Gffn"] = interp.TensorList("ffnweights", nil, pick(g, 2, 3, 6, 7))
	return in
}

func TestTinyInputsCommitted(t *testing.T) {
	if *update {
		os.RemoveAll(tinyDir)
		if err := interp.SaveInputsDir(tinyDir, tinyInputs()); err != nil {
			t.Fatal(err)
		}
	}
	got, err := interp.LoadInputsDir(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	want := tinyInputs()
	for name, w := range want {
		g, ok := got[name]
		if !ok || g.Type != w.Type || g.Len() != w.Len() {
			t.Fatalf("%s: committed %v, generated %v (run go test ./corpus -update)", name, g.Type, w.Type)
		}
	}
}

var goldenLine = regexp.MustCompile(`(?m)^#>.*\n?`)

// TestGolden runs every corpus script on inputs/tiny and compares its output
// with the script's own "#> " lines.
func TestGolden(t *testing.T) {
	in, err := interp.LoadInputsDir(tinyDir)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob("*.lpz")
	more, _ := filepath.Glob("baselines/*.lpz")
	paths = append(paths, more...)
	if len(paths) == 0 {
		t.Fatal("no corpus scripts")
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		var out strings.Builder
		sess := interp.NewSession(in)
		if _, err := sess.Exec(context.Background(), path, src, &out); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		got := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		if *update {
			body := strings.TrimRight(goldenLine.ReplaceAllString(src, ""), "\n")
			var g strings.Builder
			g.WriteString(body + "\n")
			for _, l := range got {
				g.WriteString("#> " + l + "\n")
			}
			os.WriteFile(path, []byte(g.String()), 0o644)
			continue
		}
		want := Golden(src)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: output\n%s\nwant\n%s", path, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestEmbedded(t *testing.T) {
	files, names := Files()
	if len(names) == 0 || len(files) != len(names) {
		t.Fatalf("embedded corpus: %v", names)
	}
}
