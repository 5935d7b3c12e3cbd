package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/cache"
	"lpz/study"
)

// captureStderr runs f with os.Stderr going to a pipe (the capturer writes
// its cache notes there) and returns what f wrote.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	defer func() { os.Stderr = saved }()
	f()
	w.Close()
	return <-done
}

// lpz cache lists what captures stored, per benchmark and capture setting;
// a run over budget says that it evicts, and the next says it recaptures.
func TestCacheCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	if _, errs, code := lpz(t, "", "capture", "--bench", "nano", "--ids", "nano_000,nano_001,nano_002", "--cache", dir); code != 0 {
		t.Fatalf("capture: %s", errs)
	}
	out, errs, code := lpz(t, "", "cache", "--cache", dir, "--cache-budget", "1")
	if code != 0 {
		t.Fatalf("cache: %d %s", code, errs)
	}
	for _, w := range []string{"cache      " + dir, "budget     1.0 GiB (--cache-budget)", "holds      3 entries", "nano       4×64     0     go       -         standard", "  3        "} {
		if !strings.Contains(out, w) {
			t.Errorf("want %q in\n%s", w, out)
		}
	}
	out, _, _ = lpz(t, "", "cache", "list", "--cache", dir, "--json")
	var l study.CacheListing
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Groups) != 1 || l.Groups[0].Entries != 3 || l.Groups[0].Bench != "nano" || l.Budget < cache.MinAutoBudget {
		t.Errorf("--json: %v\n%s", err, out)
	}

	stderr := captureStderr(t, func() {
		_, errs, code = lpz(t, "", "capture", "--bench", "nano", "--ids", "nano_003,nano_004,nano_005,nano_006", "--cache", dir, "--cache-budget", "0.000001")
	})
	if code != 0 || !strings.Contains(stderr, "capture cache over its budget of 1.0 KiB") || !strings.Contains(stderr, "evicted 3 least recently used entries") {
		t.Errorf("over budget: code %d %s\nstderr:\n%s", code, errs, stderr)
	}
	stderr = captureStderr(t, func() {
		_, errs, code = lpz(t, "", "capture", "--bench", "nano", "--ids", "nano_000,nano_001", "--cache", dir, "--cache-budget", "1")
	})
	if code != 0 || !strings.Contains(stderr, "capturing again entries that were evicted earlier") {
		t.Errorf("recapture: code %d %s\nstderr:\n%s", code, errs, stderr)
	}
	out, _, _ = lpz(t, "", "cache", "--cache", dir)
	if !strings.Contains(out, "evicted    4 entries evicted earlier, not cached now") { // 002…005
		t.Errorf("evicted count:\n%s", out)
	}

	c, _ := cache.Open(dir, 0)
	infos, _ := c.List()
	os.WriteFile(filepath.Join(infos[0].Dir, "manifest.json"), []byte("{"), 0o644)
	out, _, code = lpz(t, "", "cache", "prune", "--cache", dir, "--cache-budget", "1")
	if code != 0 || !strings.Contains(out, "removed 1 unreadable and 0 least recently used entries") || !strings.Contains(out, "2 entries") {
		t.Errorf("prune: %d\n%s", code, out)
	}
	if _, errs, code := lpz(t, "", "cache", "clear", "--cache", dir); code != 2 || !strings.Contains(errs, "add --yes") {
		t.Errorf("clear without --yes: %d %s", code, errs)
	}
	out, _, code = lpz(t, "", "cache", "clear", "--yes", "--cache", dir)
	if code != 0 || !strings.Contains(out, "removed 2 entries") {
		t.Errorf("clear: %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"cache", "frobnicate"}, {"cache", "list", "extra"}, {"cache", "--cache-budget", "-1"}} {
		if _, errs, code := lpz(t, "", bad...); code != 2 {
			t.Errorf("lpz %s: code %d %s, want a usage error", strings.Join(bad, " "), code, errs)
		}
	}
}
