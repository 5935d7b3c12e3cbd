package cache

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lpz/tensor"
)

func smallEntry(i int) *Entry {
	return &Entry{Lists: map[string]List{"G": {Family: "weights", Tensors: []*tensor.Tensor{rnd(i, 32, 32)}}}, Meta: map[string]string{"arch": "a"}}
}

type eventLog struct {
	mu sync.Mutex
	ev []Event
}

func (l *eventLog) add(e Event) { l.mu.Lock(); l.ev = append(l.ev, e); l.mu.Unlock() }

func (l *eventLog) count(kind EventKind) (n int, bytes int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.ev {
		if e.Kind == kind {
			n += e.Entries
			bytes += e.Bytes
		}
	}
	return n, bytes
}

// The cache tells its caller when it evicts, and when a later Get misses
// an entry it evicted (the caller then says why a run recaptures).
func TestEvictionIsReported(t *testing.T) {
	c := open(t, 0)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	var log eventLog
	c.Notify(log.add)
	k := func(s string) testKey { return testKey{Arch: s} }
	if err := c.Put(k("probe"), smallEntry(0)); err != nil {
		t.Fatal(err)
	}
	if n, b := log.count(Stored); n != 1 || b <= 0 {
		t.Fatalf("Stored events: %d entries, %d bytes", n, b)
	}
	st, _ := c.Stats()
	c.Remove(k("probe"))
	c.budget = 2*st.Bytes + st.Bytes/2 // room for two
	for i, a := range []string{"a", "b", "c", "d"} {
		if err := c.Put(k(a), smallEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	n, b := log.count(Evicted)
	if n != 2 || b < 2*st.Bytes*9/10 {
		t.Fatalf("Evicted events: %d entries, %d bytes; want 2 entries of about %d bytes", n, b, st.Bytes)
	}
	if !c.EvictedBefore(k("a")) || c.EvictedBefore(k("d")) || c.EvictedBefore(k("never")) {
		t.Errorf("EvictedBefore: a %v d %v never %v", c.EvictedBefore(k("a")), c.EvictedBefore(k("d")), c.EvictedBefore(k("never")))
	}
	if got := c.EvictedCount(); got != 2 {
		t.Errorf("EvictedCount = %d, want 2", got)
	}
	for _, a := range []string{"a", "never"} {
		if _, ok, err := c.Get(k(a)); ok || err != nil {
			t.Fatalf("Get(%s): ok %v err %v", a, ok, err)
		}
	}
	if n, _ := log.count(MissEvicted); n != 1 {
		t.Errorf("MissEvicted events: %d, want 1 (a, not never)", n)
	}
	// Another process reading the same directory knows it too.
	other, _ := Open(c.Root(), 0)
	if !other.EvictedBefore(k("b")) {
		t.Error("a second Cache on the directory does not see the eviction log")
	}
	// Stored again: no longer "evicted".
	if err := c.Put(k("a"), smallEntry(0)); err != nil {
		t.Fatal(err)
	}
	if c.EvictedBefore(k("a")) {
		t.Error("a is cached again but still reported as evicted")
	}
}

func TestEvictedLogCompaction(t *testing.T) {
	c := open(t, 0)
	var es []entryInfo
	for i := range maxEvictedLog/60 + 10 {
		hk, _, _ := Key(testKey{Arch: "x", Seed: uint64(i)})
		es = append(es, entryInfo{hk: hk, size: 1})
	}
	c.recordEvicted(es)
	st, err := os.Stat(filepath.Join(c.Root(), evictedLog))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > maxEvictedLog {
		t.Errorf("log not compacted: %d bytes", st.Size())
	}
	if got := c.EvictedCount(); got != maxEvictedKeys {
		t.Errorf("after compaction %d keys, want the %d most recent", got, maxEvictedKeys)
	}
}

func TestOpenRejectsNegativeBudget(t *testing.T) {
	if _, err := Open(t.TempDir(), -1); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("Open(-1): %v", err)
	}
}

func TestListPruneClear(t *testing.T) {
	c := open(t, 0)
	for i, a := range []string{"a", "b", "c"} {
		e := smallEntry(i)
		e.Meta = map[string]string{"arch": a, "bench": "nano"}
		if err := c.Put(testKey{Arch: a, Batch: 4}, e); err != nil {
			t.Fatal(err)
		}
	}
	dirB, _ := c.Dir(testKey{Arch: "b", Batch: 4})
	os.WriteFile(filepath.Join(dirB, manifestName), []byte("{"), 0o644)
	infos, err := c.List()
	if err != nil || len(infos) != 3 {
		t.Fatalf("List: %d infos, %v", len(infos), err)
	}
	bad := 0
	for _, in := range infos {
		if in.Problem != "" {
			bad++
			continue
		}
		var k testKey
		if json.Unmarshal(in.Key, &k) != nil || k.Batch != 4 || in.Meta["bench"] != "nano" || in.Bytes <= 0 || in.Used.IsZero() || in.Created.IsZero() {
			t.Errorf("info %+v", in)
		}
	}
	if bad != 1 {
		t.Errorf("%d unreadable entries listed, want 1", bad)
	}
	if _, err := os.Stat(dirB); err != nil {
		t.Error("List removed an entry; it must only read")
	}
	if n, err := c.Prune(); n != 1 || err != nil {
		t.Errorf("Prune: %d, %v", n, err)
	}
	st, err := c.Clear()
	if err != nil || st.Entries != 2 || st.Bytes <= 0 {
		t.Errorf("Clear: %+v %v", st, err)
	}
	if s, _ := c.Stats(); s.Entries != 0 {
		t.Errorf("after Clear: %+v", s)
	}
}

// rewriteManifest edits a stored manifest and re-seals it with a valid
// checksum, as a hostile or buggy writer could.
func rewriteManifest(t *testing.T, dir string, edit func(*manifest)) {
	t.Helper()
	path := filepath.Join(dir, manifestName)
	mb, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	if m.Checksum, err = m.checksum(); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(&m)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A manifest names only files of its own entry: one pointing outside is
// corrupt, not followed.
func TestManifestFileNamesConfined(t *testing.T) {
	c := open(t, 0)
	k := testKey{Arch: "z"}
	outside := filepath.Join(c.Root(), "secret.npy")
	for _, name := range []string{"../../secret.npy", "/etc/passwd", "sub/G_0.npy", "G_0.txt", ""} {
		if err := c.Put(k, smallEntry(1)); err != nil {
			t.Fatal(err)
		}
		dir, _ := c.Dir(k)
		os.WriteFile(outside, []byte("x"), 0o644)
		rewriteManifest(t, dir, func(m *manifest) { m.Lists[0].Entries[0].File = name })
		_, ok, err := c.Get(k)
		if ok || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "lists a file") {
			t.Errorf("file %q: ok %v err %v", name, ok, err)
		}
		if _, err := os.Stat(outside); err != nil {
			t.Errorf("file %q: the file outside the entry was touched", name)
		}
	}
}

func TestAutoBudget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	b, free, err := AutoBudget(dir)
	if err != nil {
		t.Skipf("free space unknown here: %v", err)
	}
	if b < MinAutoBudget || b > MaxAutoBudget || free < 0 {
		t.Errorf("AutoBudget = %d (free %d), want within [%d, %d]", b, free, MinAutoBudget, MaxAutoBudget)
	}
	if want := min(max(free/2, MinAutoBudget), MaxAutoBudget); b < want*9/10 || b > want*11/10 {
		t.Errorf("AutoBudget = %d, want about %d (half of %d free)", b, want, free)
	}
}
