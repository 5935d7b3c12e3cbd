package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (lpz cache [list | prune | clear --yes])", pos[0])
	}
	dir := *dirFlag
	if dir == "" {
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
	c, err := cache.Open(dir, budget)
	if err != nil {
		return err
	}
	before, err := c.Stats()
	if err != nil {
		return err
	}
	broken, err := c.Prune()
	if err != nil {
		return err
	}
	after, err := c.Stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "removed %d unreadable and %d least recently used entries (%s) to fit %s (%s); %s, %s left\n",
		broken, before.Entries-after.Entries-broken, cache.FormatSize(before.Bytes-after.Bytes), cache.FormatSize(budget), rule, plural(after.Entries, "entry", "entries"), cache.FormatSize(after.Bytes))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
