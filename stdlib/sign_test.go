package stdlib

import (
	"math"
	"math/rand/v2"
	"testing"

	"lpz/lang"
)

// TestSignClaims checks each op's Sign against its kernels on random data:
// NonNegative ops give values ≥ 0 on inputs of both signs, KeepsNonNegative
// ops on non-negative inputs. The rules' nonneg guard deletes abs and relu
// and rejects whole formulas on these claims, so a wrong one would change
// what the search evaluates.
func TestSignClaims(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 64
	draw := func(nonNeg bool) ([]float64, []float32) {
		x64, x32 := make([]float64, n), make([]float32, n)
		for i := range x64 {
			v := r.NormFloat64() * math.Exp(3*r.NormFloat64())
			if i%9 == 0 {
				v = 0
			}
			if nonNeg {
				v = math.Abs(v)
			}
			x64[i], x32[i] = v, float32(v)
		}
		return x64, x32
	}
	checked := 0
	for _, op := range Default.AllOps() {
		if op.Sign == AnySign {
			continue
		}
		nonNeg := op.Sign == KeepsNonNegative
		for trial := 0; trial < 50; trial++ {
			x, x32 := draw(nonNeg)
			y, _ := draw(nonNeg)
			var out []float64
			switch op.Class {
			case Elementwise:
				for _, v := range x {
					out = append(out, op.F(v))
				}
			case Reduction, Aggregation:
				out = []float64{op.Reduce64(x), op.Reduce32(x32)}
			case Normalization:
				d := make([]float64, n)
				op.Norm64(d, x)
				out = d
			case Binary:
				for i := range x {
					out = append(out, op.F2(x[i], y[i]))
				}
			case Power:
				for i := range x {
					out = append(out, op.F2(x[i], math.Abs(y[i])), op.F2(x[i], 0.5), op.F2(x[i], -1.5))
				}
			case Axis:
				out = []float64{op.Reduce64(x)}
			case Pairwise:
				out = op.Pair(x32, 4)
			case Matrix:
				v, err := op.Mat(x32, 8, 8)
				if err != nil {
					t.Fatalf("%s: %v", op.Name, err)
				}
				out = []float64{v}
			default:
				t.Fatalf("%s: class %s has no sign check", op.Name, op.Class)
			}
			for _, v := range out {
				if v < 0 {
					t.Fatalf("%s (%v) gave %v on %v", op.Name, op.Sign, v, x)
				}
			}
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d ops claim a sign", checked)
	}
}

// Channels claimed non-negative must be probabilities or counts: a scalar
// channel, or S (softmax outputs).
func TestNonNegativeChannels(t *testing.T) {
	for name := range nonNegativeChannels {
		c, ok := LookupChannel(name)
		if !ok {
			t.Errorf("%s: no such channel", name)
			continue
		}
		if name != "S" && c.Type.Kind != lang.Scalar {
			t.Errorf("%s: %s is neither a count nor S", name, c.Type)
		}
	}
}
