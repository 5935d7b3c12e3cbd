package cli

import (
	"os"
	"strings"
	"testing"
)

// bench show prints provenance as labelled lines (never a Go struct) and
// names a data directory only when one was read.
func TestBenchShowSource(t *testing.T) {
	cases := []struct {
		args   []string
		want   []string
		shared bool
	}{
		{[]string{"bench", "show", "nano"}, []string{"(lower is better)", "source:\n  built by  lpz bench build, space nano", "data: embedded"}, false},
		{[]string{"bench", "show", "gpt2-wt103", "--data", sharedBench}, []string{"  upstream  https://github.com/microsoft/archai\n", "  licence   MIT\n", "data: " + sharedBench + "/gpt2-wt103\n"}, true},
		{[]string{"bench", "show", "flexibert", "--data", sharedBench}, []string{"  commit    2d76e01b", "  licence   CC BY 4.0\n", "(higher is better)", "data: " + sharedBench + "/flexibert\n"}, true},
	}
	for _, c := range cases {
		if _, err := os.Stat(sharedBench); c.shared && err != nil {
			continue
		}
		out, errs, code := lpz(t, "", c.args...)
		if code != 0 {
			t.Fatalf("lpz %s: code %d: %s", strings.Join(c.args, " "), code, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("lpz %s: want %q in\n%s", strings.Join(c.args, " "), w, out)
			}
		}
		for _, bad := range []string{"{Repo:", "data: data", "higher is better: "} {
			if strings.Contains(out, bad) {
				t.Errorf("lpz %s prints %q:\n%s", strings.Join(c.args, " "), bad, out)
			}
		}
	}
}
