package runtime

import "lpz/bench"

// MatmulFLOPs counts the matmul floating-point operations (2 per
// multiply-add) of one capture of cfg on batch, analytically:
//
//	forward: embedding projections, per block q/k/v, scores, context,
//	         c_proj, c_fc, mlp.c_proj, and the head (head cluster over all
//	         N = B·T tokens, tails only over the tokens whose label is in them);
//	withG:   + head backward to h (1× head) + blocks backward (2× blocks:
//	         data and weight gradients);
//	withJ:   + blocks backward for data only (1× blocks).
//
// Elementwise work (softmax, layer norm, gelu) is not counted.
func MatmulFLOPs(cfg bench.GPT2Config, batch Batch, withG, withJ bool) float64 {
	a, err := newGPT2Arch(cfg)
	if err != nil || len(batch.Inputs) == 0 {
		return 0
	}
	var labels []int32
	for _, row := range batch.Labels {
		for _, y := range row {
			labels = append(labels, int32(y))
		}
	}
	return matmulFLOPs(a, len(batch.Inputs), len(batch.Inputs[0]), labels, withG, withJ)
}

// matmulFLOPs is MatmulFLOPs for a B×T batch with flat labels.
func matmulFLOPs(a *gpt2Arch, batchRows, seqLen int, labels []int32, withG, withJ bool) float64 {
	B, T := float64(batchRows), float64(seqLen)
	N := B * T
	d := float64(a.d)
	var emb, blocks, head float64
	if a.divVal == 1 {
		if a.e != a.d {
			emb = 2 * N * float64(a.e) * d
		}
	} else {
		for i := range a.dims {
			emb += 2 * N * float64(a.dims[i]) * d
		}
	}
	for l := 0; l < a.L; l++ {
		f := float64(a.dInner[l])
		blocks += 2*N*d*3*d + 2*2*B*T*T*d + 2*N*d*d + 2*2*N*d*f
	}
	hasProj := func(i int) bool {
		if a.divVal > 1 {
			return true
		}
		return a.e != a.d
	}
	count := make([]float64, a.K())
	for _, y := range labels {
		c := 0
		for c+1 < a.K() && int(y) >= a.bounds[c+1] {
			c++
		}
		count[c]++
	}
	for i := range count {
		n := count[i]
		cols := float64(a.sizes[i])
		if i == 0 {
			n = N
			cols += float64(a.K() - 1)
		}
		if hasProj(i) {
			head += 2 * n * d * float64(a.dims[i])
		}
		head += 2 * n * float64(a.dims[i]) * cols
	}
	total := emb + blocks + head
	if withG {
		total += head + 2*blocks
	}
	if withJ {
		total += blocks
	}
	return total
}
