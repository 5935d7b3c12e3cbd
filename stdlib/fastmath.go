package stdlib

import (
	"math"
	"sync"
)

// log32 is ln x for the float32 kernels: float32 results need ~1e-7
// relative accuracy, and math.Log (≈25 ns here) dominated every log-heavy
// proxy. See log32s.
func log32(x float64) float64 {
	b := [1]float64{x}
	log32s(b[:])
	return b[0]
}

// log32s replaces each element of b by log32 of it. x = m·2^e with m in
// [√½, √2); ln m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.1716, by its odd
// series to s¹³ (truncation < 1e-11 relative). m and e come from integer
// arithmetic on the bits of x relative to those of √½, not from a test
// m > √2: on activations that test is a coin flip, and its mispredictions
// cost more than the series. Zero, negative, subnormal, Inf and NaN inputs
// go to math.Log so the edge cases stay exactly IEEE. The loop is in the
// function so the polynomial is not behind a call per element.
func log32s(b []float64) {
	const sqrtHalf = 0x3fe6a09e667f3bcd // bits of √½
	for i, x := range b {
		if !(x >= 0x1p-1022 && x <= math.MaxFloat64) {
			b[i] = math.Log(x)
			continue
		}
		u := math.Float64bits(x) - sqrtHalf
		e := float64(int64(u) >> 52)
		m := math.Float64frombits(u&(1<<52-1) + sqrtHalf)
		s := (m - 1) / (m + 1)
		s2 := s * s
		p := 1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2*(1.0/9+s2*(1.0/11+s2*(1.0/13))))))
		b[i] = e*math.Ln2 + 2*s*p
	}
}

// exp32 is eˣ for the float32 kernels, to 6e-10 relative error (a
// hundredth of a float32 ulp), against math.Exp's ≈7 ns. See exp32s.
func exp32(x float64) float64 {
	b := [1]float64{x}
	exp32s(b[:])
	return b[0]
}

// exp2Frac[j] = 2^(j/32).
var exp2Frac = func() (t [32]float64) {
	for j := range t {
		t[j] = math.Exp2(float64(j) / 32)
	}
	return t
}()

// exp32s replaces each element of b by exp32 of it: x = (32q + j)·ln2/32 + r
// with |r| ≤ ln2/64, eˣ = 2^q · 2^(j/32) · eʳ, eʳ by its Taylor series to r³
// (truncation < 6e-10 relative). The table takes three degrees off the
// polynomial that |r| ≤ ln2/2 would need. Outside [−708, 709] (NaN, ±Inf,
// overflow, and the subnormal range, where 2^q is not a normal float64)
// math.Exp gives the exact IEEE result; inside it q ∈ [−1022, 1023], so
// adding q to the exponent field of 2^(j/32) ∈ [1, 2) always lands on a
// normal number.
func exp32s(b []float64) {
	// Adding 1.5·2⁵² rounds x·32/ln2 to the nearest integer k = 32q + j
	// and leaves k in the low mantissa bits of t, in two's complement.
	const shift = 0x1.8p52
	// ln2/32 split so that k·ln2Hi is exact for |k| < 2²¹ (fdlibm's ln2
	// halves, divided by 32 exactly).
	const (
		ln2Hi = 6.93147180369123816490e-01 / 32
		ln2Lo = 1.90821492927058770002e-10 / 32
	)
	for i, x := range b {
		if !(x >= -708 && x <= 709) {
			b[i] = math.Exp(x)
			continue
		}
		t := x*(32/math.Ln2) + shift
		k := t - shift
		r := x - k*ln2Hi - k*ln2Lo
		p := 1 + r*(1+r*(1.0/2+r*(1.0/6)))
		u := math.Float64bits(t)
		s := math.Float64frombits(math.Float64bits(exp2Frac[u&31]) + u>>5<<52)
		b[i] = s * p
	}
}

// kernelChunk is the float64 staging size of the float32 kernels: 4 KiB of
// stack, small enough to stay in L1 next to src and dst.
const kernelChunk = 512

// widenChunk converts the start of src into buf, as much as fits, and
// returns that part of buf. It is a loop of its own because CVTSS2SD
// writes half a register: inside the same loop as a long computation that
// false dependency serialised iterations (log: 21 ns/element instead of
// 4.5).
func widenChunk(buf []float64, src []float32) []float64 {
	b := buf[:min(len(buf), len(src))]
	for i, x := range src[:len(b)] {
		b[i] = float64(x)
	}
	return b
}

// narrowChunk rounds b to float32 into dst, in its own loop for the same
// reason as widenChunk (CVTSD2SS merges into its destination too).
func narrowChunk(dst []float32, b []float64) {
	dst = dst[:len(b)]
	for i, x := range b {
		dst[i] = float32(x)
	}
}

