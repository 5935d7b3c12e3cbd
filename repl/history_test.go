package repl

import (
	"path/filepath"
	"testing"
)

func TestDefaultHistory(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	h := DefaultHistory()
	if filepath.Base(h) != "history" || filepath.Base(filepath.Dir(h)) != "lpz" {
		t.Errorf("history file %q, want …/lpz/history", h)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if h := DefaultHistory(); h != "" {
		t.Errorf("no cache directory, yet history file %q", h)
	}
}
