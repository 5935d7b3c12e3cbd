package study

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"lpz/bench"
	"lpz/cache"
)

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

func newCacheNotes(w io.Writer, c *cache.Cache, b *bench.Benchmark) *cacheNotes {
	n := &cacheNotes{w: w, dir: c.Root(), now: time.Now, seen: map[string]bool{}, sizes: map[string]int64{}}
	n.free = func() int64 {
		f, err := cache.FreeSpace(c.Root())
		if err != nil {
			return -1
		}
		return f
	}
	if b != nil {
		n.bench, n.archs = b.Name, len(b.Archs)
	}
	return n
}

func (n *cacheNotes) freeText() string {
	if f := n.free(); f >= 0 {
		return ", " + cache.FormatSize(f) + " free on its disk"
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
				cache.FormatSize(e.Budget), n.dir, n.freeText(), plural(e.Entries, "least recently used entry", "least recently used entries"), cache.FormatSize(e.Bytes))
			return
		}
		fmt.Fprintf(n.w, "lpz: capture cache: %d entries (%s) evicted so far in this run to stay within %s\n", n.evict.n, cache.FormatSize(n.evictB), cache.FormatSize(e.Budget))
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
				cache.FormatSize(e.Budget), n.dir, n.freeText())
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
			n.archs, n.bench, cache.FormatSize(need), cache.FormatSize(e.Budget), n.dir, n.freeText())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// CacheBudget is the budget in bytes for the cache at dir: gib when given
// (> 0), else cache.AutoBudget's rule; rule says which in words.
func CacheBudget(dir string, gib float64) (budget int64, rule string) {
	if gib > 0 {
		return int64(math.Min(gib*(1<<30), math.MaxInt64/2)), "--cache-budget"
	}
	b, free, err := cache.AutoBudget(dir)
	if err != nil {
		return b, fmt.Sprintf("default; the free disk space is unknown: %v", err)
	}
	return b, fmt.Sprintf("automatic: half of %s free plus the cache's own size, within %s … %s", cache.FormatSize(free), cache.FormatSize(cache.MinAutoBudget), cache.FormatSize(cache.MaxAutoBudget))
}
