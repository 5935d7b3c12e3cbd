package lang_test

import (
	"fmt"
	"strings"
	"testing"

	"lpz/lang"
)

// TestProxies: proxy statements come in order with the lets and proxies
// before them inlined; other statements bind nothing; a formula over the
// node limit is an error at its statement.
func TestProxies(t *testing.T) {
	p, err := lang.Parse("f", "let a = sq(W)\nprint a\nproxy p = sum(a)\nlet a = fro(A)\nproxy q = p + sum(a)\nlet b = a")
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, x := range got {
		lines = append(lines, x.Name+" "+x.Pos.String()+" "+lang.Print(x.Expr))
	}
	if want := "p f:3:1 sum(sq(W))|q f:5:1 sum(sq(W)) + sum(fro(A))"; strings.Join(lines, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(lines, "|"), want)
	}
	var b strings.Builder
	b.WriteString("let a0 = W\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "let a%d = a%d + a%d\n", i, i-1, i-1)
	}
	b.WriteString("proxy big = sum(a20)\n")
	p, err = lang.Parse("g", b.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Proxies(); err == nil || !strings.HasPrefix(err.Error(), "g:") || !strings.Contains(err.Error(), "lang.MaxNodes") {
		t.Errorf("a proxy over the node limit: %v", err)
	}
}
