package cli

import (
	"errors"
	"flag"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// helpFlags returns the FlagSet of a command name as its help sees it
// ("bench build" included).
func helpFlags(t *testing.T, name string) *flag.FlagSet {
	t.Helper()
	args := []string{"--help"}
	cmd := name
	if name == "bench build" {
		cmd, args = "bench", []string{"build", "--help"}
	}
	c := lookupCommand(cmd)
	if c == nil {
		t.Fatalf("no command %q", cmd)
	}
	var hr *helpRequest
	err := c.run(&Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}, args)
	if !errors.As(err, &hr) {
		t.Fatalf("lpz %s --help: %v, want a help request", name, err)
	}
	return hr.fs
}

// Every command has a help entry; every flag of a command is in one of its
// groups, and every flag a group names exists: the help cannot drift from
// the flags.
func TestHelpCoversEveryFlag(t *testing.T) {
	names := []string{"bench build"}
	for _, c := range commands() {
		names = append(names, c.name)
	}
	for name := range docs {
		if lookupCommand(name) == nil && name != "bench build" {
			t.Errorf("help for %q, which is no command", name)
		}
	}
	for _, name := range names {
		d := docs[name]
		if d == nil || d.summary == "" || len(d.usage) == 0 {
			t.Errorf("%s: no help entry with a summary and a usage line", name)
			continue
		}
		fs := helpFlags(t, name)
		grouped := map[string]bool{}
		for _, g := range d.groups {
			for _, f := range g.flags {
				if fs.Lookup(f) == nil {
					t.Errorf("%s: group %q names --%s, which the command does not have", name, g.title, f)
				}
				grouped[f] = true
			}
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !grouped[f.Name] {
				t.Errorf("%s: --%s is in no help group", name, f.Name)
			}
		})
	}
}

// The examples of every help parse: their flags exist and their values are
// in range (each is run with --help appended, which stops before any work).
func TestHelpExamplesParse(t *testing.T) {
	for name, d := range docs {
		for _, e := range d.examples {
			cmd, _, _ := strings.Cut(e.cmd, "#")
			args := shellSplit(strings.TrimSpace(cmd))
			if len(args) == 0 || args[0] != "lpz" {
				continue // a shell line around lpz (source <(lpz completion bash))
			}
			_, errs, code := lpz(t, "", append(args[1:], "--help")...)
			if code != 0 {
				t.Errorf("%s: example %q does not parse (exit %d): %s", name, e.cmd, code, errs)
			}
		}
	}
}

func TestHelpCommands(t *testing.T) {
	search, _, code := lpz(t, "", "help", "search")
	if code != 0 {
		t.Fatalf("lpz help search: exit %d", code)
	}
	for _, want := range []string{"Usage:\n  lpz search", "Examples:", "Search (the paper's Algorithm 1):", "  --pop N ", "(from 2 to 1000000) (default 80)", "Capture (how channels"} {
		if !strings.Contains(search, want) {
			t.Errorf("lpz help search lacks %q:\n%s", want, search)
		}
	}
	for _, args := range [][]string{{"search", "-h"}, {"search", "--help"}, {"search", "--pop", "3", "-h"}} {
		if out, _, code := lpz(t, "", args...); code != 0 || out != search {
			t.Errorf("lpz %s: exit %d, not the same help as lpz help search", strings.Join(args, " "), code)
		}
	}
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"help"}, 0, "The language:", ""},
		{[]string{"--help"}, 0, "First steps:", ""},
		{[]string{"help", "bench", "build"}, 0, "lpz bench build — ", ""},
		{[]string{"bench", "build", "-h"}, 0, "Training:", ""},
		{[]string{"help", "serch"}, 2, "", `did you mean "search"?`},
		{[]string{"serch"}, 2, "", `unknown command "serch"; did you mean "search"?`},
		{[]string{"help", "completion"}, 0, "lpz completion bash|zsh|fish", ""},
		{[]string{"version", "-h"}, 0, "lpz version — ", ""},
		{[]string{"simplify", "--help"}, 0, "lpz simplify — ", ""},
		{[]string{"version"}, 0, "backends  go (SimpleGo", ""},
		{[]string{"--version"}, 0, "commit    ", ""},
		{[]string{"version", "x"}, 2, "", "takes no arguments"},
		{[]string{"completion"}, 2, "", "want: lpz completion bash|zsh|fish"},
		{[]string{"completion", "tcsh"}, 2, "", `unknown shell "tcsh"`},
	}
	for _, c := range cases {
		out, errs, code := lpz(t, "", c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errs, c.stderr) {
			t.Errorf("lpz %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout ∋ %q, stderr ∋ %q", strings.Join(c.args, " "), code, out, errs, c.code, c.stdout, c.stderr)
		}
	}
}

// The bash completion script is valid bash and completes commands, flags
// and benchmark names; zsh and fish scripts are checked by their shells
// where installed.
func TestCompletionScripts(t *testing.T) {
	script, _, code := lpz(t, "", "completion", "bash")
	if code != 0 {
		t.Fatal("lpz completion bash failed")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	complete := func(words ...string) string {
		t.Helper()
		prog := script + "\nCOMP_WORDS=(" + strings.Join(quoteAll(words), " ") + ")\nCOMP_CWORD=" + strconv.Itoa(len(words)-1) + "\n_lpz\necho \"${COMPREPLY[*]}\"\n"
		out, err := exec.Command(bash, "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"lpz", "sea"}, "search"},
		{[]string{"lpz", "search", "--samp"}, "--sample"},
		{[]string{"lpz", "rank", "--bench", "gpt2-wt103-m"}, "gpt2-wt103-mini"},
		{[]string{"lpz", "completion", "z"}, "zsh"},
		{[]string{"lpz", "help", "tab"}, "table"},
		{[]string{"lpz", "ops", "softm"}, "softmax"},
		{[]string{"lpz", "search", "--strategy", "r"}, "random"},
	} {
		if got := complete(c.words...); got != c.want {
			t.Errorf("completing %q: got %q, want %q", strings.Join(c.words, " "), got, c.want)
		}
	}
	for _, sh := range []string{"zsh", "fish"} {
		path, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("%s not installed: its script is not checked here", sh)
			continue
		}
		s, _, _ := lpz(t, "", "completion", sh)
		if out, err := exec.Command(path, "-n", "-c", s).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", sh, err, out)
		}
	}
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = "'" + w + "'"
	}
	return out
}
