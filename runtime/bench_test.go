package runtime

import (
	"fmt"
	"os"
	"testing"

	"lpz/bench"
)

// Benchmark architectures (wt103 vocabulary and cutoffs):
//
//	small:   n_layer 2, d_model 128, d_embed 128, div_val 4 (cheapest head)
//	c4j5:    config_4_j5: n_layer 2, d 128, d_embed 512, div_val 1 (small body, heaviest head)
//	median:  n_layer 9, d 256, d_embed 256, div_val 2, n_head 4, d_inner 1280
//	largest: n_layer 16, d 512, d_inner 2048, d_embed 512, div_val 1, n_head 8
var benchArchs = []struct {
	name string
	cfg  bench.GPT2Config
}{
	{"small", wt103Config(2, 128, 128, 4, []int{2}, []int{512})},
	{"c4j5", wt103Config(2, 128, 512, 1, []int{4, 4}, []int{730, 1220})},
	{"median", wt103Config(9, 256, 256, 2, []int{4}, []int{1280})},
	{"largest", wt103Config(16, 512, 512, 1, []int{8}, []int{2048})},
}

// benchBatches are (batch, seq) sizes; LPZ_BENCH_BATCHES=all adds the
// slower ones (16×64, 16×192 = the paper's).
func benchBatches() [][2]int {
	if os.Getenv("LPZ_BENCH_BATCHES") == "all" {
		return [][2]int{{4, 64}, {8, 64}, {16, 64}, {16, 192}}
	}
	return [][2]int{{4, 64}, {8, 64}}
}

// BenchmarkCapture measures one full capture (all channels: forward, loss
// backward for G, input backward for J, transfers) per architecture and
// batch size, and reports the analytic matmul FLOP rate of the execution.
// Timings on the shared 2-core machine are noisy.
func BenchmarkCapture(b *testing.B) {
	be := goBackend(b)
	for _, arch := range benchArchs {
		for _, bt := range benchBatches() {
			batch := randomBatch(1, bt[0], bt[1], arch.cfg.NToken)
			b.Run(fmt.Sprintf("%s/%dx%d", arch.name, bt[0], bt[1]), func(b *testing.B) {
				var last *Capture
				for i := 0; i < b.N; i++ {
					c, err := CaptureGPT2(be, arch.cfg, batch, CaptureOptions{Seed: 1})
					if err != nil {
						b.Fatal(err)
					}
					last = c
				}
				b.ReportMetric(last.Timing.FLOPS()/1e9, "GFLOP/s")
				b.ReportMetric(last.Timing.FLOPs/1e9, "GFLOP")
				b.ReportMetric(last.Timing.Execute.Seconds(), "exec-s")
				b.ReportMetric(last.Timing.Init.Seconds(), "init-s")
				b.ReportMetric((last.Timing.Build + last.Timing.Compile).Seconds(), "build-s")
			})
		}
	}
}

// tinyGPT2 is DESIGN.md §5's "tiny GPT-2" scale (≈0.66M parameters).
func tinyGPT2() bench.GPT2Config {
	return bench.GPT2Config{NLayer: 2, DModel: 128, NHead: []int{4}, DInner: []int{512}, DEmbed: 128, DivVal: 1,
		NToken: 2000, Cutoffs: []int{1000, 1500}, TgtLen: 64, TieWeight: true, TieProjs: []bool{false, true, true},
		WeightInitStd: 0.02, ProjInitStd: 0.01}
}

