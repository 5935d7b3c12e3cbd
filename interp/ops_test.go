package interp

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
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
	"sign":    func(x float64) float64 { return math.Copysign(1, x) * math.Ceil(math.Abs(x)/(math.Abs(x)+1)) },
	"step": func(x float64) float64 {
		if math.Signbit(x) || x == 0 {
			return 0
		}
		return 1
	},
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
	"max": func(x []float64) float64 {
		s := append([]float64(nil), x...)
		sort.Float64s(s)
		return s[len(s)-1]
	},
	"min": func(x []float64) float64 {
		s := append([]float64(nil), x...)
		sort.Float64s(s)
		return s[0]
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
	for _, op := range stdlib.Default.AllOps() {
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
		case stdlib.Pairwise, stdlib.Matrix, stdlib.Power, stdlib.Axis:
			testLinalgOp(t, r, op)
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

// References of the pairwise, matrix, power and axis operators: naive
// loops, Gaussian elimination and a one-sided Jacobi SVD — independent of
// the gonum kernels of the table.
var refPair = map[string]func(rows [][]float64) [][]float64{
	"gram": func(rows [][]float64) [][]float64 {
		out := make([][]float64, len(rows))
		for i := range rows {
			out[i] = make([]float64, len(rows))
			for j := range rows {
				for k := range rows[i] {
					out[i][j] += rows[i][k] * rows[j][k]
				}
			}
		}
		return out
	},
	"cos": func(rows [][]float64) [][]float64 {
		out := make([][]float64, len(rows))
		for i := range rows {
			out[i] = make([]float64, len(rows))
			for j := range rows {
				var d, ni, nj float64
				for k := range rows[i] {
					d += rows[i][k] * rows[j][k]
					ni += rows[i][k] * rows[i][k]
					nj += rows[j][k] * rows[j][k]
				}
				if ni > 0 && nj > 0 {
					out[i][j] = d / math.Sqrt(ni*nj)
				}
			}
		}
		return out
	},
}

var refMatrix = map[string]func(m [][]float64) float64{
	"logdet": func(m [][]float64) float64 {
		n := len(m)
		a := make([][]float64, n)
		for i := range m {
			a[i] = append([]float64(nil), m[i]...)
		}
		ld := 0.0
		for c := 0; c < n; c++ {
			p := c
			for r := c + 1; r < n; r++ {
				if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
					p = r
				}
			}
			if a[p][c] == 0 {
				return 0 // singular: protected
			}
			a[c], a[p] = a[p], a[c]
			ld += math.Log(math.Abs(a[c][c]))
			for r := c + 1; r < n; r++ {
				f := a[r][c] / a[c][c]
				for k := c; k < n; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
		return ld
	},
	"nuc": func(m [][]float64) float64 {
		// One-sided Jacobi (Hestenes): rotate column pairs until orthogonal;
		// the singular values are then the column norms.
		rows, cols := len(m), len(m[0])
		a := make([][]float64, cols) // columns
		for j := 0; j < cols; j++ {
			a[j] = make([]float64, rows)
			for i := 0; i < rows; i++ {
				a[j][i] = m[i][j]
			}
		}
		for sweep := 0; sweep < 60; sweep++ {
			off := 0.0
			for p := 0; p < cols; p++ {
				for q := p + 1; q < cols; q++ {
					var alpha, beta, gamma float64
					for i := 0; i < rows; i++ {
						alpha += a[p][i] * a[p][i]
						beta += a[q][i] * a[q][i]
						gamma += a[p][i] * a[q][i]
					}
					if gamma == 0 {
						continue
					}
					off = math.Max(off, math.Abs(gamma)/math.Sqrt(alpha*beta))
					zeta := (beta - alpha) / (2 * gamma)
					t := math.Copysign(1, zeta) / (math.Abs(zeta) + math.Sqrt(1+zeta*zeta))
					c := 1 / math.Sqrt(1+t*t)
					s := c * t
					for i := 0; i < rows; i++ {
						x, y := a[p][i], a[q][i]
						a[p][i], a[q][i] = c*x-s*y, s*x+c*y
					}
				}
			}
			if off < 1e-15 {
				break
			}
		}
		sum := 0.0
		for _, col := range a {
			n := 0.0
			for _, v := range col {
				n += v * v
			}
			sum += math.Sqrt(n)
		}
		return sum
	},
}

var refPower = map[string]func(x, c float64) float64{
	"pow": func(x, c float64) float64 {
		switch {
		case x == 0 && c > 0:
			return 0
		case x == 0 && c == 0:
			return 1
		case x == 0:
			return math.Inf(1)
		case x > 0:
			return math.Exp(c * math.Log(x))
		}
		v := math.Exp(c * math.Log(-x))
		if c == math.Trunc(c) && math.Mod(math.Abs(c), 2) == 0 {
			return v
		}
		return -v // odd integer powers and the odd extension
	},
}

var refAxis = map[string]func(lane []float64) float64{
	"amax": func(lane []float64) float64 {
		m := lane[0]
		for _, v := range lane[1:] {
			m = math.Max(m, v)
		}
		return m
	},
}

func randMatrix(r *rand.Rand, rows, cols int) (*tensor.Tensor, [][]float64) {
	t := tensor.New(rows, cols)
	m := make([][]float64, rows)
	for i := range m {
		m[i] = make([]float64, cols)
		for j := range m[i] {
			v := float32(r.NormFloat64())
			t.Data[i*cols+j] = v
			m[i][j] = float64(v)
		}
	}
	return t, m
}

func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

func testLinalgOp(t *testing.T, r *rand.Rand, op *stdlib.Op) {
	t.Helper()
	switch op.Class {
	case stdlib.Pairwise:
		ref, ok := refPair[op.Name]
		if !ok {
			t.Fatalf("no reference for %s", op.Name)
		}
		// [4, 2, 3]: four samples of 6 elements, one of them all zeros.
		x := tensor.New(4, 2, 3)
		rows := make([][]float64, 4)
		for i := range rows {
			rows[i] = make([]float64, 6)
			for k := range rows[i] {
				if i != 2 {
					x.Data[i*6+k] = float32(r.NormFloat64())
				}
				rows[i][k] = float64(x.Data[i*6+k])
			}
		}
		v := evalOn(t, op.Name+"(x)", Inputs{"x": TensorValue(x)})
		want := ref(rows)
		if len(v.Tensor.Shape) != 2 || v.Tensor.Shape[0] != 4 || v.Tensor.Shape[1] != 4 {
			t.Fatalf("%s: shape %v, want [4 4]", op.Name, v.Tensor.Shape)
		}
		for i := range want {
			for j := range want[i] {
				if got := float64(v.Tensor.Data[i*4+j]); !near(got, want[i][j], 1e-6) {
					t.Errorf("%s[%d,%d] = %g, want %g", op.Name, i, j, got, want[i][j])
				}
			}
		}
		// Per entry on a list; a scalar is a type error.
		l := evalOn(t, "sum("+op.Name+"(L))", Inputs{"L": TensorList("blocks", nil, []*tensor.Tensor{x, x})})
		whole := 0.0
		for i := range want {
			for j := range want[i] {
				whole += 2 * want[i][j]
			}
		}
		if !near(l.Scalar, whole, 1e-6) {
			t.Errorf("sum(%s(L)) = %g, want %g", op.Name, l.Scalar, whole)
		}
		if _, err := CompileSource(op.Name+"(2)", nil, stdlib.Default); err == nil {
			t.Errorf("%s(2): no type error", op.Name)
		}
	case stdlib.Matrix:
		ref, ok := refMatrix[op.Name]
		if !ok {
			t.Fatalf("no reference for %s", op.Name)
		}
		shapes := [][2]int{{5, 5}, {1, 1}, {3, 3}}
		if op.Name != "logdet" {
			shapes = append(shapes, [2]int{3, 7}, [2]int{7, 2})
		}
		for _, sh := range shapes {
			x, m := randMatrix(r, sh[0], sh[1])
			v := evalOn(t, op.Name+"(x)", Inputs{"x": TensorValue(x)})
			if want := ref(m); !near(v.Scalar, want, 1e-9) {
				t.Errorf("%s(%dx%d) = %.15g, want %.15g", op.Name, sh[0], sh[1], v.Scalar, want)
			}
		}
		// A rank-3 tensor is viewed as [first, rest]; a list maps per entry.
		x3 := tensor.New(2, 1, 2)
		copy(x3.Data, []float32{1, 2, 3, 4}) // [[1,2],[3,4]]: det −2, σ = √(15 ± √221)
		want := map[string]float64{"logdet": math.Log(2), "nuc": math.Sqrt(15+math.Sqrt(221)) + math.Sqrt(15-math.Sqrt(221))}[op.Name]
		v := evalOn(t, "sum("+op.Name+"(L))", Inputs{"L": TensorList("weights", nil, []*tensor.Tensor{x3, x3})})
		if !near(v.Scalar, 2*want, 1e-12) {
			t.Errorf("sum(%s(L)) = %.15g, want %.15g", op.Name, v.Scalar, 2*want)
		}
		if _, err := CompileSource(op.Name+"(2)", nil, stdlib.Default); err == nil {
			t.Errorf("%s(2): no type error", op.Name)
		}
	case stdlib.Power:
		ref, ok := refPower[op.Name]
		if !ok {
			t.Fatalf("no reference for %s", op.Name)
		}
		r := rand.New(rand.NewPCG(3, 3))
		x, _ := tensor.FromData(testValues(r, 64), 64)
		for _, c := range []float64{2, 3, 0.05, 0.5, -1, -0.5, 0} {
			src := op.Name + "(x, " + lang.Print(&lang.Num{Value: c}) + ")"
			v := evalOn(t, src, Inputs{"x": TensorValue(x)})
			for i, got := range v.Tensor.Data {
				want := float64(float32(ref(float64(x.Data[i]), c)))
				if !close64(float64(got), want) {
					t.Errorf("%s = %g at x = %g, want %g", src, got, x.Data[i], want)
				}
			}
			sv := evalOn(t, op.Name+"(-8, "+lang.Print(&lang.Num{Value: c})+")", nil)
			if want := ref(-8, c); !close64(sv.Scalar, want) {
				t.Errorf("%s(-8, %g) = %g, want %g", op.Name, c, sv.Scalar, want)
			}
		}
	case stdlib.Axis:
		ref, ok := refAxis[op.Name]
		if !ok {
			t.Fatalf("no reference for %s", op.Name)
		}
		x := tensor.New(2, 3, 4)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64())
		}
		at := func(i, j, k int) float64 { return float64(x.Data[i*12+j*4+k]) }
		for _, k := range []int{0, 1, 2, -1, -3} {
			ax := (k + 3) % 3
			v := evalOn(t, op.Name+"(x, "+lang.Print(&lang.Num{Value: float64(k)})+")", Inputs{"x": TensorValue(x)})
			dims := []int{2, 3, 4}
			var shape []int
			for d, n := range dims {
				if d != ax {
					shape = append(shape, n)
				}
			}
			if !slices.Equal(v.Tensor.Shape, shape) {
				t.Fatalf("%s(x, %d): shape %v, want %v", op.Name, k, v.Tensor.Shape, shape)
			}
			idx := 0
			for a := 0; a < shape[0]; a++ {
				for b := 0; b < shape[1]; b++ {
					lane := make([]float64, dims[ax])
					for l := range lane {
						ijk := []int{a, b}
						ijk = append(ijk[:ax], append([]int{l}, ijk[ax:]...)...)
						lane[l] = at(ijk[0], ijk[1], ijk[2])
					}
					if got, want := float64(v.Tensor.Data[idx]), ref(lane); got != float64(float32(want)) {
						t.Errorf("%s(x, %d)[%d] = %g, want %g", op.Name, k, idx, got, want)
					}
					idx++
				}
			}
		}
	}
}

func TestNewOpErrors(t *testing.T) {
	m, _ := tensor.FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	sing, _ := tensor.FromData([]float32{1, 2, 2, 4}, 2, 2)
	in := Inputs{"m": TensorValue(m), "s": ScalarValue(2), "z": TensorValue(sing),
		"W": TensorList("weights", []string{"block0.attn.c_attn"}, []*tensor.Tensor{m})}
	// Runtime errors.
	for _, c := range []struct{ src, want string }{
		{"sum(pow(m, s))", "the second argument of pow must be a constant number"},
		{"sum(amax(m, 2))", "axis 2 is not an integer axis of a tensor of shape [2,3]"},
		{"sum(amax(m, 0.5))", "axis 0.5 is not an integer axis"},
	} {
		p, err := CompileSource(c.src, InputTypes(in), stdlib.Default)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		_, err = Host{}.Eval(context.Background(), p, in)
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
	}
	// Type errors.
	for _, c := range []struct{ src, want string }{
		{"pow(m, m)", "pow: the exponent must be a constant number"},
		{"amax(m, m)", "amax: the axis must be a constant integer"},
		{"amax(s, 0)", "needs a tensor"},
		{"logdet(fro(W))", "needs a matrix"},
		{"gram(fro(W))", "needs a tensor with a batch axis"},
	} {
		_, err := CompileSource(c.src, InputTypes(in), stdlib.Default)
		if err == nil || !contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
	}
	// Constant expressions are accepted as exponents; singular logdet is 0.
	for _, c := range []struct {
		src  string
		want float64
	}{
		{"pow(4, 1 / 2)", math.Pow(4, 1/(2+1e-9))},
		{"pow(-8, 1 / 3)", -math.Pow(8, 1/(3+1e-9))},
		{"logdet(z)", 0},
		{"logdet(m)", 0}, // not square: no determinant
		{"sum(logdet(W))", 0},
		{"max(m) - min(m)", 5},
		{"sum(amax(m, -1))", 3 + 6},
	} {
		if v := evalOn(t, c.src, in); !close64(v.Scalar, c.want) {
			t.Errorf("%s = %.17g, want %.17g", c.src, v.Scalar, c.want)
		}
	}
}

// A list with no entries (a FlexiBERT without attention has no A) paired
// with a tensor or a scalar is an empty list; its sum is 0.
func TestEmptyListBinary(t *testing.T) {
	x, _ := tensor.FromData([]float32{1, 2}, 2)
	in := Inputs{
		"A": TensorList("blocks", nil, nil),
		"J": TensorList("input", nil, []*tensor.Tensor{x}),
		"X": TensorValue(x),
	}
	for _, src := range []string{"sum(A * X)", "sum(X - A)", "sum(2 + A)", "sum(fro(A) * X)", "sum(A + sum(fro(J)))"} {
		p, err := CompileSource(src, InputTypes(in), stdlib.Default)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		v, err := Host{}.Eval(context.Background(), p, in)
		if err != nil || v.Scalar != 0 {
			t.Errorf("%s = %v, %v; want 0", src, v.Scalar, err)
		}
	}
}
