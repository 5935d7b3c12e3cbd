package study

import (
	"io"
	"strings"
	"testing"
	"time"

	"lpz/bench"
	"lpz/cache"
	"lpz/runtime"
)

func testNotes(w io.Writer) (*cacheNotes, *time.Time) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := &cacheNotes{w: w, dir: "/c", bench: "gpt2-wt103", archs: 200, free: func() int64 { return 50 << 30 },
		now: func() time.Time { return clock }, seen: map[string]bool{}, sizes: map[string]int64{}}
	return n, &clock
}

// Evictions and recaptures are said on stderr, the first time in full and
// then as running totals at 10, 100, … or after a minute.
func TestCacheNotes(t *testing.T) {
	var out strings.Builder
	n, clock := testNotes(&out)
	gib := int64(1 << 30)
	for range 12 {
		n.event(cache.Event{Kind: cache.Evicted, Entries: 1, Bytes: 50 << 20, Budget: 20 * gib})
	}
	*clock = clock.Add(2 * time.Minute)
	n.event(cache.Event{Kind: cache.Evicted, Entries: 1, Bytes: 50 << 20, Budget: 20 * gib})
	for i := range 3 {
		key := []byte(`{"arch":` + string(rune('0'+i)) + `}`)
		n.event(cache.Event{Kind: cache.MissEvicted, Entries: 1, Key: key, Budget: 20 * gib})
		n.event(cache.Event{Kind: cache.MissEvicted, Entries: 1, Key: key, Budget: 20 * gib}) // looked up twice
	}
	n.event(cache.Event{Kind: cache.Stored, Entries: 1, Bytes: 55e6, Key: []byte(`{"channels":"A,G"}`), Budget: 10 * gib})
	n.event(cache.Event{Kind: cache.Stored, Entries: 1, Bytes: 55e6, Key: []byte(`{"channels":"GA"}`), Budget: 10 * gib})
	got := out.String()
	want := []string{
		"lpz: capture cache over its budget of 20.0 GiB (/c, 50.0 GiB free on its disk): evicted 1 least recently used entry (50.0 MiB)",
		"lpz: capture cache: 10 entries (500.0 MiB) evicted so far in this run to stay within 20.0 GiB\n",
		"lpz: capture cache: 13 entries (650.0 MiB) evicted so far",
		"lpz: capture cache: capturing again entries that were evicted earlier to fit the budget of 20.0 GiB (/c, 50.0 GiB free on its disk)",
		"Raise --cache-budget",
		"the 200 architectures of gpt2-wt103 take about 10.2 GiB at this capture setting, more than the cache budget of 10.0 GiB",
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("want %q in\n%s", w, got)
		}
	}
	if c := strings.Count(got, "\n"); c != 5 {
		t.Errorf("%d lines, want 5 (1 + 10th + after a minute evictions, 1 recapture, 1 estimate):\n%s", c, got)
	}
	if strings.Count(got, "take about") != 1 {
		t.Errorf("the estimate is repeated:\n%s", got)
	}
}

func TestEntryBench(t *testing.T) {
	cases := []struct {
		model    string
		meta     map[string]string
		want     string
		inferred bool
	}{
		{runtime.GPT2ModelVersion, map[string]string{"arch": "config_0_j1", "bench": "mine"}, "mine", false},
		{runtime.GPT2ModelVersion, map[string]string{"arch": "config_0_j1"}, "gpt2-wt103", true},
		{runtime.FlexiBERTModelVersion, map[string]string{"arch": "17"}, "flexibert", true},
		{runtime.GPT2ModelVersion, map[string]string{"arch": "nano_003"}, bench.NanoName, true},
		{runtime.LlamaModelVersion, map[string]string{"arch": "x"}, "? (llama)", true},
		{"", nil, "? ()", true},
	}
	for _, c := range cases {
		if got, inf := entryBench(c.model, c.meta); got != c.want || inf != c.inferred {
			t.Errorf("entryBench(%q, %v) = %q, %v; want %q, %v", c.model, c.meta, got, inf, c.want, c.inferred)
		}
	}
}
