package cache

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// Info describes one entry from its manifest alone (files are not
// verified): what a listing of the cache shows.
type Info struct {
	Dir     string
	Key     json.RawMessage   // the key's canonical JSON; nil when Problem is set
	Meta    map[string]string // as given to Put
	Bytes   int64             // on disk
	Used    time.Time         // last Put or Get
	Created time.Time
	Problem string // why the manifest is unreadable ("" if it is fine); Get would recompute
}

// List describes every entry. It only reads: an unreadable entry is listed
// with its Problem, and removed by the next Get of its key or by Clear.
func (c *Cache) List() ([]Info, error) {
	es, err := c.scan()
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(es))
	for _, e := range es {
		in := Info{Dir: e.dir, Bytes: e.size, Used: e.atime}
		mb, err := os.ReadFile(filepath.Join(e.dir, manifestName))
		if err != nil {
			in.Problem = "manifest.json unreadable: " + err.Error()
			out = append(out, in)
			continue
		}
		m, reason := parseManifest(mb)
		switch {
		case reason != "":
			in.Problem = reason
		case m.KeySHA256 != e.hk:
			in.Problem = "manifest key hash does not match the directory"
		default:
			in.Key, in.Meta = m.Key, m.Meta
			in.Created, _ = time.Parse(time.RFC3339Nano, m.Created)
		}
		out = append(out, in)
	}
	return out, nil
}

// Clear removes every entry and the record of evictions, and returns how
// many entries and bytes it removed.
func (c *Cache) Clear() (Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	es, err := c.scan()
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	var firstErr error
	for _, e := range es {
		if err := c.discard(e.dir); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		st.Entries++
		st.Bytes += e.size
	}
	if err := os.Remove(filepath.Join(c.root, evictedLog)); err != nil && !os.IsNotExist(err) && firstErr == nil {
		firstErr = err
	}
	c.cleanTemp()
	return st, firstErr
}

// Prune removes the entries whose manifest is unreadable (Get would remove
// them too), then evicts least recently used entries beyond the budget. It
// returns how many unreadable entries it removed.
func (c *Cache) Prune() (int, error) {
	infos, err := c.List()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range infos {
		if in.Problem != "" && c.discard(in.Dir) == nil {
			n++
		}
	}
	_, err = c.Evict()
	return n, err
}
