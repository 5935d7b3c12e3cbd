package runtime

import (
	"math"
	"testing"

	"lpz/bench"
)

func tinyLlama() bench.LlamaConfig {
	return bench.LlamaConfig{NLayer: 2, DModel: 32, NHead: []int{2, 1}, HeadDim: 8, DFF: []int{48, 64},
		NToken: 256, SeqLen: 32, TieWeight: true}
}

func TestLlamaParamsMatchCount(t *testing.T) {
	for _, tie := range []bool{true, false} {
		cfg := tinyLlama()
		cfg.TieWeight = tie
		m, err := NewLlama(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		tot, ne := m.NumParams()
		wt, wne := bench.LlamaParams(&cfg)
		if int64(tot) != wt || int64(ne) != wne {
			t.Fatalf("tie %v: model %d/%d, formula %d/%d", tie, tot, ne, wt, wne)
		}
	}
}

func TestTrainLlamaLossDecreasesDeterministic(t *testing.T) {
	be := goBackend(t)
	train, valid := trainText()
	tc := TrainConfig{Steps: 12, Batch: 4, LR: 1e-2, EvalBatches: 2, Seed: 3}
	r1, err := TrainLlama(be, tinyLlama(), train, valid, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := r1.TrainLoss[0], r1.TrainLoss[len(r1.TrainLoss)-1]
	if !(last < first-0.5) || math.Abs(first-math.Log(256)) > 0.3 {
		t.Fatalf("loss %v", r1.TrainLoss)
	}
	r2, err := TrainLlama(be, tinyLlama(), train, valid, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r1.ValidLoss != r2.ValidLoss || r1.TrainLoss[11] != r2.TrainLoss[11] {
		t.Fatalf("not deterministic: %v %v", r1.ValidLoss, r2.ValidLoss)
	}
}

func TestCaptureLlamaChannels(t *testing.T) {
	be := goBackend(t)
	cfg := tinyLlama()
	batch := randomBatch(4, 2, 16, 256)
	c, err := CaptureLlama(be, cfg, batch, CaptureOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.Loss-math.Log(256)) > 0.3 {
		t.Errorf("initial loss %v", c.Loss)
	}
	shape := func(name string, i int) []int { return c.Inputs[name].Tensors[i].Shape }
	eq := func(a []int, b ...int) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	checks := []struct {
		got  []int
		want []int
	}{
		{shape("A", 0), []int{2, 16, 48}}, {shape("A", 1), []int{2, 16, 64}},
		{shape("H", 0), []int{2, 16, 16}}, {shape("H", 1), []int{2, 16, 8}},
		{shape("S", 1), []int{2, 1, 16, 16}},
		{shape("W", 3), []int{16, 32}}, {shape("G", 3), []int{16, 32}}, {shape("G", 13), []int{64, 32}},
		{shape("J", 0), []int{2, 16, 32}},
	}
	for i, ck := range checks {
		if !eq(ck.got, ck.want...) {
			t.Errorf("check %d: shape %v, want %v", i, ck.got, ck.want)
		}
	}
	if n := len(c.Inputs["W"].Tensors); n != 14 || len(c.Inputs["G"].Tensors) != 14 {
		t.Errorf("W has %d entries", n)
	}
	// Causal attention: row 0 attends only to position 0.
	s := c.Inputs["S"].Tensors[0].Data
	if math.Abs(float64(s[0])-1) > 1e-5 || s[1] > 1e-6 {
		t.Errorf("S row 0: %v", s[:4])
	}
	if c.Inputs["params"].Scalar <= c.Inputs["dparams"].Scalar {
		t.Errorf("params %v dparams %v", c.Inputs["params"].Scalar, c.Inputs["dparams"].Scalar)
	}
}

// The analytic FLOP count of a llama capture, worked out by hand for
// tinyLlama on 2 × 4 tokens: per layer q k v o, scores and context, gate
// up down and the rotary rotation of q and k (112 640 and 117 760), the
// head (131 072); G adds the head and twice the blocks, J the blocks.
func TestLlamaCaptureFLOPs(t *testing.T) {
	s, err := SpecOf(bench.Arch{ID: "l", Llama: ptr(tinyLlama())}, "")
	if err != nil {
		t.Fatal(err)
	}
	w := windows(s, 2, 4, 256)
	c, err := s.Capture(goBackend(t), w, CaptureOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := 1183744.0; c.Timing.FLOPs != want {
		t.Errorf("FLOPs %v, want %v", c.Timing.FLOPs, want)
	}
}

func ptr[T any](v T) *T { return &v }
