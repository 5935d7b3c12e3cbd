package stdlib

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Host linear algebra for the pairwise and matrix operators. GoMLX has no
// determinant or SVD (DESIGN.md §5), so these run on the host in float64
// with gonum; inputs are the float32 entries of the interpreter.

// gram is K = X Xᵀ for x viewed as [rows, len(x)/rows].
func gram(x []float32, rows int) []float64 {
	if rows == 0 {
		return nil
	}
	cols := len(x) / rows
	k := make([]float64, rows*rows)
	for i := 0; i < rows; i++ {
		xi := x[i*cols : (i+1)*cols]
		for j := 0; j <= i; j++ {
			xj := x[j*cols : (j+1)*cols]
			var s float64
			for c, v := range xi {
				s += float64(v) * float64(xj[c])
			}
			k[i*rows+j], k[j*rows+i] = s, s
		}
	}
	return k
}

// cosine is the pairwise cosine similarity of the rows: Gram entries over
// the product of row norms, 0 where a row is all zeros (its direction is
// undefined).
func cosine(x []float32, rows int) []float64 {
	k := gram(x, rows)
	norms := make([]float64, rows)
	for i := range norms {
		norms[i] = math.Sqrt(k[i*rows+i])
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < rows; j++ {
			d := norms[i] * norms[j]
			if d == 0 {
				k[i*rows+j] = 0
				continue
			}
			k[i*rows+j] /= d
		}
	}
	return k
}

func dense(x []float32, rows, cols int) *mat.Dense {
	d := make([]float64, len(x))
	for i, v := range x {
		d[i] = float64(v)
	}
	return mat.NewDense(rows, cols, d)
}

func finite32(x []float32) bool {
	for _, v := range x {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}

// logDet is ln|det M|, 0 for a singular M (the protected convention of
// abslog: ln|x| with 0 at x = 0) and for a non-square M (it has no
// determinant; the reference code's NaN → 0 for EZNAS), NaN when M holds
// NaN or ±Inf. The 0×0 matrix has det 1 (the empty product), so ln 1 = 0;
// gonum refuses empty matrices, so it never sees one.
func logDet(x []float32, rows, cols int) (float64, error) {
	if rows != cols || rows == 0 {
		return 0, nil
	}
	if !finite32(x) {
		return math.NaN(), nil
	}
	var lu mat.LU
	lu.Factorize(dense(x, rows, cols))
	ld, _ := lu.LogDet()
	if math.IsInf(ld, -1) || math.IsNaN(ld) {
		return 0, nil
	}
	return ld, nil
}

// nuclearNorm is the sum of the singular values, NaN when M holds NaN or
// ±Inf. A matrix with no rows or no columns has no singular values: the
// empty sum, 0 (gonum refuses empty matrices, so it never sees one).
func nuclearNorm(x []float32, rows, cols int) (float64, error) {
	if rows == 0 || cols == 0 {
		return 0, nil
	}
	if !finite32(x) {
		return math.NaN(), nil
	}
	var svd mat.SVD
	if !svd.Factorize(dense(x, rows, cols), mat.SVDNone) {
		return math.NaN(), nil
	}
	var s float64
	for _, v := range svd.Values(nil) {
		s += v
	}
	return s, nil
}

// MatrixShape is how a matrix operator views a tensor of the given shape:
// rank 2 as is, rank > 2 as [first, rest], rank 1 as [1, n], rank 0 as
// [1, 1]. An empty dimension stays in place: [0, 3] is 0×3, [3, 0, 2] 3×0.
func MatrixShape(shape []int) (rows, cols int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return 1, shape[0]
	}
	cols = 1
	for _, d := range shape[1:] {
		cols *= d
	}
	return shape[0], cols
}
