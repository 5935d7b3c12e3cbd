package cache

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"lpz/tensor"
)

type testKey struct {
	Arch    string            `json:"arch"`
	Seed    uint64            `json:"seed"`
	Batch   int               `json:"batch"`
	Backend string            `json:"backend"`
	Extra   map[string]string `json:"extra,omitempty"`
}

func rnd(seed int, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	x := uint32(seed*2654435761 + 1)
	for i := range t.Data {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		t.Data[i] = float32(int32(x)) / (1 << 31)
	}
	return t
}

func sampleEntry(seed int) *Entry {
	nan := math.Float32frombits(0x7fc00123) // NaN with a payload
	s := rnd(seed, 2, 3)
	s.Data[1] = nan
	s.Data[2] = float32(math.Inf(-1))
	return &Entry{
		Lists: map[string]List{
			"A": {Family: "blocks", Names: []string{"block0.ffn.act", "block1.ffn.act"}, Tensors: []*tensor.Tensor{rnd(seed, 2, 4, 8), rnd(seed+1, 2, 4, 8)}},
			"W": {Family: "weights", Tensors: []*tensor.Tensor{rnd(seed+2, 8, 8), s, {Shape: []int{}, Data: []float32{7}}}},
			"E": {Family: "input"},
		},
		Scalars: map[string]float64{"params": 12345678901, "flops": 0.1, "bad": math.NaN(), "inf": math.Inf(1)},
		Meta:    map[string]string{"note": "hello", "backend": "simplego"},
	}
}

func sameEntry(t *testing.T, got, want *Entry) {
	t.Helper()
	if len(got.Lists) != len(want.Lists) {
		t.Fatalf("%d lists, want %d", len(got.Lists), len(want.Lists))
	}
	for name, wl := range want.Lists {
		gl, ok := got.Lists[name]
		if !ok {
			t.Fatalf("list %s missing", name)
		}
		if gl.Family != wl.Family || !reflect.DeepEqual(gl.Names, wl.Names) || len(gl.Tensors) != len(wl.Tensors) {
			t.Fatalf("list %s: family %q names %q n %d; want %q %q %d", name, gl.Family, gl.Names, len(gl.Tensors), wl.Family, wl.Names, len(wl.Tensors))
		}
		for i := range wl.Tensors {
			g, w := gl.Tensors[i], wl.Tensors[i]
			if len(g.Shape) != len(w.Shape) || (len(w.Shape) > 0 && !reflect.DeepEqual(g.Shape, w.Shape)) || len(g.Data) != len(w.Data) {
				t.Fatalf("%s[%d]: shape %v, want %v", name, i, g.Shape, w.Shape)
			}
			for j := range w.Data {
				if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
					t.Fatalf("%s[%d][%d]: bits %08x, want %08x", name, i, j, math.Float32bits(g.Data[j]), math.Float32bits(w.Data[j]))
				}
			}
		}
	}
	if len(got.Scalars) != len(want.Scalars) {
		t.Fatalf("scalars %v, want %v", got.Scalars, want.Scalars)
	}
	for k, w := range want.Scalars {
		g := got.Scalars[k]
		if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Fatalf("scalar %s = %v, want %v", k, g, w)
		}
	}
	if !reflect.DeepEqual(got.Meta, want.Meta) {
		t.Fatalf("meta %v, want %v", got.Meta, want.Meta)
	}
}

