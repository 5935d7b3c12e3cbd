// Package cache is the content-addressed on-disk cache of capture results
// (DESIGN.md §3): capture is the expensive stage, so each architecture's
// channels are stored once per (architecture config, seed, minibatch spec,
// backend, channel set, code version) and read back on later runs.
//
// # Keys
//
// A key is any value that encoding/json can marshal; the caller puts in it
// everything that determines the result (include a code version and bump it
// when capture changes). [Key] marshals it, re-marshals the result through a
// generic decode so that object keys are sorted whatever the struct's field
// order (numbers keep their text), and hashes FormatVersion + "\n" + that
// canonical JSON with SHA-256. Two keys with the same canonical JSON are the
// same entry.
//
// # Layout
//
//	ROOT/ab/abcdef…(64 hex)/manifest.json
//	ROOT/ab/abcdef…/A_0.npy, A_1.npy, …, W_12.npy, …   one file per tensor
//	ROOT/tmp/                                          writers' temp dirs, trash
//
// Each tensor of list L at index i is the numpy file L_i.npy ('<f4', C
// order, readable by numpy and by tensor.ReadNPY). manifest.json records the
// format, the key's canonical JSON and hash, every list (name, family, and
// per entry: its name such as "block3.attn.q", file, shape, dtype, byte size
// and SHA-256 of the whole file), the scalars (exact float64; non-finite
// values as the strings "NaN", "+Inf", "-Inf"), free-form string metadata,
// the total size, and a checksum of the manifest itself. Scalars live only
// in the manifest.
//
// # Integrity
//
// Get re-hashes every file while decoding it (one pass over the bytes) and
// checks sizes, shapes, the manifest checksum and the key. Anything wrong —
// a flipped byte, a missing or truncated file, a directory without manifest
// — makes the entry corrupt: it is removed and Get reports a miss together
// with a *CorruptError saying why, so the caller logs it and recomputes.
//
// # Atomic, concurrent writes
//
// Put writes the whole entry into a fresh temporary directory under
// ROOT/tmp (files fsynced, manifest last) and renames it into place, so
// readers never see a partial entry. Several goroutines, processes or
// machines may share one ROOT (e.g. a network volume used by a Kubernetes
// Indexed Job): when two write the same key, the first rename wins and the
// later writer notices the complete entry and discards its copy (an
// existing entry that is broken is moved aside and replaced).
//
// # Eviction
//
// With a positive budget, Put evicts whole entries, least recently used
// first, until the total size of ROOT's entries is within budget; the entry
// just written is never evicted (so an entry larger than the budget stays
// until the next Put). "Used" is the modification time of manifest.json,
// which Put sets and Get refreshes. Temporary directories older than an
// hour (crashed writers) are removed by Open and by eviction. Evicted keys
// are appended to ROOT/evicted.log, so that a later miss of one can be
// told apart from a first capture; a hook set with Notify hears of both
// (the cache itself never prints). AutoBudget is the default budget rule.
package cache

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"lpz/parallel"
	"lpz/tensor"
)

// FormatVersion names this on-disk layout; it is part of every key's hash,
// so a future layout never reads entries of this one.
const FormatVersion = "lpz-capture-cache/1"

// DefaultBudget (20 GiB) is AutoBudget's answer when the free disk space
// cannot be read.
const DefaultBudget int64 = 20 << 30

// staleTemp is the age after which a temporary directory is considered
// abandoned by a crashed writer.
const staleTemp = time.Hour

// Entry is one cached capture: named lists of tensors (the channels),
// named scalars and free-form metadata.
type Entry struct {
	Lists   map[string]List
	Scalars map[string]float64
	Meta    map[string]string
}

// List is one channel: its family (see DESIGN.md §3), one name per entry
// (e.g. "block3.attn.q"; may be nil) and the tensors.
type List struct {
	Family  string
	Names   []string
	Tensors []*tensor.Tensor
}

// Bytes is the total size of the tensors' data (4 bytes per element).
func (e *Entry) Bytes() int64 {
	var n int64
	for _, l := range e.Lists {
		for _, t := range l.Tensors {
			n += 4 * int64(len(t.Data))
		}
	}
	return n
}

