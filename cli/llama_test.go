package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
)

// A LLaMA-style benchmark built by lpz loads with --bench DIR and its
// architectures capture through the runtime like the other families.
func TestLlamaBenchmarkBuildAndRank(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat(bench.NanoText(), 8)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "llb")
	_, errs, code := lpz(t, "", "bench", "build", "--space", "llama-nano", "--n", "3", "--steps", "3", "--text", text, "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("build: %d %s", code, errs)
	}
	got, errs, code := lpz(t, "", "rank", "sum(fro(G)) + sum(fro(A))", "--bench", out, "--cache", filepath.Join(dir, "cache"))
	if code != 0 || !strings.Contains(got, "n                 3") || !strings.Contains(got, "strata of d_model") {
		t.Fatalf("rank: %d\n%s\n%s", code, got, errs)
	}
}
