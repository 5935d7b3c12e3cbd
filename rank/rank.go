// Package rank computes rank correlations between proxy scores and ground
// truth: Spearman ρ (average ranks for ties) and Kendall τ-b, both in float64,
// with a sign convention under which a good proxy always has positive
// correlation, and the mean within-stratum ρ.
package rank

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

var (
	// ErrUndefined is returned when a correlation is undefined because one
	// of the inputs is constant (all values tied): the rank variance is 0.
	// Callers print "undefined", not a number.
	ErrUndefined = errors.New("rank: correlation undefined (constant input)")
	// ErrTooFew is returned for fewer than 3 points.
	ErrTooFew = errors.New("rank: fewer than 3 points")
)

// MinPoints is the smallest number of points a correlation is computed on.
const MinPoints = 3

func check(x, y []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("rank: length mismatch (%d scores, %d truths)", len(x), len(y))
	}
	if len(x) < MinPoints {
		return fmt.Errorf("%w (got %d)", ErrTooFew, len(x))
	}
	for i := range x {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return fmt.Errorf("rank: x[%d] = %v is not finite", i, x[i])
		}
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return fmt.Errorf("rank: y[%d] = %v is not finite", i, y[i])
		}
	}
	return nil
}

// Ranks returns the 1-based ranks of x, ties getting the average of the ranks
// they span (e.g. [10 20 20 30] → [1 2.5 2.5 4]).
func Ranks(x []float64) []float64 {
	n := len(x)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && x[idx[j]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // mean of ranks i+1 .. j
		for k := i; k < j; k++ {
			r[idx[k]] = avg
		}
		i = j
	}
	return r
}

// Spearman returns Spearman's ρ of x and y: the Pearson correlation of their
// average ranks. It returns ErrTooFew for fewer than 3 points, ErrUndefined
// if x or y is constant, and an error for mismatched lengths or non-finite
// values.
func Spearman(x, y []float64) (float64, error) {
	if err := check(x, y); err != nil {
		return math.NaN(), err
	}
	rx, ry := Ranks(x), Ranks(y)
	mean := float64(len(x)+1) / 2 // the mean of average ranks is always (n+1)/2
	rho, ok := correlation(rx, ry, mean, mean)
	if !ok {
		return math.NaN(), ErrUndefined
	}
	return math.Max(-1, math.Min(1, rho)), nil
}

// Pearson returns the Pearson correlation of x and y, undefined for fewer
// than MinPoints points, mismatched lengths or a constant x or y.
func Pearson(x, y []float64) Stat {
	n := len(x)
	if n < MinPoints || len(y) != n {
		return Undefined()
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	r, ok := correlation(x, y, mx/float64(n), my/float64(n))
	if !ok {
		return Undefined()
	}
	return Stat(r)
}

// correlation is Σdxdy / √(Σdx² Σdy²) about the given means; ok is false
// when x or y is constant.
func correlation(x, y []float64, mx, my float64) (r float64, ok bool) {
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN(), false
	}
	return sxy / math.Sqrt(sxx*syy), true
}

// KendallTauB returns Kendall's τ-b of x and y:
//
//	τ_b = (n_c − n_d) / sqrt((n₀ − n₁)(n₀ − n₂))
//
// with n₀ = n(n−1)/2, n_c / n_d the concordant / discordant pairs, n₁ the pairs
// tied in x and n₂ the pairs tied in y (a pair tied in both counts in n₁ and
// n₂ and in neither n_c nor n_d). Counts are exact integers; the O(n²) pair
// loop is fine for benchmark sizes (500 points: 124,750 pairs). Errors as
// Spearman.
func KendallTauB(x, y []float64) (float64, error) {
	if err := check(x, y); err != nil {
		return math.NaN(), err
	}
	n := len(x)
	var nc, nd, tx, ty int64
	for i := 0; i < n; i++ {
		xi, yi := x[i], y[i]
		for j := i + 1; j < n; j++ {
			dx, dy := x[j]-xi, y[j]-yi
			switch {
			case dx == 0 && dy == 0:
				tx++
				ty++
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case (dx > 0) == (dy > 0):
				nc++
			default:
				nd++
			}
		}
	}
	n0 := int64(n) * int64(n-1) / 2
	if tx == n0 || ty == n0 {
		return math.NaN(), ErrUndefined
	}
	tau := float64(nc-nd) / math.Sqrt(float64(n0-tx)*float64(n0-ty))
	return math.Max(-1, math.Min(1, tau)), nil
}

// Oriented returns truth oriented so that larger is better: a copy negated
// when higherIsBetter is false (e.g. perplexity), else truth itself.
func Oriented(truth []float64, higherIsBetter bool) []float64 {
	if higherIsBetter {
		return truth
	}
	t := make([]float64, len(truth))
	for i, v := range truth {
		t[i] = -v
	}
	return t
}