// Cache is a cache directory. Its methods are safe for concurrent use, and
// several processes may use the same directory.
type Cache struct {
	root   string
	budget int64
	now    func() time.Time // for tests
	// beforeCommit, if set, runs just before Put renames its temp dir into
	// place (tests use it to force a collision with another writer).
	beforeCommit func()
	mu           sync.Mutex // serialises this process's evictions
	notify       func(Event)
	logMu        sync.Mutex // guards the parsed eviction log
	logSize      int64
	logKeys      map[string]time.Time
}

// ErrCorrupt is wrapped by every *CorruptError.
var ErrCorrupt = errors.New("corrupt cache entry")

// CorruptError reports an entry that failed verification and was removed.
type CorruptError struct {
	Dir    string // the entry's directory
	Reason string // what was wrong, e.g. "W_3.npy: checksum mismatch"
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("cache: corrupt entry %s removed: %s", e.Dir, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// DefaultDir is os.UserCacheDir()/lpz/captures.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache: no user cache directory (%v); pass a cache directory explicitly", err)
	}
	return filepath.Join(d, "lpz", "captures"), nil
}

// Open creates root if needed and returns the cache. budgetBytes 0 means
// no size limit; a negative budget is an error.
func Open(root string, budgetBytes int64) (*Cache, error) {
	if root == "" {
		return nil, errors.New("cache: empty directory name")
	}
	if budgetBytes < 0 {
		return nil, fmt.Errorf("cache: budget %d bytes is negative (0 means no limit)", budgetBytes)
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c := &Cache{root: root, budget: budgetBytes, now: time.Now}
	c.cleanTemp()
	return c, nil
}

// Root is the cache directory.
func (c *Cache) Root() string { return c.root }

// Budget is the size limit in bytes (<= 0: none).
func (c *Cache) Budget() int64 { return c.budget }

// Key returns the hex SHA-256 that addresses key and key's canonical JSON.
func Key(key any) (hexKey string, canonical []byte, err error) {
	raw, err := json.Marshal(key)
	if err != nil {
		return "", nil, fmt.Errorf("cache: key is not JSON-encodable: %w", err)
	}
	canonical, err = canonicalJSON(raw)
	if err != nil {
		return "", nil, fmt.Errorf("cache: key: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(FormatVersion + "\n"))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil)), canonical, nil
}

func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func (c *Cache) entryDir(hk string) string { return filepath.Join(c.root, hk[:2], hk) }

// Dir is the directory that holds (or would hold) key's entry.
func (c *Cache) Dir(key any) (string, error) {
	hk, _, err := Key(key)
	if err != nil {
		return "", err
	}
	return c.entryDir(hk), nil
}

// Has reports whether a complete-looking entry exists for key, without
// verifying it (cheap: one stat). Use it to plan work (e.g. resuming a
// capture run); Get still verifies.
func (c *Cache) Has(key any) bool {
	hk, _, err := Key(key)
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(c.entryDir(hk), manifestName))
	return err == nil
}

// Remove deletes key's entry if present.
func (c *Cache) Remove(key any) error {
	hk, _, err := Key(key)
	if err != nil {
		return err
	}
	return c.discard(c.entryDir(hk))
}

const manifestName = "manifest.json"

type manifest struct {
	Format     string               `json:"format"`
	KeySHA256  string               `json:"key_sha256"`
	Key        json.RawMessage      `json:"key"`
	Created    string               `json:"created"`
	Lists      []manifestList       `json:"lists"`
	Scalars    map[string]jsonFloat `json:"scalars,omitempty"`
	Meta       map[string]string    `json:"meta,omitempty"`
	TotalBytes int64                `json:"total_bytes"`
	Checksum   string               `json:"checksum"` // SHA-256 of the compact JSON of this manifest with checksum ""
}

type manifestList struct {
	Name    string         `json:"name"`
	Family  string         `json:"family"`
	Entries []manifestFile `json:"entries"`
}

type manifestFile struct {
	Name   string `json:"name,omitempty"`
	File   string `json:"file"`
	Shape  []int  `json:"shape"`
	Dtype  string `json:"dtype"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// jsonFloat is a float64 that survives JSON exactly, including NaN/±Inf.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	switch {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*f = jsonFloat(x)
	return nil
}

func (m *manifest) checksum() (string, error) {
	saved := m.Checksum
	m.Checksum = ""
	b, err := json.Marshal(m)
	m.Checksum = saved
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func validate(e *Entry) error {
	if e == nil {
		return errors.New("cache: nil entry")
	}
	for name, l := range e.Lists {
		if !nameRE.MatchString(name) || len(name) > 100 {
			return fmt.Errorf("cache: list name %q must match %s (it names files)", name, nameRE)
		}
		if l.Names != nil && len(l.Names) != len(l.Tensors) {
			return fmt.Errorf("cache: list %s has %d names for %d tensors", name, len(l.Names), len(l.Tensors))
		}
		for i, t := range l.Tensors {
			if t == nil {
				return fmt.Errorf("cache: list %s entry %d is nil", name, i)
			}
			if tensor.NumElements(t.Shape) != len(t.Data) {
				return fmt.Errorf("cache: list %s entry %d: shape %s needs %d elements, has %d", name, i, tensor.ShapeString(t.Shape), tensor.NumElements(t.Shape), len(t.Data))
			}
		}
	}
	return nil
}

// Put stores e under key atomically, then evicts least recently used
// entries if the cache is over budget. If a complete entry for key already
// exists (stored earlier, or by another writer that got there first), Put
// keeps it, marks it used and returns nil: a key must determine its content.
// To replace an entry, Remove it first.
func (c *Cache) Put(key any, e *Entry) error {
	hk, canon, err := Key(key)
	if err != nil {
		return err
	}
	if err := validate(e); err != nil {
		return err
	}
	if final := c.entryDir(hk); c.looksComplete(final, hk) {
		c.touch(final) // already stored (same key, same content by contract)
		return nil
	}
	tmpRoot := filepath.Join(c.root, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.MkdirTemp(tmpRoot, "put-"+hk[:16]+"-")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(tmp)
		}
	}()
	m := &manifest{Format: FormatVersion, KeySHA256: hk, Key: canon, Created: c.now().UTC().Format(time.RFC3339Nano), Meta: e.Meta}
	if len(e.Scalars) > 0 {
		m.Scalars = make(map[string]jsonFloat, len(e.Scalars))
		for k, v := range e.Scalars {
			m.Scalars[k] = jsonFloat(v)
		}
	}
	names := make([]string, 0, len(e.Lists))
	for n := range e.Lists {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		l := e.Lists[name]
		ml := manifestList{Name: name, Family: l.Family, Entries: make([]manifestFile, len(l.Tensors))}
		for i, t := range l.Tensors {
			file := fmt.Sprintf("%s_%d.npy", name, i)
			n, sum, err := writeNPYFile(filepath.Join(tmp, file), t)
			if err != nil {
				return fmt.Errorf("cache: writing %s: %w", file, err)
			}
			mf := manifestFile{File: file, Shape: append([]int{}, t.Shape...), Dtype: "<f4", Bytes: n, SHA256: sum}
			if l.Names != nil {
				mf.Name = l.Names[i]
			}
			ml.Entries[i] = mf
			m.TotalBytes += n
		}
		m.Lists = append(m.Lists, ml)
	}
	if m.Checksum, err = m.checksum(); err != nil {
		return fmt.Errorf("cache: manifest: %w", err)
	}
	var mb bytes.Buffer
	enc := json.NewEncoder(&mb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("cache: manifest: %w", err)
	}
	if err := writeFileSync(filepath.Join(tmp, manifestName), mb.Bytes()); err != nil {
		return fmt.Errorf("cache: writing manifest: %w", err)
	}
	syncDir(tmp)

	final := c.entryDir(hk)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if c.beforeCommit != nil {
		c.beforeCommit()
	}
	for attempt := 0; ; attempt++ {
		err = os.Rename(tmp, final)
		if err == nil {
			committed = true
			syncDir(filepath.Dir(final))
			c.touch(final)
			break
		}
		if _, statErr := os.Stat(final); statErr != nil || attempt >= 3 {
			return fmt.Errorf("cache: committing entry: %w", err)
		}
		// Someone else committed this key first. Keep theirs if it looks
		// complete; move a broken one aside and try again.
		if c.looksComplete(final, hk) {
			c.touch(final)
			break
		}
		c.discard(final)
	}
	if committed && c.notify != nil {
		c.emit(Event{Kind: Stored, Entries: 1, Bytes: m.TotalBytes + int64(mb.Len()), Key: canon})
	}
	if c.budget > 0 {
		if _, err := c.evict(hk); err != nil {
			return err
		}
	}
	return nil
}

// looksComplete is a cheap check of an existing entry: a valid manifest for
// hk whose files all exist with the recorded sizes.
func (c *Cache) looksComplete(dir, hk string) bool {
	mb, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return false
	}
	m, reason := parseManifest(mb)
	if reason != "" || m.KeySHA256 != hk {
		return false
	}
	for _, l := range m.Lists {
		for _, f := range l.Entries {
			st, err := os.Stat(filepath.Join(dir, f.File))
			if err != nil || st.Size() != f.Bytes {
				return false
			}
		}
	}
	return true
}

func writeNPYFile(path string, t *tensor.Tensor) (int64, string, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	if err := tensor.EncodeNPY(cw, t); err != nil {
		f.Close()
		return 0, "", err
	}
	if err := syncFile(f); err != nil {
		f.Close()
		return 0, "", err
	}
	if err := f.Close(); err != nil {
		return 0, "", err
	}
	return cw.n, hex.EncodeToString(h.Sum(nil)), nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func writeFileSync(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := syncFile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// durable is false only in fuzz tests, which write thousands of entries a
// second and test everything but the disk's flush.
var durable = true

func syncFile(f *os.File) error {
	if !durable {
		return nil
	}
	return f.Sync()
}

func syncDir(dir string) {
	if !durable {
		return
	}
	if f, err := os.Open(dir); err == nil {
		f.Sync() // best effort: not all filesystems support it
		f.Close()
	}
}

// parseManifest decodes and self-checks a manifest; reason is "" if valid.
func parseManifest(mb []byte) (*manifest, string) {
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, "manifest.json is not valid: " + err.Error()
	}
	if m.Format != FormatVersion {
		return nil, fmt.Sprintf("manifest.json has format %q, want %q", m.Format, FormatVersion)
	}
	sum, err := m.checksum()
	if err != nil {
		return nil, "manifest.json: " + err.Error()
	}
	if sum != m.Checksum {
		return nil, "manifest.json checksum mismatch (edited or damaged)"
	}
	for _, l := range m.Lists {
		for _, f := range l.Entries {
			// Entries name their own files: a manifest that points
			// elsewhere (../, a directory) is not one Put wrote.
			if !nameRE.MatchString(f.File) || !strings.HasSuffix(f.File, ".npy") || f.Bytes < 0 {
				return nil, fmt.Sprintf("manifest.json lists a file %q of %d bytes", f.File, f.Bytes)
			}
		}
	}
	return &m, ""
}

// Get returns key's entry. found is false on a miss. A corrupt or partial
// entry is removed and reported as a miss with a *CorruptError (errors.Is
// ErrCorrupt) saying why; other errors are I/O problems. In every case with
// found false the caller recomputes (and may log err). An entry evicted by
// another process while it is being read also shows as a CorruptError.
func (c *Cache) Get(key any) (e *Entry, found bool, err error) {
	return c.GetLists(key, nil)
}

// GetLists is Get reading (and verifying) only the named lists; nil reads
// all of them. Scalars always come back. A formula that reads G alone thus
// reads a fraction of a capture.
func (c *Cache) GetLists(key any, lists []string) (e *Entry, found bool, err error) {
	var want map[string]bool
	if lists != nil {
		want = make(map[string]bool, len(lists))
		for _, n := range lists {
			want[n] = true
		}
	}
	hk, canon, err := Key(key)
	if err != nil {
		return nil, false, err
	}
	dir := c.entryDir(hk)
	mb, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, false, fmt.Errorf("cache: %w", err)
		}
		if _, derr := os.Stat(dir); derr != nil {
			if c.notify != nil && c.evictedAbsent(hk) {
				c.emit(Event{Kind: MissEvicted, Entries: 1, Key: canon})
			}
			return nil, false, nil // plain miss
		}
		return nil, false, c.corrupt(dir, "partial entry: manifest.json missing")
	}
	m, reason := parseManifest(mb)
	if reason != "" {
		return nil, false, c.corrupt(dir, reason)
	}
	if m.KeySHA256 != hk {
		return nil, false, c.corrupt(dir, fmt.Sprintf("manifest key hash %.16s… does not match the directory %.16s…", m.KeySHA256, hk))
	}
	if string(m.Key) != string(canon) {
		if k2, err := canonicalJSON(m.Key); err != nil || string(k2) != string(canon) {
			return nil, false, c.corrupt(dir, "manifest key differs from the requested key")
		}
	}
	e = &Entry{Lists: make(map[string]List, len(m.Lists)), Meta: m.Meta}
	if len(m.Scalars) > 0 {
		e.Scalars = make(map[string]float64, len(m.Scalars))
		for k, v := range m.Scalars {
			e.Scalars[k] = float64(v)
		}
	}
	type job struct {
		list, idx int
		f         *manifestFile
	}
	var jobs []job
	tensors := make([][]*tensor.Tensor, len(m.Lists))
	for li := range m.Lists {
		l := &m.Lists[li]
		if want != nil && !want[l.Name] {
			continue
		}
		tensors[li] = make([]*tensor.Tensor, len(l.Entries))
		for i := range l.Entries {
			jobs = append(jobs, job{li, i, &l.Entries[i]})
		}
	}
	// Larger files first so the workers finish together.
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(b.f.Bytes, a.f.Bytes) })
	// At most 8 readers: more only contend for the disk.
	err = parallel.For(context.Background(), len(jobs), parallel.Options{Workers: min(runtime.GOMAXPROCS(0), 8)}, func(k int) error {
		j := jobs[k]
		t, reason := readVerified(filepath.Join(dir, j.f.File), j.f, sha256.New())
		if reason != "" {
			return errors.New(reason)
		}
		tensors[j.list][j.idx] = t
		return nil
	})
	if err != nil {
		return nil, false, c.corrupt(dir, err.Error())
	}
	for li, l := range m.Lists {
		if want != nil && !want[l.Name] {
			continue
		}
		lst := List{Family: l.Family, Tensors: tensors[li]}
		for _, f := range l.Entries {
			if f.Name != "" {
				lst.Names = make([]string, len(l.Entries))
				for i, f := range l.Entries {
					lst.Names[i] = f.Name
				}
				break
			}
		}
		e.Lists[l.Name] = lst
	}
	c.touch(dir)
	return e, true, nil
}

// readVerified decodes one file while hashing it; reason is "" if the size,
// checksum and shape match the manifest.
func readVerified(path string, mf *manifestFile, h hash.Hash) (*tensor.Tensor, string) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "partial entry: " + name + " missing"
		}
		return nil, name + ": " + err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, name + ": " + err.Error()
	}
	if st.Size() != mf.Bytes {
		return nil, fmt.Sprintf("%s has %d bytes, manifest says %d", name, st.Size(), mf.Bytes)
	}
	h.Reset()
	tee := io.TeeReader(f, h)
	t, err := tensor.DecodeNPYSized(tee, mf.Bytes)
	if err != nil {
		return nil, name + ": " + err.Error()
	}
	if _, err := io.Copy(h, f); err != nil { // trailing bytes, if any
		return nil, name + ": " + err.Error()
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != mf.SHA256 {
		return nil, fmt.Sprintf("%s: checksum mismatch (sha256 %.12s…, manifest %.12s…)", name, got, mf.SHA256)
	}
	if !slices.Equal(t.Shape, mf.Shape) {
		return nil, fmt.Sprintf("%s: shape %s, manifest says %s", name, tensor.ShapeString(t.Shape), tensor.ShapeString(mf.Shape))
	}
	return t, ""
}

func (c *Cache) corrupt(dir, reason string) error {
	c.discard(dir)
	return &CorruptError{Dir: dir, Reason: reason}
}

// discard moves dir aside (atomically, so nobody sees it half-deleted) and
// deletes it. A dir that is already gone is not an error.
func (c *Cache) discard(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	trash := filepath.Join(c.root, "tmp", "trash-"+filepath.Base(dir)+"-"+randHex())
	if err := os.Rename(dir, trash); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return os.RemoveAll(dir)
	}
	return os.RemoveAll(trash)
}

func randHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// touch marks dir as just used (for LRU). Errors (read-only cache) are
// ignored.
func (c *Cache) touch(dir string) {
	t := c.now()
	os.Chtimes(filepath.Join(dir, manifestName), t, t)
}

// Stats describes the cache's contents.
type Stats struct {
	Entries int
	Bytes   int64
}

type entryInfo struct {
	dir   string
	hk    string
	size  int64
	atime time.Time
}

func (c *Cache) scan() ([]entryInfo, error) {
	var out []entryInfo
	tops, err := os.ReadDir(c.root)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, top := range tops {
		if !top.IsDir() || len(top.Name()) != 2 {
			continue
		}
		subs, err := os.ReadDir(filepath.Join(c.root, top.Name()))
		if err != nil {
			continue
		}
		for _, s := range subs {
			if !s.IsDir() || len(s.Name()) != 64 || !strings.HasPrefix(s.Name(), top.Name()) {
				continue
			}
			dir := filepath.Join(c.root, top.Name(), s.Name())
			ei := entryInfo{dir: dir, hk: s.Name()}
			files, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, f := range files {
				if info, err := f.Info(); err == nil {
					ei.size += info.Size()
				}
			}
			if st, err := os.Stat(filepath.Join(dir, manifestName)); err == nil {
				ei.atime = st.ModTime()
			} else if st, err := os.Stat(dir); err == nil {
				ei.atime = st.ModTime()
			}
			out = append(out, ei)
		}
	}
	return out, nil
}

// Stats counts the entries and their bytes on disk.
func (c *Cache) Stats() (Stats, error) {
	es, err := c.scan()
	if err != nil {
		return Stats{}, err
	}
	s := Stats{Entries: len(es)}
	for _, e := range es {
		s.Bytes += e.size
	}
	return s, nil
}

// Evict removes least recently used entries until the cache is within its
// budget and returns how many it removed. Put calls it.
func (c *Cache) Evict() (int, error) { return c.evict("") }

func (c *Cache) evict(protect string) (int, error) {
	if c.budget <= 0 {
		return 0, nil
	}
	removed, total, err := c.evictLocked(protect)
	if err != nil || len(removed) == 0 {
		return 0, err
	}
	c.recordEvicted(removed)
	ev := Event{Kind: Evicted, Entries: len(removed), Total: total}
	for _, e := range removed {
		ev.Bytes += e.size
	}
	c.emit(ev)
	return len(removed), nil
}

// evictLocked removes entries, least recently used first, until the cache
// fits its budget; it returns them and the bytes left.
func (c *Cache) evictLocked(protect string) ([]entryInfo, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cleanTemp()
	es, err := c.scan()
	if err != nil {
		return nil, 0, err
	}
	var total int64
	for _, e := range es {
		total += e.size
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].atime.Before(es[j].atime) })
	var removed []entryInfo
	for _, e := range es {
		if total <= c.budget {
			break
		}
		if e.hk == protect {
			continue
		}
		if err := c.discard(e.dir); err == nil {
			total -= e.size
			removed = append(removed, e)
		}
	}
	return removed, total, nil
}

// cleanTemp removes temporary directories left by crashed writers.
func (c *Cache) cleanTemp() {
	tmp := filepath.Join(c.root, "tmp")
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-staleTemp)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			os.RemoveAll(filepath.Join(tmp, e.Name()))
		}
	}
}
