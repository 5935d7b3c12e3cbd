package runtime

import "testing"

func TestGPT2WeightListMatchesCapture(t *testing.T) {
	cfg := tinyConfig(2, 32)
	c, err := CaptureGPT2(goBackend(t), cfg, randomBatch(1, 2, 8, cfg.NToken), CaptureOptions{Seed: 9, Channels: []string{"W"}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := GPT2WeightList(cfg, 9)
	if err != nil {
		t.Fatal(err)
	}
	got := c.Inputs["W"]
	if len(got.Tensors) != len(w.Tensors) {
		t.Fatalf("%d vs %d entries", len(got.Tensors), len(w.Tensors))
	}
	for i := range w.Tensors {
		if got.Names[i] != w.Names[i] {
			t.Fatalf("entry %d: %s vs %s", i, got.Names[i], w.Names[i])
		}
		for j, x := range w.Tensors[i].Data {
			if got.Tensors[i].Data[j] != x {
				t.Fatalf("entry %d element %d differs", i, j)
			}
		}
	}
}
