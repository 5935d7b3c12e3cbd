package study

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"

	"lpz/bench"
	"lpz/cache"
	"lpz/runtime"
)

// CacheGroup is one line of a cache listing: the entries of one benchmark at one
// capture setting.
type CacheGroup struct {
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

// CacheListing is what a capture cache holds, grouped by benchmark and
// capture setting.
type CacheListing struct {
	Dir        string        `json:"dir"`
	Budget     int64         `json:"budget_bytes"`
	BudgetRule string        `json:"budget_rule"`
	Free       int64         `json:"free_bytes"` // -1: unknown
	Entries    int           `json:"entries"`
	Bytes      int64         `json:"bytes"`
	Evicted    int           `json:"evicted_absent"`
	Unreadable int           `json:"unreadable"`
	Groups     []*CacheGroup `json:"groups"`
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

// ListCache reads what the cache at c holds; budget and rule are its
// budget and how it was chosen (see CacheBudget), for the listing.
func ListCache(c *cache.Cache, budget int64, rule string) (*CacheListing, error) {
	infos, err := c.List()
	if err != nil {
		return nil, err
	}
	l := &CacheListing{Dir: c.Root(), Budget: budget, BudgetRule: rule, Free: -1, Evicted: c.EvictedCount()}
	if f, err := cache.FreeSpace(c.Root()); err == nil {
		l.Free = f
	}
	groups := map[CacheGroup]*CacheGroup{}
	for _, in := range infos {
		l.Entries++
		l.Bytes += in.Bytes
		var k captureKey
		if in.Problem != "" || json.Unmarshal(in.Key, &k) != nil {
			l.Unreadable++
			continue
		}
		name, inferred := entryBench(k.Model, in.Meta)
		id := CacheGroup{Bench: name, Inferred: inferred, Model: k.Model, Batch: k.Batch, Seq: k.Seq, Seed: k.Seed,
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

// Pruned is what PruneCache removed and what it left.
type Pruned struct {
	Unreadable int         // entries that could not be read
	Evicted    int         // least recently used entries evicted to fit the budget
	Freed      int64       // bytes removed
	Left       cache.Stats // what the cache holds now
}

// PruneCache removes the unreadable entries of the cache at dir and
// evicts the least recently used ones down to budget bytes.
func PruneCache(dir string, budget int64) (*Pruned, error) {
	c, err := cache.Open(dir, budget)
	if err != nil {
		return nil, err
	}
	before, err := c.Stats()
	if err != nil {
		return nil, err
	}
	broken, err := c.Prune()
	if err != nil {
		return nil, err
	}
	after, err := c.Stats()
	if err != nil {
		return nil, err
	}
	return &Pruned{Unreadable: broken, Evicted: before.Entries - after.Entries - broken, Freed: before.Bytes - after.Bytes, Left: after}, nil
}
