package gp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"lpz/interp"
	"lpz/lang"
	"lpz/stdlib"
)

// score evaluates e with a fresh evaluator on every architecture of p.
func score(t *testing.T, p *Problem, g *Generator, e lang.Expr, memoTensors bool) ([]float64, []*archError) {
	t.Helper()
	c, err := g.Check(e)
	if err != nil {
		t.Fatalf("%s: %v", lang.Print(e), err)
	}
	ev := &evaluator{table: stdlib.Default, archs: p.Archs, workers: 1, memo: newMemo(1 << 20)}
	ev.memo.tensors = memoTensors
	n := len(p.Archs)
	scores, errs := make([]float64, n), make([]*archError, n)
	ev.scoreRange(context.Background(), ev.build(c, c.Expr), 0, n, scores, errs)
	return scores, errs
}

// TestEvaluatorIsBitExact: node by node through interp.Host.Apply, or
// fused, the search's scores are the interpreter's whole-program values
// bit for bit, on random free-shaped trees with numbers and literals
// spliced in (a search's output depends on every bit of its scores).
func TestEvaluatorIsBitExact(t *testing.T) {
	p := synthetic(5, 21)
	g, err := NewGenerator(stdlib.Default, p.Terminals, Free, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(4, 4))
	consts := []lang.Expr{&lang.Num{Value: 2.5}, &lang.Num{Value: -1}, &lang.Lit{Shape: []int{4}, Data: []float64{1, -2, 0.5, 3}}}
	compared := 0
	for trial := 0; trial < 400; trial++ {
		e := g.Random(r)
		if call, ok := e.(*lang.Call); ok && call.Op == g.total.Name && trial%3 == 0 {
			// Σ(x op c): a number broadcasts to anything, the literal to
			// tensors whose last axis is 4.
			op := g.binary[r.IntN(len(g.binary))]
			e = &lang.Call{Op: call.Op, Args: []lang.Expr{&lang.Call{Op: op.Name, Args: []lang.Expr{call.Args[0], consts[r.IntN(len(consts))]}}}}
		}
		c, err := g.Check(e)
		if err != nil || c.Type().Kind != lang.Scalar {
			continue
		}
		prog, err := interp.Compile(c, stdlib.Default)
		if err != nil {
			t.Fatal(err)
		}
		for _, memoTensors := range []bool{false, true} {
			scores, errs := score(t, p, g, c.Expr, memoTensors)
			for i, a := range p.Archs {
				v, err := interp.Host{}.Eval(context.Background(), prog, a.Inputs)
				if (err == nil) != (errs[i] == nil) {
					t.Fatalf("%s on %d: interpreter %v, evaluator %v", prog, i, err, errs[i])
				}
				if err == nil && math.Float64bits(v.Scalar) != math.Float64bits(scores[i]) {
					t.Fatalf("%s on %d: evaluator %v, interpreter %v", prog, i, scores[i], v.Scalar)
				}
				compared++
			}
		}
	}
	if compared < 1000 {
		t.Fatalf("only %d scores compared", compared)
	}
}

// TestConstArgOpsNotEvaluated: the search does not evaluate pow and amax
// (see evaluator.apply): a seed holding one fails as a runtime error, so
// that seeded searches keep their results.
func TestConstArgOpsNotEvaluated(t *testing.T) {
	p := synthetic(4, 3)
	g, err := NewGenerator(stdlib.Default, p.Terminals, Paper, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"sum(pow(W, 0.5))", "sum(avg(amax(A, 1)))", "sum(fro(W)) + sum(pow(abs(G), 2))"} {
		e, err := lang.ParseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		_, errs := score(t, p, g, e, false)
		if errs[0] == nil || errs[0].reason != "runtime" {
			t.Errorf("%s: %v", src, errs[0])
		}
	}
}
