package stdlib

import "math"

// Protected-numerics constants (DESIGN.md §2).
const (
	InvEps    = 1e-9 // inv(x) = 1/(x + InvEps)
	MinMaxEps = 1e-9 // minmax denominator guard
)

// Default is the operator table of lpz.
var Default = NewTable(withSigns(withNoSearch(withLatex([]*Op{
	// Elementwise (paper Table 7).
	withF32(elementwise("log", []string{"element_wise_log"}, "natural logarithm, protected", "ln x for x > 0, 0 for x ≤ 0", 1,
		func(x float64) float64 {
			if x > 0 {
				return math.Log(x)
			}
			return 0
		}), log32Kernel),
	withF32(elementwise("abslog", []string{"element_wise_abslog"}, "logarithm of the absolute value, protected", "ln |x| for x ≠ 0, 0 at x = 0", 1,
		func(x float64) float64 {
			if x == 0 {
				return 0
			}
			return math.Log(math.Abs(x))
		}), absLog32Kernel),
	elementwise("abs", []string{"element_wise_abs"}, "absolute value", "|x|", 1, math.Abs),
	elementwise("sq", []string{"square", "element_wise_pow"}, "square", "x²", 1, func(x float64) float64 { return x * x }),
	withF32(elementwise("exp", []string{"element_wise_exp"}, "exponential (not clamped: overflow gives +Inf)", "eˣ", 2, math.Exp), exp32Kernel),
	elementwise("sqrt", []string{"element_wise_sqrt"}, "square root, protected", "√max(x, 0)", 1,
		func(x float64) float64 { return math.Sqrt(math.Max(x, 0)) }),
	elementwise("relu", []string{"element_wise_relu"}, "rectifier", "max(x, 0)", 1,
		func(x float64) float64 { return math.Max(x, 0) }),
	elementwise("inv", []string{"reciprocal", "element_wise_invert"}, "reciprocal, protected", "1 / (x + 1e-9)", 1,
		func(x float64) float64 { return 1 / (x + InvEps) }),
	elementwise("neg", []string{"element_wise_revert"}, "negation (also written -x)", "−x", 1, func(x float64) float64 { return -x }),
	withF32(elementwise("sigmoid", nil, "logistic function", "1 / (1 + e⁻ˣ)", 1,
		func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }), sigmoid32Kernel),
	elementwise("id", []string{"identity", "no_op"}, "identity", "x", 0, func(x float64) float64 { return x }),
	elementwise("sign", []string{"element_wise_sign", "sgn"}, "sign", "−1 for x < 0, 0 at x = 0, 1 for x > 0", 1, sign),
	elementwise("step", []string{"heaviside", "binarize"}, "unit step: the binary code of an activation (NWOT)", "1 for x > 0, 0 for x ≤ 0", 1,
		func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return 0
		}),

	// Reductions.
	reduction("fro", []string{"norm_fro", "frobenius_norm"}, "Frobenius norm of each entry", "√(Σ x²); 0 for no elements", 1, sumSqRoot[float32], sumSqRoot[float64]),
	reduction("nsum", []string{"norm_sum", "element_wise_normalized_sum"}, "sum divided by the number of elements", "Σ x / numel; 0 for no elements", 1, mean[float32], mean[float64]),
	reduction("l1", []string{"norm_l1", "l1_norm"}, "mean absolute value (L1 norm / numel, as the reference defines it)", "Σ |x| / numel; 0 for no elements", 1, meanAbs[float32], meanAbs[float64]),
	reduction("avg", []string{"average", "mean", "to_mean_scalar"}, "mean", "Σ x / numel; 0 for no elements (an empty entry is not an invalid score)", 1, mean[float32], mean[float64]),
	reduction("std", []string{"to_std_scalar"}, "sample standard deviation", "√(Σ (x − mean)² / (numel − 1)); 0 when numel < 2", 1, sampleStd[float32], sampleStd[float64]),
	reduction("max", []string{"maximum", "to_max_scalar"}, "largest element", "max x (NaN if any element is NaN; −Inf for no elements)", 1, maxOf[float32], maxOf[float64]),
	reduction("min", []string{"minimum", "to_min_scalar"}, "smallest element", "min x (NaN if any element is NaN; +Inf for no elements)", 1, minOf[float32], minOf[float64]),

	// Normalisations (over all elements of an entry; across modules for list<scalar>).
	normalization("softmax", nil, "softmax over all elements", "eˣ⁻ᵐᵃˣ / Σ eˣ⁻ᵐᵃˣ; NaN throughout if an element is NaN or +Inf or all are −Inf; empty stays empty", 2, softmax32, softmax[float64]),
	normalization("logsoftmax", []string{"log_softmax"}, "log-softmax over all elements", "x − max − ln Σ eˣ⁻ᵐᵃˣ; NaN throughout if an element is NaN or +Inf or all are −Inf; empty stays empty", 2, logSoftmax32, logSoftmax[float64]),
	normalization("minmax", []string{"min_max_normalize"}, "min-max normalisation to [0, 1]", "(x − min) / (max − min + 1e-9); NaN throughout if an element is NaN; empty stays empty", 1, minMax32, minMax[float64]),

	// Binary.
	binary("add", "addition (also written a + b)", "a + b", func(a, b float64) float64 { return a + b }),
	binary("sub", "subtraction (also written a - b)", "a − b", func(a, b float64) float64 { return a - b }),
	binary("mul", "multiplication (also written a * b)", "a · b", func(a, b float64) float64 { return a * b }),
	binary("div", "protected division (also written a / b)", "a · inv(b) = a / (b + 1e-9)", func(a, b float64) float64 { return a / (b + InvEps) }),

	// Pairwise over the batch (first) axis: rows are the entry's samples.
	{Name: "gram", Aliases: []string{"gram_matrix"}, Class: Pairwise, Arity: 1, Cost: 2,
		Doc: "Gram matrix over the batch axis: [B, ...] → [B, B], each sample flattened to a row",
		Def: "K[i,j] = Σₖ x[i,k] · x[j,k] with x viewed as [B, numel/B] (float64 accumulation); B = 0 gives a [0, 0] result, samples with no elements a zero matrix", Pair: gram},
	{Name: "cos", Aliases: []string{"cosine", "pairwise_cosine"}, Class: Pairwise, Arity: 1, Cost: 2,
		Doc: "pairwise cosine similarity of the samples (not the trigonometric cosine): [B, ...] → [B, B]",
		Def: "C[i,j] = ⟨xᵢ, xⱼ⟩ / (‖xᵢ‖ ‖xⱼ‖), xᵢ row i of x viewed as [B, numel/B]; 0 where a row is all zeros (or empty); B = 0 gives a [0, 0] result", Pair: cosine},

	// Matrix functions (gonum on the host, float64).
	{Name: "logdet", Aliases: []string{"slogdet", "log_det"}, Class: Matrix, Arity: 1, Cost: 3,
		Doc: "log of the absolute determinant, protected (0 for singular or non-square matrices)",
		Def: "ln |det M| by LU with partial pivoting; 0 when M is singular (det = 0) or not square (no determinant); 0 for the 0×0 matrix (det = 1, the empty product); NaN if M holds NaN/Inf (rank > 2 viewed as [first, rest])", Mat: logDet},
	{Name: "nuc", Aliases: []string{"nuclear_norm", "norm_nuc"}, Class: Matrix, Arity: 1, Cost: 3,
		Doc: "nuclear norm: sum of singular values (rank > 2 viewed as [first, rest], a vector as [1, n])",
		Def: "Σᵢ σᵢ(M), σ from the SVD of M in float64; 0 when M has no rows or no columns (no singular values); NaN if M holds NaN/Inf", Mat: nuclearNorm},

	// Parametric elementwise: constant second argument.
	{Name: "pow", Aliases: []string{"power"}, Class: Power, Arity: 2, Cost: 1,
		Doc: "power with a constant exponent c (a number, e.g. pow(x, 0.05)), protected for negative bases",
		Def: "xᶜ for x ≥ 0 or integer c; −|x|ᶜ for x < 0 and non-integer c (odd extension: pow(x, 1/3) is the real cube root); 0 to a negative power is +Inf",
		F2:  powProtected},

	// Reduction along one axis.
	{Name: "amax", Aliases: []string{"max_axis"}, Class: Axis, Arity: 2, Cost: 1,
		Doc:      "maximum along axis k (a constant integer; negative counts from the end): drops that axis",
		Def:      "y[…] = max over i of x[…, i (at axis k), …]; NaN if a lane holds NaN; −Inf where axis k is empty; runtime error if k is not an integer axis of x",
		Reduce32: maxOf[float32], Reduce64: maxOf[float64]},

	// Aggregation.
	{Name: "sum", Aliases: []string{"to_sum_scalar"}, Class: Aggregation, Arity: 1, Cost: 1,
		Doc: "sum of all elements of all entries", Def: "Σ over entries Σ over elements x; 0 for no elements or no entries",
		Reduce32: sum[float32], Reduce64: sum[float64]},
}))))

