package study

import (
	"context"
	"runtime"
	"sync"

	"lpz/bench"
	"lpz/interp"
)

// ForEach calls f(ctx, i) for i in [0, n) on workers goroutines (≤ 0: one
// per core), in index order of start, and calls progress (if not nil) with
// the number finished after each one, serialised. Once ctx is cancelled no
// further index starts; ForEach waits for those running. It returns which
// indices ran to the end (f returned, whatever its error) and ctx's error.
// f's errors are f's to keep: ForEach does not stop on them.
func ForEach(ctx context.Context, n, workers int, progress func(done int), f func(ctx context.Context, i int)) (ran []bool, err error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ran = make([]bool, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	for w := 0; w < min(workers, max(n, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(ctx, i)
				mu.Lock()
				ran[i] = true
				done++
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return ran, ctx.Err()
}

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
	ran, _ := ForEach(ctx, len(archs), workers, progress, func(ctx context.Context, i int) {
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
