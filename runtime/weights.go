package runtime

import (
	"lpz/bench"
	"lpz/interp"
)

// GPT2WeightList rebuilds the W channel of a GPT-2 capture from the seed
// alone: weights are a pure function of (config, seed) drawn on the host,
// so the capture cache need not store them (they are half of every entry).
func GPT2WeightList(cfg bench.GPT2Config, seed uint64) (interp.Value, error) {
	m, err := NewGPT2(cfg, seed)
	if err != nil {
		return interp.Value{}, err
	}
	return weightsValue(m), nil
}

// FlexiWeightList rebuilds the W channel of a FlexiBERT capture from (cfg,
// mode, seed) alone, like GPT2WeightList.
func FlexiWeightList(cfg bench.FlexiBERTConfig, mode bench.FlexiMode, seed uint64) (interp.Value, error) {
	m, err := NewFlexiBERT(cfg, mode, seed)
	if err != nil {
		return interp.Value{}, err
	}
	return weightsValue(m), nil
}
