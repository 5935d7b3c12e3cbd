package stdlib

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestLog32Accuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	worst := 0.0
	check := func(x float64) {
		got, want := log32(x), math.Log(x)
		err := math.Abs(got - want)
		if want != 0 {
			err /= math.Max(math.Abs(want), 1)
		}
		worst = math.Max(worst, err)
		if err > 1e-12 {
			t.Fatalf("log32(%g) = %.17g, math.Log = %.17g", x, got, want)
		}
	}
	for i := 0; i < 200000; i++ {
		check(math.Exp(r.Float64()*200 - 100))
	}
	for _, x := range []float64{1, 2, math.Sqrt2, math.Nextafter(math.Sqrt2, 3), math.Nextafter(math.Sqrt2, 0),
		math.Sqrt(0.5), math.Nextafter(math.Sqrt(0.5), 0), 0.5, 1e-300, 1e300, math.MaxFloat32, float64(math.SmallestNonzeroFloat32),
		0x1p-1022, math.MaxFloat64, math.Nextafter(1, 0), math.Nextafter(1, 2)} {
		check(x)
	}
	for _, x := range []float64{0, math.Copysign(0, -1), -1, math.Inf(1), math.Inf(-1), math.NaN(), 1e-320} {
		got, want := log32(x), math.Log(x)
		if !same(got, want) {
			t.Fatalf("log32(%g) = %g, want %g", x, got, want)
		}
	}
	t.Logf("worst relative error %.3g", worst)
}

// same is bitwise equality, any NaN equal to any NaN.
func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
}

func TestExp32Accuracy(t *testing.T) {
	const bound = 1e-9 // the series' truncation is 6e-10; the table's error is ~1e-16
	worst, worstX := 0.0, 0.0
	check := func(x float64) {
		got, want := exp32(x), math.Exp(x)
		err := math.Abs(got-want) / want
		if err > worst {
			worst, worstX = err, x
		}
		if !(err <= bound) {
			t.Fatalf("exp32(%.17g) = %.17g, math.Exp = %.17g (relative error %.3g)", x, got, want, err)
		}
	}
	const n = 1000000
	for i := 0; i <= n; i++ {
		check(-100 + 200*float64(i)/n)
	}
	r := rand.New(rand.NewPCG(4, 4))
	for i := 0; i < 200000; i++ {
		check(r.Float64()*1417 - 708)                         // the whole fast range
		check((r.Float64() - 0.5) * 1e-3)                     // |r| small: the polynomial's head
		check(float64(r.IntN(65408)-32672) * (math.Ln2 / 32)) // the table's nodes, r ≈ 0
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -1, 1e-300, -1e-300, 5e-324,
		-708, 709, math.Nextafter(-708, 0), math.Nextafter(709, 0),
		88.72283, 88.72284, -87.33654, -103.97, // float32 overflow, smallest normal, smallest subnormal
		math.Ln2 / 64, -math.Ln2 / 64, math.Ln2 / 2, 1023 * math.Ln2, -1021 * math.Ln2} {
		check(x)
	}
	t.Logf("worst relative error %.3g at %g", worst, worstX)
	// Outside the fast range exp32 is math.Exp, bit for bit.
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Nextafter(709, 710), 709.78, 709.8, 710, 1e300,
		math.Nextafter(-708, -709), -708.5, -745, -745.2, -746, -1000, -1e300, math.MaxFloat64, -math.MaxFloat64} {
		if got, want := exp32(x), math.Exp(x); !same(got, want) {
			t.Errorf("exp32(%g) = %g, math.Exp = %g", x, got, want)
		}
	}
	if got := exp32(0); got != 1 {
		t.Errorf("exp32(0) = %.17g, want exactly 1 (softmax's maximum element)", got)
	}
}

// ulps is the distance between two float32s in units in the last place:
// 0 for equal values (and for two NaNs), MaxUint32 for a NaN against a
// number or for opposite signs (other than ±0).
func ulps(a, b float32) uint32 {
	if a == b || a != a && b != b {
		return 0
	}
	if a != a || b != b || math.Signbit(float64(a)) != math.Signbit(float64(b)) {
		return math.MaxUint32
	}
	ua, ub := math.Float32bits(a), math.Float32bits(b)
	if ua > ub {
		return ua - ub
	}
	return ub - ua
}

