package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSimplifyCommand(t *testing.T) {
	out, errs, code := lpz(t, "", "simplify", "sum(log(exp(sqrt(square(-(-A))))) + identity(fro(W)))")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	for _, want := range []string{"-(-A)  =>  A    [rule -(-x) -> x]", "[rule sqrt(sq(x)) -> abs(x)]", "\nsum(abs(A) + fro(W))\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if out, _, code := lpz(t, "", "simplify", "-abslog(inv(layers))"); code != 0 || !strings.HasSuffix(out, "\nabslog(layers)\n") {
		t.Errorf("leading minus: code %d\n%s", code, out)
	}
	out, _, _ = lpz(t, "", "simplify", "sum(log(-abs(nsum(H))))")
	if !strings.Contains(out, "rejected: reject log(-x) if nonneg(x) matches log(-abs(avg(H)))") {
		t.Errorf("no rejection in\n%s", out)
	}
	if _, errs, code := lpz(t, "", "simplify", "sum(("); code != 1 || !strings.Contains(errs, "syntax error") {
		t.Errorf("bad input: code %d %s", code, errs)
	}
	out, _, _ = lpz(t, ":simplify log(exp(id(A)))\n", "repl")
	if !strings.Contains(out, "[rule id(x) -> x]") || !strings.Contains(out, "\nA\n") {
		t.Errorf("REPL :simplify:\n%s", out)
	}
}

func TestSearchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"search", "--bench", "gpt2-wt103", "--inputs", "nope", "--data", sharedBench},
		{"search", "--bench", "gpt2-wt103", "--strategy", "anneal", "--data", sharedBench},
		{"search", "--bench", "gpt2-wt103", "--fitness", "tau", "--data", sharedBench},
		{"search", "extra", "--bench", "gpt2-wt103"},
		{"search", "--bench", "gpt2-wt103", "--immigrants", "1", "--data", sharedBench},
		{"search", "--bench", "gpt2-wt103", "--ablation", "crossover", "--data", sharedBench},
		{"search", "--bench", "gpt2-wt103", "--ablation", "pop=80,x", "--data", sharedBench},
		{"search", "--bench", "gpt2-wt103", "--ablation", "immigrants=", "--data", sharedBench},
		{"search", "--bench", "gpt2-wt103", "--ablation", "ratio=0", "--data", sharedBench},
	} {
		if _, _, code := lpz(t, "", args...); code != 2 {
			t.Errorf("lpz %s: code %d, want 2", strings.Join(args, " "), code)
		}
	}
}

type searchJSON struct {
	Winner struct {
		Formula string
		Sample  struct {
			N   int
			Rho float64
		}
		All struct {
			N        int
			Rho, Tau float64
			Within   float64 `json:"within_stratum_rho"`
		}
	}
	Evaluations int
	Generations int
	History     []struct {
		Gen          int
		Best, Median float64
	}
	Rejections map[string]int
}