func open(t testing.TB, budget int64) *Cache {
	c, err := Open(t.TempDir(), budget)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	c := open(t, 0)
	k := testKey{Arch: "config_0_j1", Seed: 1111, Batch: 4, Backend: "simplego"}
	if _, ok, err := c.Get(k); ok || err != nil {
		t.Fatalf("empty cache: ok=%v err=%v", ok, err)
	}
	if c.Has(k) {
		t.Fatal("Has on empty cache")
	}
	want := sampleEntry(1)
	if err := c.Put(k, want); err != nil {
		t.Fatal(err)
	}
	if !c.Has(k) {
		t.Fatal("Has after Put")
	}
	got, ok, err := c.Get(k)
	if !ok || err != nil {
		t.Fatalf("Get: ok=%v err=%v", ok, err)
	}
	sameEntry(t, got, want)
	// The files are plain .npy that tensor.ReadNPY (and numpy) read.
	dir, _ := c.Dir(k)
	w1, err := tensor.ReadNPY(filepath.Join(dir, "W_1.npy"))
	if err != nil || len(w1.Data) != 6 {
		t.Fatalf("ReadNPY of a cache file: %v", err)
	}
	mb, _ := os.ReadFile(filepath.Join(dir, manifestName))
	for _, s := range []string{`"block1.ffn.act"`, `"family": "weights"`, `"sha256"`, `"arch": "config_0_j1"`, `"NaN"`} {
		if !strings.Contains(string(mb), s) {
			t.Errorf("manifest lacks %s:\n%s", s, mb)
		}
	}
	// A different key misses.
	k2 := k
	k2.Seed = 1112
	if _, ok, _ := c.Get(k2); ok {
		t.Fatal("different seed hit")
	}
	// Putting the same key again keeps the stored entry.
	if err := c.Put(k, sampleEntry(99)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = c.Get(k)
	sameEntry(t, got, want)
	if err := c.Remove(k); err != nil || c.Has(k) {
		t.Fatalf("Remove: %v", err)
	}
}

func TestKeyCanonical(t *testing.T) {
	type reordered struct {
		Backend string `json:"backend"`
		Batch   int    `json:"batch"`
		Seed    uint64 `json:"seed"`
		Arch    string `json:"arch"`
	}
	h1, c1, err := Key(testKey{Arch: "a", Seed: 1, Batch: 2, Backend: "b"})
	if err != nil {
		t.Fatal(err)
	}
	h2, _, _ := Key(reordered{Backend: "b", Batch: 2, Seed: 1, Arch: "a"})
	h3, _, _ := Key(map[string]any{"seed": 1, "arch": "a", "backend": "b", "batch": 2})
	if h1 != h2 || h1 != h3 {
		t.Errorf("field order changes the key: %s %s %s (canonical %s)", h1, h2, h3, c1)
	}
	if string(c1) != `{"arch":"a","backend":"b","batch":2,"seed":1}` {
		t.Errorf("canonical JSON %s", c1)
	}
	h4, _, _ := Key(testKey{Arch: "a", Seed: 2, Batch: 2, Backend: "b"})
	if h4 == h1 || len(h1) != 64 {
		t.Errorf("keys %s %s", h1, h4)
	}
	if _, _, err := Key(func() {}); err == nil {
		t.Error("func key accepted")
	}
	// Large integers keep their exact text (no float64 rounding).
	_, c5, _ := Key(map[string]uint64{"seed": 1<<63 + 1})
	if string(c5) != `{"seed":9223372036854775809}` {
		t.Errorf("big integer canonical %s", c5)
	}
}

func TestCorruptionDetected(t *testing.T) {
	c := open(t, 0)
	k := testKey{Arch: "x", Seed: 1}
	want := sampleEntry(2)
	dir, _ := c.Dir(k)
	damage := []struct {
		name   string
		do     func()
		reason string
	}{
		{"flip a data byte", func() { flipByte(t, filepath.Join(dir, "A_1.npy"), -3) }, "A_1.npy: checksum mismatch"},
		{"flip a header byte", func() { flipByte(t, filepath.Join(dir, "W_0.npy"), 30) }, "W_0.npy"},
		{"flip a manifest byte", func() { editFile(t, filepath.Join(dir, manifestName), `"block0.ffn.act"`, `"block0.ffn.acT"`) }, "manifest.json checksum mismatch"},
		{"garbage manifest", func() { os.WriteFile(filepath.Join(dir, manifestName), []byte("{"), 0o644) }, "manifest.json is not valid"},
		{"missing file", func() { os.Remove(filepath.Join(dir, "W_2.npy")) }, "W_2.npy missing"},
		{"truncated file", func() { truncate(t, filepath.Join(dir, "A_0.npy"), 100) }, "A_0.npy has 100 bytes"},
		{"no manifest", func() { os.Remove(filepath.Join(dir, manifestName)) }, "manifest.json missing"},
	}
	for _, d := range damage {
		if err := c.Put(k, want); err != nil {
			t.Fatal(err)
		}
		d.do()
		_, ok, err := c.Get(k)
		var ce *CorruptError
		if ok || !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || !strings.Contains(ce.Reason, d.reason) {
			t.Errorf("%s: ok=%v err=%v, want reason containing %q", d.name, ok, err, d.reason)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: corrupt entry not removed", d.name)
		}
		// The caller recomputes and stores again: next Get hits.
		if _, ok, err := c.Get(k); ok || err != nil {
			t.Errorf("%s: second Get ok=%v err=%v, want plain miss", d.name, ok, err)
		}
		if err := c.Put(k, want); err != nil {
			t.Fatal(err)
		}
		got, ok, err := c.Get(k)
		if !ok || err != nil {
			t.Fatalf("%s: after recompute ok=%v err=%v", d.name, ok, err)
		}
		sameEntry(t, got, want)
		c.Remove(k)
	}
}

func TestPutOverBrokenEntry(t *testing.T) {
	c := open(t, 0)
	k := testKey{Arch: "y"}
	if err := c.Put(k, sampleEntry(3)); err != nil {
		t.Fatal(err)
	}
	dir, _ := c.Dir(k)
	os.Remove(filepath.Join(dir, "A_0.npy")) // broken but present
	want := sampleEntry(4)
	if err := c.Put(k, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(k)
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	sameEntry(t, got, want)
}

func flipByte(t *testing.T, path string, at int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at += len(b)
	}
	b[at] ^= 0x01
	os.WriteFile(path, b, 0o644)
}

func editFile(t *testing.T, path, old, new string) {
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("edit %s: %v", path, err)
	}
	os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644)
}

