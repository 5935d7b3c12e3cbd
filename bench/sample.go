package bench

import (
	"math/rand/v2"
	"sort"
)

// sampleStream is the PCG stream constant ("lpz" in ASCII) paired with the
// seed.
const sampleStream = 0x6c707a

// Sample draws n architectures of b reproducibly: the same (benchmark, n,
// seed) always gives the same subset, on every platform and Go version.
//
// Algorithm: a PCG-DXSM generator (math/rand/v2 NewPCG(uint64(seed),
// 0x6c707a), whose output sequence is fully specified) drives a partial
// Fisher–Yates shuffle of the indices 0..len-1: for i = 0..n-1, j = i +
// uniform(len-i) by rejection sampling on Uint64 (see uniform), then swap
// idx[i], idx[j]. The first n indices are then sorted, so the subset is
// returned in benchmark order. n <= 0 or n >= len(b.Archs) returns all
// architectures in benchmark order. The returned slice is a copy.
func Sample(b *Benchmark, n int, seed int64) []Arch {
	idx := SampleIndices(len(b.Archs), n, seed)
	out := make([]Arch, len(idx))
	for i, j := range idx {
		out[i] = b.Archs[j]
	}
	return out
}

// SampleIndices is the index form of Sample: n sorted indices out of
// 0..total-1 (all of them if n <= 0 or n >= total).
func SampleIndices(total, n int, seed int64) []int {
	idx := make([]int, total)
	for i := range idx {
		idx[i] = i
	}
	if n <= 0 || n >= total {
		return idx
	}
	src := rand.NewPCG(uint64(seed), sampleStream)
	for i := 0; i < n; i++ {
		j := i + int(uniform(src, uint64(total-i)))
		idx[i], idx[j] = idx[j], idx[i]
	}
	idx = idx[:n]
	sort.Ints(idx)
	return idx
}

// uniform returns a uniform integer in [0, m) from src by rejection: draw
// x = src.Uint64() until x < limit, where limit = 2^64 - (2^64 mod m) is the
// largest multiple of m that fits; return x mod m.
func uniform(src *rand.PCG, m uint64) uint64 {
	rem := -m % m // (2^64) mod m
	for {
		x := src.Uint64()
		if rem == 0 || x < -rem {
			return x % m
		}
	}
}
