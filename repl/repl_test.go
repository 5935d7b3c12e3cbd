package repl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"lpz/interp"
	"lpz/lang"
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
	s.Vars["velocity"] = interp.ScalarValue(2)
	r := New(s, &strings.Builder{})
	r.Provider = &fakeProvider{}
	complete := func(line string) []string {
		got, n := completer{r}.Do([]rune(line), len([]rune(line)))
		var out []string
		for _, g := range got {
			out = append(out, line[len(line)-n:]+string(g))
		}
		return out
	}
	for _, c := range []struct {
		line string
		want []string // exactly these candidates
	}{
		{"sum(sof", []string{"softmax"}},
		{"Al", []string{"Alpha"}},
		{":ty", []string{":type"}},
		{"  :ty", []string{":type"}},
		{"le", []string{"let"}},      // a statement keyword at the start of a line
		{"1 + le", nil},              // …but not inside an expression
		{"sum(Gr", []string{"Grad"}}, // what the provider can load
		{"1 + vel", []string{"velocity"}},
		{"let ", nil}, // naming a new binding
		{"proxy p", nil},
	} {
		got := complete(c.line)
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("completion of %q: %q, want %q", c.line, got, c.want)
		}
	}
	mid, start := strings.Join(complete("fro(p"), " "), strings.Join(complete("p"), " ")
	if !strings.Contains(mid, "pow") || strings.Contains(mid, "print") || strings.Contains(mid, "proxy") {
		t.Errorf("completion of p inside an expression: %s", mid)
	}
	if !strings.Contains(start, "pow") || !strings.Contains(start, "print") || !strings.Contains(start, "proxy") {
		t.Errorf("completion of p at the start of a line: %s", start)
	}
}

// fakeProvider supplies Grad (a list) and size (a scalar) on demand and
// records what it was asked for.
type fakeProvider struct {
	asked []string
	fail  error
}

func (p *fakeProvider) Types() map[string]lang.Type {
	return map[string]lang.Type{"Grad": lang.ListOf(lang.Tensor, "weights"), "size": lang.ScalarType}
}

func (p *fakeProvider) Describe() string { return "inputs of the fake architecture:" }

