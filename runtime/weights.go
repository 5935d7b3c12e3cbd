package runtime

import (
	"lpz/bench"
	"lpz/interp"
	"lpz/stdlib"
	"lpz/tensor"
)

// GPT2WeightList rebuilds the W channel of a GPT-2 capture from the seed
// alone: weights are a pure function of (config, seed) drawn on the host,
// so the capture cache need not store them (they are half of every entry).
func GPT2WeightList(cfg bench.GPT2Config, seed uint64) (interp.Value, error) {
	m, err := NewGPT2(cfg, seed)
	if err != nil {
		return interp.Value{}, err
	}
	var ws []*tensor.Tensor
	for _, b := range m.blocks {
		for _, p := range []*Param{b.cAttnW, b.aProjW, b.fcW, b.mProjW} {
			ws = append(ws, &tensor.Tensor{Shape: append([]int(nil), p.Shape...), Data: p.Data})
		}
	}
	return interp.TensorList(stdlib.FamilyWeights, weightNames(len(m.blocks)), ws), nil
}
