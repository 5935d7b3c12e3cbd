package gp

import (
	"context"
	"math"

	"lpz/interp"
	"lpz/lang"
	"lpz/rank"
	"lpz/stdlib"
)

// Compile checks and compiles a formula against the problem's terminals.
func (p *Problem) Compile(e lang.Expr) (*interp.Program, error) {
	in := map[string]lang.Type{}
	for _, t := range p.Terminals {
		in[t.Name] = t.Type
	}
	c, err := (&lang.Checker{Ops: stdlib.Default, Inputs: in}).CheckExpr(e, lang.Print(e))
	if err != nil {
		return nil, err
	}
	return interp.Compile(c, stdlib.Default)
}

// Score evaluates a program on one architecture's inputs; ok is false for
// a non-finite score or a runtime error.
func Score(ctx context.Context, p *interp.Program, in interp.Inputs) (float64, bool) {
	v, err := interp.Host{Workers: 1}.Eval(ctx, p, in)
	if err != nil || v.Type.Kind != lang.Scalar || !interp.IsFinite(v.Scalar) {
		return math.NaN(), false
	}
	return v.Scalar, true
}

// AssessProblem evaluates e on every architecture of p and measures its
// quality (architectures where e is not finite are left out); it also
// returns the scores, NaN where invalid.
func AssessProblem(ctx context.Context, p *Problem, e lang.Expr) (rank.Quality, []float64, error) {
	prog, err := p.Compile(e)
	if err != nil {
		return rank.Quality{}, nil, err
	}
	scores := make([]float64, len(p.Archs))
	truth := make([]float64, len(p.Archs))
	strata := make([]string, len(p.Archs))
	for i, a := range p.Archs {
		scores[i], _ = Score(ctx, prog, a.Inputs)
		truth[i], strata[i] = a.Truth, a.Stratum
	}
	q, _, err := rank.Assess(scores, truth, strata, p.HigherIsBetter)
	if err == nil {
		err = ctx.Err()
	}
	return q, scores, err
}
