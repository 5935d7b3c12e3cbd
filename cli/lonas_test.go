package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
)

// lpz bench build of a lonas space trains the super-network and adapters,
// measures the sub-networks and says so; the benchmark then ranks against
// either ground truth and shows its super-network.
func TestBenchBuildLonas(t *testing.T) {
	dir := t.TempDir()
	space := filepath.Join("..", "study", "testdata", "tiny-lonas.yaml")
	text, out := filepath.Join(dir, "text.txt"), filepath.Join(dir, "b")
	if err := os.WriteFile(text, []byte(strings.Repeat(bench.NanoText(), 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := lpz(t, "", "bench", "build", "--space", space, "--n", "3", "--text", text, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"3 architectures ok", "measured 3, reused 0", "supernet      valid_loss", "adapters      valid_loss", "stability", "measure time"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "measure 3/3") || !strings.Contains(stderr, "acc_cont4") {
		t.Errorf("progress:\n%s", stderr)
	}
	for _, truth := range []string{"valid_ppl", "acc_cont4"} {
		stdout, stderr, code = lpz(t, "", "rank", "params", "--bench", out, "--truth", truth)
		if code != 0 || !strings.Contains(stdout, "ground truth      "+truth) {
			t.Errorf("rank against %s: exit %d\n%s%s", truth, code, stdout, stderr)
		}
	}
	stdout, _, _ = lpz(t, "", "bench", "show", out)
	if !strings.Contains(stdout, "super-network: 2 layers, d_model 16, 4 heads of 4, d_ff 32") {
		t.Errorf("bench show:\n%s", stdout)
	}
	if _, stderr, code = lpz(t, "", "bench", "build", "--space", "lonas-llama7b", "--n", "3", "--text", text, "--out", out+"2"); code != 2 || !strings.Contains(stderr, "--supernet") {
		t.Errorf("lonas-llama7b without --supernet: exit %d, %s", code, stderr)
	}
}
