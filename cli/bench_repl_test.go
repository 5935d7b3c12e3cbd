package cli

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// lastLine is the last non-empty line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// lpz eval --arch captures the channels the formula reads (issue 15 #8:
// it used to load architecture scalars only: unknown input "G"), with or
// without --bench, and gives the value the REPL gives on that architecture.
func TestEvalArchCapturesWhatTheFormulaReads(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	cache := t.TempDir()
	withBench, errs, code := lpz(t, "", "eval", "sum(fro(G))", "--bench", "nano", "--arch", "nano_000", "--cache", cache)
	if code != 0 {
		t.Fatalf("eval --bench nano --arch nano_000: %d\n%s", code, errs)
	}
	if _, err := strconv.ParseFloat(strings.TrimSpace(withBench), 64); err != nil {
		t.Fatalf("not a number: %q", withBench)
	}
	alone, errs, code := lpz(t, "", "eval", "sum(fro(G))", "--arch", "nano_000", "--cache", cache)
	if code != 0 || alone != withBench {
		t.Errorf("eval --arch nano_000 (default benchmarks): %d %q, want %q\n%s", code, alone, withBench, errs)
	}
	repl, _, _ := lpz(t, ":bench nano nano_000\nsum(fro(G))\n", "repl", "--cache", cache)
	if lastLine(repl) != strings.TrimSpace(withBench) {
		t.Errorf("REPL on nano_000 printed\n%s\nwant %s", repl, withBench)
	}
	out, _, _ := lpz(t, "", "eval", "sum(fro(G))", "--bench", "nano", "--arch", "nano_000", "--cache", cache, "--json")
	if !strings.Contains(out, `"inputs": "nano/nano_000"`) {
		t.Errorf("--json inputs:\n%s", out)
	}
}

func TestEvalArchErrors(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	cache := t.TempDir()
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"sum(fro(G))", "--bench", "nano"}, 2, "--bench needs --arch ID"},
		{[]string{"sum(fro(G))", "--bench", "nano", "--arch", "nano_3"}, 1, `benchmark nano has no architecture "nano_3"; did you mean "nano_003"? (its 30 ids: nano_000 nano_001 nano_002 … nano_029`},
		{[]string{"sum(fro(G))", "--arch", "nano_3"}, 1, `no benchmark has an architecture "nano_3" (did you mean "nano_003" of nano?)`},
		{[]string{"sum(fro(G))", "--arch", "zzzz"}, 1, `no benchmark has an architecture "zzzz"; --bench NAME names the benchmark`},
		// A typo is reported with every channel in view, before any capture.
		{[]string{"sum(fro(Gx))", "--arch", "nano_000"}, 1, "<input>:1:9: unknown input \"Gx\"; did you mean \"G\"?\n    sum(fro(Gx))\n            ^"},
	}
	for _, c := range cases {
		args := append([]string{"eval"}, append(c.args, "--cache", cache)...)
		_, errs, code := lpz(t, "", args...)
		if code != c.code || !strings.Contains(errs, c.stderr) {
			t.Errorf("lpz %s: code %d\n%s\nwant %d ∋ %q", strings.Join(args, " "), code, errs, c.code, c.stderr)
		}
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("failed evaluations captured %d cache entries", len(entries))
	}
}

// The README's example, on the benchmark it names (a real capture).
func TestSharedEvalArchGPT2(t *testing.T) {
	if testing.Short() {
		t.Skip("captures a real model")
	}
	args := []string{"eval", "sum(fro(G))", "--bench", "gpt2-wt103", "--arch", "config_11_j5", "--data", sharedBench, "--cache", t.TempDir(), "--batch", "2", "--seq", "16"}
	out, errs, code := lpz(t, "", args...)
	if _, err := strconv.ParseFloat(strings.TrimSpace(out), 64); code != 0 || err != nil {
		t.Fatalf("lpz %s: %d\n%s\n%s", strings.Join(args, " "), code, out, errs)
	}
}

