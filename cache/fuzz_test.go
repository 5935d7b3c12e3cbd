package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lpz/tensor"
)

// A cache directory is state other processes, crashes and people leave
// behind: whatever its files hold, the cache answers with an entry, a miss
// or an error — never a panic — and a miss can be stored over.

var fuzzKey = testKey{Arch: "fuzz", Seed: 1, Batch: 4}

// storedFiles Puts a small entry and returns its manifest and tensor file.
func storedFiles(tb testing.TB) (manifestJSON, npy []byte) {
	c, err := Open(tb.TempDir(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Put(fuzzKey, smallEntry(1)); err != nil {
		tb.Fatal(err)
	}
	dir, _ := c.Dir(fuzzKey)
	manifestJSON, err1 := os.ReadFile(filepath.Join(dir, manifestName))
	npy, err2 := os.ReadFile(filepath.Join(dir, "G_0.npy"))
	if err1 != nil || err2 != nil {
		tb.Fatal(err1, err2)
	}
	return manifestJSON, npy
}

func FuzzParseManifest(f *testing.F) {
	m, _ := storedFiles(f)
	f.Add(m)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format": "lpz-capture-cache/1", "scalars": {"x": "NaN", "y": "+Inf", "z": 1e400}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, reason := parseManifest(data)
		if (m == nil) == (reason == "") {
			t.Fatalf("manifest %v with reason %q", m != nil, reason)
		}
	})
}

// sealManifest makes data a manifest that passes every check before the
// tensor file is decoded: the fuzzer then reaches the .npy decoder with a
// file the manifest vouches for.
func sealManifest(data, npy []byte, hk string, canon []byte) []byte {
	var m manifest
	if json.Unmarshal(data, &m) != nil {
		m = manifest{}
	}
	m.Format, m.KeySHA256, m.Key = FormatVersion, hk, canon
	sum := sha256.Sum256(npy)
	f := manifestFile{File: "G_0.npy", Dtype: "<f4", Bytes: int64(len(npy)), SHA256: hex.EncodeToString(sum[:])}
	if len(m.Lists) > 0 && len(m.Lists[0].Entries) > 0 {
		f.Shape, f.Name = m.Lists[0].Entries[0].Shape, m.Lists[0].Entries[0].Name
	}
	if len(m.Lists) == 0 {
		m.Lists = []manifestList{{Name: "G", Family: "weights"}}
	}
	if len(m.Lists[0].Entries) == 0 {
		m.Lists[0].Entries = []manifestFile{f}
	}
	m.Lists[0].Entries[0] = f
	m.Checksum, _ = m.checksum()
	out, _ := json.Marshal(&m)
	return out
}

func FuzzCacheEntry(f *testing.F) {
	m, npy := storedFiles(f)
	f.Add(m, npy, false)
	f.Add(m, npy, true)
	f.Add(m, npy[:len(npy)/2], true)
	f.Add([]byte(`{"lists": [{"name": "G", "entries": [{"shape": [2, 3]}, {"file": "G_1.npy"}]}]}`), npy, true)
	f.Add([]byte("{"), []byte("\x93NUMPY"), false)
	durable = false
	f.Cleanup(func() { durable = true })
	f.Fuzz(func(t *testing.T, manifestJSON, npy []byte, seal bool) {
		c, err := Open(t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		hk, canon, _ := Key(fuzzKey)
		dir := c.entryDir(hk)
		if seal {
			manifestJSON = sealManifest(manifestJSON, npy, hk, canon)
		}
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "G_0.npy"), npy, 0o644)
		os.WriteFile(filepath.Join(dir, manifestName), manifestJSON, 0o644)
		if _, err := c.List(); err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, lists := range [][]string{{"G"}, nil} {
			e, found, err := c.GetLists(fuzzKey, lists)
			if found {
				for name, l := range e.Lists {
					for i, x := range l.Tensors {
						if x == nil || tensor.NumElements(x.Shape) != len(x.Data) {
							t.Fatalf("%s[%d]: tensor does not match its shape", name, i)
						}
					}
				}
				continue
			}
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("miss with an error that is not corruption: %v", err)
			}
			if c.Has(fuzzKey) {
				t.Fatal("a corrupt entry was reported but left in place")
			}
		}
		// What the caller does after a miss: capture and store. The next
		// Get must find it.
		if _, found, _ := c.Get(fuzzKey); !found {
			if err := c.Put(fuzzKey, smallEntry(2)); err != nil {
				t.Fatalf("Put after a miss: %v", err)
			}
			if _, found, err := c.Get(fuzzKey); !found {
				t.Fatalf("Get after Put: %v", err)
			}
		}
		if _, err := c.Prune(); err != nil {
			t.Fatalf("Prune: %v", err)
		}
	})
}

func FuzzEvictedLog(f *testing.F) {
	hk, _, _ := Key(fuzzKey)
	f.Add([]byte(hk + " 1767225600 4096\n" + hk + " 1767225601 0\n"))
	f.Add([]byte("not a key 12\n\n" + hk + " -5\n" + hk[:63] + "g 1 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for k := range parseEvictedLog(data) {
			if len(k) != 64 {
				t.Fatalf("key %q accepted", k)
			}
		}
		c, err := Open(t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(c.Root(), evictedLog), data, 0o644)
		c.EvictedBefore(fuzzKey)
		c.EvictedCount()
	})
}
