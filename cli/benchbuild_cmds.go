package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"lpz/bench"
	"lpz/runtime"
	"lpz/study"
)

// lpz bench build: ground truth for a search space of your own
// (study.Build; bench/custom.go has the benchmark format and bench/space.go
// the spaces). Here: the flags, the progress lines and the summary.

func runBenchBuild(env *Env, args []string) error {
	fs := flag.NewFlagSet("bench build", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	space := fs.String("space", "", "search space: a built-in name ("+strings.Join(bench.SpaceNames(), ", ")+") or a YAML file")
	n := intFlag(fs, "n", 32, 1, 1_000_000, "architectures to sample")
	steps := intFlag(fs, "steps", 0, 0, math.MaxInt32, "training steps per architecture (0: the space's train.steps, else 40)")
	text := fs.String("text", "", "training/validation text (UTF-8, read as bytes)")
	out := fs.String("out", "", "output directory (created; re-running resumes)")
	seed := fs.Uint64("seed", 0, "seed of the sample, the weights and the batch order")
	workers := intFlag(fs, "workers", 1, 1, maxWorkers, "architectures trained at once (each training uses every core)")
	backend := fs.String("backend", "", "compute backend (default go: SimpleGo)")
	batch := intFlag(fs, "batch", 0, 0, 4096, "sequences per step (0: the space's train.batch, else 8)")
	seq := intFlag(fs, "seq", 0, 0, 4096, "tokens per sequence (0: the model's context; else at least 2)")
	lr := floatFlag(fs, "lr", 0, "[0, 10]", "peak learning rate (0: the space's train.lr, else 0.005)")
	evalBatches := intFlag(fs, "eval-batches", 0, 0, 1_000_000, "validation batches (0: the space's train.eval_batches, else 16)")
	validFrac := floatFlag(fs, "valid-frac", 0.1, "(0, 1)", "fraction of the text (its end) held out for validation")
	name := fs.String("name", "", "benchmark name (default: the space's name)")
	long := intFlag(fs, "long", 0, 0, 1_000_000, "evidence: train this many finished architectures (seeded subset) for --long-steps")
	longSteps := intFlag(fs, "long-steps", 0, 0, math.MaxInt32, "evidence: steps of the long runs (0: 5× --steps)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	only := fs.String("only", "", "comma-separated architecture ids: train only these of the sample (e.g. to spread a build over machines)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *space == "" || *out == "" || *text == "" {
		return usagef("want: lpz %s (built-in spaces: %s; lpz help bench build)", docs["bench build"].usage[0], strings.Join(bench.SpaceNames(), ", "))
	}
	sp, err := bench.LoadSpace(*space)
	if err != nil {
		return err
	}
	o := study.BuildOptions{Space: sp, N: *n, Seed: *seed, TextPath: *text, Out: *out, Name: *name, Workers: *workers,
		Backend: *backend, ValidFrac: *validFrac, Steps: *steps, Batch: *batch, Seq: *seq, EvalBatches: *evalBatches, LR: *lr,
		Long: *long, LongSteps: *longSteps, Revision: buildVCS()}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	interactive := false
	if f, ok := env.Stderr.(*os.File); ok && isTerminal(f) {
		interactive = true
	}
	if !*quiet {
		o.Progress = &buildProgress{w: env.Stderr, interactive: interactive}
	}
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	res, err := study.Build(ctx, o)
	if res != nil {
		printBuildSummary(env, res)
	}
	var stopped *study.BuildStopped
	if errors.As(err, &stopped) && stoppedBySignal(ctx) {
		return interrupted(ctx, "%s", stopped.Msg)
	}
	return err
}

// buildVCS is the binary's VCS revision (from the build info), if known.
func buildVCS() string {
	b := readBuild()
	if b.revision == "" {
		return "lpz (unknown revision)"
	}
	dirty := ""
	if b.modified {
		dirty = "+dirty"
	}
	return "lpz " + b.revision[:min(12, len(b.revision))] + dirty
}

// buildProgress reports a build on stderr: a redrawn step line on a
// terminal, one line per finished architecture always (lpz bench build
// --quiet: none).
type buildProgress struct {
	mu          sync.Mutex
	w           io.Writer
	interactive bool
	label       string
	total       int
	done_       int
	start       time.Time
}

// Phase implements study.BuildProgress.
func (p *buildProgress) Phase(label string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.total, p.done_, p.start = label, total, 0, time.Now()
}

func (p *buildProgress) eta() string {
	if p.done_ == 0 {
		return "?"
	}
	left := time.Duration(float64(time.Since(p.start)) / float64(p.done_) * float64(p.total-p.done_))
	return left.Round(time.Second).String()
}

// Step implements study.BuildProgress.
func (p *buildProgress) Step(id string) runtime.TrainProgress {
	if !p.interactive {
		return nil
	}
	return func(step, steps int, loss float64) {
		p.mu.Lock()
		defer p.mu.Unlock()
		fmt.Fprintf(p.w, "\r%s %d/%d  %s step %d/%d loss %.3f  elapsed %s  ETA %s   ", p.label, p.done_, p.total, id, step, steps, loss,
			time.Since(p.start).Round(time.Second), p.eta())
	}
}

// Done implements study.BuildProgress.
func (p *buildProgress) Done(r *bench.CustomArch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done_++
	if p.interactive {
		fmt.Fprint(p.w, "\r\033[K")
	}
	if r.Status == "ok" {
		fmt.Fprintf(p.w, "%s %d/%d  %-14s valid_loss %.4f  ppl %7.3f  %7d params  %6.1fs  ETA %s\n", p.label, p.done_, p.total, r.ID,
			r.ValidLoss, r.ValidPPL, r.Params, r.TrainSecs, p.eta())
	} else {
		fmt.Fprintf(p.w, "%s %d/%d  %-14s FAILED: %s\n", p.label, p.done_, p.total, r.ID, r.Error)
	}
}

func printBuildSummary(env *Env, res *study.BuildResult) {
	cb, tc := res.Bench, res.Train
	okN, failed := 0, 0
	var secs []float64
	for _, a := range cb.Archs {
		if a.Status == "ok" {
			okN++
			secs = append(secs, a.TrainSecs)
		} else {
			failed++
		}
	}
	sort.Float64s(secs)
	fmt.Fprintf(env.Stdout, "benchmark     %s (%s, space %s): %d architectures ok, %d failed, of %d\n", res.Path, cb.Name, cb.Space.Name, okN, failed, cb.N)
	fmt.Fprintf(env.Stdout, "recipe        %d steps × %d × %v tokens, lr %g, seed %d, backend %s\n", tc.Steps, tc.Batch, cb.Train["seq"], tc.LR, cb.Seed, cb.Backend)
	fmt.Fprintf(env.Stdout, "this run      trained %d, reused %d, wall %s (total build wall %.0fs)\n", res.Trained, res.Reused, res.Wall.Round(time.Second), cb.WallSeconds)
	if len(secs) > 0 {
		t := 0.0
		for _, s := range secs {
			t += s
		}
		fmt.Fprintf(env.Stdout, "train time    min %.1fs  median %.1fs  max %.1fs  mean %.1fs per architecture\n", secs[0], secs[len(secs)/2], secs[len(secs)-1], t/float64(len(secs)))
	}
	if ev := cb.Evidence; ev != nil {
		fmt.Fprintf(env.Stdout, "evidence      %d architectures × %d steps: Spearman ρ %.3f, Kendall τ %.3f (short vs long validation loss), %.0fs\n", len(ev.IDs), ev.Steps, ev.Spearman, ev.Kendall, ev.WallSecs)
	}
	if st, err := os.Stat(res.Path); err == nil {
		fmt.Fprintf(env.Stdout, "size          %d bytes\n", st.Size())
	}
}
