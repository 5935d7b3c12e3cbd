package gp

import (
	"math"
	"sort"

	"lpz/rank"
)

// spearmanUpperBound bounds Spearman ρ over all n = len(truth)
// architectures from the scores of the first m of them.
//
// Without ties, ρ = 1 − 6 Σ d² / (n(n²−1)), d_i = R_i − S_i (score rank
// minus truth rank). The truth ranks S_i are known for every architecture.
// An evaluated architecture whose score ranks r_i among the m evaluated
// ones keeps that order among all n; LB is the minimum of Σ d² over every
// ranking of all n consistent with it (computed exactly by a small dynamic
// program), and ρ ≤ 1 − 6 LB / (n(n²−1)) for any tie-free completion. With
// ties among the scores not yet computed, ρ is the Pearson correlation of
// average ranks: its covariance is the mean over tie-breakings (each
// bounded as above) and its rank variance shrinks at most by the factor
// below, so the bound is divided by that factor when positive. ok is false
// (no bound) when the truth or the m known scores have ties.
func spearmanUpperBound(known, truth []float64, m int, higherIsBetter bool) (float64, bool) {
	n := len(truth)
	if m >= n || m < 2 {
		return 1, false
	}
	t := rank.Oriented(truth, higherIsBetter)
	sorted := append([]float64(nil), t...)
	sort.Float64s(sorted)
	for k := 1; k < n; k++ {
		if sorted[k] == sorted[k-1] {
			return 1, false // tied truth: average ranks
		}
	}
	S := rank.Ranks(t)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return known[idx[a]] < known[idx[b]] })
	for k := 1; k < m; k++ {
		if known[idx[k]] == known[idx[k-1]] {
			return 1, false
		}
	}
	// The exact minimum of Σ d² over all completions: walk the positions
	// 1..n; each takes the next evaluated architecture in score order or
	// the next unevaluated one in truth order (by the rearrangement
	// inequality the unevaluated ones are best matched sorted to sorted).
	ks := make([]float64, m) // truth ranks of the evaluated, in score order
	for k, i := range idx {
		ks[k] = S[i]
	}
	us := make([]float64, 0, n-m) // truth ranks of the others, sorted
	for i := m; i < n; i++ {
		us = append(us, S[i])
	}
	sort.Float64s(us)
	u := n - m
	// dp[k][j]: min cost with k evaluated and j others placed at 1..k+j.
	dp := make([]float64, (m+1)*(u+1))
	at := func(k, j int) *float64 { return &dp[k*(u+1)+j] }
	for k := 0; k <= m; k++ {
		for j := 0; j <= u; j++ {
			if k == 0 && j == 0 {
				continue
			}
			p := float64(k + j)
			best := math.Inf(1)
			if k > 0 {
				d := p - ks[k-1]
				best = *at(k-1, j) + d*d
			}
			if j > 0 {
				d := p - us[j-1]
				best = math.Min(best, *at(k, j-1)+d*d)
			}
			*at(k, j) = best
		}
	}
	lb := *at(m, u)
	nf := float64(n)
	ub := 1 - 6*lb/(nf*(nf*nf-1))
	if ub > 0 {
		// Ties among the scores not yet computed shrink the variance of
		// their average ranks, which can raise a positive ρ: by at most
		// 1/√(1 − (t³−t)/(n³−n)) with t = n−m+1, all of them tied with one
		// evaluated score (the largest tie group possible).
		t := float64(n - m + 1)
		ub /= math.Sqrt(1 - (t*t*t-t)/(nf*nf*nf-nf))
	}
	return ub, true
}
