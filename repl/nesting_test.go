package repl

import (
	"strings"
	"testing"
)

// TestDeepNestingKeepsRunning: a line nested far deeper than lang.MaxDepth
// gets a positioned error (it used to overflow the parser's stack and end
// the process) and the session goes on.
func TestDeepNestingKeepsRunning(t *testing.T) {
	deep := strings.Repeat("(", 200000) + "1" + strings.Repeat(")", 200000)
	got := run(t, deep+"\n1 + 1\n"+strings.Repeat("sq(", 250000)+"\n")
	want := []string{
		"error: <repl:1>:1:257: nested too deeply: more than 256 levels",
		"\n2\n",
		"error: <repl:3>:1:771: nested too deeply",
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%.600s", w, got)
		}
	}
}