// kernelInputs mixes the special values with activation-like data of
// every scale, including arguments that overflow or underflow exp in
// float32 and float64.
func kernelInputs(n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -0.5, 1e-30, -1e-30, 1e-45, -1e-45,
		88.72283, 88.72284, 89, -87.33654, -103.27893, -103.97, -104, 700, -700, 710, -710, 750, -750,
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1.17549435e-38,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	r := rand.New(rand.NewPCG(5, 5))
	x := make([]float32, n)
	for i := range x {
		if i < len(special) {
			x[i] = special[i]
		} else {
			x[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(6)-3)))
		}
	}
	return x
}

// TestFloat32KernelsMatchF checks the dedicated float32 kernels against
// the exact definition F rounded to float32: exp32 and log32 are within a
// hundredth of a float32 ulp, so the two may differ only where F is near a
// rounding boundary, and then by one ulp.
func TestFloat32KernelsMatchF(t *testing.T) {
	x := kernelInputs(100000)
	for _, name := range []string{"exp", "sigmoid", "log", "abslog"} {
		op, ok := Default.Lookup(name)
		if !ok {
			t.Fatalf("no op %s", name)
		}
		got := make([]float32, len(x))
		op.F32(got, x)
		off := 0
		for i, v := range x {
			want := float32(op.F(float64(v)))
			if d := ulps(got[i], want); d > 1 {
				t.Fatalf("%s(%g): float32 kernel %g, F %g (%d ulps)", name, v, got[i], want, d)
			} else if d == 1 {
				off++
			}
		}
		// Misrounding needs F within ~1e-9·|F| of a rounding boundary:
		// at most a few percent of elements, not a systematic bias.
		if off > len(x)/20 {
			t.Errorf("%s: %d of %d elements one ulp off", name, off, len(x))
		}
		t.Logf("%s: %d of %d elements one ulp off", name, off, len(x))
		// dst may alias src.
		y := append([]float32(nil), x...)
		op.F32(y, y)
		for i := range y {
			if ulps(y[i], got[i]) != 0 {
				t.Fatalf("%s in place: %g, not %g", name, y[i], got[i])
			}
		}
	}
}

// normCases are the entries the normalisations are checked on: lengths
// around the chunk and the pooled buffer, and the special patterns.
func normCases() [][]float32 {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	r := rand.New(rand.NewPCG(6, 6))
	cases := [][]float32{
		{}, {0}, {3}, {-inf}, {inf}, {nan}, {1, 2, 3}, {5, 5, 5}, {-inf, -inf}, {inf, inf},
		{-inf, 0, 1}, {inf, 0, 1}, {nan, 0, 1}, {1, nan, -inf}, {nan, inf, -inf, 2}, {-inf, inf, 3},
		{0, negz}, {negz, 0}, {negz, negz, 1}, {0, 0, 1}, {1, negz, 0, 2}, {-1, negz, 0},
		{negz, -1, 0}, {0, -2}, {0, 2}, {negz, 2}, {-3, negz},
		{1e30, -1e30, 0}, {100, 0}, {1000, 0, -1000}, {100, -1e-30}, // gaps past exp's range
		{math.MaxFloat32, -math.MaxFloat32},
	}
	for _, n := range []int{511, 512, 513, 1000, 1024, 1025, 5000, 100000} {
		for _, scale := range []float64{1e-3, 1, 30} {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(r.NormFloat64() * scale)
			}
			cases = append(cases, x)
		}
	}
	// One dominant element: log-softmax of it is −ln z with z just above 1.
	x := make([]float32, 600)
	for i := range x {
		x[i] = float32(-30 - r.Float64())
	}
	x[300] = 0
	cases = append(cases, x)
	// NaN and ±Inf after the first chunk.
	for _, v := range []float32{nan, inf, -inf} {
		x := make([]float32, 2000)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		x[1500] = v
		cases = append(cases, x)
	}
	return cases
}

