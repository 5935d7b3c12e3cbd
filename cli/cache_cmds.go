package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"lpz/cache"
	"lpz/study"
)

func printCacheListing(w io.Writer, l *study.CacheListing) {
	fmt.Fprintf(w, "cache      %s\n", l.Dir)
	fmt.Fprintf(w, "budget     %s (%s)\n", cache.FormatSize(l.Budget), l.BudgetRule)
	free := "unknown"
	if l.Free >= 0 {
		free = cache.FormatSize(l.Free)
	}
	fmt.Fprintf(w, "holds      %s, %s; free disk %s\n", plural(l.Entries, "entry", "entries"), cache.FormatSize(l.Bytes), free)
	if l.Evicted > 0 {
		fmt.Fprintf(w, "evicted    %s evicted earlier, not cached now (a run that needs them captures them again)\n", plural(l.Evicted, "entry", "entries"))
	}
	if l.Unreadable > 0 {
		fmt.Fprintf(w, "unreadable %s (captured again when needed; lpz cache prune removes them)\n", plural(l.Unreadable, "entry", "entries"))
	}
	if len(l.Groups) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "benchmark\tcapture\tseed\tbackend\tfidelity\tchannels\ttokens\tentries\tsize\tlast used")
	inferred := false
	for _, g := range l.Groups {
		name := g.Bench
		if g.Inferred {
			name, inferred = name+"*", true
		}
		ch := g.Channels
		if ch == study.StandardChannels {
			ch = "standard"
		}
		fid := g.Fidelity
		if fid == "" {
			fid = "-"
		}
		fmt.Fprintf(tw, "%s\t%d×%d\t%d\t%s\t%s\t%s\t%.8s\t%d\t%s\t%s\n", name, g.Batch, g.Seq, g.Seed,
			g.Backend, fid, ch, g.Tokens, g.Entries, cache.FormatSize(g.Bytes), g.LastUsed.Local().Format("2006-01-02 15:04"))
	}
	tw.Flush()
	if inferred {
		fmt.Fprintln(w, "* benchmark guessed from the architecture ids: these entries were written before lpz recorded it")
	}
}

func runCache(env *Env, args []string) error {
	sub := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("cache", flag.ContinueOnError)
	dirFlag := fs.String("cache", "", "capture cache directory (default: the user cache directory, lpz/captures)")
	gib := floatFlag(fs, "cache-budget", 0, "(0, 1e6]", cacheBudgetHelp)
	asJSON := fs.Bool("json", false, "list as JSON")
	yes := fs.Bool("yes", false, "clear: really remove every entry")
	if err := parseNone(fs, args, "unexpected argument %q (lpz cache [list | prune | clear --yes])"); err != nil {
		return err
	}
	dir := *dirFlag
	if dir == "" {
		var err error
		if dir, err = cache.DefaultDir(); err != nil {
			return err
		}
	}
	budget, rule := study.CacheBudget(dir, *gib)
	switch sub {
	case "list":
		return cacheList(env, dir, budget, rule, *asJSON)
	case "prune":
		return cachePrune(env, dir, budget, rule)
	case "clear":
		if !*yes {
			return usagef("lpz cache clear removes every cached capture in %s; add --yes to do it", dir)
		}
		c, err := cache.Open(dir, 0)
		if err != nil {
			return err
		}
		st, err := c.Clear()
		fmt.Fprintf(env.Stdout, "removed %s (%s) from %s\n", plural(st.Entries, "entry", "entries"), cache.FormatSize(st.Bytes), dir)
		return err
	}
	return usagef("unknown subcommand %q (list | prune | clear --yes)", sub)
}

func cacheList(env *Env, dir string, budget int64, rule string, asJSON bool) error {
	c, err := cache.Open(dir, 0)
	if err != nil {
		return err
	}
	l, err := study.ListCache(c, budget, rule)
	if err != nil {
		return err
	}
	if asJSON {
		b, err := json.MarshalIndent(l, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	printCacheListing(env.Stdout, l)
	return nil
}

func cachePrune(env *Env, dir string, budget int64, rule string) error {
	p, err := study.PruneCache(dir, budget)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "removed %d unreadable and %d least recently used entries (%s) to fit %s (%s); %s, %s left\n",
		p.Unreadable, p.Evicted, cache.FormatSize(p.Freed), cache.FormatSize(budget), rule, plural(p.Left.Entries, "entry", "entries"), cache.FormatSize(p.Left.Bytes))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func runCapture(env *Env, args []string) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	ba := addBenchArgs(fs, "all, or a seeded sample of N", true)
	shard := fs.String("shard", "", "i/n: capture only the i-th of n deterministic shards (0-based), e.g. for a Kubernetes Indexed Job or a Slurm array")
	workers := intFlag(fs, "workers", 1, 1, maxWorkers, "architectures captured at once (each capture already uses every core)")
	addCaptureFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	bs, n, err := ba.open(fs, env.Stderr)
	if err != nil {
		return err
	}
	if bs.Capture.NoCache {
		return usagef("lpz capture fills the cache; --no-cache makes no sense here")
	}
	sample, err := study.SelectArchs(bs.Bench, n, *ba.seed, *ba.ids)
	if err != nil {
		return err
	}
	if *shard != "" {
		i, k, err := study.ParseShard(*shard)
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
	fmt.Fprintf(env.Stdout, "wall time     %.1fs   peak RSS %.0f MB\n", time.Since(start).Seconds(), study.PeakRSSMB())
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
		var secs []float64
		for _, t := range st.Times {
			secs = append(secs, t.Seconds())
		}
		var fl float64
		for _, f := range st.FLOPS {
			fl += f
		}
		fmt.Fprintf(w, "per arch      %s  (%.2f GFLOP/s matmul)\n", spread(secs, 2), fl/float64(len(st.FLOPS))/1e9)
	}
	if stats, err := cc.Stats(); err == nil {
		fmt.Fprintf(w, "cache size    %s\n", fmtStats(stats))
	}
}

func fmtStats(s cache.Stats) string {
	return fmt.Sprintf("%d entries, %.1f MB", s.Entries, float64(s.Bytes)/1e6)
}
