package stdlib

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The pre-exp32 float32 kernels, kept to measure against.
var (
	oldExp32     = chunked(math.Exp)
	oldSigmoid32 = chunked(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) })
	oldLog32     = chunked(func(x float64) float64 {
		if x > 0 {
			return log32Old(x)
		}
		return 0
	})
)

// log32Old is log32 as it was, with a branch on m > √2.
func log32Old(x float64) float64 {
	if !(x >= 0x1p-1022 && x <= math.MaxFloat64) {
		return math.Log(x)
	}
	bits := math.Float64bits(x)
	e := int(bits>>52) - 1023
	m := math.Float64frombits(bits&(1<<52-1) | 1023<<52) // [1, 2)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	s := (m - 1) / (m + 1)
	s2 := s * s
	p := 1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2*(1.0/9+s2*(1.0/11+s2*(1.0/13))))))
	return float64(e)*math.Ln2 + 2*s*p
}

const benchN = 1 << 20

// benchInput is activation-like data: normal with σ = 3, so signs are a
// coin flip for any branch on them.
func benchInput() []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, benchN)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
	}
	return x
}

func benchKernel(b *testing.B, k func(dst, src []float32)) {
	src := benchInput()
	dst := make([]float32, len(src))
	b.SetBytes(4 * benchN)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k(dst, src)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/elem")
}

func BenchmarkKernelNew(b *testing.B) {
	for _, c := range []struct {
		name string
		k    func(dst, src []float32)
	}{
		{"exp", exp32Kernel},
		{"sigmoid", sigmoid32Kernel},
		{"log", log32Kernel},
		{"softmax", softmax32},
		{"logsoftmax", logSoftmax32},
		{"minmax", minMax32},
	} {
		b.Run(c.name, func(b *testing.B) { benchKernel(b, c.k) })
	}
}

func BenchmarkKernelOld(b *testing.B) {
	for _, c := range []struct {
		name string
		k    func(dst, src []float32)
	}{
		{"exp", oldExp32},
		{"sigmoid", oldSigmoid32},
		{"log", oldLog32},
		{"softmax", softmax[float32]},
		{"logsoftmax", logSoftmax[float32]},
		{"minmax", minMaxOld[float32]},
	} {
		b.Run(c.name, func(b *testing.B) { benchKernel(b, c.k) })
	}
}

// minMaxOld is minMax as it was, with math.Min/math.Max.
func minMaxOld[T float](dst, src []T) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range src {
		f := float64(v)
		lo = math.Min(lo, f)
		hi = math.Max(hi, f)
	}
	d := hi - lo + MinMaxEps
	for i, v := range src {
		dst[i] = T((float64(v) - lo) / d)
	}
}
