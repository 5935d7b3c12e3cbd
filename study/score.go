package study

import (
	"context"

	"lpz/bench"
	"lpz/interp"
	"lpz/parallel"
)

// Score evaluates p on each architecture, workers at a time (each one's
// inputs are independent; captures run one at a time inside the capturer).
// It returns the finite scores by id and the ids whose score is NaN or
// infinite. When ctx is cancelled it returns those of the architectures
// finished so far, with ctx's error.
func (s *Session) Score(ctx context.Context, p *interp.Program, archs []bench.Arch, workers int, progress func(done int)) (scores map[string]float64, invalid []string, err error) {
	channels := p.Inputs()
	values := make([]float64, len(archs))
	errs := make([]error, len(archs))
	cut := make([]bool, len(archs)) // failed because the cancellation cut it short
	ran := make([]bool, len(archs)) // finished, whatever its outcome
	_ = parallel.For(ctx, len(archs), parallel.Options{Workers: workers, KeepGoing: true, Progress: progress}, func(i int) error {
		in, err := s.Inputs(ctx, archs[i], channels)
		if err == nil {
			err = s.MissingChannel(archs[i], in, channels)
		}
		if err == nil {
			var v interp.Value
			v, err = s.Engine(p).Eval(ctx, p, in)
			values[i] = v.Scalar
		}
		errs[i] = err
		cut[i] = err != nil && ctx.Err() != nil
		ran[i] = true
		return nil
	})
	scores = map[string]float64{}
	for i, a := range archs {
		// An architecture the cancellation cut short has no score, not an error.
		if !ran[i] || cut[i] {
			continue
		}
		if errs[i] != nil {
			if _, nonFinite := errs[i].(*interp.NonFiniteError); nonFinite {
				invalid = append(invalid, a.ID)
				continue
			}
			return nil, nil, errs[i]
		}
		scores[a.ID] = values[i]
	}
	return scores, invalid, ctx.Err()
}
