// Package parallel is lpz's one worker pool: independent jobs 0…n-1 on a
// bounded number of goroutines, with cancellation, early stop on error,
// progress, and panics carried back to the caller. The capture cache's
// reads, the interpreter's kernels, the search's evaluator and the
// pipeline's loops over architectures all run through it.
package parallel

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Options tune For.
type Options struct {
	// Workers bounds the goroutines (≤ 0: GOMAXPROCS). With one worker, or
	// one job, the jobs run on the caller's goroutine.
	Workers int
	// Progress, when set, is called after each finished job with the
	// number finished so far; calls are serialised.
	Progress func(done int)
	// KeepGoing runs every job even when some fail (For still returns the
	// first error by index); without it no job starts after one failed.
	KeepGoing bool
}

// For calls f(i) for each i in [0, n), starting them in index order. Once
// ctx is cancelled no further job starts; those running finish. It returns
// the error of the lowest-numbered failed job, else ctx's error. A panic
// in f is raised again in the caller once the workers have stopped, so a
// recover there sees it. With one worker For allocates nothing: the
// interpreter calls it for every operator it applies.
func For(ctx context.Context, n int, o Options, f func(i int) error) error {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers = min(workers, n); workers <= 1 {
		return serial(ctx, n, o, f)
	}
	var (
		next, done atomic.Int64
		failed     atomic.Bool
		mu         sync.Mutex
		firstIdx   = n
		firstErr   error
		panicked   any
		wg         sync.WaitGroup
	)
	work := func() {
		defer wg.Done()
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				if panicked == nil {
					panicked = r
				}
				mu.Unlock()
				failed.Store(true)
			}
		}()
		for ctx.Err() == nil && (o.KeepGoing || !failed.Load()) {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if err := f(i); err != nil {
				failed.Store(true)
				mu.Lock()
				if i < firstIdx {
					firstIdx, firstErr = i, err
				}
				mu.Unlock()
			}
			if o.Progress != nil {
				mu.Lock()
				o.Progress(int(done.Add(1)))
				mu.Unlock()
			}
		}
	}
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go work()
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// serial is For on the caller's goroutine.
func serial(ctx context.Context, n int, o Options, f func(i int) error) error {
	var first error
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		err := f(i)
		if o.Progress != nil {
			o.Progress(i + 1)
		}
		if err != nil && first == nil {
			first = err
			if !o.KeepGoing {
				return err
			}
		}
	}
	if first != nil {
		return first
	}
	return ctx.Err()
}
