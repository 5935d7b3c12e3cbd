package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeExamples runs every example of every Markdown document of the
// repository (README.md, docs/, …): in ```console blocks
// each "$ lpz ARGS" line is run from the repository root and must print the
// lines below it; in ```lpz-repl blocks, "lpz> " lines are fed to one REPL
// session whose output must be the other lines. Examples that read
// ../shared/bench need the data beside the clone, as in CI.
func TestReadmeExamples(t *testing.T) {
	wd, _ := os.Getwd()
	if err := os.Chdir(".."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var docs []string
	filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if err == nil && strings.HasSuffix(path, ".md") {
			docs = append(docs, path)
		}
		return nil
	})
	blocks := 0
	for _, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, blk := range fencedBlocks(string(b)) {
			switch blk.lang {
			case "console":
				blocks++
				runConsoleBlock(t, blk.lines)
			case "lpz-repl":
				blocks++
				runReplBlock(t, blk.lines)
			}
		}
	}
	if blocks < 3 {
		t.Fatalf("the documents have only %d tested example blocks", blocks)
	}
}

type block struct {
	lang  string
	lines []string
}

func fencedBlocks(md string) []block {
	var out []block
	var cur *block
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			if cur == nil {
				cur = &block{lang: strings.TrimSpace(strings.TrimPrefix(line, "```"))}
			} else {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, line)
		}
	}
	return out
}

func runConsoleBlock(t *testing.T, lines []string) {
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "$ ") {
			continue
		}
		cmd := strings.TrimPrefix(lines[i], "$ ")
		var want []string
		for j := i + 1; j < len(lines) && !strings.HasPrefix(lines[j], "$ "); j++ {
			want = append(want, lines[j])
		}
		args := shellSplit(cmd)
		if len(args) == 0 || args[0] != "lpz" {
			continue // e.g. go build: not an lpz example
		}
		// "2>/dev/null", as in a shell, shows stdout alone.
		quiet := args[len(args)-1] == "2>/dev/null"
		if quiet {
			args = args[:len(args)-1]
		}
		out, errs, _ := lpz(t, "", args[1:]...)
		if quiet {
			errs = ""
		}
		got := strings.TrimRight(out+errs, "\n")
		if !matchOutput(strings.Split(got, "\n"), strings.Split(strings.TrimRight(strings.Join(want, "\n"), "\n"), "\n")) {
			t.Errorf("README example %q printed\n%s\nREADME says\n%s", cmd, got, strings.Join(want, "\n"))
		}
	}
}

// elided is what an example writes for output that varies between runs
// (timings, memory): alone on a line it stands for any number of lines,
// inside a line for any text.
const elided = "[…]"

// matchOutput compares printed lines with an example's, elisions allowed.
func matchOutput(got, want []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == elided {
		for k := 0; k <= len(got); k++ {
			if matchOutput(got[k:], want[1:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(got[0], want[0]) && matchOutput(got[1:], want[1:])
}

func matchLine(got, want string) bool {
	parts := strings.Split(want, elided)
	if len(parts) == 1 {
		return got == want
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(got, p)
		if i < 0 {
			return false
		}
		got = got[i+len(p):]
	}
	return strings.HasSuffix(got, parts[len(parts)-1])
}

func TestMatchOutput(t *testing.T) {
	cases := []struct {
		got, want string
		ok        bool
	}{
		{"a\nb", "a\nb", true},
		{"a\nb", "a\nc", false},
		{"a\nx\ny\nb", "a\n[…]\nb", true},
		{"a\nb", "a\n[…]\nb", true},
		{"a\nb\nc", "a\n[…]", true},
		{"time 3.2s rss 40 MB", "time […]s rss […] MB", true},
		{"time 3.2s rss 40 GB", "time […]s rss […] MB", false},
		{"24.33 … 74.38", "24.33 … 74.38", true},
	}
	for _, c := range cases {
		if got := matchOutput(strings.Split(c.got, "\n"), strings.Split(c.want, "\n")); got != c.ok {
			t.Errorf("%q against %q: %v", c.got, c.want, got)
		}
	}
}

func runReplBlock(t *testing.T, lines []string) {
	var input, want []string
	for _, l := range lines {
		if strings.HasPrefix(l, "lpz> ") {
			input = append(input, strings.TrimPrefix(l, "lpz> "))
		} else if strings.HasPrefix(l, "...> ") {
			input = append(input, strings.TrimPrefix(l, "...> "))
		} else {
			want = append(want, l)
		}
	}
	out, _, _ := lpz(t, strings.Join(input, "\n")+"\n", "repl")
	if strings.TrimRight(out, "\n") != strings.TrimRight(strings.Join(want, "\n"), "\n") {
		t.Errorf("README REPL example printed\n%s\nREADME says\n%s", out, strings.Join(want, "\n"))
	}
}

// shellSplit splits a command line with single and double quotes.
func shellSplit(s string) []string {
	var out []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