// Correlation is ρ and τ of a proxy against oriented ground truth. A nil
// error field means the value is defined.
type Correlation struct {
	N           int
	Spearman    float64 // NaN when SpearmanErr != nil
	Kendall     float64 // NaN when KendallErr != nil
	SpearmanErr error
	KendallErr  error
}

// Correlate computes Spearman ρ and Kendall τ-b of scores against truth
// under the sign convention of lpz: a proxy is good when it ranks better
// architectures higher, so when higherIsBetter is false (lower perplexity is
// better) the truth is negated first and a good proxy always gets ρ > 0.
// It returns the first error of the two (ErrUndefined, ErrTooFew, ...) with
// both values NaN when undefined; see CorrelateBoth to get each separately.
func Correlate(scores, truth []float64, higherIsBetter bool) (rho, tau float64, err error) {
	c := CorrelateBoth(scores, truth, higherIsBetter)
	if c.SpearmanErr != nil {
		return c.Spearman, c.Kendall, c.SpearmanErr
	}
	return c.Spearman, c.Kendall, c.KendallErr
}

// CorrelateBoth is Correlate returning both statistics with their own errors.
func CorrelateBoth(scores, truth []float64, higherIsBetter bool) Correlation {
	t := Oriented(truth, higherIsBetter)
	c := Correlation{N: len(scores)}
	c.Spearman, c.SpearmanErr = Spearman(scores, t)
	c.Kendall, c.KendallErr = KendallTauB(scores, t)
	return c
}

// StratumResult is the correlation inside one stratum.
type StratumResult struct {
	Name    string `json:"name"`
	N       int    `json:"n"`
	Rho     Stat   `json:"rho"`               // Spearman ρ; undefined when skipped
	Skipped string `json:"skipped,omitempty"` // why it was skipped ("" if used)
}

// WithinStratum computes Spearman ρ (with the sign convention of Correlate)
// separately inside each stratum — strata[i] names the stratum of point i —
// and returns their unweighted mean over the strata used, the per-stratum
// results (sorted by name, numbers compared numerically: "d64" < "d128") and
// the number of strata used. A stratum with fewer than 3 points or an
// undefined ρ (constant scores or truth inside it) is skipped: it appears in
// per with Skipped set, and is not counted in used; len(per)-used strata were
// skipped. If no stratum is usable the mean is NaN and err is ErrUndefined.
func WithinStratum(scores, truth []float64, strata []string, higherIsBetter bool) (mean float64, per []StratumResult, used int, err error) {
	if len(scores) != len(truth) || len(scores) != len(strata) {
		return math.NaN(), nil, 0, fmt.Errorf("rank: length mismatch (%d scores, %d truths, %d strata)", len(scores), len(truth), len(strata))
	}
	t := Oriented(truth, higherIsBetter)
	groups := map[string][]int{}
	var names []string
	for i, s := range strata {
		if _, ok := groups[s]; !ok {
			names = append(names, s)
		}
		groups[s] = append(groups[s], i)
	}
	sort.Slice(names, func(a, b int) bool { return naturalLess(names[a], names[b]) })
	sum := 0.0
	for _, name := range names {
		g := groups[name]
		r := StratumResult{Name: name, N: len(g), Rho: Undefined()}
		xs, ys := make([]float64, len(g)), make([]float64, len(g))
		for k, i := range g {
			xs[k], ys[k] = scores[i], t[i]
		}
		rho, e := Spearman(xs, ys)
		switch {
		case errors.Is(e, ErrTooFew):
			r.Skipped = fmt.Sprintf("fewer than %d points", MinPoints)
		case errors.Is(e, ErrUndefined):
			r.Skipped = "undefined (constant scores or truth)"
		case e != nil:
			return math.NaN(), nil, 0, fmt.Errorf("rank: stratum %s: %w", name, e)
		default:
			r.Rho = Stat(rho)
			sum += rho
			used++
		}
		per = append(per, r)
	}
	if used == 0 {
		return math.NaN(), per, 0, ErrUndefined
	}
	return sum / float64(used), per, used, nil
}

// naturalLess compares strings with digit runs compared as numbers.
func naturalLess(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, cb := a[i], b[j]
		if isDigit(ca) && isDigit(cb) {
			si := i
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			sj := j
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := trimZeros(a[si:i]), trimZeros(b[sj:j])
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			continue
		}
		if ca != cb {
			return ca < cb
		}
		i++
		j++
	}
	if len(a)-i != len(b)-j {
		return len(a)-i < len(b)-j
	}
	return a < b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
