package interp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// Independent float64 references, written from DESIGN.md §2 rather than
// from the table's kernels. Every op of the table must have one here.
var refUnary = map[string]func(float64) float64{
	"log": func(x float64) float64 {
		if x <= 0 {
			return 0
		}
		return math.Log(x)
	},
	"abslog": func(x float64) float64 {
		if x == 0 {
			return 0
		}
		return math.Log(math.Abs(x))
	},
	"abs":     math.Abs,
	"sq":      func(x float64) float64 { return math.Pow(x, 2) },
	"exp":     math.Exp,
	"sqrt":    func(x float64) float64 { return math.Sqrt(math.Max(0, x)) },
	"relu":    func(x float64) float64 { return math.Max(0, x) },
	"inv":     func(x float64) float64 { return 1 / (x + 1e-9) },
	"neg":     func(x float64) float64 { return 0 - x },
	"sigmoid": func(x float64) float64 { return 0.5 * (1 + math.Tanh(x/2)) },
	"id":      func(x float64) float64 { return x },
}

var refReduce = map[string]func([]float64) float64{
	"fro": func(x []float64) float64 { return math.Hypot(0, normSq(x)) },
	"nsum": func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s / float64(len(x))
	},
	"l1": func(x []float64) float64 {
		s := 0.0
		for _, v := range x {
			s += math.Abs(v)
		}
		return s / float64(len(x))
	},
	"avg": func(x []float64) float64 {
		s := 0.0
		for i, v := range x { // running mean, a different algorithm
			s += (v - s) / float64(i+1)
		}
		return s
	},
	"std": func(x []float64) float64 {
		if len(x) < 2 {
			return 0
		}
		var n, m, m2 float64 // Welford
		for _, v := range x {
			n++
			d := v - m
			m += d / n
			m2 += d * (v - m)
		}
		return math.Sqrt(m2 / (n - 1))
	},
	"sum": func(x []float64) float64 {
		s, c := 0.0, 0.0 // Kahan
		for _, v := range x {
			y := v - c
			t := s + y
			c = (t - s) - y
			s = t
		}
		return s
	},
}

func normSq(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

var refNorm = map[string]func([]float64) []float64{
	"softmax": func(x []float64) []float64 {
		out := make([]float64, len(x))
		z := 0.0
		for _, v := range x {
			z += math.Exp(v - 50) // shift by a constant: exact in exact arithmetic
		}
		for i, v := range x {
			out[i] = math.Exp(v-50) / z
		}
		return out
	},
	"logsoftmax": func(x []float64) []float64 {
		out := make([]float64, len(x))
		z := 0.0
		for _, v := range x {
			z += math.Exp(v - 50)
		}
		for i, v := range x {
			out[i] = v - 50 - math.Log(z)
		}
		return out
	},
	"minmax": func(x []float64) []float64 {
		lo, hi := x[0], x[0]
		for _, v := range x {
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = (v - lo) / (hi - lo + 1e-9)
		}
		return out
	},
}

var refBinary = map[string]func(a, b float64) float64{
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a + (-b) },
	"mul": func(a, b float64) float64 { return a * b },
	"div": func(a, b float64) float64 { return a * (1 / (b + 1e-9)) },
}

// testValues mixes zeros, negatives, tiny and large magnitudes.
func testValues(r *rand.Rand, n int) []float32 {
	special := []float32{0, -0, 1, -1, 1e-12, -1e-12, 30, -30, 1e3, -1e3, 0.5}
	out := make([]float32, n)
	for i := range out {
		if i < len(special) {
			out[i] = special[i]
		} else {
			out[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(5)-2)))
		}
	}
	return out
}

func close64(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) || math.Abs(want) > math.MaxFloat32 {
		return math.IsInf(got, int(math.Copysign(1, want))) || got == want
	}
	return math.Abs(got-want) <= 2e-6*math.Abs(want)+1e-6
}

func evalOn(t *testing.T, src string, in Inputs) Value {
	t.Helper()
	p, err := CompileSource(src, InputTypes(in), stdlib.Default)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	v, err := Host{}.Eval(context.Background(), p, in)
	if err != nil {
		if _, ok := err.(*NonFiniteError); !ok {
			t.Fatalf("%s: %v", src, err)
		}
	}
	return v
}

func TestEveryOpAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	data := testValues(r, 257)
	x, _ := tensor.FromData(data, 257)
	y, _ := tensor.FromData(testValues(r, 257), 257)
	in := Inputs{"x": TensorValue(x), "y": TensorValue(y)}
	x64 := make([]float64, len(data))
	for i, v := range data {
		x64[i] = float64(v)
	}
	for _, op := range stdlib.Default.Ops() {
		switch op.Class {
		case stdlib.Elementwise:
			ref, ok := refUnary[op.Name]
			if !ok {
				t.Fatalf("no reference for %s", op.Name)
			}
			v := evalOn(t, op.Name+"(x)", in)
			for i, got := range v.Tensor.Data {
				want := float64(float32(ref(x64[i])))
				if !close64(float64(got), want) {
					t.Errorf("%s(%g) = %g, want %g", op.Name, x64[i], got, want)
				}
			}
			// Scalars go through F in float64.
			for _, s := range []float64{0, -2, 3.5, 1e-300} {
				sv := evalOn(t, op.Name+"(s)", Inputs{"s": ScalarValue(s)})
				if !close64(sv.Scalar, ref(s)) && !(math.IsInf(ref(s), 0) && math.IsInf(sv.Scalar, 0)) {
					t.Errorf("%s(%g) = %g, want %g", op.Name, s, sv.Scalar, ref(s))
				}
			}
		case stdlib.Reduction, stdlib.Aggregation:
			ref, ok := refReduce[op.Name]
			if !ok {
				t.Fatalf("no reference for %s", op.Name)
			}
			v := evalOn(t, op.Name+"(x)", in)
			if want := ref(x64); !close64(v.Scalar, want) {
				t.Errorf("%s(x) = %.17g, want %.17g", op.Name, v.Scalar, want)
			}
		case stdlib.Normalization:
			ref, ok := refNorm[op.Name]
			if !ok {
				t.Fatalf("no reference for %s", op.Name)
			}
			// Moderate inputs: softmax of ±1e3 is all-or-nothing in float32.
			small := make([]float64, 40)
			xs := make([]float32, 40)
			for i := range small {
				xs[i] = float32(r.NormFloat64() * 3)
				small[i] = float64(xs[i])
			}
			xt, _ := tensor.FromData(xs, 4, 10)
			v := evalOn(t, op.Name+"(z)", Inputs{"z": TensorValue(xt)})
			want := ref(small)
			for i, got := range v.Tensor.Data {
				if !close64(float64(got), float64(float32(want[i]))) {
					t.Errorf("%s[%d] = %g, want %g", op.Name, i, got, want[i])
				}
			}
		case stdlib.Binary:
			ref, ok := refBinary[op.Name]
			if !ok {
				t.Fatalf("no reference for %s", op.Name)
			}
			v := evalOn(t, op.Name+"(x, y)", in)
			for i, got := range v.Tensor.Data {
				want := float64(float32(ref(x64[i], float64(y.Data[i]))))
				if !close64(float64(got), want) {
					t.Errorf("%s(%g, %g) = %g, want %g", op.Name, x64[i], y.Data[i], got, want)
				}
			}
		default:
			t.Fatalf("op %s: class %v not covered", op.Name, op.Class)
		}
	}
}

func TestListSemantics(t *testing.T) {
	a0, _ := tensor.FromData([]float32{3, 4}, 2)
	a1, _ := tensor.FromData([]float32{1, 2, 2}, 3)
	w0, _ := tensor.FromData([]float32{1, 1, 1, 1}, 2, 2)
	in := Inputs{
		"A": TensorList("blocks", []string{"block0", "block1"}, []*tensor.Tensor{a0, a1}),
		"H": TensorList("blocks", nil, []*tensor.Tensor{a0, a1}),
		"W": TensorList("weights", nil, []*tensor.Tensor{w0}),
	}
	cases := []struct {
		src  string
		want float64
	}{
		{"sum(fro(A))", 5 + 3},
		{"fro(fro(A))", math.Sqrt(25 + 9)},
		{"sum(softmax(fro(A)))", 1},
		{"sum(fro(A) * H)", 5*7 + 3*5},
		{"sum(A * H)", 9 + 16 + 1 + 4 + 4},
		{"sum(A) + sum(W)", 7 + 5 + 4},
		{"sum(2 * A)", 24},
		{"avg(fro(A))", 4},
		{"sum(minmax(fro(A)))", 1 / (2 + 1e-9) * 2},
		{"sum(sq(inv(H)) + log(softmax(fro(A))))", 1/9.0 + 1/16.0 + 1 + 0.25 + 0.25 + 2*math.Log(math.Exp(5)/(math.Exp(5)+math.Exp(3))) + 3*math.Log(math.Exp(3)/(math.Exp(5)+math.Exp(3)))},
	}
	for _, c := range cases {
		v := evalOn(t, c.src, in)
		if !close64(v.Scalar, c.want) {
			t.Errorf("%s = %.10g, want %.10g", c.src, v.Scalar, c.want)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	a0, _ := tensor.FromData([]float32{3, 4}, 2)
	b0, _ := tensor.FromData([]float32{1, 2, 3}, 3)
	in := Inputs{
		"A": TensorList("blocks", []string{"block0.mlp.act"}, []*tensor.Tensor{a0}),
		"H": TensorList("blocks", nil, []*tensor.Tensor{b0}),
		"B": TensorList("blocks", nil, []*tensor.Tensor{a0, a0}),
	}
	cases := []struct{ src, want string }{
		{"sum(A * H)", "<input>:1:7: entry 0 (block0.mlp.act): shapes [2] and [3] do not broadcast (in A * H)"},
		{"sum(A + B)", "<input>:1:7: lists of family blocks have 1 and 2 entries (in A + B)"},
		{"sum(exp(A * 1000))", "sum(exp(A * 1000)) evaluates to +Inf (invalid score)"},
		{"sum(A * 0 * exp(1e9))", "evaluates to NaN"},
	}
	for _, c := range cases {
		p, err := CompileSource(c.src, InputTypes(in), stdlib.Default)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Host{}.Eval(context.Background(), p, in)
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
	}
	// A missing input is a runtime error, not a panic.
	p, _ := CompileSource("sum(A)", InputTypes(in), stdlib.Default)
	if _, err := (Host{}).Eval(context.Background(), p, Inputs{}); err == nil {
		t.Error("missing input: no error")
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestBroadcast(t *testing.T) {
	v := evalOn(t, "[[1, 2], [3, 4]] + [10, 20]", nil)
	want := []float32{11, 22, 13, 24}
	for i, w := range want {
		if v.Tensor.Data[i] != w {
			t.Fatalf("got %v", v.Tensor.Data)
		}
	}
	v = evalOn(t, "[[1], [2]] * [10, 20, 30]", nil)
	if got := v.Tensor.Shape; len(got) != 2 || got[0] != 2 || got[1] != 3 || v.Tensor.Data[5] != 60 {
		t.Fatalf("got %v %v", got, v.Tensor.Data)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := CompileSource("sum([1, 2])", nil, stdlib.Default)
	if _, err := (Host{}).Eval(ctx, p, nil); err == nil {
		t.Fatal("cancelled context: no error")
	}
}

var _ = lang.ScalarType
