package stdlib

import "math"

// log32 is ln x for the float32 kernels: float32 results need ~1e-7
// relative accuracy, and math.Log (≈25 ns here) dominated every log-heavy
// proxy. x = m·2^e with m in [√½, √2); ln m = 2·atanh(s), s = (m−1)/(m+1),
// |s| ≤ 0.1716, by its odd series to s¹³ (truncation < 1e-11 relative).
// Zero, negative, subnormal, Inf and NaN inputs go to math.Log so the edge
// cases stay exactly IEEE.
func log32(x float64) float64 {
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
