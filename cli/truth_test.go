package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoTruthBench writes an lpz-bench/1 benchmark of four nano-space
// decoders carrying valid_ppl (the default) and acc_cont4, both rising
// with the FFN width: params ranks them ρ = -1 against valid_ppl (lower
// is better) and +1 against acc_cont4 (higher is better).
func twoTruthBench(t *testing.T) string {
	t.Helper()
	var archs []string
	for i := range 4 {
		archs = append(archs, fmt.Sprintf(`{"id": "t%d", "status": "ok", "valid_loss": %g, "valid_ppl": %d, "metrics": {"acc_cont4": %g},
		 "config": {"cutoffs": [], "d_embed": 64, "d_inner": [%d], "d_model": 64, "div_val": 1, "n_head": [4], "n_layer": 1,
		            "n_token": 256, "tgt_len": 64, "tie_projs": [false], "tie_weight": true}}`, i, 1+float64(i)/10, 10+i, 0.25+float64(i)/100, 64*(i+1)))
	}
	dir := t.TempDir()
	data := `{"format": "lpz-bench/1", "name": "two", "family": "gpt2",
	 "truths": [{"name": "valid_ppl", "higher_is_better": false}, {"name": "acc_cont4", "higher_is_better": true, "desc": "four-choice accuracy"}],
	 "archs": [` + strings.Join(archs, ",\n") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "benchmark.json"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTruthFlag(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	dir := twoTruthBench(t)
	cases := []struct {
		args   []string
		code   int
		stdout []string // substrings
		stderr string
	}{
		{[]string{"rank", "params", "--bench", dir}, 0,
			[]string{"ground truth      valid_ppl (lower is better", "spearman rho      -1.0000"}, ""},
		{[]string{"rank", "params", "--bench", dir, "--truth", "acc_cont4"}, 0,
			[]string{"ground truth      acc_cont4 (higher is better)\n", "spearman rho      1.0000"}, ""},
		{[]string{"rank", "params", "--bench", dir, "--truth", "acc_cont4", "--json"}, 0,
			[]string{`"truth": "acc_cont4"`, `"higher_is_better": true`}, ""},
		{[]string{"rank", "params", "--bench", dir, "--truth", "acc_cont"}, 2, nil,
			`--truth acc_cont: benchmark two has no such ground truth; did you mean "acc_cont4"? (its truths: valid_ppl, acc_cont4;`},
		{[]string{"rank", "params", "--bench", "nano", "--truth", "acc_cont4"}, 2, nil, "its truths: valid_ppl, valid_loss"},
		{[]string{"search", "--bench", dir, "--truth", "acc_cont4", "--gens", "1", "--pop", "2", "--sample", "3", "--quiet", "--cache", t.TempDir()}, 0,
			[]string{"lpz search on two (4 architectures; truth acc_cont4, higher is better)"}, ""},
		{[]string{"bench", "show", dir}, 0, []string{"ground truth: valid_ppl, 10 … 13 (lower is better)\n",
			"truths (--truth NAME; the first is the default):\n  valid_ppl  lower is better   perplexity on the validation windows",
			"\n  acc_cont4  higher is better  four-choice accuracy\n"}, ""},
		{[]string{"bench", "show", dir, "--truth", "acc_cont4"}, 0, []string{"ground truth: acc_cont4, 0.25 … 0.28 (higher is better)\n"}, ""},
		{[]string{"bench", "show", dir, "t1", "--truth", "acc_cont4"}, 0, []string{"  acc_cont4 = 0.26\n", "  valid_ppl = 11\n"}, ""},
		{[]string{"bench", "show", dir, "--truth", "nope"}, 2, nil, "its truths: valid_ppl, acc_cont4"},
		{[]string{"bench", "list"}, 0, []string{"\n                  truths valid_ppl, valid_loss (lower)\n"}, ""},
		{[]string{"bench", "list", "--truth", "glue"}, 2, nil, "--truth picks one benchmark's ground truth: lpz bench show NAME --truth glue"},
	}
	for _, c := range cases {
		out, errs, code := lpz(t, "", c.args...)
		name := "lpz " + strings.Join(c.args, " ")
		if code != c.code || !strings.Contains(errs, c.stderr) {
			t.Errorf("%s: code %d, want %d; stderr %q lacks %q", name, code, c.code, errs, c.stderr)
		}
		for _, w := range c.stdout {
			if !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", name, w, out)
			}
		}
	}
}

// The REPL's :bench takes --truth, and does not inherit lpz repl's: a
// ground truth is one benchmark's.
func TestTruthFlagREPL(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	dir := twoTruthBench(t)
	for _, run := range [][]string{
		{":bench " + dir + " --truth acc_cont4\nparams\n"},
		{"params\n:bench nano\n", "--bench", dir, "--truth", "acc_cont4"},
	} {
		out, errs, _ := lpz(t, run[0], append([]string{"repl"}, run[1:]...)...)
		var rhos []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "ρ ") {
				rhos = append(rhos, strings.Fields(line)[1])
			}
		}
		if len(rhos) != 1 || rhos[0] != "1.0000" || strings.Contains(out+errs, "error") {
			t.Errorf("repl %q: params against acc_cont4: ρ %v, want [1.0000]:\n%s%s", run, rhos, out, errs)
		}
	}
	_, _, code := lpz(t, "", "repl", "--bench", dir, "--truth", "nope")
	if code != 2 {
		t.Errorf("lpz repl --truth nope: code %d, want 2", code)
	}
}

// The JSON of a report names the selected truth.
func TestTruthFlagJSON(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	out, errs, code := lpz(t, "", "rank", "params", "--bench", twoTruthBench(t), "--truth", "acc_cont4", "--json")
	var rep struct {
		Truth          string  `json:"truth"`
		HigherIsBetter bool    `json:"higher_is_better"`
		Spearman       float64 `json:"spearman"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("code %d, %v:\n%s%s", code, err, out, errs)
	}
	if rep.Truth != "acc_cont4" || !rep.HigherIsBetter {
		t.Errorf("report %+v, want truth acc_cont4, higher is better", rep)
	}
}
