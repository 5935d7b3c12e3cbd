package gp

import (
	"context"
	"encoding/json"
	"math"

	"lpz/interp"
	"lpz/lang"
	"lpz/rank"
	"lpz/stdlib"
)

// Assessment is a proxy's agreement with the truth over a set of
// architectures.
type Assessment struct {
	N       int     `json:"n"`
	Invalid int     `json:"invalid"` // architectures without a finite score
	Rho     float64 `json:"rho"`
	Tau     float64 `json:"tau"`
	// Within is the mean within-stratum ρ (NaN when undefined); Strata the
	// number of strata it averages.
	Within float64 `json:"within_stratum_rho"`
	Strata int     `json:"strata"`
}

// assessmentJSON is Assessment on the wire: undefined correlations (NaN:
// constant scores, no stratum with three architectures) are null, because
// encoding/json refuses NaN and a search's results must not be lost to one
// undefined cell.
type assessmentJSON struct {
	N       int      `json:"n"`
	Invalid int      `json:"invalid"`
	Rho     *float64 `json:"rho"`
	Tau     *float64 `json:"tau"`
	Within  *float64 `json:"within_stratum_rho"`
	Strata  int      `json:"strata"`
}

func (a Assessment) MarshalJSON() ([]byte, error) {
	return json.Marshal(assessmentJSON{a.N, a.Invalid, finiteOrNil(a.Rho), finiteOrNil(a.Tau), finiteOrNil(a.Within), a.Strata})
}

// UnmarshalJSON reads null cells back as NaN.
func (a *Assessment) UnmarshalJSON(data []byte) error {
	var v assessmentJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*a = Assessment{N: v.N, Invalid: v.Invalid, Rho: nanIfNil(v.Rho), Tau: nanIfNil(v.Tau), Within: nanIfNil(v.Within), Strata: v.Strata}
	return nil
}

func finiteOrNil(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func nanIfNil(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

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

// Assess correlates scores (NaN: invalid, left out) with the truth of
// archs: ρ, τ and the mean within-stratum ρ.
func Assess(scores, truth []float64, strata []string, higherIsBetter bool) Assessment {
	var s, t []float64
	var st []string
	for i, v := range scores {
		if math.IsNaN(v) {
			continue
		}
		s, t, st = append(s, v), append(t, truth[i]), append(st, strata[i])
	}
	a := Assessment{N: len(s), Invalid: len(scores) - len(s), Rho: math.NaN(), Tau: math.NaN(), Within: math.NaN()}
	if len(s) >= 3 {
		if rho, tau, err := rank.Correlate(s, t, higherIsBetter); err == nil {
			a.Rho, a.Tau = rho, tau
		}
		if w, _, used, err := rank.WithinStratum(s, t, st, higherIsBetter); err == nil {
			a.Within, a.Strata = w, used
		}
	}
	return a
}

// AssessProblem evaluates e on every architecture of p.
func AssessProblem(ctx context.Context, p *Problem, e lang.Expr) (Assessment, []float64, error) {
	prog, err := p.Compile(e)
	if err != nil {
		return Assessment{}, nil, err
	}
	scores := make([]float64, len(p.Archs))
	truth := make([]float64, len(p.Archs))
	strata := make([]string, len(p.Archs))
	for i, a := range p.Archs {
		scores[i], _ = Score(ctx, prog, a.Inputs)
		truth[i], strata[i] = a.Truth, a.Stratum
	}
	return Assess(scores, truth, strata, p.HigherIsBetter), scores, ctx.Err()
}