// baselineOps are the operators added for the literature's hand-made
// proxies (corpus/baselines/). They are kept out of the search's vocabulary
// (Op.NoSearch) so that adding them does not change what a seeded search
// draws. max and min are natural unary reductions and could join it; sign
// and step mostly produce piecewise-constant scores; the pairwise, matrix,
// power and axis classes need typing support in the search's generator.
var baselineOps = map[string]bool{
	"sign": true, "step": true, "max": true, "min": true, "gram": true, "cos": true,
	"logdet": true, "nuc": true, "pow": true, "amax": true,
}

func withNoSearch(ops []*Op) []*Op {
	for _, op := range ops {
		op.NoSearch = baselineOps[op.Name]
	}
	return ops
}

// signs are what the definitions above guarantee about the sign of a value
// (Op.Sign); an op absent here may take either sign. inv and div keep
// non-negative values non-negative because their guard adds +1e-9; pow's
// definition is xᶜ ≥ 0 for x ≥ 0.
var signs = map[string]Sign{
	"abs": NonNegative, "sq": NonNegative, "exp": NonNegative, "sqrt": NonNegative, "relu": NonNegative,
	"sigmoid": NonNegative, "step": NonNegative, "fro": NonNegative, "l1": NonNegative, "std": NonNegative,
	"softmax": NonNegative, "minmax": NonNegative, "nuc": NonNegative,
	"id": KeepsNonNegative, "inv": KeepsNonNegative, "sum": KeepsNonNegative, "nsum": KeepsNonNegative,
	"avg": KeepsNonNegative, "max": KeepsNonNegative, "min": KeepsNonNegative, "add": KeepsNonNegative,
	"mul": KeepsNonNegative, "div": KeepsNonNegative, "gram": KeepsNonNegative, "cos": KeepsNonNegative,
	"amax": KeepsNonNegative, "pow": KeepsNonNegative,
}

