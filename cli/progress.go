package cli

import (
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"lpz/bench"
	"lpz/gp"
	"lpz/runtime"
)

// progress is lpz's one progress printer: a long job's status on stderr.
// On a terminal it is one line redrawn in place; when stderr is a file (a
// job under nohup, a batch system) it writes a plain line every logEvery,
// so that the log shows where the job is. It counts architectures
// (update), shows a search's generations (generation) and a bench build's
// training (Phase, Step and Done implement study.BuildProgress).
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	on     bool    // anything is shown
	tty    bool    // w is a terminal: redraw one line
	redraw float64 // seconds between redraws on a terminal
	keep   bool    // finish keeps the last line on a terminal (else clears it)
	start  nowFunc // seconds since the job (a build: its phase) began
	last   float64 // elapsed seconds at the last line
	logged bool    // a plain line was written
	label  string
	total  int
	done   int // a build's architectures finished in this phase
}

const logEvery = 30 * time.Second

type nowFunc func() float64

func elapsedSince() nowFunc {
	t0 := time.Now()
	return func() float64 { return time.Since(t0).Seconds() }
}

// newProgress counts a job of total steps on w when enabled and w is a
// file; it shows nothing before the first interval (a short job prints
// nothing), and its last line once it showed any.
func newProgress(w any, label string, total int, enabled bool) *progress {
	f, _ := w.(*os.File)
	p := &progress{w: f, label: label, total: total, on: enabled && f != nil, redraw: 0.2, keep: true, start: elapsedSince()}
	p.tty = p.on && isTerminal(f)
	return p
}

// newSearchProgress shows a search's generations: the first at once, so a
// log says that the search has started, and the last.
func newSearchProgress(w io.Writer, enabled bool) *progress {
	f, _ := w.(*os.File)
	p := &progress{w: f, on: enabled && f != nil, redraw: 0.1, last: math.Inf(-1), start: elapsedSince()}
	p.tty = p.on && isTerminal(f)
	return p
}

// newBuildProgress reports a bench build on w, whatever w is: a redrawn
// step line on a terminal, and always one line per finished architecture.
func newBuildProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, on: true, tty: ok && isTerminal(f), start: elapsedSince()}
}

// due reports whether a line is due (final: the job's last, due whatever
// the interval) and when it is, notes it; el is the elapsed time.
func (p *progress) due(final bool) (el float64, ok bool) {
	el = p.start()
	every := p.redraw
	if !p.tty {
		every = logEvery.Seconds()
	}
	if !final && el-p.last < every {
		return el, false
	}
	p.last = el
	return el, true
}

// show redraws the terminal's line with redrawn, or logs line.
func (p *progress) show(redrawn, line string) {
	if p.tty {
		fmt.Fprint(p.w, redrawn)
		return
	}
	fmt.Fprintln(p.w, line)
	p.logged = true
}

func (p *progress) update(done int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	el, ok := p.due(done >= p.total && (p.tty || p.logged))
	if !ok {
		return
	}
	eta := 0.0
	if done > 0 {
		eta = el / float64(done) * float64(p.total-done)
	}
	p.show(fmt.Sprintf("\r%s %d/%d  %.1fs elapsed  ETA %.0fs   ", p.label, done, p.total, el, eta),
		fmt.Sprintf("%s %d/%d  %.0fs elapsed  ETA %.0fs", p.label, done, p.total, el, eta))
}

func (p *progress) generation(g gp.Progress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.due(g.Gen == g.Gens); !ok {
		return
	}
	line := fmt.Sprintf("gen %d/%d  best %.4f  %d evals (%.1f/s)  rejected %d  %s", g.Gen, g.Gens, g.Best.Fitness, g.Evals, g.EvalsPerSec, g.Rejected, shorten(g.Best.Text, 60))
	p.show("\r\033[K"+line, line)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// finish ends the display; later updates and finishes do nothing.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on && p.tty {
		if p.keep {
			fmt.Fprintln(p.w)
		} else {
			fmt.Fprint(p.w, "\r\033[K")
		}
	}
	p.on = false
}

// Phase implements study.BuildProgress.
func (p *progress) Phase(label string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label, p.total, p.done, p.start = label, total, 0, elapsedSince()
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

func (p *progress) buildETA() string {
	if p.done == 0 {
		return "?"
	}
	return seconds(p.start() / float64(p.done) * float64(p.total-p.done)).String()
}

// Step implements study.BuildProgress. Off a terminal it prints nothing
// for the short trainings of a sample, but a phase of one long training
// (a LoNAS super-network or its adapters) prints a line every 5 % of it.
func (p *progress) Step(id string) runtime.TrainProgress {
	if !p.tty && p.total != 1 {
		return nil
	}
	return func(step, steps int, loss float64) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.tty {
			if every := max(1, steps/20); step%every == 0 || step == steps {
				el := p.start()
				fmt.Fprintf(p.w, "%s step %d/%d loss %.3f  elapsed %s  ETA %s\n", id, step, steps, loss, seconds(el), seconds(el/float64(step)*float64(steps-step)))
			}
			return
		}
		fmt.Fprintf(p.w, "\r%s %d/%d  %s step %d/%d loss %.3f  elapsed %s  ETA %s   ", p.label, p.done, p.total, id, step, steps, loss,
			seconds(p.start()), p.buildETA())
	}
}

// Done implements study.BuildProgress.
func (p *progress) Done(r *bench.CustomArch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
	switch {
	case r.Status == "ok" && r.Metrics["eval_s"] > 0: // measured, not trained (a LoNAS sub-network)
		fmt.Fprintf(p.w, "%s %d/%d  %-14s valid_loss %.4f  ppl %7.3f%s  %7d params  %6.1fs  ETA %s\n", p.label, p.done, p.total, r.ID,
			r.ValidLoss, r.ValidPPL, accuracies(r.Metrics), r.Params, r.Metrics["eval_s"], p.buildETA())
	case r.Status == "ok":
		fmt.Fprintf(p.w, "%s %d/%d  %-14s valid_loss %.4f  ppl %7.3f  %7d params  %6.1fs  ETA %s\n", p.label, p.done, p.total, r.ID,
			r.ValidLoss, r.ValidPPL, r.Params, r.TrainSecs, p.buildETA())
	default:
		fmt.Fprintf(p.w, "%s %d/%d  %-14s FAILED: %s\n", p.label, p.done, p.total, r.ID, r.Error)
	}
}

// accuracies lists a record's task accuracies (metrics acc_TASK).
func accuracies(m map[string]float64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if task, ok := strings.CutPrefix(k, "acc_"); ok && !strings.HasPrefix(task, "norm_") && !strings.HasSuffix(task, "_a") && !strings.HasSuffix(task, "_b") {
			fmt.Fprintf(&b, "  %s %.3f", k, m[k])
		}
	}
	return b.String()
}