// BenchmarkMatmulVJP compares forward+backward (G and J) of the tiny GPT-2
// at 16×64 with the fast DotGeneral VJPs and with GoMLX's own.
func BenchmarkMatmulVJP(b *testing.B) {
	be := goBackend(b)
	cfg := tinyGPT2()
	batch := randomBatch(1, 16, 64, cfg.NToken)
	for _, mode := range []string{"fast", "library"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "library" {
				UseLibraryMatmulVJPs()
				defer UseFastMatmulVJPs()
			}
			for i := 0; i < b.N; i++ {
				if _, err := CaptureGPT2(be, cfg, batch, CaptureOptions{Seed: 1, Channels: []string{"G", "J"}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSimpleGoParallelism compares SimpleGo configurations on the
// median architecture at 4×64 ("" is the library default: NumCPU workers).
// Run it with a -timeout: a deadlocking configuration hangs.
func BenchmarkSimpleGoParallelism(b *testing.B) {
	cfg := benchArchs[2].cfg
	batch := randomBatch(1, 4, 64, cfg.NToken)
	configs := []string{"parallelism=-1", "parallelism=2", "parallelism=4", ""}
	if c := os.Getenv("LPZ_BENCH_SIMPLEGO"); c != "" {
		configs = []string{c}
	}
	for _, config := range configs {
		be, err := newSimpleGo(config)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("config="+config, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := CaptureGPT2(be, cfg, batch, CaptureOptions{Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWT103Sample captures every 20th of the 200 benchmark
// architectures (10 models) at LPZ_BENCH_BT (default 8x64) and reports the
// projected time for all 200 (scaled by analytic FLOPs).
func BenchmarkWT103Sample(b *testing.B) {
	names, cfgs := loadWT103(b)
	B, T := 8, 64
	if s := os.Getenv("LPZ_BENCH_BT"); s != "" {
		fmt.Sscanf(s, "%dx%d", &B, &T)
	}
	batch := randomBatch(1, B, T, 50264)
	var all float64
	for _, n := range names {
		all += MatmulFLOPs(cfgs[n], batch, true, true)
	}
	be := goBackend(b)
	for i := 0; i < b.N; i++ {
		var secs, flops float64
		for k := 0; k < len(names); k += 20 {
			c, err := CaptureGPT2(be, cfgs[names[k]], batch, CaptureOptions{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			secs += c.Timing.Total.Seconds()
			flops += c.Timing.FLOPs
			b.Logf("%s %dx%d: %.2fs (exec %.2fs, %.1f GFLOP, %.2f GFLOP/s)", names[k], B, T,
				c.Timing.Total.Seconds(), c.Timing.Execute.Seconds(), c.Timing.FLOPs/1e9, c.Timing.FLOPS()/1e9)
		}
		b.ReportMetric(secs, "sample-s")
		b.ReportMetric(secs*all/flops/60, "projected-200-min")
	}
}

// TestExtraChannelsOverhead (LPZ_EXTRA_TIMING=1) times one capture of the
// median architecture at 4×64: the default channels, the extra channels
// alone, and both in one request.
func TestExtraChannelsOverhead(t *testing.T) {
	if os.Getenv("LPZ_EXTRA_TIMING") == "" {
		t.Skip("set LPZ_EXTRA_TIMING=1")
	}
	be := goBackend(t)
	cfg := benchArchs[2].cfg
	batch := randomBatch(1, 4, 64, cfg.NToken)
	std := []string{"A", "H", "S", "W", "G", "J", "params", "dparams"}
	for _, req := range []struct {
		name string
		ch   []string
	}{
		{"default", nil},
		{"GA", []string{"GA"}}, {"HG", []string{"HG"}}, {"GS", []string{"GS"}},
		{"GA+HG+GS", []string{"GA", "HG", "GS"}},
		{"default+GA+HG+GS", append(append([]string{}, std...), "GA", "HG", "GS")},
	} {
		c, err := CaptureGPT2(be, cfg, batch, CaptureOptions{Seed: 1, Channels: req.ch})
		if err != nil {
			t.Fatal(err)
		}
		tm := c.Timing
		t.Logf("%-18s total %6.2fs  build %5.2fs  compile %5.2fs  exec %6.2fs  transfer %5.2fs", req.name,
			tm.Total.Seconds(), tm.Build.Seconds(), tm.Compile.Seconds(), tm.Execute.Seconds(), tm.Transfer.Seconds())
	}
}
