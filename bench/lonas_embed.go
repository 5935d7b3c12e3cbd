package bench

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The embedded lonas-nano benchmark: sub-networks of the LoNAS super-network
// lpz trained on WikiText-2 (bench/lonas-nano, built by lpz bench build
// --space lonas-nano; README, "The LLaMA setting"). Its sub-networks are
// cut from the super-network's checkpoint, which the runtime reads from
// files, so the first load writes the embedded checkpoint and adapter to
// the user's cache directory, under a name carrying their digest.

// LonasNanoName is the embedded LoNAS benchmark's name.
const LonasNanoName = "lonas-nano"

//go:embed lonas-nano/benchmark.json lonas-nano/supernet lonas-nano/adapter
var lonasNanoFS embed.FS

// LonasNano loads the embedded lonas-nano benchmark.
func LonasNano() (*Benchmark, error) {
	data, err := lonasNanoFS.ReadFile("lonas-nano/benchmark.json")
	if err != nil {
		return nil, err
	}
	var head struct {
		Supernet struct {
			SHA256 string `json:"sha256"`
		} `json:"supernet"`
	}
	if err := json.Unmarshal(data, &head); err != nil || len(head.Supernet.SHA256) < 12 {
		return nil, fmt.Errorf("bench: embedded %s: no super-network digest (%v)", LonasNanoName, err)
	}
	dir, err := materializeLonasNano(head.Supernet.SHA256[:12])
	if err != nil {
		return nil, err
	}
	return ParseCustom(data, filepath.Join(dir, "benchmark.json"))
}

// materializeLonasNano writes the embedded files once to
// CACHE/lpz/lonas-nano-DIGEST (CACHE: os.UserCacheDir, else the temporary
// directory) and returns that directory. A copy is written beside it and
// renamed into place, so concurrent first loads never see half a copy.
func materializeLonasNano(digest string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "lpz", LonasNanoName+"-"+digest)
	if _, err := os.Stat(filepath.Join(dir, "benchmark.json")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("bench: %s: %w", LonasNanoName, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), LonasNanoName+".tmp")
	if err != nil {
		return "", fmt.Errorf("bench: %s: %w", LonasNanoName, err)
	}
	defer os.RemoveAll(tmp)
	sub, _ := fs.Sub(lonasNanoFS, LonasNanoName)
	if err := os.CopyFS(tmp, sub); err != nil {
		return "", fmt.Errorf("bench: %s: writing its checkpoint to %s: %w", LonasNanoName, tmp, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "benchmark.json")); serr == nil {
			return dir, nil // another process won the race
		}
		return "", fmt.Errorf("bench: %s: %w", LonasNanoName, err)
	}
	return dir, nil
}
