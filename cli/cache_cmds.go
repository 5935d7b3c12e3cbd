package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"lpz/bench"
	"lpz/cache"
	"lpz/runtime"
)

func init() {
	register(&command{"cache", "the capture cache: lpz cache [list | prune | clear --yes] [--cache DIR] [--json]", runCache})
}

// cacheBudgetHelp is the help of --cache-budget: the rule behind its default.
var cacheBudgetHelp = fmt.Sprintf("capture cache size budget in GiB; least recently used entries are evicted beyond it, with a note on stderr (default: half of the free disk space at the cache directory plus what the cache holds, between %d and %d GiB)",
	cache.MinAutoBudget>>30, cache.MaxAutoBudget>>30)

// captureBudget is the budget in bytes for the cache at dir: gib when given
// (> 0), else cache.AutoBudget's rule; rule says which in words.
func captureBudget(dir string, gib float64) (budget int64, rule string) {
	if gib > 0 {
		return int64(math.Min(gib*(1<<30), math.MaxInt64/2)), "--cache-budget"
	}
	b, free, err := cache.AutoBudget(dir)
	if err != nil {
		return b, fmt.Sprintf("default; the free disk space is unknown: %v", err)
	}
	return b, fmt.Sprintf("automatic: half of %s free plus the cache's own size, within %s … %s", fmtSize(free), fmtSize(cache.MinAutoBudget), fmtSize(cache.MaxAutoBudget))
}

// fmtSize prints bytes in binary units, as --cache-budget counts them.
func fmtSize(n int64) string {
	x := float64(n)
	for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
		if math.Abs(x) < 1024 || u == "GiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", x, u)
		}
		x /= 1024
	}
	return ""
}

// cacheNotes tells the user on stderr what the capture cache does behind a
// run's back: evictions (which make a later run capture again), recaptures
// of entries evicted earlier, and a budget smaller than the benchmark needs.
// Repeated notes are aggregated: at the 1st, 10th, 100th… occurrence or
// after a minute.
type cacheNotes struct {
	w      io.Writer
	dir    string
	bench  string
	archs  int
	free   func() int64
	now    func() time.Time
	mu     sync.Mutex
	evict  noteCounter
	evictB int64
	recap  noteCounter
	seen   map[string]bool  // keys reported as recaptured
	sizes  map[string]int64 // first entry size per channel set
	warned bool
}

type noteCounter struct {
	n    int
	last time.Time
}

// due counts one more occurrence (of k) and says whether to print now.
func (c *noteCounter) due(k int, now time.Time) bool {
	before := c.n
	c.n += k
	for p := 1; p <= c.n; p *= 10 {
		if before < p {
			c.last = now
			return true
		}
	}
	if now.Sub(c.last) >= time.Minute {
		c.last = now
		return true
	}
	return false
}

func newCacheNotes(w io.Writer, c *cache.Cache, bs *benchSession) *cacheNotes {
	n := &cacheNotes{w: w, dir: c.Root(), now: time.Now, seen: map[string]bool{}, sizes: map[string]int64{}}
	n.free = func() int64 {
		f, err := cache.FreeSpace(c.Root())
		if err != nil {
			return -1
		}
		return f
	}
	if bs != nil && bs.b != nil {
		n.bench, n.archs = bs.b.Name, len(bs.b.Archs)
	}
	return n
}

func (n *cacheNotes) freeText() string {
	if f := n.free(); f >= 0 {
		return ", " + fmtSize(f) + " free on its disk"
	}
	return ""
}

func (n *cacheNotes) event(e cache.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	switch e.Kind {
	case cache.Evicted:
		first := n.evict.n == 0
		n.evictB += e.Bytes
		if !n.evict.due(e.Entries, now) {
			return
		}
		if first {
			fmt.Fprintf(n.w, "lpz: capture cache over its budget of %s (%s%s): evicted %s (%s); a later run that needs them captures them again. Raise --cache-budget to keep them; lpz cache shows what is cached\n",
				fmtSize(e.Budget), n.dir, n.freeText(), plural(e.Entries, "least recently used entry", "least recently used entries"), fmtSize(e.Bytes))
			return
		}
		fmt.Fprintf(n.w, "lpz: capture cache: %d entries (%s) evicted so far in this run to stay within %s\n", n.evict.n, fmtSize(n.evictB), fmtSize(e.Budget))
	case cache.MissEvicted:
		if n.seen[string(e.Key)] { // the capturer looks twice before capturing
			return
		}
		n.seen[string(e.Key)] = true
		if !n.recap.due(1, now) {
			return
		}
		if n.recap.n == 1 {
			fmt.Fprintf(n.w, "lpz: capture cache: capturing again entries that were evicted earlier to fit the budget of %s (%s%s); this is slower than reading them. Raise --cache-budget to keep them\n",
				fmtSize(e.Budget), n.dir, n.freeText())
			return
		}
		fmt.Fprintf(n.w, "lpz: capture cache: %d entries evicted earlier captured again so far\n", n.recap.n)
	case cache.Stored:
		n.stored(e)
	}
}

