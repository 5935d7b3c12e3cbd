package lang_test

import (
	"strings"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
)

func checker() *lang.Checker {
	in := map[string]lang.Type{}
	for _, c := range stdlib.Channels {
		in[c.Name] = c.Type
	}
	in["x"] = lang.TensorType
	return &lang.Checker{Ops: stdlib.Default, Inputs: in}
}

func TestTypes(t *testing.T) {
	cases := []struct{ src, want string }{
		{"sum(fro(A))", "scalar"},
		{"fro(A)", "list<scalar,blocks>"},
		{"fro(fro(A))", "scalar"},
		{"softmax(fro(A))", "list<scalar,blocks>"},
		{"sq(inv(H))", "list<tensor,blocks>"},
		{"sum(sq(inv(H)) + log(softmax(fro(A))))", "scalar"},
		{"W * G", "list<tensor,weights>"},
		{"sum(abs(W * G))", "scalar"},
		{"sum(A) + sum(W)", "scalar"},
		{"fro(x)", "scalar"},
		{"x + A", "list<tensor,blocks>"},
		{"2 * A", "list<tensor,blocks>"},
		{"fro(A) * H", "list<tensor,blocks>"},
		{"[1, 2, 3]", "tensor"},
		{"-A", "list<tensor,blocks>"},
		{"norm_fro(A)", "list<scalar,blocks>"},
		{"params / dparams", "scalar"},
		{"log(3)", "scalar"},
		{"avg(fro(W))", "scalar"},
		{"minmax(S)", "list<tensor,softmax>"},
	}
	for _, c := range cases {
		e, err := lang.ParseExpr(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got, err := checker().CheckExpr(e, c.src)
		if err != nil {
			t.Errorf("%s: unexpected error %v", c.src, err)
			continue
		}
		if s := got.Type().String(); s != c.want {
			t.Errorf("%s: type %s, want %s", c.src, s, c.want)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	cases := []struct {
		src  string
		want []string // each "line:col: fragment"
	}{
		{"fro(3)", []string{"1:1: fro: cannot reduce a scalar"}},
		{"softmax(sum(A))", []string{"1:1: softmax: cannot normalise a scalar"}},
		{"A + W", []string{"1:3: add: cannot combine list<tensor,blocks> with list<tensor,weights>"}},
		{"frob(A)", []string{`1:1: unknown operator "frob"; did you mean "fro"?`}},
		{"sum(Q)", []string{`1:5: unknown input "Q"`}},
		{"sum(fro(A, W))", []string{"1:5: fro takes 1 argument, got 2"}},
		{"sum(frob(A)) + fro(3) + Z", []string{"1:5: unknown operator", "1:16: fro: cannot reduce", "1:25: unknown input"}},
		{"sum(A * W)\n+ fro(2)", []string{"1:7: mul: cannot combine", "2:3: fro: cannot reduce"}},
		{"sum(A + fro(W))", []string{"1:7: add: cannot combine list<tensor,blocks> with list<scalar,weights>"}},
	}
	for _, c := range cases {
		e, err := lang.ParseExprFile("f.lpz", c.src)
		if err != nil {
			t.Fatalf("%s: parse: %v", c.src, err)
		}
		_, err = checker().CheckExpr(e, c.src)
		if err == nil {
			t.Errorf("%s: no error, want %v", c.src, c.want)
			continue
		}
		list := err.(*lang.ErrorList)
		if len(list.Errors) != len(c.want) {
			t.Errorf("%s: %d errors, want %d:\n%v", c.src, len(list.Errors), len(c.want), err)
			continue
		}
		for i, w := range c.want {
			got := list.Errors[i].Error()
			if !strings.HasPrefix(got, "f.lpz:"+strings.SplitN(w, ": ", 2)[0]) || !strings.Contains(got, strings.SplitN(w, ": ", 2)[1]) {
				t.Errorf("%s: error %d = %q, want %q", c.src, i, got, w)
			}
		}
		if !strings.Contains(err.Error(), "^") {
			t.Errorf("%s: rendered error has no caret:\n%v", c.src, err)
		}
	}
}

func TestCaretRendering(t *testing.T) {
	src := "sum(fro(A)) + fro(3)"
	e, _ := lang.ParseExprFile("p.lpz", src)
	_, err := checker().CheckExpr(e, src)
	want := "p.lpz:1:15: fro: cannot reduce a scalar: it already is one number\n    sum(fro(A)) + fro(3)\n                  ^"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
}

func TestProgramChecks(t *testing.T) {
	src := "let g = fro(G)\nproxy bad = g\nproxy good = sum(g)\nprint good * 2\n"
	p, err := lang.Parse("s.lpz", src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = checker().CheckProgram(p)
	if err == nil || !strings.Contains(err.Error(), "s.lpz:2:13: proxy bad has type list<scalar,weights>, but a proxy must be a scalar: aggregate it across modules") {
		t.Fatalf("got %v", err)
	}
	p, _ = lang.Parse("s.lpz", "let g = fro(G)\nproxy good = sum(g)\nprint good * 2\n")
	cp, err := checker().CheckProgram(p)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Bindings["good"] != lang.ScalarType || cp.Bindings["g"].Kind != lang.ListScalar {
		t.Fatalf("bindings %v", cp.Bindings)
	}
}

func TestCanonicalNames(t *testing.T) {
	src := "to_sum_scalar(norm_fro(A)) + element_wise_log(reciprocal(params))"
	e, _ := lang.ParseExpr(src)
	c, err := checker().CheckExpr(e, src)
	if err != nil {
		t.Fatal(err)
	}
	if got := lang.Print(c.Expr); got != "sum(fro(A)) + log(inv(params))" {
		t.Fatalf("canonical form %q", got)
	}
}
