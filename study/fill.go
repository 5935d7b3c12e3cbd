package study

import (
	"context"
	"fmt"

	"lpz/bench"
	"lpz/parallel"
)

// Shard keeps the i-th of n deterministic shards of archs (every n-th from
// the i-th, 0-based), so that n jobs (a Kubernetes Indexed Job, a Slurm
// array) fill one cache between them.
func Shard(archs []bench.Arch, i, n int) []bench.Arch {
	var mine []bench.Arch
	for j, a := range archs {
		if j%n == i {
			mine = append(mine, a)
		}
	}
	return mine
}

// CaptureAll captures each architecture's standard channels into the
// cache (or finds them there), workers at a time (each capture already
// uses every core). A failing architecture does not stop the others: its
// error, naming it, is in failed, in the order of archs. On cancellation
// the captures finished so far stay cached and err is ctx's.
func (s *Session) CaptureAll(ctx context.Context, archs []bench.Arch, workers int, progress func(done int)) (failed []error, err error) {
	c, err := s.Capturer()
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(archs))
	err = parallel.For(ctx, len(archs), parallel.Options{Workers: workers, KeepGoing: true, Progress: progress}, func(i int) error {
		if _, err := c.Capture(ctx, archs[i], nil); err != nil && ctx.Err() == nil {
			errs[i] = fmt.Errorf("%s: %w", archs[i].ID, err)
		}
		return nil
	})
	for _, e := range errs {
		if e != nil {
			failed = append(failed, e)
		}
	}
	return failed, err
}
