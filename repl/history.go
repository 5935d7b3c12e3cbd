package repl

import (
	"os"
	"path/filepath"
)

// DefaultHistory is where Interactive keeps its history unless told
// otherwise: lpz/history in the user's cache directory (created), or ""
// (no history) when there is none.
func DefaultHistory() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	dir = filepath.Join(dir, "lpz")
	_ = os.MkdirAll(dir, 0o755)
	return filepath.Join(dir, "history")
}
