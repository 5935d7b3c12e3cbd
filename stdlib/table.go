package stdlib

import "math"

// Protected-numerics constants (DESIGN.md §2).
const (
	InvEps    = 1e-9 // inv(x) = 1/(x + InvEps)
	MinMaxEps = 1e-9 // minmax denominator guard
)

// Default is the operator table of lpz. Every property of an op is a field
// of its entry, so that a misspelt one is a compile error and a missing
// one fails TestTableComplete: Sign (AnySign when nothing is known), Latex,
// Graph (HostOnly for the classes no graph engine lowers) and NoSearch.
var Default = NewTable(complete([]*Op{
	// Elementwise (paper Table 7).
	{Name: "log", Aliases: []string{"element_wise_log"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "natural logarithm, protected", Def: "ln x for x > 0, 0 for x ≤ 0",
		F: protectedLog, F32: log32Kernel, Sign: AnySign, Latex: `\log\left({0}\right)`, Graph: Lowering{Unary: lowerLog}},
	{Name: "abslog", Aliases: []string{"element_wise_abslog"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "logarithm of the absolute value, protected", Def: "ln |x| for x ≠ 0, 0 at x = 0",
		F: absLog, F32: absLog32Kernel, Sign: AnySign, Latex: `\log\left|{0}\right|`, Graph: Lowering{Unary: lowerAbsLog}},
	{Name: "abs", Aliases: []string{"element_wise_abs"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "absolute value", Def: "|x|",
		F: math.Abs, Sign: NonNegative, Latex: `\left|{0}\right|`, Graph: Lowering{Unary: Graph.Abs}},
	{Name: "sq", Aliases: []string{"square", "element_wise_pow"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "square", Def: "x²",
		F: square, Sign: NonNegative, Latex: `{0p}^{2}`, Graph: Lowering{Unary: Graph.Square}},
	{Name: "exp", Aliases: []string{"element_wise_exp"}, Class: Elementwise, Arity: 1, Cost: 2,
		Doc: "exponential (not clamped: overflow gives +Inf)", Def: "eˣ",
		F: math.Exp, F32: exp32Kernel, Sign: NonNegative, Latex: `e^{{0}}`, Graph: Lowering{Unary: Graph.Exp}},
	{Name: "sqrt", Aliases: []string{"element_wise_sqrt"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "square root, protected", Def: "√max(x, 0)",
		F: protectedSqrt, Sign: NonNegative, Latex: `\sqrt{{0}}`, Graph: Lowering{Unary: lowerSqrt}},
	{Name: "relu", Aliases: []string{"element_wise_relu"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "rectifier", Def: "max(x, 0)",
		F: relu, Sign: NonNegative, Latex: `\operatorname{ReLU}\left({0}\right)`, Graph: Lowering{Unary: lowerRelu}},
	{Name: "inv", Aliases: []string{"reciprocal", "element_wise_invert"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "reciprocal, protected", Def: "1 / (x + 1e-9)",
		// The guard adds +1e-9, so a non-negative x stays non-negative.
		F: protectedInv, Sign: KeepsNonNegative, Latex: `\frac{1}{{0}}`, Graph: Lowering{Unary: lowerInv}},
	{Name: "neg", Aliases: []string{"element_wise_revert"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "negation (also written -x)", Def: "−x",
		F: negate, Sign: AnySign, Latex: `-{0p}`, Graph: Lowering{Unary: Graph.Neg}},
	{Name: "sigmoid", Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "logistic function", Def: "1 / (1 + e⁻ˣ)",
		F: sigmoid, F32: sigmoid32Kernel, Sign: NonNegative, Latex: `\sigma\left({0}\right)`, Graph: Lowering{Unary: Graph.Logistic}},
	{Name: "id", Aliases: []string{"identity", "no_op"}, Class: Elementwise, Arity: 1, Cost: 0,
		Doc: "identity", Def: "x",
		F: identity, Sign: KeepsNonNegative, Latex: `{0}`, Graph: Lowering{Unary: lowerIdentity}},
	// sign and step, like the other ops from here to the end but sum, are
	// kept out of the search (NoSearch) so that adding them for the
	// literature's hand-made proxies (corpus/baselines/) did not change
	// what a seeded search draws. sign and step mostly give
	// piecewise-constant scores; max and min are natural unary reductions
	// and could join; the pairwise, matrix, power and axis classes need
	// typing support in the search's generator.
	{Name: "sign", Aliases: []string{"element_wise_sign", "sgn"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "sign", Def: "−1 for x < 0, 0 at x = 0, 1 for x > 0",
		F: sign, Sign: AnySign, Latex: `\operatorname{sgn}\left({0}\right)`, Graph: Lowering{HostOnly: true}, NoSearch: true},
	{Name: "step", Aliases: []string{"heaviside", "binarize"}, Class: Elementwise, Arity: 1, Cost: 1,
		Doc: "unit step: the binary code of an activation (NWOT)", Def: "1 for x > 0, 0 for x ≤ 0",
		F: step, Sign: NonNegative, Latex: `\mathbb{1}\left[{0} > 0\right]`, Graph: Lowering{HostOnly: true}, NoSearch: true},

	// Reductions.
	{Name: "fro", Aliases: []string{"norm_fro", "frobenius_norm"}, Class: Reduction, Arity: 1, Cost: 1,
		Doc: "Frobenius norm of each entry", Def: "√(Σ x²); 0 for no elements",
		Reduce32: sumSqRoot[float32], Reduce64: sumSqRoot[float64], Sign: NonNegative,
		Latex: `\left\lVert {0}\right\rVert_F`, Graph: Lowering{Unary: lowerFro}},
	{Name: "nsum", Aliases: []string{"norm_sum", "element_wise_normalized_sum"}, Class: Reduction, Arity: 1, Cost: 1,
		Doc: "sum divided by the number of elements", Def: "Σ x / numel; 0 for no elements",
		Reduce32: mean[float32], Reduce64: mean[float64], Sign: KeepsNonNegative,
		Latex: `\operatorname{nsum}\left({0}\right)`, Graph: Lowering{Unary: Graph.MeanAll}},
	{Name: "l1", Aliases: []string{"norm_l1", "l1_norm"}, Class: Reduction, Arity: 1, Cost: 1,
		Doc: "mean absolute value (L1 norm / numel, as the reference defines it)", Def: "Σ |x| / numel; 0 for no elements",
		Reduce32: meanAbs[float32], Reduce64: meanAbs[float64], Sign: NonNegative,
		Latex: `\tfrac{1}{n}\left\lVert {0}\right\rVert_1`, Graph: Lowering{Unary: lowerL1}},
	{Name: "avg", Aliases: []string{"average", "mean", "to_mean_scalar"}, Class: Reduction, Arity: 1, Cost: 1,
		Doc: "mean", Def: "Σ x / numel; 0 for no elements (an empty entry is not an invalid score)",
		Reduce32: mean[float32], Reduce64: mean[float64], Sign: KeepsNonNegative,
		Latex: `\overline{{0}}`, Graph: Lowering{Unary: Graph.MeanAll}, Role: Mean},
	{Name: "std", Aliases: []string{"to_std_scalar"}, Class: Reduction, Arity: 1, Cost: 1,
		Doc: "sample standard deviation", Def: "√(Σ (x − mean)² / (numel − 1)); 0 when numel < 2",
		Reduce32: sampleStd[float32], Reduce64: sampleStd[float64], Sign: NonNegative,
		Latex: `\operatorname{std}\left({0}\right)`, Graph: Lowering{Unary: lowerStd}},
	{Name: "max", Aliases: []string{"maximum", "to_max_scalar"}, Class: Reduction, Arity: 1, Cost: 1,
		Doc: "largest element", Def: "max x (NaN if any element is NaN; −Inf for no elements)",
		Reduce32: maxOf[float32], Reduce64: maxOf[float64], Sign: KeepsNonNegative,
		Latex: `\max\left({0}\right)`, Graph: Lowering{HostOnly: true}, NoSearch: true},
	{Name: "min", Aliases: []string{"minimum", "to_min_scalar"}, Class: Reduction, Arity: 1, Cost: 1,
		Doc: "smallest element", Def: "min x (NaN if any element is NaN; +Inf for no elements)",
		Reduce32: minOf[float32], Reduce64: minOf[float64], Sign: KeepsNonNegative,
		Latex: `\min\left({0}\right)`, Graph: Lowering{HostOnly: true}, NoSearch: true},

	// Normalisations (over all elements of an entry; across modules for list<scalar>).
	{Name: "softmax", Class: Normalization, Arity: 1, Cost: 2,
		Doc: "softmax over all elements", Def: "eˣ⁻ᵐᵃˣ / Σ eˣ⁻ᵐᵃˣ; NaN throughout if an element is NaN or +Inf or all are −Inf; empty stays empty",
		Norm32: softmax32, Norm64: softmax[float64], Sign: NonNegative,
		Latex: `\operatorname{softmax}\left({0}\right)`, Graph: Lowering{Unary: Graph.Softmax}},
	{Name: "logsoftmax", Aliases: []string{"log_softmax"}, Class: Normalization, Arity: 1, Cost: 2,
		Doc: "log-softmax over all elements", Def: "x − max − ln Σ eˣ⁻ᵐᵃˣ; NaN throughout if an element is NaN or +Inf or all are −Inf; empty stays empty",
		Norm32: logSoftmax32, Norm64: logSoftmax[float64], Sign: AnySign,
		Latex: `\log\operatorname{softmax}\left({0}\right)`, Graph: Lowering{Unary: lowerLogSoftmax}},
	{Name: "minmax", Aliases: []string{"min_max_normalize"}, Class: Normalization, Arity: 1, Cost: 1,
		Doc: "min-max normalisation to [0, 1]", Def: "(x − min) / (max − min + 1e-9); NaN throughout if an element is NaN; empty stays empty",
		Norm32: minMax32, Norm64: minMax[float64], Sign: NonNegative,
		Latex: `\operatorname{minmax}\left({0}\right)`, Graph: Lowering{Unary: lowerMinMax}},

	// Binary. Their LaTeX is infix: the printer adds parentheses by
	// precedence around {0} and {1}.
	{Name: "add", Class: Binary, Arity: 2, Cost: 1,
		Doc: "addition (also written a + b)", Def: "a + b",
		F2: add, Sign: KeepsNonNegative, Latex: `{0} + {1}`, Graph: Lowering{Binary: Graph.Add}, Commutative: true},
	{Name: "sub", Class: Binary, Arity: 2, Cost: 1,
		Doc: "subtraction (also written a - b)", Def: "a − b",
		F2: sub, Sign: AnySign, Latex: `{0} - {1}`, Graph: Lowering{Binary: Graph.Sub}},
	{Name: "mul", Class: Binary, Arity: 2, Cost: 1,
		Doc: "multiplication (also written a * b)", Def: "a · b",
		F2: mul, Sign: KeepsNonNegative, Latex: `{0} \cdot {1}`, Graph: Lowering{Binary: Graph.Mul}, Commutative: true},
	{Name: "div", Class: Binary, Arity: 2, Cost: 1,
		Doc: "protected division (also written a / b)", Def: "a · inv(b) = a / (b + 1e-9)",
		F2: protectedDiv, Sign: KeepsNonNegative, Latex: `\frac{{0}}{{1}}`, Graph: Lowering{Binary: lowerDiv}},

	// Pairwise over the batch (first) axis: rows are the entry's samples.
	{Name: "gram", Aliases: []string{"gram_matrix"}, Class: Pairwise, Arity: 1, Cost: 2,
		Doc:  "Gram matrix over the batch axis: [B, ...] → [B, B], each sample flattened to a row",
		Def:  "K[i,j] = Σₖ x[i,k] · x[j,k] with x viewed as [B, numel/B] (float64 accumulation); B = 0 gives a [0, 0] result, samples with no elements a zero matrix",
		Pair: gram, Sign: KeepsNonNegative, Latex: `{0p}{0p}^{\top}`, Graph: Lowering{HostOnly: true}, NoSearch: true},
	{Name: "cos", Aliases: []string{"cosine", "pairwise_cosine"}, Class: Pairwise, Arity: 1, Cost: 2,
		Doc:  "pairwise cosine similarity of the samples (not the trigonometric cosine): [B, ...] → [B, B]",
		Def:  "C[i,j] = ⟨xᵢ, xⱼ⟩ / (‖xᵢ‖ ‖xⱼ‖), xᵢ row i of x viewed as [B, numel/B]; 0 where a row is all zeros (or empty); B = 0 gives a [0, 0] result",
		Pair: cosine, Sign: KeepsNonNegative, Latex: `\operatorname{cossim}\left({0}\right)`, Graph: Lowering{HostOnly: true}, NoSearch: true},

	// Matrix functions (gonum on the host, float64).
	{Name: "logdet", Aliases: []string{"slogdet", "log_det"}, Class: Matrix, Arity: 1, Cost: 3,
		Doc: "log of the absolute determinant, protected (0 for singular or non-square matrices)",
		Def: "ln |det M| by LU with partial pivoting; 0 when M is singular (det = 0) or not square (no determinant); 0 for the 0×0 matrix (det = 1, the empty product); NaN if M holds NaN/Inf (rank > 2 viewed as [first, rest])",
		Mat: logDet, Sign: AnySign, Latex: `\log\left|\det {0p}\right|`, Graph: Lowering{HostOnly: true}, NoSearch: true},
	{Name: "nuc", Aliases: []string{"nuclear_norm", "norm_nuc"}, Class: Matrix, Arity: 1, Cost: 3,
		Doc: "nuclear norm: sum of singular values (rank > 2 viewed as [first, rest], a vector as [1, n])",
		Def: "Σᵢ σᵢ(M), σ from the SVD of M in float64; 0 when M has no rows or no columns (no singular values); NaN if M holds NaN/Inf",
		Mat: nuclearNorm, Sign: NonNegative, Latex: `\left\lVert {0}\right\rVert_*`, Graph: Lowering{HostOnly: true}, NoSearch: true},

	// Parametric elementwise: constant second argument.
	{Name: "pow", Aliases: []string{"power"}, Class: Power, Arity: 2, Cost: 1,
		Doc: "power with a constant exponent c (a number, e.g. pow(x, 0.05)), protected for negative bases",
		Def: "xᶜ for x ≥ 0 or integer c; −|x|ᶜ for x < 0 and non-integer c (odd extension: pow(x, 1/3) is the real cube root); 0 to a negative power is +Inf",
		// xᶜ ≥ 0 for x ≥ 0 by the definition.
		F2: powProtected, Sign: KeepsNonNegative, Latex: `{0p}^{{1}}`, Graph: Lowering{HostOnly: true}, NoSearch: true},

	// Reduction along one axis.
	{Name: "amax", Aliases: []string{"max_axis"}, Class: Axis, Arity: 2, Cost: 1,
		Doc:      "maximum along axis k (a constant integer; negative counts from the end): drops that axis",
		Def:      "y[…] = max over i of x[…, i (at axis k), …]; NaN if a lane holds NaN; −Inf where axis k is empty; runtime error if k is not an integer axis of x",
		Reduce32: maxOf[float32], Reduce64: maxOf[float64], Sign: KeepsNonNegative,
		Latex: `\max_{{1}}\left({0}\right)`, Graph: Lowering{HostOnly: true}, NoSearch: true},

	// Aggregation.
	{Name: "sum", Aliases: []string{"to_sum_scalar"}, Class: Aggregation, Arity: 1, Cost: 1,
		Doc: "sum of all elements of all entries", Def: "Σ over entries Σ over elements x; 0 for no elements or no entries",
		Reduce32: sum[float32], Reduce64: sum[float64], Sign: KeepsNonNegative,
		Latex: `\sum\left({0}\right)`, Graph: Lowering{Unary: Graph.SumAll}, Role: Total},
}))

// complete gives an elementwise op without a float32 kernel its definition
// lifted a chunk at a time (chunked): F32 is set by hand only where a
// kernel accurate to float32 precision is faster (the float64 F stays
// exact for scalars).
func complete(ops []*Op) []*Op {
	for _, op := range ops {
		if op.Class == Elementwise && op.F32 == nil && op.F != nil {
			op.F32 = chunked(op.F)
		}
	}
	return ops
}

// chunked lifts a float64 function to a float32 slice kernel, a chunk at a
// time (see widenChunk). It costs an indirect call per element: the ops
// whose kernels are hot have their own.
func chunked(f func(float64) float64) func(dst, src []float32) {
	return func(dst, src []float32) {
		var buf [kernelChunk]float64
		dst = dst[:len(src)]
		for len(src) > 0 {
			b := widenChunk(buf[:], src)
			for i, x := range b {
				b[i] = f(x)
			}
			narrowChunk(dst, b)
			src, dst = src[len(b):], dst[len(b):]
		}
	}
}

// The definitions of the elementwise and binary ops on one element.

func protectedLog(x float64) float64 {
	if x > 0 {
		return math.Log(x)
	}
	return 0
}

func absLog(x float64) float64 {
	if x == 0 {
		return 0
	}
	return math.Log(math.Abs(x))
}

func square(x float64) float64        { return x * x }
func protectedSqrt(x float64) float64 { return math.Sqrt(math.Max(x, 0)) }
func relu(x float64) float64          { return math.Max(x, 0) }
func protectedInv(x float64) float64  { return 1 / (x + InvEps) }
func negate(x float64) float64        { return -x }
func sigmoid(x float64) float64       { return 1 / (1 + math.Exp(-x)) }
func identity(x float64) float64      { return x }

func step(x float64) float64 {
	if x > 0 {
		return 1
	}
	return 0
}

func add(a, b float64) float64          { return a + b }
func sub(a, b float64) float64          { return a - b }
func mul(a, b float64) float64          { return a * b }
func protectedDiv(a, b float64) float64 { return a / (b + InvEps) }

type float interface{ ~float32 | ~float64 }

func sum[T float](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

func mean[T float](x []T) float64 {
	if len(x) == 0 {
		return 0
	}
	return sum(x) / float64(len(x))
}

func sumSqRoot[T float](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func meanAbs[T float](x []T) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		s += math.Abs(float64(v))
	}
	return s / float64(len(x))
}

// sampleStd uses two passes: the one-pass formula loses everything to
// cancellation on activations with a large mean.
func sampleStd[T float](x []T) float64 {
	if len(x) < 2 {
		return 0
	}
	m := mean(x)
	var s float64
	for _, v := range x {
		d := float64(v) - m
		s += d * d
	}
	return math.Sqrt(s / float64(len(x)-1))
}

// maxOf compares in T, which orders exactly as float64 does, rather than
// widening each float32 in the loop (CVTSS2SD's false dependency).
func maxOf[T float](x []T) float64 {
	m := T(math.Inf(-1))
	for _, v := range x {
		if !(v <= m) { // v > m or NaN, in one compare
			if v != v {
				return float64(v)
			}
			m = v
		}
	}
	return float64(m)
}

func minOf[T float](x []T) float64 {
	m := math.Inf(1)
	for _, v := range x {
		f := float64(v)
		if f != f {
			return f
		}
		if f < m {
			m = f
		}
	}
	return m
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0, −0 or NaN
}

// powProtected is pow's definition (see its Def).
func powProtected(x, c float64) float64 {
	if x < 0 && c != math.Trunc(c) {
		return -math.Pow(-x, c)
	}
	return math.Pow(x, c)
}

func softmax[T float](dst, src []T) {
	m := maxOf(src)
	var z float64
	for _, v := range src {
		z += math.Exp(float64(v) - m)
	}
	for i, v := range src {
		dst[i] = T(math.Exp(float64(v)-m) / z)
	}
}

func logSoftmax[T float](dst, src []T) {
	m := maxOf(src)
	var z float64
	for _, v := range src {
		z += math.Exp(float64(v) - m)
	}
	lz := m + math.Log(z)
	for i, v := range src {
		dst[i] = T(float64(v) - lz)
	}
}

func minMax[T float](dst, src []T) {
	lo, d := minMaxRange(src)
	for i, v := range src {
		dst[i] = T((float64(v) - lo) / d)
	}
}

// minMax32 is minMax[float32] with the division a chunk at a time (see
// widenChunk), the same arithmetic.
func minMax32(dst, src []float32) {
	lo, d := minMaxRange(src)
	var buf [kernelChunk]float64
	dst = dst[:len(src)]
	for len(src) > 0 {
		b := widenChunk(buf[:], src)
		for i, x := range b {
			b[i] = (x - lo) / d
		}
		narrowChunk(dst, b)
		src, dst = src[len(b):], dst[len(b):]
	}
}

// minMaxRange is the lo and denominator of minmax, by plain compares in T
// rather than math.Min/math.Max (a call each, with NaN, ±Inf and ±0 cases,
// per element), giving the same outputs as those did. A NaN makes every
// output NaN either way (math.Min(−Inf, NaN) is −Inf, but then math.Max
// left NaN in hi, or hi is +Inf and every (x − lo)/d is NaN), so it ends
// the scan. math.Min made lo −0 when the minimum was zero and some element
// was −0. Making lo −0 for any zero minimum gives the same outputs: its
// sign only shows in x − lo at x = ±0, which is +0 for both with lo = −0,
// and where math.Min left lo = +0 there was no −0 element. The sign of a
// zero hi never shows: d adds MinMaxEps to hi − lo.
func minMaxRange[T float](src []T) (lo, d float64) {
	l, h := T(math.Inf(1)), T(math.Inf(-1))
	for _, v := range src {
		if !(v >= l) { // v < l or NaN, in one compare
			if v != v {
				l, h = v, v
				break
			}
			l = v
		}
		if v > h {
			h = v
		}
	}
	lo = float64(l)
	if lo == 0 {
		lo = math.Copysign(0, -1)
	}
	return lo, float64(h) - lo + MinMaxEps
}
