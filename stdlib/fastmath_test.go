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
	for _, x := range []float64{1, 2, math.Sqrt2, math.Nextafter(math.Sqrt2, 3), 0.5, 1e-300, 1e300, math.MaxFloat32, float64(math.SmallestNonzeroFloat32)} {
		check(x)
	}
	for _, x := range []float64{0, -1, math.Inf(1), math.NaN(), 1e-320} {
		got, want := log32(x), math.Log(x)
		if !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("log32(%g) = %g, want %g", x, got, want)
		}
	}
	t.Logf("worst relative error %.3g", worst)
}

func BenchmarkLog32(b *testing.B) {
	x := 0.0
	for i := 0; i < b.N; i++ {
		x += log32(float64(i&1023) + 0.5)
	}
	_ = x
}

func BenchmarkMathLog(b *testing.B) {
	x := 0.0
	for i := 0; i < b.N; i++ {
		x += math.Log(float64(i&1023) + 0.5)
	}
	_ = x
}
