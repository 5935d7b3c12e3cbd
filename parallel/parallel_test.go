package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestForRunsEveryJobOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 7, 100} {
		for _, n := range []int{0, 1, 5, 1000} {
			var calls atomic.Int64
			seen := make([]atomic.Int32, n)
			var last int
			err := For(context.Background(), n, Options{Workers: workers, Progress: func(done int) {
				if done != last+1 {
					t.Errorf("workers %d n %d: progress %d after %d", workers, n, done, last)
				}
				last = done
			}}, func(i int) error {
				calls.Add(1)
				seen[i].Add(1)
				return nil
			})
			if err != nil || int(calls.Load()) != n || last != n {
				t.Fatalf("workers %d n %d: err %v, %d calls, progress %d", workers, n, err, calls.Load(), last)
			}
			for i := range seen {
				if seen[i].Load() != 1 {
					t.Fatalf("workers %d n %d: job %d ran %d times", workers, n, i, seen[i].Load())
				}
			}
		}
	}
}

// The lowest-numbered failure is the error, whichever worker saw it
// first; without KeepGoing later jobs do not start.
func TestForStopsAtTheFirstError(t *testing.T) {
	for _, workers := range []int{1, 4} {
		var started atomic.Int64
		err := For(context.Background(), 10000, Options{Workers: workers}, func(i int) error {
			started.Add(1)
			if i == 3 || i == 5 {
				return fmt.Errorf("job %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "job 3" {
			t.Fatalf("workers %d: err %v, want job 3", workers, err)
		}
		if started.Load() > 100 {
			t.Errorf("workers %d: %d jobs started after a failure", workers, started.Load())
		}
	}
	var started atomic.Int64
	err := For(context.Background(), 50, Options{Workers: 3, KeepGoing: true}, func(i int) error {
		started.Add(1)
		if i%10 == 9 {
			return fmt.Errorf("job %d", i)
		}
		return nil
	})
	if err == nil || err.Error() != "job 9" || started.Load() != 50 {
		t.Fatalf("KeepGoing: err %v, %d started", err, started.Load())
	}
}

func TestForStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int64
	err := For(ctx, 1000, Options{Workers: 2}, func(i int) error {
		if i == 10 {
			cancel()
		}
		ran.Add(1)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if n := ran.Load(); n < 11 || n > 20 {
		t.Errorf("%d jobs ran after a cancellation at job 10", n)
	}
}

// A panicking job ends For with the same panic in the caller, where a
// recover (the interpreter's, which names the operator) can take it.
func TestForCarriesAPanicToTheCaller(t *testing.T) {
	for _, workers := range []int{1, 3} {
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("workers %d: recovered %v, want boom", workers, r)
				}
			}()
			For(context.Background(), 100, Options{Workers: workers}, func(i int) error {
				if i == 42 {
					panic("boom")
				}
				return nil
			})
			t.Errorf("workers %d: no panic", workers)
		}()
	}
}

// One worker runs on the caller's goroutine and allocates nothing: the
// interpreter calls For for every operator it applies.
func TestSerialForAllocatesNothing(t *testing.T) {
	x := make([]float64, 64)
	f := func(i int) error { x[i]++; return nil }
	ctx := context.Background()
	if a := testing.AllocsPerRun(100, func() { For(ctx, len(x), Options{Workers: 1}, f) }); a != 0 {
		t.Errorf("%v allocations per serial For", a)
	}
}

func BenchmarkFor(b *testing.B) {
	x := make([]float64, 1024)
	for range b.N {
		For(context.Background(), len(x), Options{Workers: 2}, func(i int) error {
			x[i] += float64(i)
			return nil
		})
	}
}