func truncate(t *testing.T, path string, n int64) {
	if err := os.Truncate(path, n); err != nil {
		t.Fatal(err)
	}
}

func TestEvictionLRU(t *testing.T) {
	c := open(t, 0)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	entry := func(i int) *Entry {
		return &Entry{Lists: map[string]List{"G": {Family: "weights", Tensors: []*tensor.Tensor{rnd(i, 64, 64)}}}}
	}
	if err := c.Put(testKey{Arch: "probe"}, entry(0)); err != nil {
		t.Fatal(err)
	}
	st, _ := c.Stats()
	one := st.Bytes // size of one entry on disk
	c.Remove(testKey{Arch: "probe"})

	c.budget = 3*one + one/2 // room for three
	k := func(s string) testKey { return testKey{Arch: s} }
	for i, a := range []string{"a", "b", "c"} {
		if err := c.Put(k(a), entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := c.Get(k("a")); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	if err := c.Put(k("d"), entry(3)); err != nil { // evicts b (least recent)
		t.Fatal(err)
	}
	for a, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if c.Has(k(a)) != want {
			t.Errorf("after d: Has(%s) = %v, want %v", a, !want, want)
		}
	}
	if err := c.Put(k("e"), entry(4)); err != nil { // evicts c
		t.Fatal(err)
	}
	for a, want := range map[string]bool{"a": true, "c": false, "d": true, "e": true} {
		if c.Has(k(a)) != want {
			t.Errorf("after e: Has(%s) = %v, want %v", a, !want, want)
		}
	}
	// An entry larger than the whole budget is kept (never evict the entry
	// just written); everything else goes.
	c.budget = one / 2
	if err := c.Put(k("big"), entry(5)); err != nil {
		t.Fatal(err)
	}
	st, _ = c.Stats()
	if !c.Has(k("big")) || st.Entries != 1 {
		t.Errorf("tiny budget: Has(big)=%v entries=%d", c.Has(k("big")), st.Entries)
	}
}

// TestConcurrentPut: writers of the same key through separate Cache values
// (as separate processes would) and readers at the same time. Readers must
// only ever see a miss or the complete entry.
func TestConcurrentPut(t *testing.T) {
	root := t.TempDir()
	k := testKey{Arch: "same"}
	want := sampleEntry(9)
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := Open(root, 1<<30)
				if err != nil {
					errs <- err
					return
				}
				if err := c.Put(k, want); err != nil {
					errs <- err
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := Open(root, 0)
			for i := 0; i < 20; i++ {
				got, ok, err := c.Get(k)
				if err != nil {
					errs <- fmt.Errorf("reader: %v", err)
					return
				}
				if ok && len(got.Lists) != 3 {
					errs <- fmt.Errorf("reader saw a partial entry")
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		c, _ := Open(root, 0)
		got, ok, err := c.Get(k)
		if !ok || err != nil {
			t.Fatalf("round %d: ok=%v err=%v", round, ok, err)
		}
		sameEntry(t, got, want)
		if round%2 == 1 {
			c.Remove(k)
		}
	}
	tmps, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(tmps) != 0 {
		t.Errorf("temp dirs left behind: %d", len(tmps))
	}
}

// TestCommitCollision forces the rename race: another writer commits the
// same key (complete, or broken) between our write and our rename.
func TestCommitCollision(t *testing.T) {
	root := t.TempDir()
	k := testKey{Arch: "race"}
	first, second := sampleEntry(1), sampleEntry(2)
	c1, _ := Open(root, 0)
	c2, _ := Open(root, 0)
	c1.beforeCommit = func() {
		if err := c2.Put(k, first); err != nil {
			t.Error(err)
		}
	}
	if err := c1.Put(k, second); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c1.Get(k)
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	sameEntry(t, got, first) // the first committed entry is kept
	c1.Remove(k)

	// The other writer left a broken directory: ours replaces it.
	c1.beforeCommit = func() {
		dir, _ := c2.Dir(k)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "A_0.npy"), []byte("junk"), 0o644)
	}
	if err := c1.Put(k, second); err != nil {
		t.Fatal(err)
	}
	got, ok, err = c1.Get(k)
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	sameEntry(t, got, second)
	if tmps, _ := os.ReadDir(filepath.Join(root, "tmp")); len(tmps) != 0 {
		t.Errorf("temp dirs left behind: %d", len(tmps))
	}
}

func TestValidate(t *testing.T) {
	c := open(t, 0)
	bad := []*Entry{
		nil,
		{Lists: map[string]List{"../x": {}}},
		{Lists: map[string]List{"A": {Names: []string{"a"}}}},
		{Lists: map[string]List{"A": {Tensors: []*tensor.Tensor{nil}}}},
		{Lists: map[string]List{"A": {Tensors: []*tensor.Tensor{{Shape: []int{3}, Data: []float32{1}}}}}},
	}
	for i, e := range bad {
		if err := c.Put(testKey{Seed: uint64(i)}, e); err == nil {
			t.Errorf("bad entry %d accepted", i)
		}
	}
	if err := c.Put(testKey{}, &Entry{}); err != nil {
		t.Errorf("empty entry: %v", err)
	}
	if e, ok, err := c.Get(testKey{}); !ok || err != nil || len(e.Lists) != 0 {
		t.Errorf("empty entry Get: %v %v", ok, err)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/somewhere")
	t.Setenv("HOME", "/home/x")
	d, err := DefaultDir()
	if err != nil || d != filepath.Join("/somewhere", "lpz", "captures") {
		t.Errorf("DefaultDir = %q, %v", d, err)
	}
}

func TestStaleTempCleaned(t *testing.T) {
	root := t.TempDir()
	stale := filepath.Join(root, "tmp", "put-crashed")
	os.MkdirAll(stale, 0o755)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	fresh := filepath.Join(root, "tmp", "put-running")
	os.MkdirAll(fresh, 0o755)
	if _, err := Open(root, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale temp dir kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temp dir removed")
	}
}

// BenchmarkGet50MB reads and verifies (SHA-256) a 50 MB entry: 12 tensors
// of 1M float32 plus small ones.
func BenchmarkGet50MB(b *testing.B) {
	c := open(b, 0)
	e := &Entry{Lists: map[string]List{
		"G": {Family: "weights"},
		"A": {Family: "blocks"},
	}}
	g := e.Lists["G"]
	for i := 0; i < 12; i++ {
		g.Tensors = append(g.Tensors, rnd(i, 1024, 1024))
	}
	e.Lists["G"] = g
	a := e.Lists["A"]
	for i := 0; i < 8; i++ {
		a.Tensors = append(a.Tensors, rnd(100+i, 8, 128, 64))
	}
	e.Lists["A"] = a
	k := testKey{Arch: "bench"}
	if err := c.Put(k, e); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(e.Bytes())
	b.ResetTimer()
	for b.Loop() {
		if _, ok, err := c.Get(k); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkPut50MB(b *testing.B) {
	c := open(b, 0)
	g := List{Family: "weights"}
	for i := 0; i < 12; i++ {
		g.Tensors = append(g.Tensors, rnd(i, 1024, 1024))
	}
	e := &Entry{Lists: map[string]List{"G": g}}
	b.SetBytes(e.Bytes())
	i := 0
	for b.Loop() {
		i++
		if err := c.Put(testKey{Seed: uint64(i)}, e); err != nil {
			b.Fatal(err)
		}
	}
}
