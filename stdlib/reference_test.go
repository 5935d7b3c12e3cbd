package stdlib

import (
	"strings"
	"testing"
)

func TestEntry(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"softmax", "softmax: "},
		{"A", "A: input\n  type        list<tensor,blocks>\n"},
		{"softmx", `no operator or input named "softmx"; did you mean "softmax"?`},
		{"zzzzzzzz", `no operator or input named "zzzzzzzz" (lpz ops lists them all)`},
	} {
		got, err := Default.Entry(c.name)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("Entry(%q) = %q, want prefix %q", c.name, got, c.want)
		}
	}
	// An alias finds its operator's entry.
	for _, op := range Default.AllOps() {
		for _, a := range op.Aliases {
			if got, _ := Default.Entry(a); !strings.HasPrefix(got, op.Name+": ") {
				t.Errorf("Entry(%q) = %q, want %s's entry", a, got, op.Name)
			}
		}
	}
}

func TestMarkdownHasEveryOpAndInput(t *testing.T) {
	md := Default.Markdown()
	for _, op := range Default.AllOps() {
		if !strings.Contains(md, "| `"+op.Name+"` |") {
			t.Errorf("no row for %s", op.Name)
		}
	}
	for _, c := range AllChannels() {
		if !strings.Contains(md, "| `"+c.Name+"` |") || !strings.Contains(ChannelReference(), "  "+c.Name+" ") {
			t.Errorf("no row for input %s", c.Name)
		}
	}
}