func searchRun(t *testing.T, args ...string) searchJSON {
	t.Helper()
	base := []string{"search", "--bench", "gpt2-wt103", "--data", sharedBench, "--inputs", "params,dparams,layers,width", "--json"}
	out, errs, code := lpz(t, "", append(base, args...)...)
	if code != 0 {
		t.Fatalf("lpz search %v: code %d\n%s", args, code, errs)
	}
	var r searchJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

// Scalar terminals only: the search runs without any model runtime.
func TestSharedSearchScalars(t *testing.T) {
	a := searchRun(t, "--gens", "300")
	t.Logf("winner %s: sample ρ %.4f (n %d), all ρ %.4f τ %.4f within %.4f (n %d); %d evaluations; rejections %v",
		a.Winner.Formula, a.Winner.Sample.Rho, a.Winner.Sample.N, a.Winner.All.Rho, a.Winner.All.Tau, a.Winner.All.Within, a.Winner.All.N, a.Evaluations, a.Rejections)
	if a.Winner.Sample.N != 50 || a.Winner.All.N != 200 || a.Generations != 300 {
		t.Fatalf("sample %d, all %d, generations %d", a.Winner.Sample.N, a.Winner.All.N, a.Generations)
	}
	if a.Winner.Sample.Rho < 0.95 {
		t.Errorf("sample ρ %.4f", a.Winner.Sample.Rho)
	}
	b := searchRun(t, "--gens", "300", "--workers", "2", "--no-early")
	if a.Winner.Formula != b.Winner.Formula || !reflect.DeepEqual(a.History, b.History) {
		t.Errorf("--workers 2 --no-early differs: %s vs %s", b.Winner.Formula, a.Winner.Formula)
	}
	// Checkpoint at 200, resume to 300: the same result.
	cp := filepath.Join(t.TempDir(), "cp.json")
	searchRun(t, "--gens", "200", "--checkpoint", cp, "--checkpoint-every", "100")
	c := searchRun(t, "--gens", "300", "--resume", cp)
	if a.Winner.Formula != c.Winner.Formula || !reflect.DeepEqual(a.History, c.History) || a.Evaluations != c.Evaluations {
		t.Errorf("resumed run differs: %s vs %s", c.Winner.Formula, a.Winner.Formula)
	}
}

func TestSharedSearchExtras(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "run.png")
	base := []string{"search", "--bench", "gpt2-wt103", "--data", sharedBench, "--inputs", "params,dparams,layers,width", "--gens", "100", "--pop", "20"}
	out, errs, code := lpz(t, "", append(base, "--plot", png, "--seed-from", "corpus", "--strategy", "random")...)
	if code != 0 {
		t.Fatalf("code %d\n%s", code, errs)
	}
	for _, want := range []string{"winner:      proxy searched = ", "latex:", "complexity:", "sample (50): ρ", "all (200):   ρ", "within-stratum ρ", "Pareto front"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	for _, f := range []string{png, filepath.Join(dir, "run-winner.png")} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	d := searchRun(t, "--depth", "3", "--gens", "50", "--pop", "20", "--patience", "20")
	if d.Winner.Formula == "" || d.Generations > 50 {
		t.Errorf("free-form search: %+v", d.Winner)
	}
	out, errs, code = lpz(t, "", append(base, "--ablation", "rps", "--seeds", "2", "--gens", "40")...)
	if code != 0 || !strings.Contains(out, "ablation rps on gpt2-wt103, 2 seeds") || !strings.Contains(out, "no-rps") {
		t.Errorf("ablation: code %d\n%s\n%s", code, out, errs)
	}
}

// A search whose stderr is a file (nohup, a batch job) logs plain progress
// lines, the last one at the final generation; stdout keeps only the JSON.
func TestSearchLogsProgressToFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "search.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	code := Main([]string{"search", "--bench", "gpt2-wt103", "--data", sharedBench, "--inputs", "params,layers", "--gens", "40", "--json"},
		&Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: f})
	if code != 0 {
		t.Fatalf("code %d", code)
	}
	log, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "gen 40/40  best ") || strings.Contains(string(log), "\r") {
		t.Errorf("log:\n%q", log)
	}
	var r searchJSON
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Errorf("stdout is not the JSON report: %v", err)
	}
}

// --rules replaces the embedded rules file: simplify and search read it,
// and a malformed one is a positioned error.
func TestRulesFlag(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "own.lpz")
	bad := filepath.Join(dir, "bad.lpz")
	os.WriteFile(own, []byte("rule log(exp(x)) -> x\nreject sum(abs(_))\n"), 0o644)
	os.WriteFile(bad, []byte("rule log(exp(x)) -> x\nrule frob(x) -> x\n"), 0o644)
	out, errs, code := lpz(t, "", "simplify", "--rules", own, "sum(abs(log(exp(-(-A)))))")
	if code != 0 || !strings.Contains(out, "\nsum(abs(-(-A)))\n") || !strings.Contains(out, "rejected: reject sum(abs(_))") {
		t.Errorf("own rules: code %d %s\n%s", code, errs, out)
	}
	if _, errs, code := lpz(t, "", "simplify", "--rules", bad, "A"); code != 1 || !strings.Contains(errs, "bad.lpz:2:6: unknown operator") {
		t.Errorf("bad rules: code %d %s", code, errs)
	}
	if _, errs, code := lpz(t, "", "search", "--bench", "gpt2-wt103", "--data", sharedBench, "--inputs", "params,layers", "--rules", bad); code != 1 || !strings.Contains(errs, "bad.lpz:2:6") {
		t.Errorf("search with bad rules: code %d %s", code, errs)
	}
	a := searchRun(t, "--gens", "50", "--rules", own)
	if a.Generations != 50 {
		t.Errorf("search with own rules: %d generations", a.Generations)
	}
}
