package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLanguageCommandErrors: what `lpz check`, `lpz run` and `lpz ops`
// say about missing, broken, binary and deeply nested input.
func TestLanguageCommandErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rt := file("rt.lpz", "print [1,2] + [1,2,3]\n")
	unclosed := file("unclosed.lpz", "let a = 1\n\n\n\n\nprint (a + 2\n")
	bomFile := file("bom.lpz", "\ufeffprint 1 + 1\n")
	binary := file("bin.lpz", "\x7fELF\x02\x01\x01\x00\x00\x00\x00garbage\xff")
	deep := file("deep.lpz", strings.Repeat("(", 200000)+"1"+strings.Repeat(")", 200000))
	cases := []struct {
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{[]string{"check", "missing.lpz"}, 1, "", "lpz check: missing.lpz: no such file\n"},
		{[]string{"check", "./nodir/x"}, 1, "", "lpz check: ./nodir/x: no such file\n"},
		{[]string{"check", dir + "/"}, 1, "", "is a directory, not an lpz script"},
		{[]string{"run", "missing.lpz"}, 1, "", "lpz run: missing.lpz: no such file\n"},
		{[]string{"check", "1e"}, 1, "", "<input>:1:1: syntax error: malformed number \"1e\": the exponent needs digits"},
		{[]string{"check", "0x10"}, 1, "", "<input>:1:1: syntax error: malformed number \"0x10\": numbers are decimal"},
		{[]string{"check", "1..2"}, 1, "", "<input>:1:1: syntax error: malformed number \"1..2\"\n    1..2\n    ^"},
		{[]string{"run", rt}, 1, "", "rt.lpz:1:13: shapes [2] and [3] do not broadcast"},
		{[]string{"check", unclosed}, 1, "", "unclosed.lpz:6:7: syntax error: unclosed '(': no ')' before the end of the input\n    print (a + 2\n          ^"},
		{[]string{"run", bomFile}, 0, "2\n", ""},
		{[]string{"run", binary}, 1, "", "bin.lpz:1:8: not a text file: a NUL byte at byte offset 7 (lpz sources are UTF-8 text)\n"},
		{[]string{"check", deep}, 1, "", "deep.lpz:1:257: nested too deeply: more than 256 levels"},
		{[]string{"ops", "softmax"}, 0, "softmax: softmax over all elements\n  aliases     none\n  class       normalisation\n  arguments   1\n", ""},
		{[]string{"ops", "square"}, 0, "sq: square\n  aliases     square, element_wise_pow\n", ""},
		{[]string{"ops", "pow"}, 0, "  arguments   2 (the second a constant number)\n", ""},
		{[]string{"ops", "W"}, 0, "W: input\n  type        list<tensor,weights>\n", ""},
		{[]string{"ops", "softmx"}, 1, "", "lpz ops: no operator or input named \"softmx\"; did you mean \"softmax\"?"},
		{[]string{"ops", "--md", "fro"}, 2, "", "--md prints the whole table"},
	}
	for _, c := range cases {
		out, errs, code := lpz(t, "", c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errs, c.stderr) {
			t.Errorf("lpz %.80s: code %d\nstdout:\n%.500s\nstderr:\n%.500s\nwant code %d, stdout ∋ %q, stderr ∋ %q", strings.Join(c.args, " "), code, out, errs, c.code, c.stdout, c.stderr)
		}
		if strings.Count(errs, "rt.lpz:") > 1 || strings.ContainsAny(errs, "\x00\xff") || strings.Contains(errs, "ELF") {
			t.Errorf("lpz %.80s: stderr repeats a prefix or echoes binary bytes:\n%q", strings.Join(c.args, " "), errs)
		}
	}
	if out, _, _ := lpz(t, "", "ops", "fro"); strings.Contains(out, "elementwise:") {
		t.Errorf("lpz ops fro printed the whole table")
	}
}
