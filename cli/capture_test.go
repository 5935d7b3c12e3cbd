package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The three smallest GPT-2/LTS architectures (2 layers, d_model 64): a real
// capture through the runtime in a few seconds. Reads ../shared.
const smallGPT2 = "config_11_j5,config_14_j2,config_15_j7"

func TestSharedCaptureCacheResumeAndCorruption(t *testing.T) {
	if testing.Short() {
		t.Skip("captures real models")
	}
	dir := t.TempDir()
	args := []string{"--bench", "gpt2-wt103", "--data", sharedBench, "--cache", dir, "--batch", "2", "--seq", "16"}
	out, errs, code := lpz(t, "", append([]string{"capture", "--ids", "config_11_j5"}, args...)...)
	if code != 0 || !strings.Contains(out, "captured      1   already cached 0") {
		t.Fatalf("first capture: %d\n%s\n%s", code, out, errs)
	}
	// Resume: the cached one is skipped, the others captured.
	out, errs, code = lpz(t, "", append([]string{"capture", "--ids", smallGPT2}, args...)...)
	if code != 0 || !strings.Contains(out, "captured      2   already cached 1") {
		t.Fatalf("resumed capture: %d\n%s\n%s", code, out, errs)
	}
	rankArgs := append([]string{"rank", "sum(abs(W * G))", "--ids", smallGPT2}, args...)
	first, errs, code := lpz(t, "", rankArgs...)
	if code != 0 || !strings.Contains(first, "n                 3") {
		t.Fatalf("rank: %d\n%s\n%s", code, first, errs)
	}
	// Damage one stored tensor: it is detected and recomputed, and the
	// recomputed capture is bit-identical (same ranking output).
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "G_0.npy"))
	if len(files) == 0 {
		t.Fatal("no cached tensors found")
	}
	b, _ := os.ReadFile(files[0])
	b[len(b)-1] ^= 0xff
	os.WriteFile(files[0], b, 0o644)
	again, _, code := lpz(t, "", rankArgs...)
	if code != 0 || again != first {
		t.Fatalf("after corruption:\n%s\nbefore:\n%s", again, first)
	}
	out, _, _ = lpz(t, "", append([]string{"capture", "--ids", smallGPT2}, args...)...)
	if !strings.Contains(out, "already cached 3") {
		t.Fatalf("cache not repaired:\n%s", out)
	}
}

func TestCaptureFlagErrors(t *testing.T) {
	_, errs, code := lpz(t, "", "capture", "--bench", "gpt2-wt103", "--data", sharedBench, "--shard", "3/2")
	if code != 2 || !strings.Contains(errs, "--shard wants i/n") {
		t.Fatalf("%d %s", code, errs)
	}
	_, errs, code = lpz(t, "", "rank", "sum(G)", "--bench", "gpt2-wt103", "--data", sharedBench, "--ids", "nosuch", "--no-cache")
	if code != 1 || !strings.Contains(errs, `no architecture "nosuch"`) {
		t.Fatalf("%d %s", code, errs)
	}
	_, errs, code = lpz(t, "", "rank", "sum(G)", "--bench", "gpt2-wt103", "--data", sharedBench, "--ids", "config_11_j5", "--no-cache", "--text", "/nonexistent")
	if code != 1 || !strings.Contains(errs, "capture needs real text") {
		t.Fatalf("%d %s", code, errs)
	}
}

// A bar on a file (a job under nohup) logs a plain line per logEvery and a
// last one; a short job logs nothing.
func TestProgressLogsToFile(t *testing.T) {
	run := func(times []float64) string {
		f, err := os.Create(filepath.Join(t.TempDir(), "err"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		bar := newProgress(f, "capture", len(times), true)
		i := 0
		bar.start = func() float64 { return times[i] }
		for i = range times {
			bar.update(i + 1)
		}
		bar.finish()
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := run([]float64{1, 2, 3}); got != "" {
		t.Errorf("short job logged %q", got)
	}
	got := run([]float64{10, 31, 45, 62, 70})
	want := "capture 2/5  31s elapsed  ETA 46s\ncapture 4/5  62s elapsed  ETA 16s\ncapture 5/5  70s elapsed  ETA 0s\n"
	if got != want {
		t.Errorf("logged\n%q\nwant\n%q", got, want)
	}
}