func withSigns(ops []*Op) []*Op {
	for _, op := range ops {
		op.Sign = signs[op.Name]
	}
	return ops
}

// latexForms are the paper forms of the operators (see Op.Latex).
var latexForms = map[string]string{
	"log": `\log\left({0}\right)`, "abslog": `\log\left|{0}\right|`, "abs": `\left|{0}\right|`,
	"sq": `{0p}^{2}`, "exp": `e^{{0}}`, "sqrt": `\sqrt{{0}}`, "relu": `\operatorname{ReLU}\left({0}\right)`,
	"inv": `\frac{1}{{0}}`, "neg": `-{0p}`, "sigmoid": `\sigma\left({0}\right)`, "id": `{0}`,
	"fro": `\left\lVert {0}\right\rVert_F`, "nsum": `\operatorname{nsum}\left({0}\right)`,
	"l1": `\tfrac{1}{n}\left\lVert {0}\right\rVert_1`, "avg": `\overline{{0}}`, "std": `\operatorname{std}\left({0}\right)`,
	"softmax": `\operatorname{softmax}\left({0}\right)`, "logsoftmax": `\log\operatorname{softmax}\left({0}\right)`,
	"minmax": `\operatorname{minmax}\left({0}\right)`, "sum": `\sum\left({0}\right)`,
	"sign": `\operatorname{sgn}\left({0}\right)`, "step": `\mathbb{1}\left[{0} > 0\right]`,
	"max": `\max\left({0}\right)`, "min": `\min\left({0}\right)`,
	"gram": `{0p}{0p}^{\top}`, "cos": `\operatorname{cossim}\left({0}\right)`,
	"logdet": `\log\left|\det {0p}\right|`, "nuc": `\left\lVert {0}\right\rVert_*`,
	"pow": `{0p}^{{1}}`, "amax": `\max_{{1}}\left({0}\right)`,
}

func withLatex(ops []*Op) []*Op {
	for _, op := range ops {
		if op.Latex == "" {
			op.Latex = latexForms[op.Name]
		}
	}
	return ops
}

func elementwise(name string, aliases []string, doc, def string, cost int, f func(float64) float64) *Op {
	return &Op{Name: name, Aliases: aliases, Class: Elementwise, Arity: 1, Doc: doc, Def: def, Cost: cost, F: f,
		F32: chunked(f)}
}

// chunked lifts a float64 function to a float32 slice kernel, a chunk at a
// time (see widenChunk). It costs an indirect call per element: the ops
// whose kernels are hot have their own (withF32).
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

// withF32 replaces the float32 kernel of an elementwise op by f32, a
// kernel accurate to float32 precision (the float64 F stays exact for
// scalars).
func withF32(op *Op, f32 func(dst, src []float32)) *Op {
	op.F32 = f32
	return op
}

func reduction(name string, aliases []string, doc, def string, cost int, r32 func([]float32) float64, r64 func([]float64) float64) *Op {
	return &Op{Name: name, Aliases: aliases, Class: Reduction, Arity: 1, Doc: doc, Def: def, Cost: cost, Reduce32: r32, Reduce64: r64}
}

func normalization(name string, aliases []string, doc, def string, cost int, n32 func(dst, src []float32), n64 func(dst, src []float64)) *Op {
	return &Op{Name: name, Aliases: aliases, Class: Normalization, Arity: 1, Doc: doc, Def: def, Cost: cost, Norm32: n32, Norm64: n64}
}

func binary(name, doc, def string, f func(a, b float64) float64) *Op {
	return &Op{Name: name, Class: Binary, Arity: 2, Doc: doc, Def: def, Cost: 1, F2: f}
}

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