func (p *fakeProvider) Provide(ctx context.Context, r *REPL, names []string) error {
	p.asked = append(p.asked, names...)
	if p.fail != nil {
		return p.fail
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, n := range names {
		switch n {
		case "Grad":
			a, _ := tensor.FromData([]float32{3, 4}, 2)
			r.Session.Inputs[n] = interp.TensorList("weights", []string{"w0"}, []*tensor.Tensor{a})
		case "size":
			r.Session.Inputs[n] = interp.ScalarValue(7)
		}
	}
	return nil
}

func runWith(t *testing.T, r *REPL, out *strings.Builder, input string) string {
	t.Helper()
	out.Reset()
	if err := r.Run(context.Background(), strings.NewReader(input)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// Inputs a provider can give check before they are loaded, are loaded
// when a statement first reads them (not before, not again), and are what
// :inputs lists; bindings are not inputs.
func TestProviderLoadsWhatStatementsRead(t *testing.T) {
	var out strings.Builder
	r := New(interp.NewSession(nil), &out)
	p := &fakeProvider{}
	r.Provider = p
	got := runWith(t, r, &out, ":type fro(Grad)\n1 + 2\nfro(Grad)\nlet q = sum(fro(Grad)) + size\nq * 2\nsum(fro(Grad))\n:inputs\n:vars\n")
	want := `list<scalar,weights>
3
list<scalar,weights>[1] [5]
24
5
inputs of the fake architecture:
  Grad     list<tensor,weights>   1 entry, 0.0 MB
  size     scalar                 7
  _          scalar
  q          scalar
`
	if got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
	if strings.Join(p.asked, " ") != "Grad size" {
		t.Errorf("provider asked for %q, want Grad then size, once each", p.asked)
	}
	fresh := New(interp.NewSession(nil), &out)
	fresh.Provider = &fakeProvider{}
	if got := runWith(t, fresh, &out, ":inputs\n"); got != "inputs of the fake architecture:\n  Grad     list<tensor,weights>   loaded when a statement reads it\n  size     scalar                 loaded when a statement reads it\n" {
		t.Errorf(":inputs before loading:\n%s", got)
	}
}

// A provider's refusal and a cancelled load are reported for that
// statement; the session goes on.
func TestProviderErrorsAndInterrupts(t *testing.T) {
	var out strings.Builder
	r := New(interp.NewSession(nil), &out)
	p := &fakeProvider{fail: errors.New("Grad: no architecture is loaded")}
	r.Provider = p
	if got := runWith(t, r, &out, "fro(Grad)\n1 + 1\nfro(nosuch)\n"); !strings.HasPrefix(got, "error: Grad: no architecture is loaded\n2\nerror: <repl:3>:1:5: unknown input \"nosuch\"") {
		t.Errorf("got:\n%s", got)
	}
	p.fail = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out.Reset()
	r.Handle(ctx, "sum(fro(Grad))")
	r.Handle(context.Background(), "sum(fro(Grad))")
	if got := out.String(); got != "interrupted\n5\n" {
		t.Errorf("after an interrupted load: %q", got)
	}
}

// ExprHook sees the inputs a statement reads, not the session's bindings
// nor those the statement makes.
func TestExprHookReads(t *testing.T) {
	var out strings.Builder
	r := New(interp.NewSession(nil), &out)
	r.Provider = &fakeProvider{}
	var seen []string
	r.ExprHook = func(_ context.Context, _ *REPL, cp *lang.CheckedProgram, reads []string) (bool, error) {
		seen = append(seen, strings.Join(reads, ","))
		return len(reads) == 1 && reads[0] == "size", nil
	}
	runWith(t, r, &out, "let v = 2\nsize\nv + size\n1\nlet w = fro(Grad)\nsum(w) + size\n")
	if got := strings.Join(seen, " | "); got != " | size | size |  | Grad | size" {
		t.Errorf("reads: %q", got)
	}
	if got := out.String(); got != "1\n" {
		t.Errorf("output %q", got)
	}
}

// Ctrl-C during a statement cancels that statement's context only, and
// the process survives it.
func TestInterruptContext(t *testing.T) {
	ctx, stop := InterruptContext(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Skip(err)
	}
	<-ctx.Done()
}

// Without Interrupts a cancelled session context ends Run after the
// statement it interrupted, instead of printing "interrupted" for every
// remaining line.
func TestRunStopsWhenCancelled(t *testing.T) {
	var out strings.Builder
	r := New(interp.NewSession(nil), &out)
	r.Provider = &fakeProvider{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx, strings.NewReader("fro(Grad)\n1\n2\n")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "interrupted\n" {
		t.Errorf("got %q", out.String())
	}
}

// FuzzREPL feeds arbitrary input to a session with a provider and a hook:
// nothing may panic, and the session still evaluates afterwards.
func FuzzREPL(f *testing.F) {
	for _, s := range []string{
		"fro(Grad)\nlet q = sum(fro(Grad)) + size\nq * 2",
		":inputs\n:vars\n:type fro(\n:ast size +",
		"let size = 3\nsize + sum(fro(Grad))\n:nosuch x",
		"proxy p = sum(Grad\n)\n_ * 2",
		"(((\n]]]\n:\n: \n#x\nlet",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		if strings.Contains(input, ":load") || strings.Contains(input, ":inputs ") {
			t.Skip("reads files named by the input")
		}
		var out strings.Builder
		r := New(interp.NewSession(nil), &out)
		r.Provider = &fakeProvider{}
		r.ExprHook = func(_ context.Context, _ *REPL, cp *lang.CheckedProgram, reads []string) (bool, error) {
			return len(reads) == 1 && reads[0] == "size" && len(cp.Stmts) == 1, nil
		}
		if err := r.Run(context.Background(), strings.NewReader(input)); err != nil {
			return // a line beyond the scanner's limit
		}
		out.Reset()
		r.Handle(context.Background(), "1 + 1")
		if out.String() != "2\n" {
			t.Fatalf("after %q the session printed %q for 1 + 1", input, out.String())
		}
		for pos := 0; pos <= len([]rune(input)) && pos < 64; pos++ {
			completer{r}.Do([]rune(input), pos)
		}
	})
}
