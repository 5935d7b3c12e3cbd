package cli

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
)

// With no --bench and an empty data directory, the commands use the
// embedded slice of gpt2-wt103.
func TestMiniIsTheDefault(t *testing.T) {
	empty := t.TempDir()
	out, errs, code := lpz(t, "", "bench", "list", "--data", empty)
	if code != 0 || !strings.Contains(out, "  gpt2-wt103-mini   36 architectures  family gpt2       valid_ppl 29.35 … 74.38 (lower is better)\n") ||
		!strings.Contains(out, "  nano              30 architectures") {
		t.Errorf("bench list: %d\n%s\n%s", code, out, errs)
	}
	out, errs, code = lpz(t, "", "rank", "dparams", "--data", empty)
	if code != 0 || !strings.Contains(out, "benchmark         gpt2-wt103-mini (36 of 36 architectures)") {
		t.Errorf("rank dparams: %d\n%s\n%s", code, out, errs)
	}
	out, _, code = lpz(t, "", "rank", "dparams", "--data", empty, "--bench", "nano")
	if code != 0 || !strings.Contains(out, "benchmark         nano (30 of 30 architectures)") {
		t.Errorf("--bench nano: %d\n%s", code, out)
	}
	out, _, code = lpz(t, "", "bench", "show", "gpt2-wt103-mini")
	for _, want := range []string{"commit    47770415327900684ed95c0bc9bf7cd0d0047fad", "subset    the 9 architectures with the fewest parameters", "licence   MIT", "data: embedded (bench/wt103mini/slice.json)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("bench show: missing %q in\n%s", want, out)
		}
	}
}

// A short search on the default benchmark, capture included: the embedded
// token ids stand in for the text and the tokenizer, so no file is read.
// A tiny capture (1 × 8 tokens, no cache) and a tiny search keep it to
// about 20 s on 2 cores: the weights and gradients of 36 models with
// 50264-token embeddings are what costs, not the tokens.
func TestMiniSearchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("captures 36 real models")
	}
	out, errs, code := lpz(t, "", "search", "--data", t.TempDir(), "--no-cache", "--quiet",
		"--gens", "10", "--pop", "6", "--top", "1", "--sample", "20", "--batch", "1", "--seq", "8")
	if code != 0 {
		t.Fatalf("search: %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"lpz search on gpt2-wt103-mini (36 architectures", "sample (20): ρ", "all (36):", "held out (16): ρ"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	out, errs, code = lpz(t, "", "capture", "--data", t.TempDir(), "--cache", t.TempDir(), "--ids", "config_9_j3", "--batch", "1", "--seq", "8")
	if code != 0 || !strings.Contains(out, "text embedded GPT-2 BPE ids of bench/nano/text.txt (lpz's own text, 813 tokens)") {
		t.Errorf("capture: %d\n%s\n%s", code, out, errs)
	}
}

// --text with the slice tokenizes that text with GPT-2's BPE, so it needs
// the tokenizer files; without them the error says what to pass.
func TestMiniTextNeedsTokenizer(t *testing.T) {
	text := filepath.Join(t.TempDir(), "t.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("some text of my own. ", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := lpz(t, "", "rank", "sum(fro(G))", "--data", t.TempDir(), "--no-cache", "--ids", "config_9_j3",
		"--text", text, "--tokenizer", filepath.Join(t.TempDir(), "none"))
	for _, want := range []string{"--text " + text + " needs GPT-2's tokenizer", "pass --tokenizer DIR", "leave out --text"} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("code %d, missing %q in\n%s", code, want, errs)
		}
	}
}

// The embedded slice sets its quick-start defaults for the flags the user
// left alone, says so, and leaves --inputs of other commands (a directory
// there) untouched.
func TestMiniDefaultsApplyToUnsetFlags(t *testing.T) {
	bs, err := openBench(bench.MiniName, "", "records")
	if err != nil {
		t.Fatal(err)
	}
	newFS := func(name string) *flag.FlagSet {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.String("inputs", "A,H,S,W,G,J", "")
		addCaptureFlags(fs)
		return fs
	}
	fs := newFS("search")
	if _, err := parseFlags(fs, []string{"--seq", "16"}); err != nil {
		t.Fatal(err)
	}
	var note strings.Builder
	bs.applyDefaults(fs, &note)
	get := func(name string) string { return fs.Lookup(name).Value.String() }
	if get("inputs") != "A,H,S,J" || get("batch") != "2" || get("seq") != "16" {
		t.Fatalf("inputs %s batch %s seq %s", get("inputs"), get("batch"), get("seq"))
	}
	if want := "gpt2-wt103-mini sets --inputs A,H,S,J --batch 2 ("; !strings.HasPrefix(note.String(), want) {
		t.Fatalf("note %q, want %q…", note.String(), want)
	}
	eval := newFS("eval")
	bs.applyDefaults(eval, io.Discard)
	if v := eval.Lookup("inputs").Value.String(); v != "A,H,S,W,G,J" {
		t.Fatalf("eval's --inputs became %q", v)
	}
	nano, err := openBench(bench.NanoName, "", "records")
	if err != nil {
		t.Fatal(err)
	}
	other := newFS("search")
	note.Reset()
	nano.applyDefaults(other, &note)
	if note.Len() != 0 || other.Lookup("batch").Value.String() != "4" {
		t.Fatalf("nano has no defaults, got %q", note.String())
	}
}
