package stdlib

import (
	"fmt"
	"math"
	"testing"
)

// edgeMatrix is one entry of the edge-case property test, viewed as a
// rows×cols matrix where a class needs one.
type edgeMatrix struct {
	name       string
	rows, cols int
	data       []float32
}

func edgeMatrices() []edgeMatrix {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	return []edgeMatrix{
		{"0×0", 0, 0, nil}, {"0×3", 0, 3, nil}, {"3×0", 3, 0, nil}, {"1×0", 1, 0, nil},
		{"1×1", 1, 1, []float32{2}}, {"1×1 zero", 1, 1, []float32{0}},
		{"2×2 zero", 2, 2, make([]float32, 4)}, {"2×2 singular", 2, 2, []float32{1, 2, 2, 4}},
		{"2×2", 2, 2, []float32{1, 2, 3, 4}}, {"1×3", 1, 3, []float32{1, -2, 3}},
		{"NaN", 2, 2, []float32{1, nan, 3, 4}}, {"+Inf", 2, 2, []float32{1, inf, 3, 4}},
		{"-Inf", 2, 2, []float32{1, -inf, 3, 4}}, {"all -Inf", 1, 2, []float32{-inf, -inf}},
		{"1e38", 2, 2, []float32{1e38, 1e38, -1e38, 1e38}}, {"max float32", 1, 2, []float32{math.MaxFloat32, -math.MaxFloat32}},
		{"2×3", 2, 3, []float32{1, 2, 3, 4, 5, 6}},
	}
}

func widen(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// applyKernels runs every kernel of op's class on m and returns what it
// gave, for the documented-value checks.
func applyKernels(op *Op, m edgeMatrix) (out []float64, err error) {
	x64 := widen(m.data)
	switch op.Class {
	case Elementwise:
		d := make([]float32, len(m.data))
		op.F32(d, m.data)
		for _, v := range x64 {
			out = append(out, op.F(v))
		}
		return append(out, widen(d)...), nil
	case Reduction, Aggregation:
		return []float64{op.Reduce32(m.data), op.Reduce64(x64)}, nil
	case Normalization:
		d32, d64 := make([]float32, len(m.data)), make([]float64, len(m.data))
		op.Norm32(d32, m.data)
		op.Norm64(d64, x64)
		return append(widen(d32), d64...), nil
	case Binary, Power:
		for _, c := range []float64{0, -1, 0.5, 2, 1e38, math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, v := range x64 {
				out = append(out, op.F2(v, c), op.F2(c, v))
			}
		}
		return out, nil
	case Pairwise:
		return op.Pair(m.data, m.rows), nil
	case Matrix:
		v, err := op.Mat(m.data, m.rows, m.cols)
		return []float64{v}, err
	case Axis:
		return []float64{op.Reduce32(m.data)}, nil
	}
	return nil, fmt.Errorf("class %s has no edge case here", op.Class)
}

// TestKernelsOnEdgeEntries runs every kernel of every op of the table on
// empty, one-element, singular, NaN-, ±Inf- and huge-valued entries: none
// may panic, and each gives a value of the length its class promises.
func TestKernelsOnEdgeEntries(t *testing.T) {
	for _, op := range Default.AllOps() {
		for _, m := range edgeMatrices() {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s on %s: panic %v", op.Name, m.name, r)
					}
				}()
				out, err := applyKernels(op, m)
				if err != nil {
					t.Errorf("%s on %s: %v", op.Name, m.name, err)
				}
				if op.Class == Pairwise && len(out) != m.rows*m.rows {
					t.Errorf("%s on %s: %d values, want %d", op.Name, m.name, len(out), m.rows*m.rows)
				}
			}()
		}
	}
}

// emptyValues is the documented value of each reducing op on an entry
// with no elements (its Def says so). Every reduction, aggregation and
// matrix op must have one: adding an op means deciding it.
var emptyValues = map[string]float64{
	"fro": 0, "nsum": 0, "l1": 0, "avg": 0, "std": 0, "sum": 0,
	"max": math.Inf(-1), "min": math.Inf(1),
	"logdet": 0, "nuc": 0,
}

func TestEmptyEntryValues(t *testing.T) {
	for _, op := range Default.AllOps() {
		switch op.Class {
		case Reduction, Aggregation, Matrix, Axis:
		default:
			continue
		}
		if op.Class == Axis {
			continue // an empty lane reduces with Reduce32, covered by its reduction
		}
		want, ok := emptyValues[op.Name]
		if !ok {
			t.Errorf("%s: no documented value for an empty entry", op.Name)
			continue
		}
		for _, m := range edgeMatrices()[:4] { // the empty ones
			out, err := applyKernels(op, m)
			if err != nil {
				t.Errorf("%s on %s: %v", op.Name, m.name, err)
			}
			for _, v := range out {
				if v != want {
					t.Errorf("%s on %s = %v, want %v", op.Name, m.name, v, want)
				}
			}
		}
	}
}

// TestMatrixEdgeValues pins the linear-algebra conventions of logdet and
// nuc on the entries gonum refuses or cannot factor.
func TestMatrixEdgeValues(t *testing.T) {
	logdet, _ := Default.Lookup("logdet")
	nuc, _ := Default.Lookup("nuc")
	for _, c := range []struct {
		op      *Op
		m       string
		want    float64
		wantNaN bool
	}{
		{logdet, "0×0", 0, false}, {logdet, "0×3", 0, false}, {logdet, "2×2 singular", 0, false},
		{logdet, "2×2 zero", 0, false}, {logdet, "1×1 zero", 0, false}, {logdet, "1×1", math.Log(2), false},
		{logdet, "NaN", 0, true}, {logdet, "+Inf", 0, true}, {logdet, "2×3", 0, false},
		{nuc, "0×0", 0, false}, {nuc, "3×0", 0, false}, {nuc, "1×0", 0, false}, {nuc, "1×1", 2, false},
		{nuc, "2×2 zero", 0, false}, {nuc, "-Inf", 0, true},
	} {
		var m edgeMatrix
		for _, e := range edgeMatrices() {
			if e.name == c.m {
				m = e
			}
		}
		got, err := c.op.Mat(m.data, m.rows, m.cols)
		if err != nil || (c.wantNaN != math.IsNaN(got)) || (!c.wantNaN && math.Abs(got-c.want) > 1e-12) {
			t.Errorf("%s on %s = %v, %v; want %v (NaN %v)", c.op.Name, c.m, got, err, c.want, c.wantNaN)
		}
	}
}

// TestNormalizationEdgeValues pins the documented NaN rule of softmax and
// log-softmax in both kernels: NaN throughout if an element is NaN or +Inf
// or every element is −Inf, finite otherwise.
func TestNormalizationEdgeValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, name := range []string{"softmax", "logsoftmax"} {
		op, _ := Default.Lookup(name)
		for _, c := range []struct {
			x      []float32
			allNaN bool
		}{
			{[]float32{1, nan}, true}, {[]float32{1, inf}, true}, {[]float32{-inf, -inf}, true},
			{[]float32{-inf, 0}, false}, {[]float32{3}, false},
		} {
			d32, d64 := make([]float32, len(c.x)), make([]float64, len(c.x))
			op.Norm32(d32, c.x)
			op.Norm64(d64, widen(c.x))
			for i := range c.x {
				if n32, n64 := d32[i] != d32[i], math.IsNaN(d64[i]); n32 != c.allNaN || n64 != c.allNaN {
					t.Errorf("%s(%v)[%d] = %v / %v, want NaN: %v", name, c.x, i, d32[i], d64[i], c.allNaN)
				}
			}
		}
	}
}
