package cache

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// The automatic budget: half of what the cache could grow into (the free
// space on its disk plus what it already holds), so that a cache never
// fills its disk, within these bounds. The upper bound keeps one tool from
// claiming a shared disk; the lower one keeps a nearly full disk usable.
const (
	MinAutoBudget int64 = 1 << 30
	MaxAutoBudget int64 = 256 << 30
)

// AutoBudget is the budget for root when none is given: (free + held)/2
// within [MinAutoBudget, MaxAutoBudget], where free is the space available
// on root's disk and held what root's entries take. When the free space
// cannot be read it is DefaultBudget and err says why. free is -1 then.
func AutoBudget(root string) (budget, free int64, err error) {
	free, err = FreeSpace(root)
	if err != nil {
		return DefaultBudget, -1, err
	}
	var held int64
	if c := (&Cache{root: root}); dirExists(root) {
		if st, err := c.Stats(); err == nil {
			held = st.Bytes
		}
	}
	b := (free + held) / 2
	return min(max(b, MinAutoBudget), MaxAutoBudget), free, nil
}

// FreeSpace is the space available to this user on the disk that holds
// dir (or would hold it: the nearest existing parent is asked).
func FreeSpace(dir string) (int64, error) {
	d := dir
	for !dirExists(d) {
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return freeBytes(d)
}

func dirExists(d string) bool {
	st, err := os.Stat(d)
	return err == nil && st.IsDir()
}

// FormatSize prints bytes in binary units, as budgets count them.
func FormatSize(n int64) string {
	x := float64(n)
	for _, u := range []string{"B", "KiB", "MiB", "GiB"} {
		if math.Abs(x) < 1024 || u == "GiB" {
			if u == "B" {
				return fmt.Sprintf("%d B", n)
			}
			return fmt.Sprintf("%.1f %s", x, u)
		}
		x /= 1024
	}
	return ""
}
