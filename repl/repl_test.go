package repl

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/interp"
	"lpz/tensor"
)

func run(t *testing.T, input string) string {
	t.Helper()
	var out strings.Builder
	r := New(interp.NewSession(nil), &out)
	if err := r.Run(context.Background(), strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestSessionTranscript(t *testing.T) {
	got := run(t, `sum(softmax([1, 2, 3]) * [1, 2, 3])
_ * 2
let v = [3, 4]
fro(v)
:type fro(v)
:type softmax(v)
proxy p = fro(v) +
   1
sum(
  v)
fro(3)
frob(v)
:nosuch
:quit
print 1
`)
	want := `2.5752103
5.1504206
5
scalar
tensor
proxy p = 6
7
error: <repl:9>:1:1: fro: cannot reduce a scalar: it already is one number
           fro(3)
           ^
error: <repl:10>:1:1: unknown operator "frob"; did you mean "fro"?
           frob(v)
           ^
error: unknown command :nosuch (try :help)
`
	if got != want {
		t.Fatalf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestAstAndOps(t *testing.T) {
	got := run(t, ":ast norm_fro([1, 2]) + 1\n:ops fro\n")
	for _, want := range []string{"Call add : scalar", "  Call fro : scalar", "    Lit [1, 2] : tensor", "  Num 1 : scalar", "fro (reduction, 1 argument(s), cost 1)", "also: norm_fro"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestInputsAndLoad(t *testing.T) {
	dir := t.TempDir()
	a0, _ := tensor.FromData([]float32{3, 4}, 2)
	a1, _ := tensor.FromData([]float32{6, 8}, 2)
	for i, a := range []*tensor.Tensor{a0, a1} {
		if err := tensor.WriteNPY(filepath.Join(dir, "A_"+string(rune('0'+i))+".npy"), a); err != nil {
			t.Fatal(err)
		}
	}
	script := filepath.Join(t.TempDir(), "s.lpz")
	os.WriteFile(script, []byte("proxy total = sum(fro(A))\n"), 0o644)
	got := run(t, ":inputs "+dir+"\n:type fro(A)\nsum(fro(A))\n:load "+script+"\ntotal * 2\n:inputs /nonexistent\n")
	for _, want := range []string{"A        list<tensor,blocks>", "list<scalar,blocks>\n15\nproxy total = 15\n30\n", "error: inputs: open /nonexistent"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

func TestIncomplete(t *testing.T) {
	for src, want := range map[string]bool{
		"sum(":          true,
		"sum(A)":        false,
		"a +":           true,
		"let x =":       true,
		"a # comment (": false,
		"[1,":           true,
		":type sum(":    false,
		"rule a ->":     false,
	} {
		if got := Incomplete(src); got != want {
			t.Errorf("Incomplete(%q) = %v", src, got)
		}
	}
}

func TestCompletion(t *testing.T) {
	s := interp.NewSession(interp.Inputs{"Alpha": interp.ScalarValue(1)})
	r := New(s, &strings.Builder{})
	got, n := completer{r}.Do([]rune("sum(sof"), 7)
	if n != 3 || len(got) == 0 || string(got[0]) != "tmax" {
		t.Fatalf("completion of sof: %q %d", got, n)
	}
	got, _ = completer{r}.Do([]rune("Al"), 2)
	if len(got) != 1 || string(got[0]) != "pha" {
		t.Fatalf("completion of Al: %q", got)
	}
	got, _ = completer{r}.Do([]rune(":ty"), 3)
	if len(got) != 1 || string(got[0]) != "pe" {
		t.Fatalf("completion of :ty: %q", got)
	}
}
