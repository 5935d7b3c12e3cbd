package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Nonsense on the command line is a usage error (exit 2) that names the
// valid range, before any capture or search starts.
func TestFlagsAreValidated(t *testing.T) {
	nano := []string{"--bench", "nano"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"search", "--sample", "0"}, "--sample 0: want an integer ≥ 3"},
		{[]string{"search", "--sample", "-3"}, "--sample -3: want an integer ≥ 3"},
		{append([]string{"search", "--sample", "31"}, nano...), "--sample 31: nano has 30 architectures (want 3 to 30"},
		{[]string{"search", "--pop", "0"}, "--pop 0: want an integer from 2 to"},
		{[]string{"search", "--pop", "1"}, "--pop 1: want an integer from 2 to"},
		{[]string{"search", "--gens", "-5"}, "--gens -5: want an integer ≥ 0"},
		{[]string{"search", "--workers", "0"}, "--workers 0: want an integer from 1 to"},
		{[]string{"search", "--workers", "-1"}, "--workers -1"},
		{[]string{"search", "--ratio", "0"}, "--ratio 0: want a number in (0, 1]"},
		{[]string{"search", "--ratio", "2"}, "--ratio 2: want a number in (0, 1]"},
		{[]string{"search", "--ratio", "-1"}, "--ratio -1"},
		{[]string{"search", "--cx", "5"}, "--cx 5: want a number in [0, 1]"},
		{[]string{"search", "--mut", "NaN"}, "--mut NaN: want a number in [0, 1]"},
		{[]string{"search", "--immigrants", "1"}, "--immigrants 1: want a number in [0, 1)"},
		{[]string{"search", "--unary", "-2"}, "--unary -2: want an integer from 1 to"},
		{[]string{"search", "--depth", "-1"}, "--depth -1: want an integer from 0 to"},
		{[]string{"search", "--seeds", "0", "--ablation", "pop"}, "--seeds 0: want an integer from 1 to"},
		{[]string{"search", "--cache-budget", "-1"}, "--cache-budget -1: want a number in (0, 1000000]"},
		{[]string{"search", "--time-limit", "-3s"}, "--time-limit -3s: want a duration ≥ 0"},
		{[]string{"search", "--checkpoint-every", "0"}, "--checkpoint-every 0"},
		{[]string{"search", "--memo-mb", "-1"}, "--memo-mb -1"},
		{[]string{"search", "--top", "0"}, "--top 0"},
		{[]string{"search", "--pop"}, "--pop needs a value"},
		{[]string{"search", "--pop", "--quiet"}, "--pop needs a value"},
		{[]string{"search", "--sampel", "3"}, "unknown flag --sampel; did you mean --sample?"},
		{[]string{"search", "--strategy", "annealing"}, "--strategy wants gp or random"},
		{[]string{"search", "--ablation", "nope"}, "--ablation wants"},
		{[]string{"search", "--plot", "/nonexistent/x.png"}, "--plot /nonexistent/x.png: directory /nonexistent does not exist"},
		{[]string{"search", "--plot", "run.txt"}, "--plot run.txt: want a file name ending in .png"},
		{[]string{"search", "--checkpoint", "/nonexistent/cp"}, "--checkpoint /nonexistent/cp: directory /nonexistent does not exist"},
		{[]string{"search", "--resume", "/nonexistent/cp"}, "--resume /nonexistent/cp: no such checkpoint file"},
		{[]string{"search", "--seed-from", "/nonexistent.lpz"}, "--seed-from /nonexistent.lpz"},
		{[]string{"search", "extra"}, "takes no positional arguments"},
		{[]string{"search", "--batch", "0"}, "--batch 0: want an integer from 1 to 4096"},
		{[]string{"search", "--seq", "1"}, "--seq 1: want an integer from 2 to 4096"},
		{[]string{"rank", "params", "--archs", "0"}, "--archs wants all or a positive number"},
		{append([]string{"rank", "params", "--archs", "31"}, nano...), "--archs 31: nano has 30 architectures"},
		{[]string{"rank", "params", "--workers", "0"}, "--workers 0"},
		{[]string{"rank", "params", "--plot", "/nonexistent/x.png"}, "directory /nonexistent does not exist"},
		{[]string{"rank", "params", "--save-scores", "scores.txt"}, "--save-scores scores.txt: want a file name ending in .yaml, .yml"},
		{append([]string{"rank", "params", "--ids", ","}, nano...), "--ids names no architecture"},
		{[]string{"rank", "--params"}, "unknown flag --params"},
		{[]string{"table", "--workers", "-1"}, "--workers -1"},
		{[]string{"capture", "--shard", "3/2"}, "--shard wants i/n with 0 ≤ i < n"},
		{[]string{"capture", "--workers", "0"}, "--workers 0"},
		{[]string{"bench", "build", "--n", "0"}, "--n 0: want an integer from 1 to"},
		{[]string{"bench", "build", "--valid-frac", "1"}, "--valid-frac 1: want a number in (0, 1)"},
		{[]string{"bench", "build", "--space", "nano", "--text", "x", "--out", "y", "--seq", "1"}, "--seq 1: want 0"},
		{[]string{"cache", "--cache-budget", "0"}, "--cache-budget 0: want a number in (0, 1000000]"},
		{[]string{"repl", "--archs", "0"}, "--archs wants all or a positive number"},
		{[]string{"rank", "params", "--capture-seed", "-1"}, "--capture-seed -1: want an integer ≥ 0"},
		{[]string{"rank", "params", "--seed", "x"}, "--seed x: want an integer"},
		{[]string{"search", "--no-rps=maybe"}, "--no-rps maybe: want true or false"},
		{[]string{"repl", "--batch", "0"}, "--batch 0"},
	}
	for _, c := range cases {
		_, errs, code := lpz(t, "", c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("lpz %s: exit %d, stderr:\n%s\nwant exit 2 and %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
}

// The REPL's :bench refuses what lpz rank refuses, and the session goes on.
func TestReplBenchValidatesArchs(t *testing.T) {
	out, _, code := lpz(t, ":bench nano --archs 100\n:bench nano --archs -3\n1 + 1\n", "repl")
	if code != 0 || !strings.Contains(out, "error: --archs 100: nano has 30 architectures") || !strings.Contains(out, "error: --archs wants all or a positive number") || !strings.HasSuffix(out, "2\n") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// A formula may start with a minus; only a double-dash name is a flag.
func TestFormulaNamedLikeAFlag(t *testing.T) {
	for _, args := range [][]string{
		{"rank", "-params", "--bench", "nano"},
		{"rank", "--bench", "nano", "-params"},
		{"rank", "--bench", "nano", "--", "-params"},
	} {
		out, errs, code := lpz(t, "", args...)
		if code != 0 || !strings.Contains(out, "proxy             -params") || !strings.Contains(out, "spearman rho      0.5660") {
			t.Errorf("lpz %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
	}
	if out, _, code := lpz(t, "", "eval", "-sum([1, 2])"); code != 0 || out != "-3\n" {
		t.Errorf("lpz eval -sum([1, 2]): exit %d, %q", code, out)
	}
	if out, _, code := lpz(t, "", "simplify", "-(-sum(W))"); code != 0 || !strings.HasSuffix(out, "sum(W)\n") {
		t.Errorf("lpz simplify -(-sum(W)): exit %d, %q", code, out)
	}
}

// A write that fails after the work (a full disk) loses nothing: the
// results are printed first, then the error.
func TestResultsPrintedBeforeAFailingWrite(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	full := filepath.Join(t.TempDir(), "scores.yaml")
	if err := os.Symlink("/dev/full", full); err != nil {
		t.Fatal(err)
	}
	out, errs, code := lpz(t, "", "rank", "params", "--bench", "nano", "--save-scores", full)
	if code != 1 || !strings.Contains(out, "spearman rho") || !strings.Contains(errs, "the ranking is above, but --save-scores failed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}
