package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sharedBench = "../../shared/bench" // CI has ../shared beside the clone

func lpz(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb strings.Builder
	code := Main(args, &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

func TestLanguageCommands(t *testing.T) {
	tiny := "../corpus/inputs/tiny"
	cases := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{[]string{"eval", "sum(softmax([1, 2, 3]) * [1, 2, 3])"}, 0, "2.5752103\n", ""},
		{[]string{"eval", "sum(fro(G))", "--inputs", tiny}, 0, "0.089432742", ""},
		{[]string{"eval", "--inputs", tiny, "fro(G)", "--json"}, 0, `"type": "list<scalar,weights>"`, ""},
		{[]string{"eval", "exp(1000)", "--json"}, 0, `"finite": false`, ""},
		{[]string{"eval", "fro(3)"}, 1, "", "<input>:1:1: fro: cannot reduce"},
		{[]string{"eval", "sum(A)"}, 1, "", `unknown input "A"; no inputs are loaded`},
		{[]string{"eval"}, 2, "", "want one expression"},
		{[]string{"eval", "1", "--inputs", "/nonexistent"}, 1, "", "no such file"},
		{[]string{"check", "sum(norm_fro(A)) + reciprocal(params)"}, 0, "sum(fro(A)) + inv(params) : scalar\n", ""},
		{[]string{"check", "fro(3) + frob(A)"}, 1, "", "<input>:1:10: unknown operator \"frob\"; did you mean \"fro\"?\n    fro(3) + frob(A)\n             ^"},
		{[]string{"check", "../corpus/paper.lpz"}, 0, "proxy gpt2_paper : scalar = sum(l1(sq(W)) + sq(softmax(G)))", ""},
		{[]string{"run", "../corpus/tour.lpz", "--inputs", tiny}, 0, "proxy snip = 0.013312583\n", ""},
		{[]string{"run", "../corpus/tour.lpz"}, 1, "", "unknown input \"G\""},
		{[]string{"ops"}, 0, "fro (norm_fro, frobenius_norm)", ""},
		{[]string{"ops", "--md"}, 0, "| `softmax` |", ""},
		{[]string{"fmt", "../corpus/tour.lpz"}, 0, "print sum(softmax([1, 2, 3]) * [1, 2, 3])  # a softmax", ""},
		{[]string{"nosuch"}, 2, "", "unknown command"},
		{[]string{"--help"}, 0, "Usage: lpz COMMAND", ""},
	}
	for _, c := range cases {
		out, errs, code := lpz(t, "", c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errs, c.stderr) {
			t.Errorf("lpz %s: code %d\nstdout:\n%s\nstderr:\n%s\nwant code %d, stdout ∋ %q, stderr ∋ %q", strings.Join(c.args, " "), code, out, errs, c.code, c.stdout, c.stderr)
		}
	}
}

func TestFmtIsStable(t *testing.T) {
	paths, _ := filepath.Glob("../corpus/*.lpz")
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		once, err := Format(p, string(b))
		if err != nil {
			t.Fatal(err)
		}
		twice, err := Format(p, once)
		if err != nil || twice != once {
			t.Errorf("%s: fmt is not idempotent", p)
		}
	}
}

func TestReplFromStdin(t *testing.T) {
	out, _, code := lpz(t, "sum(softmax([1, 2, 3]) * [1, 2, 3])\n", "repl")
	if code != 0 || out != "2.5752103\n" {
		t.Fatalf("code %d out %q", code, out)
	}
}

// The benchmark commands read ../shared/bench (present beside the clone in CI).
func TestSharedRankCommands(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stdout []string
	}{
		{[]string{"rank", "dparams", "--bench", "gpt2-wt103", "--data", sharedBench}, 0, []string{"spearman rho      0.9670", "kendall tau-b     0.8468", "within-stratum    0.8955"}},
		{[]string{"rank", "params", "--bench", "gpt2-wt103", "--data", sharedBench}, 0, []string{"spearman rho      0.7374"}},
		{[]string{"rank", "--scores", sharedBench + "/reference/gpt2-wt103/snip_scores_seed_1111.yaml", "--bench", "gpt2-wt103", "--data", sharedBench}, 0, []string{"spearman rho      0.9705"}},
		{[]string{"rank", "--scores", sharedBench + "/reference/flexibert/BERT_results_activation.csv", "--column", "Number of Parameters", "--bench", "flexibert", "--data", sharedBench}, 0, []string{"kendall tau-b     0.4544"}},
		{[]string{"rank", "dparams", "--bench", "gpt2-wt103", "--archs", "50", "--seed", "42", "--data", sharedBench, "--json"}, 0, []string{`"n": 50`, `"seed": 42`}},
		{[]string{"rank", "layers * width", "--bench", "flexibert", "--data", sharedBench}, 0, []string{"n                 500"}},
		{[]string{"bench", "list", "--data", sharedBench}, 0, []string{"gpt2-wt103       200 architectures", "flexibert        500 architectures"}},
		{[]string{"bench", "show", "gpt2-wt103", "config_4_j5", "--data", sharedBench}, 0, []string{"params = 26576888"}},
		{[]string{"eval", "params", "--bench", "flexibert", "--arch", "0", "--model-fidelity", "upstream-proxy", "--data", sharedBench}, 0, []string{"13330176"}},
	}
	for _, c := range cases {
		out, errs, code := lpz(t, "", c.args...)
		ok := code == c.code
		for _, w := range c.stdout {
			ok = ok && strings.Contains(out, w)
		}
		if !ok {
			t.Errorf("lpz %s: code %d\n%s\n%s\nwant %v", strings.Join(c.args, " "), code, out, errs, c.stdout)
		}
	}
}

// With no --bench and no data directory, rank uses the embedded slice of
// gpt2-wt103 (a fresh machine needs no download).
func TestRankDefaultsToMini(t *testing.T) {
	out, errs, code := lpz(t, "", "rank", "params")
	if code != 0 || !strings.Contains(out, "benchmark         gpt2-wt103-mini") {
		t.Fatalf("code %d\n%s\n%s", code, out, errs)
	}
}

func TestRankErrors(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"rank", "params", "--bench", "nosuch", "--data", sharedBench}, 2, "--bench nosuch: no such benchmark"},
		{[]string{"rank", "params", "--bench", "gpt2-wt10"}, 2, `did you mean "gpt2-wt103"?`},
		{[]string{"rank", "params", "--bench", "."}, 2, "the directory has no benchmark.json"},
		{[]string{"rank", "params", "--bench", "gpt2-wt103", "--data", "/nonexistent"}, 1, "github.com/microsoft/archai"},
		{[]string{"rank", "fro(A)", "--bench", "gpt2-wt103", "--data", sharedBench}, 1, "must be a scalar"},
		{[]string{"rank", "params", "--bench", "gpt2-wt103", "--archs", "x", "--data", sharedBench}, 2, "--archs"},
	}
	for _, c := range cases {
		_, errs, code := lpz(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.stderr) {
			t.Errorf("lpz %s: code %d stderr %q, want %d ∋ %q", strings.Join(c.args, " "), code, errs, c.code, c.stderr)
		}
	}
}

func TestFormulaStartingWithMinus(t *testing.T) {
	out, errs, code := lpz(t, "", "eval", "-sum([1, 2])")
	if code != 0 || out != "-3\n" {
		t.Fatalf("%d %q %q", code, out, errs)
	}
}
