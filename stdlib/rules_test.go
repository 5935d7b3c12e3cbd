package stdlib_test

import (
	"testing"

	"lpz/lang"
	"lpz/stdlib"
)

func TestRulesFileLoads(t *testing.T) {
	rs, err := stdlib.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rewrites) < 20 || len(rs.Rejects) < 5 {
		t.Fatalf("only %d rewrites and %d rejects", len(rs.Rewrites), len(rs.Rejects))
	}
	// Every rule's LHS and RHS have the same type on every input type the
	// rule can apply to: a rewrite never changes a well-typed tree's type.
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: map[string]lang.Type{}}
	types := []lang.Type{lang.ScalarType, lang.TensorType, lang.ListOf(lang.Scalar, "blocks"), lang.ListOf(lang.Tensor, "blocks")}
	for _, r := range rs.Rewrites {
		for _, ty := range types {
			for _, v := range "xyz" {
				ck.Inputs[string(v)] = ty
			}
			l, lerr := ck.CheckExpr(r.Lhs, "")
			if lerr != nil {
				continue
			}
			rr, rerr := ck.CheckExpr(r.Rhs, "")
			if rerr != nil || rr.Type() != l.Type() {
				t.Errorf("%s on %s: LHS %s, RHS %v %v", r, ty, l.Type(), rr, rerr)
			}
		}
	}
}

func TestRulesCanonicalise(t *testing.T) {
	rs, err := stdlib.Rules()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"sum(nsum(A))":                "sum(avg(A))",
		"sum(log(softmax(fro(A))))":   "sum(logsoftmax(fro(A)))",
		"sum(minmax(minmax(H)))":      "sum(minmax(H))",
		"sum(abs(sq(-W)))":            "sum(sq(W))",
		"sum(relu(abs(exp(G))))":      "sum(exp(G))",
		"sum(softmax(logsoftmax(A)))": "sum(softmax(A))",
		// Σ splits over + and − of equal shapes only.
		"sum(W - softmax(G))":  "sum(W) - sum(softmax(G))",
		"sum(sq(H) + exp(H))":  "sum(sq(H)) + sum(exp(H))",
		"avg(J - sq(J))":       "avg(J) - avg(sq(J))",
		"sum(HG + GS - W)":     "sum(HG) + sum(GS) - sum(W)",
		"sum(A - H)":           "sum(A - H)",      // different shapes: a broadcast or an error
		"sum(W - fro(G))":      "sum(W - fro(G))", // a tensor minus a per-entry scalar
		"sum(fro(W) - fro(G))": "sum(fro(W) - fro(G))",
		"sum(W * G)":           "sum(W * G)",
		// Signs: abs/relu of what the op table proves ≥ 0 go; neg moves out.
		"abs(sum(sq(abslog(G)))) * avg(avg(relu(G)))": "sum(sq(abslog(G))) * avg(avg(relu(G)))",
		"abs(sum(exp(A)) / fro(H))":                   "sum(exp(A)) / fro(H)",
		"relu(avg(softmax(A)) * inv(l1(G)))":          "avg(softmax(A)) * inv(l1(G))",
		"abs(sum(W))":                                 "abs(sum(W))",
		"relu(avg(log(A)))":                           "relu(avg(log(A)))",
		"abs(inv(avg(W)))":                            "abs(inv(avg(W)))",
		"abs(sum(sq(W)) - fro(G))":                    "abs(sum(sq(W)) - fro(G))",
		"l1(fro(log(H))) - -sum(relu(G))":             "l1(fro(log(H))) + sum(relu(G))",
		"sum(W) + -sum(G)":                            "sum(W) - sum(G)",
		"-sum(A) + sum(H)":                            "sum(H) - sum(A)",
		"-sum(A) - sum(H)":                            "-(sum(A) + sum(H))",
		"sum(-A * H)":                                 "-sum(A * H)",
		"sum(A * -H) / fro(W)":                        "-(sum(A * H) / fro(W))",
		"abs(width) + sqrt(abs(dparams))":             "width + sqrt(dparams)",
		"sum(abs(S))":                                 "sum(S)",
		"sum(abs(H))":                                 "sum(abs(H))",
	}
	for in, want := range cases {
		e, _ := lang.ParseExpr(in)
		got, _, err := rs.Rewrite(e)
		if err != nil || lang.Print(got) != want {
			t.Errorf("%s: got %s (%v), want %s", in, lang.Print(got), err, want)
		}
	}
	for _, in := range []string{"sum(log(-abs(A)))", "sum(sqrt(-sq(W)))", "sum(fro(A) - fro(A))",
		"sum(log(-sum(sq(W))))", "sum(relu(-avg(exp(A)) * fro(H)))", "sum(sqrt(logsoftmax(A)))"} {
		// As in the search: rejects apply to the canonical form.
		e, _ := lang.ParseExpr(in)
		e, _, _ = rs.Rewrite(e)
		if r, _ := rs.Rejected(e); r == nil {
			t.Errorf("%s: not rejected", in)
		}
	}
	for _, in := range []string{"sum(log(-W))", "sum(relu(-avg(W)))", "sum(sqrt(-(fro(A) - fro(H))))"} {
		e, _ := lang.ParseExpr(in)
		if r, _ := rs.Rejected(e); r != nil {
			t.Errorf("%s: rejected by %s", in, r)
		}
	}
}