// With a sample loaded, the REPL ranks scalar formulas over it and runs
// everything else on the current architecture; nothing it has is an
// unknown input (issue 15 #9).
func TestReplBenchSample(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	in := `:bench nano --archs 5
sum(fro(G))
fro(G)
let q = sum(fro(A))
q * 0
1 + 2
params - params + 1
:inputs
:vars
:arch nano_3
:arch nano_003
sum(fro(G)) + q
`
	out, _, code := lpz(t, in, "repl", "--cache", t.TempDir())
	if code != 0 || strings.Contains(out, "unknown input") {
		t.Fatalf("code %d\n%s", code, out)
	}
	want := []string{
		"ranking typed scalar formulas on 5 architectures of nano (seed 42); other formulas read nano_004, the current architecture",
		")\n(on nano/nano_004, the current architecture; :arch ID picks another)\nlist<scalar,weights>[16] [",
		"(on nano/nano_004, the current architecture; :arch ID picks another)\n0\n3\nρ undefined: params - params + 1 is 1 on every architecture (n 5 of nano)\n",
		"inputs of nano/nano_004 (the current architecture; channels are captured when a statement first reads them):\n  A        list<tensor,blocks>    4 entries",
		"  S        list<tensor,softmax>   loaded when a statement reads it\n",
		"  params   scalar                 ",
		"  _          scalar\n  q          scalar\n",
		`error: benchmark nano has no architecture "nano_3"; did you mean "nano_003"?`,
		"current architecture: nano/nano_003 (valid_ppl = ",
		"\n(on nano/nano_003, the current architecture; :arch ID picks another)\n",
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in\n%s", w, out)
		}
	}
	if n := strings.Count(out, "(n 5 of nano)"); n != 2 {
		t.Errorf("%d formulas ranked, want 2 (sum(fro(G)) and params - params + 1):\n%s", n, out)
	}
	inputs := out[strings.Index(out, "inputs of"):strings.Index(out, "  _ ")]
	if strings.Contains(inputs, " q ") {
		t.Errorf(":inputs lists a binding:\n%s", inputs)
	}
}

// lpz repl's --bench/--arch/--archs load at start; --data and the capture
// flags are the defaults of :bench.
func TestReplFlags(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	cache := t.TempDir()
	out, errs, code := lpz(t, "sum(fro(G))\n:bench\n", "repl", "--bench", "nano", "--archs", "4", "--seed", "7", "--cache", cache)
	if code != 0 || !strings.Contains(out, "(n 4 of nano)") || !strings.Contains(out, "nano: 4 architectures loaded for ranking (seed 7)") {
		t.Errorf("repl --bench nano --archs 4: %d\n%s\n%s", code, out, errs)
	}
	if entries, _ := os.ReadDir(cache); len(entries) == 0 {
		t.Errorf("--cache %s holds nothing after captures", cache)
	}
	out, _, code = lpz(t, "layers\n", "repl", "--arch", "nano_002", "--no-cache")
	if code != 0 || !strings.Contains(out, "nano/nano_002 (valid_ppl = ") || lastLine(out) != "1" {
		t.Errorf("repl --arch nano_002: %d\n%s", code, out)
	}
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"repl", "--nosuch"}, "nosuch"},
		{[]string{"repl", "x.lpz"}, `repl takes no arguments, got "x.lpz"`},
		{[]string{"repl", "--bench", "nosuch"}, "nosuch"},
	} {
		if _, errs, code := lpz(t, "", c.args...); code == 0 || !strings.Contains(errs, c.stderr) {
			t.Errorf("lpz %s: code %d, stderr %q, want ∋ %q", strings.Join(c.args, " "), code, errs, c.stderr)
		}
	}
}

func TestSharedReplData(t *testing.T) {
	out, _, code := lpz(t, ":bench gpt2-wt103 --archs 50\ndparams\n", "repl", "--data", sharedBench)
	if code != 0 || !strings.Contains(out, "(n 50 of gpt2-wt103)") {
		t.Errorf("repl --data: %d\n%s", code, out)
	}
}

// Without a benchmark, reading a channel says how to load one.
func TestReplChannelWithoutBenchmark(t *testing.T) {
	out, _, _ := lpz(t, ":type fro(G)\nfro(G)\n1 + 2\n", "repl")
	want := "list<scalar,weights>\nerror: G: no benchmark architecture is loaded to read it from; load one with :bench NAME ID"
	if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "\n3\n") {
		t.Errorf("got\n%s\nwant prefix\n%s", out, want)
	}
}
