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
// which jobs ran to the end and the error of the lowest-numbered failed
// job, else ctx's error. A panic in f is raised again in the caller once
// the workers have stopped, so a recover there sees it.
func For(ctx context.Context, n int, o Options, f func(i int) error) (ran []bool, err error) {
	ran = make([]bool, n)
	errs := make([]error, n)
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	var (
		next, done atomic.Int64
		failed     atomic.Bool
		mu         sync.Mutex
		panicked   any
		wg         sync.WaitGroup
	)
	work := func() {
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
			if errs[i] = f(i); errs[i] != nil {
				failed.Store(true)
			}
			ran[i] = true
			if o.Progress != nil {
				mu.Lock()
				o.Progress(int(done.Add(1)))
				mu.Unlock()
			}
		}
	}
	if workers <= 1 {
		work()
	} else {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() { defer wg.Done(); work() }()
		}
		wg.Wait()
	}
	if panicked != nil {
		panic(panicked)
	}
	for _, e := range errs {
		if e != nil {
			return ran, e
		}
	}
	return ran, ctx.Err()
}