// The dedicated float32 kernels below repeat the chunk loop instead of
// sharing one through a func value: an indirect call per element cost as
// much as exp32 itself, and passing the stack chunk to a func value would
// move it to the heap.

func exp32Kernel(dst, src []float32) {
	var buf [kernelChunk]float64
	dst = dst[:len(src)]
	for len(src) > 0 {
		b := widenChunk(buf[:], src)
		exp32s(b)
		narrowChunk(dst, b)
		src, dst = src[len(b):], dst[len(b):]
	}
}

func sigmoid32Kernel(dst, src []float32) {
	var buf [kernelChunk]float64
	dst = dst[:len(src)]
	for len(src) > 0 {
		b := widenChunk(buf[:], src)
		for i, x := range b {
			b[i] = -x
		}
		exp32s(b)
		for i, e := range b {
			b[i] = 1 / (1 + e)
		}
		narrowChunk(dst, b)
		src, dst = src[len(b):], dst[len(b):]
	}
}

const oneBits = 0x3ff0000000000000 // bits of 1.0

// log32Kernel is the protected log (0 for x ≤ 0 and for NaN, as F): those
// elements are set to 1 first, whose log32 is exactly 0.
func log32Kernel(dst, src []float32) {
	var buf [kernelChunk]float64
	dst = dst[:len(src)]
	for len(src) > 0 {
		b := widenChunk(buf[:], src)
		for i, x := range b {
			// On bits, so that the choice is a CMOV: activations' signs
			// are a coin flip for a branch.
			u := math.Float64bits(x)
			if !(x > 0) {
				u = oneBits
			}
			b[i] = math.Float64frombits(u)
		}
		log32s(b)
		narrowChunk(dst, b)
		src, dst = src[len(b):], dst[len(b):]
	}
}

// absLog32Kernel is the protected ln |x| (0 at ±0, as F), by the same
// substitution as log32Kernel.
func absLog32Kernel(dst, src []float32) {
	var buf [kernelChunk]float64
	dst = dst[:len(src)]
	for len(src) > 0 {
		b := widenChunk(buf[:], src)
		for i, x := range b {
			u := math.Float64bits(x) &^ (1 << 63)
			if u == 0 {
				u = oneBits
			}
			b[i] = math.Float64frombits(u)
		}
		log32s(b)
		narrowChunk(dst, b)
		src, dst = src[len(b):], dst[len(b):]
	}
}

// expBufs holds the float64 exps of softmax32 for entries over one chunk.
var expBufs sync.Pool // of *[]float64

// softmax32 is softmax for float32 entries: each exp32 once (softmax[T]
// computes each exp twice), kept in float64 until scaled by 1/z, so the
// only rounding to float32 is the last one, as in softmax[float64]. Storing
// the exps as float32 in dst instead was no faster and rounds twice (up to
// one ulp off rather than half). Multiplying by 1/z rather than dividing
// adds a float64 rounding, invisible after the float32 one.
func softmax32(dst, src []float32) {
	if len(src) == 0 {
		return
	}
	m := maxOf(src)
	var small [kernelChunk]float64
	e := small[:]
	var pooled *[]float64
	if len(src) > kernelChunk {
		pooled, _ = expBufs.Get().(*[]float64)
		if pooled == nil || cap(*pooled) < len(src) {
			pooled = new([]float64)
			*pooled = make([]float64, len(src))
		}
		e = *pooled
	}
	e = e[:len(src)]
	var z float64
	for i := 0; i < len(src); i += kernelChunk {
		b := widenChunk(e[i:min(i+kernelChunk, len(e))], src[i:])
		for j := range b {
			b[j] -= m
		}
		exp32s(b)
		z += sum4(b)
	}
	inv := 1 / z
	dst = dst[:len(src)]
	for i, v := range e {
		dst[i] = float32(v * inv)
	}
	if pooled != nil {
		expBufs.Put(pooled)
	}
}

// logSoftmax32 is logSoftmax for float32 entries, with exp32 for the sum.
func logSoftmax32(dst, src []float32) {
	m := maxOf(src)
	var buf [kernelChunk]float64
	var z float64
	for i := 0; i < len(src); i += kernelChunk {
		b := widenChunk(buf[:], src[i:])
		for j := range b {
			b[j] -= m
		}
		exp32s(b)
		z += sum4(b)
	}
	lz := m + math.Log(z)
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += kernelChunk {
		b := widenChunk(buf[:], src[i:])
		for j := range b {
			b[j] -= lz
		}
		narrowChunk(dst[i:], b)
	}
}

// sum4 sums with four accumulators: one chain of dependent adds cost
// softmax a quarter of its time.
func sum4(b []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(b); i += 4 {
		s0 += b[i]
		s1 += b[i+1]
		s2 += b[i+2]
		s3 += b[i+3]
	}
	for ; i < len(b); i++ {
		s0 += b[i]
	}
	return (s0 + s1) + (s2 + s3)
}
