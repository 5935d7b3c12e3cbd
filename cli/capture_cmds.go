package cli

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"lpz/bench"
	"lpz/cache"
	"lpz/study"
)

func runCapture(env *Env, args []string) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	benchName := fs.String("bench", "", benchUsage)
	data := fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
	archs := fs.String("archs", "all", "all, or a seeded sample of N")
	ids := fs.String("ids", "", "comma-separated architecture ids (instead of --archs)")
	seed := fs.Int64("seed", 42, "seed of the architecture sample")
	shard := fs.String("shard", "", "i/n: capture only the i-th of n deterministic shards (0-based), e.g. for a Kubernetes Indexed Job or a Slurm array")
	workers := intFlag(fs, "workers", 1, 1, maxWorkers, "architectures captured at once (each capture already uses every core)")
	fidelity := fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
	addCaptureFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	n, err := study.ParseArchs(*archs)
	if err != nil {
		return err
	}
	bs, err := openBench(*benchName, *data, *fidelity)
	if err != nil {
		return err
	}
	bs.captureFlags(fs, env.Stderr)
	if bs.Capture.NoCache {
		return usagef("lpz capture fills the cache; --no-cache makes no sense here")
	}
	sample, err := study.SelectArchs(bs.Bench, n, *seed, *ids)
	if err != nil {
		return err
	}
	if *shard != "" {
		i, k, err := parseShard(*shard)
		if err != nil {
			return err
		}
		sample = study.Shard(sample, i, k)
	}
	c, err := bs.Capturer()
	if err != nil {
		return err
	}
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	start := time.Now()
	bar := newProgress(env.Stderr, "capture", len(sample), true)
	failed, _ := bs.CaptureAll(ctx, sample, *workers, bar.update)
	bar.finish()
	st := c.Stats()
	fmt.Fprintf(env.Stdout, "benchmark     %s (%d architectures", bs.Bench.Name, len(sample))
	if *shard != "" {
		fmt.Fprintf(env.Stdout, ", shard %s", *shard)
	}
	fmt.Fprintln(env.Stdout, ")")
	backend, spec := bs.Describe()
	fmt.Fprintf(env.Stdout, "capture       %s; backend %s\n", spec, backend)
	fmt.Fprintf(env.Stdout, "cache         %s\n", c.Cache().Root())
	printCaptureStats(env.Stdout, st, len(failed), c.Cache())
	fmt.Fprintf(env.Stdout, "wall time     %.1fs   peak RSS %.0f MB\n", time.Since(start).Seconds(), peakRSSMB())
	for _, f := range failed {
		fmt.Fprintf(env.Stderr, "failed: %v\n", f)
	}
	if ctx.Err() != nil {
		return interrupted(ctx, "%d of %d architectures are captured and cached; run the same command again to resume", st.Captured+st.Cached, len(sample))
	}
	if n := c.Unstored(); n > 0 {
		return fmt.Errorf("%d captures could not be written to the cache %s", n, c.Cache().Root())
	}
	if len(failed) > 0 {
		return &exitError{1}
	}
	return nil
}

// printCaptureStats says what lpz capture did and how long captures took.
func printCaptureStats(w io.Writer, st study.CaptureStats, failed int, cc *cache.Cache) {
	fmt.Fprintf(w, "captured      %d   already cached %d   recomputed damaged %d   failed %d\n", st.Captured, st.Cached, st.Recovered, failed)
	if len(st.Times) > 0 {
		ts := append([]time.Duration(nil), st.Times...)
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		var sum time.Duration
		for _, t := range ts {
			sum += t
		}
		var fl float64
		for _, f := range st.FLOPS {
			fl += f
		}
		fmt.Fprintf(w, "per arch      min %.2fs  median %.2fs  max %.2fs  mean %.2fs  (%.2f GFLOP/s matmul)\n",
			ts[0].Seconds(), ts[len(ts)/2].Seconds(), ts[len(ts)-1].Seconds(), sum.Seconds()/float64(len(ts)), fl/float64(len(st.FLOPS))/1e9)
	}
	if stats, err := cc.Stats(); err == nil {
		fmt.Fprintf(w, "cache size    %s\n", fmtStats(stats))
	}
}

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usagef("--shard wants i/n with 0 ≤ i < n, got %q", s)
	}
	return i, n, nil
}

func fmtStats(s cache.Stats) string {
	return fmt.Sprintf("%d entries, %.1f MB", s.Entries, float64(s.Bytes)/1e6)
}

// peakRSSMB is the process's peak resident set size (Linux ru_maxrss, KiB).
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
