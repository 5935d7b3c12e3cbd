package runtime

import (
	"math"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/tokenizer"
)

func tinyByteGPT2() bench.GPT2Config {
	return bench.GPT2Config{NLayer: 2, DModel: 32, NHead: []int{2, 4}, DInner: []int{64, 96}, DEmbed: -1,
		DivVal: 1, NToken: 256, TgtLen: 32, TieWeight: true}
}

func trainText() (train, valid []int) {
	s := strings.Repeat("the quick brown fox jumps over the lazy dog while the cat sleeps. ", 60)
	ids := tokenizer.Bytes{}.Encode(s)
	k := len(ids) * 9 / 10
	return ids[:k], ids[k:]
}

func TestTrainGPT2LossDecreasesAndIsDeterministic(t *testing.T) {
	be := goBackend(t)
	train, valid := trainText()
	tc := TrainConfig{Steps: 12, Batch: 4, LR: 1e-2, EvalBatches: 2, Seed: 3}
	r1, err := TrainGPT2(be, tinyByteGPT2(), train, valid, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := r1.TrainLoss[0], r1.TrainLoss[len(r1.TrainLoss)-1]
	if !(last < first-0.5) {
		t.Fatalf("loss did not decrease: %v", r1.TrainLoss)
	}
	if math.Abs(first-math.Log(256)) > 0.3 {
		t.Errorf("initial loss %.3f, want ≈ ln 256 = %.3f", first, math.Log(256))
	}
	if !(r1.ValidLoss < first) || math.Abs(r1.ValidPPL-math.Exp(r1.ValidLoss)) > 1e-9 {
		t.Errorf("valid loss %.4f ppl %.4f (initial train loss %.4f)", r1.ValidLoss, r1.ValidPPL, first)
	}
	r2, err := TrainGPT2(be, tinyByteGPT2(), train, valid, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r1.TrainLoss {
		if r1.TrainLoss[i] != r2.TrainLoss[i] {
			t.Fatalf("step %d: %v vs %v: not deterministic", i, r1.TrainLoss[i], r2.TrainLoss[i])
		}
	}
	if r1.ValidLoss != r2.ValidLoss {
		t.Fatalf("valid loss %v vs %v", r1.ValidLoss, r2.ValidLoss)
	}
	t.Logf("loss %.3f → %.3f, valid %.3f; %d params; step %.0f ms, optimizer %.2f ms/step, compile %v",
		first, last, r1.ValidLoss, r1.Params, r1.StepTime.Seconds()*1e3/12, r1.OptimTime.Seconds()*1e3/12, r1.CompileTime)
}

// The training graph computes the capture graph's loss at initialisation.
func TestTrainGPT2MatchesCaptureLoss(t *testing.T) {
	be := goBackend(t)
	cfg := tinyByteGPT2()
	train, _ := trainText()
	batch := Batch{}
	var ws [][]int
	for i := 0; i < 2; i++ {
		w := train[i*33 : i*33+33]
		ws = append(ws, w)
		batch.Inputs = append(batch.Inputs, w[:32])
		batch.Labels = append(batch.Labels, w[1:])
	}
	c, err := CaptureGPT2(be, cfg, batch, CaptureOptions{Seed: 5, Channels: []string{"params"}})
	if err != nil {
		t.Fatal(err)
	}
	// Validation on exactly those two windows, no training steps.
	valid := append(append([]int(nil), ws[0]...), ws[1]...)
	m, _ := NewGPT2(cfg, 5)
	tr, err := newGPT2Trainer(m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := trainLoop(be, tr, train, valid, TrainConfig{Steps: 1, Batch: 2, EvalBatches: 1, LR: 1e-12, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.ValidLoss-c.Loss) > 1e-4 {
		t.Fatalf("training graph loss %.6f, capture loss %.6f", res.ValidLoss, c.Loss)
	}
}

func TestLRSchedule(t *testing.T) {
	tc := TrainConfig{Steps: 100, LR: 1, Warmup: 10, MinLR: 0.1}.withDefaults()
	if tc.LRAt(0) != 0.1 || tc.LRAt(9) != 1 || math.Abs(tc.LRAt(99)-0.1) > 1e-12 {
		t.Fatalf("schedule %v %v %v", tc.LRAt(0), tc.LRAt(9), tc.LRAt(99))
	}
	if got := tc.LRAt(10); got != 1 {
		t.Fatalf("first cosine step %v", got)
	}
}
