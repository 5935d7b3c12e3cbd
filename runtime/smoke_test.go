package runtime

import "testing"

func TestSmoke(t *testing.T) {
	be := goBackend(t)
	for _, cfg := range []struct{ dv, e int }{{1, 32}, {1, 64}, {2, 64}, {4, 64}} {
		c, err := CaptureGPT2(be, tinyConfig(cfg.dv, cfg.e), randomBatch(1, 3, 8, 300), CaptureOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v loss %v timing %+v", cfg, c.Loss, c.Timing)
		for k, v := range c.Inputs {
			t.Logf("  %s %v %v", k, v, v.Names)
		}
	}
}