// stored estimates, from the first entry of each channel set, what the
// whole benchmark takes, and warns once if that exceeds the budget.
func (n *cacheNotes) stored(e cache.Event) {
	var k struct {
		Channels string `json:"channels"`
	}
	if json.Unmarshal(e.Key, &k) != nil || n.archs == 0 || e.Budget <= 0 || n.warned {
		return
	}
	if _, ok := n.sizes[k.Channels]; ok {
		return
	}
	n.sizes[k.Channels] = e.Bytes
	var need int64
	for _, s := range n.sizes {
		need += s * int64(n.archs)
	}
	if need > e.Budget {
		n.warned = true
		fmt.Fprintf(n.w, "lpz: capture cache: the %d architectures of %s take about %s at this capture setting, more than the cache budget of %s (%s%s): entries will be evicted and captured again by later runs. Raise --cache-budget\n",
			n.archs, n.bench, fmtSize(need), fmtSize(e.Budget), n.dir, n.freeText())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// cacheGroup is one line of lpz cache: the entries of one benchmark at one
// capture setting.
type cacheGroup struct {
	Bench    string    `json:"bench"`
	Inferred bool      `json:"bench_inferred,omitempty"` // entries older than the benchmark's name in their meta
	Model    string    `json:"model"`
	Batch    int       `json:"batch"`
	Seq      int       `json:"seq"`
	Seed     uint64    `json:"seed"`
	Backend  string    `json:"backend"`
	Fidelity string    `json:"fidelity,omitempty"`
	Channels string    `json:"channels"`
	Tokens   string    `json:"tokens_sha256"`
	Entries  int       `json:"entries"`
	Bytes    int64     `json:"bytes"`
	LastUsed time.Time `json:"last_used"`
}

type cacheListing struct {
	Dir        string        `json:"dir"`
	Budget     int64         `json:"budget_bytes"`
	BudgetRule string        `json:"budget_rule"`
	Free       int64         `json:"free_bytes"` // -1: unknown
	Entries    int           `json:"entries"`
	Bytes      int64         `json:"bytes"`
	Evicted    int           `json:"evicted_absent"`
	Unreadable int           `json:"unreadable"`
	Groups     []*cacheGroup `json:"groups"`
}

var reGPT2ID = regexp.MustCompile(`^config_[0-9]+_j[0-9]+$`)

// entryBench names an entry's benchmark: recorded in its meta since
// entries carry it, else guessed from the model and the architecture id
// (inferred true: another benchmark may use the same ids).
func entryBench(model string, meta map[string]string) (name string, inferred bool) {
	if b := meta["bench"]; b != "" {
		return b, false
	}
	id := meta["arch"]
	switch {
	case model == runtime.FlexiBERTModelVersion:
		return "flexibert", true
	case reGPT2ID.MatchString(id):
		return "gpt2-wt103", true
	case strings.HasPrefix(id, bench.NanoName+"_"):
		return bench.NanoName, true
	}
	return "? (" + strings.SplitN(model, "/", 2)[0] + ")", true
}

func listCache(c *cache.Cache, budget int64, rule string) (*cacheListing, error) {
	infos, err := c.List()
	if err != nil {
		return nil, err
	}
	l := &cacheListing{Dir: c.Root(), Budget: budget, BudgetRule: rule, Free: -1, Evicted: c.EvictedCount()}
	if f, err := cache.FreeSpace(c.Root()); err == nil {
		l.Free = f
	}
	groups := map[cacheGroup]*cacheGroup{}
	for _, in := range infos {
		l.Entries++
		l.Bytes += in.Bytes
		var k captureKey
		if in.Problem != "" || json.Unmarshal(in.Key, &k) != nil {
			l.Unreadable++
			continue
		}
		name, inferred := entryBench(k.Model, in.Meta)
		id := cacheGroup{Bench: name, Inferred: inferred, Model: k.Model, Batch: k.Batch, Seq: k.Seq, Seed: k.Seed,
			Backend: k.Backend, Fidelity: k.Fidelity, Channels: k.Channels, Tokens: k.Tokens}
		g := groups[id]
		if g == nil {
			g = &id
			groups[id] = g
			l.Groups = append(l.Groups, g)
		}
		g.Entries++
		g.Bytes += in.Bytes
		if in.Used.After(g.LastUsed) {
			g.LastUsed = in.Used
		}
	}
	sort.Slice(l.Groups, func(i, j int) bool {
		a, b := l.Groups[i], l.Groups[j]
		if a.Bench != b.Bench {
			return a.Bench < b.Bench
		}
		return a.LastUsed.After(b.LastUsed)
	})
	return l, nil
}

func (l *cacheListing) text(w io.Writer) {
	fmt.Fprintf(w, "cache      %s\n", l.Dir)
	fmt.Fprintf(w, "budget     %s (%s)\n", fmtSize(l.Budget), l.BudgetRule)
	free := "unknown"
	if l.Free >= 0 {
		free = fmtSize(l.Free)
	}
	fmt.Fprintf(w, "holds      %s, %s; free disk %s\n", plural(l.Entries, "entry", "entries"), fmtSize(l.Bytes), free)
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
		if ch == allChannels {
			ch = "standard"
		}
		fid := g.Fidelity
		if fid == "" {
			fid = "-"
		}
		fmt.Fprintf(tw, "%s\t%d×%d\t%d\t%s\t%s\t%s\t%.8s\t%d\t%s\t%s\n", name, g.Batch, g.Seq, g.Seed,
			g.Backend, fid, ch, g.Tokens, g.Entries, fmtSize(g.Bytes), g.LastUsed.Local().Format("2006-01-02 15:04"))
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
	budget, rule := captureBudget(dir, *gib)
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
		fmt.Fprintf(env.Stdout, "removed %s (%s) from %s\n", plural(st.Entries, "entry", "entries"), fmtSize(st.Bytes), dir)
		return err
	}
	return usagef("unknown subcommand %q (list | prune | clear --yes)", sub)
}

func cacheList(env *Env, dir string, budget int64, rule string, asJSON bool) error {
	c, err := cache.Open(dir, 0)
	if err != nil {
		return err
	}
	l, err := listCache(c, budget, rule)
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
	l.text(env.Stdout)
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
		broken, before.Entries-after.Entries-broken, fmtSize(before.Bytes-after.Bytes), fmtSize(budget), rule, plural(after.Entries, "entry", "entries"), fmtSize(after.Bytes))
	return nil
}
