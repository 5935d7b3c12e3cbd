package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/study"
)

const tinySpace = `name: tiny
family: gpt2
depth: n_layer
fixed: {n_token: 256, tgt_len: 16, div_val: 1, cutoffs: [], tie_weight: true, d_embed: -1}
choices:
  n_layer: [1, 2]
  d_model: [16, 32]
per_layer:
  n_head: [2, 4]
  d_inner: [32, 64]
train: {steps: 4, batch: 4, eval_batches: 2, tokenizer: bytes}
`

func buildFixture(t *testing.T) (space, text string) {
	dir := t.TempDir()
	space = filepath.Join(dir, "tiny.yaml")
	text = filepath.Join(dir, "text.txt")
	if err := os.WriteFile(space, []byte(tinySpace), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, []byte(strings.Repeat(bench.NanoText(), 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	return
}

func losses(t *testing.T, dir string) map[string]float64 {
	t.Helper()
	b, err := bench.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]float64{}
	for _, a := range b.Archs {
		m[a.ID] = a.Extra["valid_loss"]
	}
	return m
}

func TestBenchBuildEndToEndDeterministicResumable(t *testing.T) {
	space, text := buildFixture(t)
	out1 := filepath.Join(t.TempDir(), "b1")
	stdout, stderr, code := lpz(t, "", "bench", "build", "--space", space, "--n", "3", "--text", text, "--out", out1, "--long", "3", "--long-steps", "8")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "3 architectures ok, 0 failed, of 3") || !strings.Contains(stdout, "Spearman ρ") {
		t.Fatalf("summary:\n%s", stdout)
	}
	b, err := bench.LoadAny(out1, "")
	if err != nil {
		t.Fatal(err)
	}
	info, ok := bench.CustomInfo(b)
	if len(b.Archs) != 3 || b.Family != bench.FamilyGPT2 || b.TruthName != "valid_ppl" || b.HigherIsBetter || !ok || info.Tokenizer != "bytes" {
		t.Fatalf("loaded %+v", b)
	}
	if info.Evidence == nil || len(info.Evidence.Long) != 3 || info.Train["steps"].(float64) != 4 {
		t.Fatalf("evidence %+v train %v", info.Evidence, info.Train)
	}
	for _, a := range b.Archs {
		if a.GPT2 == nil || a.GPT2.NToken != 256 || a.Truth <= 1 || a.Extra["long_valid_loss"] == 0 {
			t.Fatalf("arch %+v", a)
		}
		if _, err := bench.ArchScalarsErr(a, ""); err != nil {
			t.Fatal(err)
		}
	}
	want := losses(t, out1)

	// Same seed, two workers, fresh directory: identical ground truth.
	out2 := filepath.Join(t.TempDir(), "b2")
	if _, stderr, code := lpz(t, "", "bench", "build", "--space", space, "--n", "3", "--text", text, "--out", out2, "--workers", "2", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	if got := losses(t, out2); !equalMaps(got, want) {
		t.Fatalf("not deterministic: %v vs %v", got, want)
	}

	// Interrupted after one architecture (by the library, with the
	// command's settings), then resumed by the command.
	out3 := filepath.Join(t.TempDir(), "b3")
	sp, err := bench.LoadSpace(space)
	if err != nil {
		t.Fatal(err)
	}
	_, err = study.Build(context.Background(), study.BuildOptions{Space: sp, N: 3, TextPath: text, Out: out3, StopAfter: 1})
	var stopped *study.BuildStopped
	if !errors.As(err, &stopped) || !strings.Contains(err.Error(), "run the same command again to resume") {
		t.Fatalf("interrupted build: %v", err)
	}
	if got := losses(t, out3); len(got) != 1 {
		t.Fatalf("after interruption: %v", got)
	}
	stdout, stderr, code = lpz(t, "", "bench", "build", "--space", space, "--n", "3", "--text", text, "--out", out3, "--quiet")
	if code != 0 || !strings.Contains(stdout, "trained 2, reused 1") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := losses(t, out3); !equalMaps(got, want) {
		t.Fatalf("resumed build differs: %v vs %v", got, want)
	}
	// A different recipe does not reuse the records.
	stdout, _, _ = lpz(t, "", "bench", "build", "--space", space, "--n", "3", "--text", text, "--out", out3, "--quiet", "--steps", "3")
	if !strings.Contains(stdout, "trained 3, reused 0") {
		t.Fatalf("changed recipe reused records:\n%s", stdout)
	}
}

func equalMaps(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestBenchBuildErrors(t *testing.T) {
	space, text := buildFixture(t)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "build", "--space", space}, "want: lpz bench build"},
		{[]string{"bench", "build", "--space", "flexibert", "--text", text, "--out", t.TempDir()}, "documented space for sampling only"},
		{[]string{"bench", "build", "--space", "gpt2-lts", "--text", text, "--out", t.TempDir()}, "n_token 256"},
		{[]string{"bench", "build", "--space", "nope", "--text", text, "--out", t.TempDir()}, "unknown space"},
	} {
		_, stderr, code := lpz(t, "", c.args...)
		if code == 0 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr)
		}
	}
}

func TestNanoEmbedded(t *testing.T) {
	b, err := bench.LoadAny("nano", "/nonexistent")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "nano" || len(b.Archs) == 0 || b.Family != bench.FamilyGPT2 {
		t.Fatalf("nano: %s %d %s", b.Name, len(b.Archs), b.Family)
	}
	if len(bench.NanoText()) < 2000 {
		t.Fatal("nano text too short")
	}
}

func TestBenchBuildOnly(t *testing.T) {
	space, text := buildFixture(t)
	out := filepath.Join(t.TempDir(), "b")
	stdout, stderr, code := lpz(t, "", "bench", "build", "--space", space, "--n", "3", "--text", text, "--out", out, "--only", "tiny_001", "--quiet")
	if code != 0 || !strings.Contains(stdout, "1 architectures ok, 0 failed, of 3") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := losses(t, out); len(got) != 1 || got["tiny_001"] == 0 {
		t.Fatalf("%v", got)
	}
}
