package runtime

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"lpz/bench"
)

// flexiBenchBatch is the benchmark minibatch B×L (LPZ_FLEXI_BATCH=BxL
// overrides, e.g. "4x64").
func flexiBenchBatch() (int, int) {
	B, L := 4, 128
	if s := os.Getenv("LPZ_FLEXI_BATCH"); s != "" {
		var b, l int
		if _, err := fmt.Sscanf(s, "%dx%d", &b, &l); err == nil && b > 0 && l > 0 {
			B, L = b, l
		}
	}
	return B, L
}

// randomMLMBatch draws B×L ids uniformly from [1000, V) (no special tokens).
func randomMLMBatch(seed uint64, B, L, V int) MLMBatch {
	r := rand.New(rand.NewPCG(seed, 9))
	var b MLMBatch
	for i := 0; i < B; i++ {
		row := make([]int, L)
		for t := range row {
			row[t] = min(1000, V/2) + r.IntN(V-min(1000, V/2))
		}
		b.Inputs = append(b.Inputs, row)
	}
	return b
}

// uniformFlexi is an nLayers model with every layer op (h heads, n_ff
// numFF, FFN dim ffn).
func uniformFlexi(H, nLayers int, opType, opParam string, h, ffn, numFF int) bench.FlexiBERTConfig {
	cfg := bench.FlexiBERTConfig{HiddenSize: H}
	for i := 0; i < nLayers; i++ {
		cfg.Layers = append(cfg.Layers, bench.FlexiLayer{OpType: opType, OpParam: opParam, Heads: h, FFNDim: ffn, NumFFN: numFF})
	}
	return cfg
}

var flexiBenchOps = [][2]string{{"SA", "SDP"}, {"SA", "WMA"}, {"LT", "DFT"}, {"LT", "DCT"}, {"DSC", "5"}, {"DSC", "9"}}

// BenchmarkFlexiCapture times one full capture (all stdlib channels) in
// records mode for 2- and 4-layer models of each op type at H = 128 and
// 256 (h 4, n_ff 3, FFN dim = 4H: the costliest FFN of the search space at
// that width), reporting execution, init and build seconds and the matmul
// FLOP rate. LPZ_FLEXI_OPS=SDP,DSC… restricts the op list.
func BenchmarkFlexiCapture(b *testing.B) {
	be := goBackend(b)
	B, L := flexiBenchBatch()
	batch := randomMLMBatch(1, B, L, bench.FlexiVocab)
	only := map[string]bool{}
	if s := os.Getenv("LPZ_FLEXI_OPS"); s != "" {
		for _, f := range splitComma(s) {
			only[f] = true
		}
	}
	for _, H := range []int{128, 256} {
		for _, nl := range []int{2, 4} {
			for _, op := range flexiBenchOps {
				if len(only) > 0 && !only[op[1]] {
					continue
				}
				cfg := uniformFlexi(H, nl, op[0], op[1], 4, 4*H, 3)
				b.Run(fmt.Sprintf("H%d/L%d/%s/%dx%d", H, nl, op[1], B, L), func(b *testing.B) {
					var last *Capture
					cpu0 := cpuSeconds()
					for i := 0; i < b.N; i++ {
						c, err := CaptureFlexiBERT(be, cfg, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 1}})
						if err != nil {
							b.Fatal(err)
						}
						last = c
					}
					b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s")
					reportFlexiTiming(b, last)
				})
			}
		}
	}
}

func reportFlexiTiming(b *testing.B, c *Capture) {
	b.ReportMetric(c.Timing.Total.Seconds(), "total-s")
	b.ReportMetric(c.Timing.Execute.Seconds(), "exec-s")
	b.ReportMetric(c.Timing.Init.Seconds(), "init-s")
	b.ReportMetric((c.Timing.Build + c.Timing.Compile).Seconds(), "build-s")
	b.ReportMetric(c.Timing.Transfer.Seconds(), "xfer-s")
	b.ReportMetric(c.Timing.FLOPS()/1e9, "GFLOP/s")
}

// BenchmarkFlexiHead isolates the MLM head's cost: a 1-layer LT-DCT model
// (the cheapest layer) with and without the loss backward (G).
func BenchmarkFlexiHead(b *testing.B) {
	be := goBackend(b)
	B, L := flexiBenchBatch()
	batch := randomMLMBatch(1, B, L, bench.FlexiVocab)
	cfg := uniformFlexi(128, 1, "LT", "DCT", 2, 512, 1)
	for _, chans := range [][]string{{"params"}, {"G"}} {
		b.Run(fmt.Sprintf("%v/%dx%d", chans, B, L), func(b *testing.B) {
			var last *Capture
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				c, err := CaptureFlexiBERT(be, cfg, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 1, Channels: chans}})
				if err != nil {
					b.Fatal(err)
				}
				last = c
			}
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s")
			reportFlexiTiming(b, last)
		})
	}
}

// BenchmarkFlexiSample captures LPZ_FLEXI_SAMPLE (default 0 = skip) real
// benchmark records spread over the 500 in the given mode
// (LPZ_FLEXI_MODE, default records), and reports the mean seconds per
// architecture and the projection for all 500.
func BenchmarkFlexiSample(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("LPZ_FLEXI_SAMPLE"))
	if n <= 0 {
		b.Skip("set LPZ_FLEXI_SAMPLE=n")
	}
	bm, err := bench.Load("flexibert", "../../shared/bench")
	if err != nil {
		b.Skip(err)
	}
	mode := bench.FlexiMode(os.Getenv("LPZ_FLEXI_MODE"))
	if mode == "" {
		mode = bench.ModeRecords
	}
	be := goBackend(b)
	B, L := flexiBenchBatch()
	batch := randomMLMBatch(1, B, L, bench.FlexiVocab)
	for i := 0; i < b.N; i++ {
		var total float64
		cpu0 := cpuSeconds()
		for j := 0; j < n; j++ {
			a := bm.Archs[j*len(bm.Archs)/n]
			c, err := CaptureFlexiBERT(be, *a.Flexi, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 1}, Fidelity: mode})
			if err != nil {
				b.Fatal(err)
			}
			total += c.Timing.Total.Seconds()
		}
		cpu := (cpuSeconds() - cpu0) / float64(n)
		b.ReportMetric(total/float64(n), "s/arch")
		b.ReportMetric(total/float64(n)*float64(len(bm.Archs))/60, "min/500")
		// CPU seconds per architecture (all threads): on an otherwise idle
		// 2-core machine the wall time is about cpu-s/2 (SimpleGo's
		// matmuls keep both cores busy); the shared machine's load
		// inflates s/arch, not cpu-s.
		b.ReportMetric(cpu, "cpu-s/arch")
	}
}

// cpuSeconds is the process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