// TestFloat32NormsMatchNorm64 checks softmax32 and logSoftmax32 against the
// exact float64 definitions on the widened entry, rounded to float32.
// Softmax: both round values that agree to ~1e-9 relative, so they are at
// most one ulp apart. Log-softmax: x − ln z is exact to ~1e-9 in ln z, and
// the two sum z in different orders (1e-16 relative each), so an output
// within 1e-12 of zero may be more than one ulp off.
func TestFloat32NormsMatchNorm64(t *testing.T) {
	for _, name := range []string{"softmax", "logsoftmax", "minmax"} {
		op, _ := Default.Lookup(name)
		off, total := 0, 0
		for _, x := range normCases() {
			x64 := make([]float64, len(x))
			for i, v := range x {
				x64[i] = float64(v)
			}
			want := make([]float64, len(x))
			op.Norm64(want, x64)
			got := make([]float32, len(x)+1)
			got[len(x)] = 42 // the kernel writes len(src) elements, no more
			op.Norm32(got[:len(x)], x)
			if got[len(x)] != 42 {
				t.Fatalf("%s wrote past len(src)", name)
			}
			for i := range x {
				w := float32(want[i])
				d := ulps(got[i], w)
				total++
				if d == 1 {
					off++
				}
				if name == "minmax" && d != 0 || d > 1 && !(name == "logsoftmax" && math.Abs(float64(got[i])-want[i]) <= 1e-12) {
					t.Fatalf("%s(len %d)[%d] (x = %g): float32 %g, Norm64 %g (%d ulps)", name, len(x), i, x[i], got[i], w, d)
				}
			}
			// dst may alias src.
			y := append([]float32(nil), x...)
			op.Norm32(y, y)
			for i := range y {
				if ulps(y[i], got[i]) != 0 {
					t.Fatalf("%s in place (len %d)[%d]: %g, not %g", name, len(x), i, y[i], got[i])
				}
			}
		}
		if off > total/20 {
			t.Errorf("%s: %d of %d elements one ulp off", name, off, total)
		}
		t.Logf("%s: %d of %d elements one ulp off", name, off, total)
	}
}

// TestNormEdgeCasesMatchOld compares the float32 kernels with the generic
// ones they replaced (math.Exp, on float32 entries): NaN and ±Inf patterns
// must come out the same, values within an ulp as above.
func TestNormEdgeCasesMatchOld(t *testing.T) {
	for _, c := range []struct {
		name     string
		new, old func(dst, src []float32)
	}{
		{"softmax", softmax32, softmax[float32]},
		{"logsoftmax", logSoftmax32, logSoftmax[float32]},
	} {
		for _, x := range normCases() {
			got, want := make([]float32, len(x)), make([]float32, len(x))
			c.new(got, x)
			c.old(want, x)
			for i := range x {
				if d := ulps(got[i], want[i]); d > 1 && !(c.name == "logsoftmax" && math.Abs(float64(got[i]-want[i])) <= 1e-12) {
					t.Fatalf("%s(len %d)[%d] (x = %g): %g, was %g", c.name, len(x), i, x[i], got[i], want[i])
				}
			}
		}
	}
}

// TestMinMaxMatchesOld: plain compares give what math.Min/math.Max gave,
// bit for bit (including the sign of zero outputs), for both widths.
func TestMinMaxMatchesOld(t *testing.T) {
	for _, x := range normCases() {
		got, want := make([]float32, len(x)), make([]float32, len(x))
		minMax32(got, x)
		minMaxOld(want, x)
		x64 := make([]float64, len(x))
		for i, v := range x {
			x64[i] = float64(v)
		}
		got64, want64 := make([]float64, len(x)), make([]float64, len(x))
		minMax(got64, x64)
		minMaxOld(want64, x64)
		for i := range x {
			if !same(float64(got[i]), float64(want[i])) || !same(got64[i], want64[i]) {
				t.Fatalf("minmax(%v)[%d]: float32 %g (was %g), float64 %g (was %g)", x, i, got[i], want[i], got64[i], want64[i])
			}
		}
	}
}

func TestMaxOfMatchesOld(t *testing.T) {
	old := func(x []float32) float64 {
		m := math.Inf(-1)
		for _, v := range x {
			if f := float64(v); f > m || f != f {
				m = f
				if f != f {
					return f
				}
			}
		}
		return m
	}
	for _, x := range normCases() {
		if got, want := maxOf(x), old(x); !same(got, want) {
			t.Fatalf("maxOf(%v) = %g, was %g", x, got, want)
		}
	}
}
