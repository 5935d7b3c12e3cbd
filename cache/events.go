package cache

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What the cache does behind its caller's back — evicting entries, missing
// an entry it once held — changes how long a run takes by hours, so the
// cache reports it through a hook; it never prints (the caller decides
// where such notes go).

// EventKind names what happened.
type EventKind int

const (
	// Evicted: Put removed Entries least recently used entries (Bytes on
	// disk) to bring the cache within Budget; Total is what is left.
	Evicted EventKind = iota + 1
	// MissEvicted: Get missed an entry this cache directory evicted
	// earlier (recorded in evicted.log), so the caller computes it again.
	MissEvicted
	// Stored: Put wrote a new entry of Bytes bytes.
	Stored
)

// Event is one report to the hook set with Notify.
type Event struct {
	Kind    EventKind
	Entries int
	Bytes   int64
	Total   int64  // Evicted: bytes left in the cache
	Budget  int64  // the cache's budget (0: none)
	Key     []byte // MissEvicted, Stored: the key's canonical JSON
}

// Notify sets the hook that receives events (nil: none). Set it before the
// cache is shared; the hook may run on any goroutine that calls Get or Put,
// and must not call Put itself.
func (c *Cache) Notify(f func(Event)) { c.notify = f }

func (c *Cache) emit(e Event) {
	if c.notify != nil {
		e.Budget = c.budget
		c.notify(e)
	}
}

// evictedLog records the keys eviction removed, one line each:
// "HEX64 UNIXSECONDS BYTES". Lines appended by concurrent processes are
// short single writes; a damaged line is skipped when read.
const evictedLog = "evicted.log"

// maxEvictedLog is the size past which the log is compacted to the
// maxEvictedKeys most recent keys still absent from the cache.
const (
	maxEvictedLog  = 4 << 20
	maxEvictedKeys = 20000
)

func (c *Cache) recordEvicted(es []entryInfo) {
	if len(es) == 0 {
		return
	}
	var b bytes.Buffer
	now := c.now().Unix()
	for _, e := range es {
		fmt.Fprintf(&b, "%s %d %d\n", e.hk, now, e.size)
	}
	path := filepath.Join(c.root, evictedLog)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return // best effort: the log only improves messages
	}
	f.Write(b.Bytes())
	st, err := f.Stat()
	f.Close()
	if err == nil && st.Size() > maxEvictedLog {
		c.compactEvicted()
	}
}

// parseEvictedLog reads the log's lines; malformed lines are skipped.
func parseEvictedLog(data []byte) map[string]time.Time {
	out := map[string]time.Time{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 256), 1<<16)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || len(f[0]) != 64 {
			continue
		}
		if _, err := hex.DecodeString(f[0]); err != nil {
			continue
		}
		sec, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		out[strings.ToLower(f[0])] = time.Unix(sec, 0)
	}
	return out
}

// evictedKeys returns the recorded evictions, re-reading the log when its
// size changed (another process may evict too).
func (c *Cache) evictedKeys() map[string]time.Time {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	path := filepath.Join(c.root, evictedLog)
	st, err := os.Stat(path)
	if err != nil {
		c.logSize, c.logKeys = -1, nil
		return nil
	}
	if st.Size() != c.logSize || c.logKeys == nil {
		data, err := os.ReadFile(path)
		if err != nil {
			return c.logKeys
		}
		c.logSize, c.logKeys = st.Size(), parseEvictedLog(data)
	}
	return c.logKeys
}

// compactEvicted rewrites the log with only the most recent keys still
// absent.
func (c *Cache) compactEvicted() {
	type rec struct {
		hk string
		at time.Time
	}
	var keep []rec
	for hk, at := range c.evictedKeys() {
		if _, err := os.Stat(c.entryDir(hk)); err != nil {
			keep = append(keep, rec{hk, at})
		}
	}
	sort.Slice(keep, func(i, j int) bool {
		if !keep[i].at.Equal(keep[j].at) {
			return keep[i].at.After(keep[j].at)
		}
		return keep[i].hk < keep[j].hk
	})
	var b bytes.Buffer
	for _, r := range keep[:min(len(keep), maxEvictedKeys)] {
		fmt.Fprintf(&b, "%s %d 0\n", r.hk, r.at.Unix())
	}
	tmp := filepath.Join(c.root, "tmp", "evicted-"+randHex())
	if os.WriteFile(tmp, b.Bytes(), 0o644) == nil {
		os.Rename(tmp, filepath.Join(c.root, evictedLog))
	}
}

// EvictedBefore reports whether key's entry is absent now but was evicted
// from this cache directory earlier.
func (c *Cache) EvictedBefore(key any) bool {
	hk, _, err := Key(key)
	if err != nil {
		return false
	}
	return c.evictedAbsent(hk)
}

func (c *Cache) evictedAbsent(hk string) bool {
	if _, ok := c.evictedKeys()[hk]; !ok {
		return false
	}
	_, err := os.Stat(filepath.Join(c.entryDir(hk), manifestName))
	return err != nil
}

// EvictedCount is how many keys the log records as evicted and still
// absent.
func (c *Cache) EvictedCount() int {
	n := 0
	for hk := range c.evictedKeys() {
		if _, err := os.Stat(filepath.Join(c.entryDir(hk), manifestName)); err != nil {
			n++
		}
	}
	return n
}
