// Package benchrepl gives the REPL a benchmark (lpz repl --bench, :bench):
// formulas read the inputs of the current architecture, captured when a
// statement first reads them; with a sample loaded, a scalar expression
// that reads only per-architecture inputs is ranked over the sample
// instead (ρ, τ). The command line parses :bench's flags and opens the
// benchmark (a study.Session); this package keeps what is loaded.
package benchrepl

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"lpz/bench"
	"lpz/interp"
	"lpz/lang"
	"lpz/repl"
	"lpz/stdlib"
	"lpz/study"
)

// Bench is the REPL's benchmark state.
type Bench struct {
	// Load runs `:bench ARGS`: it parses ARGS and calls SetArch or
	// SetSample (the command line's flags).
	Load func(ctx context.Context, r *repl.REPL, args []string) error
	// Progress, when set, shows a ranking's progress: total architectures,
	// capturing when their channels are captured; it returns the update
	// and finish functions.
	Progress func(label string, total int, capturing bool) (update func(done int), finish func())

	s      *study.Session
	sample []bench.Arch // nil: one architecture, nothing is ranked
	seed   int64
	cur    bench.Arch
}

// Install registers :bench and :arch and makes b the REPL's input provider,
// expression hook and status.
func (b *Bench) Install(r *repl.REPL) {
	r.Register(&repl.Command{
		Name: "bench",
		Args: "NAME [ID | --archs N]",
		Doc:  "rank typed scalar formulas (ρ, τ) on a sample of N, or load one architecture; flags --seed --data and lpz capture's",
		Run: func(ctx context.Context, r *repl.REPL, arg string) error {
			return b.Load(ctx, r, strings.Fields(arg))
		},
		Complete: func(r *repl.REPL) []string {
			return append(append([]string{bench.NanoName}, bench.Names...), b.ids()...)
		},
	})
	r.Register(&repl.Command{
		Name: "arch",
		Args: "[ID]",
		Doc:  "show or pick the architecture whose inputs formulas read (a sample stays loaded)",
		Run: func(ctx context.Context, r *repl.REPL, arg string) error {
			return b.setCurrent(r, arg)
		},
		Complete: func(r *repl.REPL) []string { return b.ids() },
	})
	r.Provider = b
	r.ExprHook = b.rankHook
	r.Status = b.Status
}

func (b *Bench) ids() []string {
	if b.s == nil {
		return nil
	}
	return b.s.Bench.IDs()
}

// SetArch loads one architecture of s: formulas read its inputs.
func (b *Bench) SetArch(r *repl.REPL, s *study.Session, a bench.Arch) {
	b.s, b.sample, b.cur = s, nil, a
	r.Session.Inputs = interp.Inputs{}
	fmt.Fprintf(r.Out, "%s/%s (%s = %.6g): formulas read its inputs (:inputs lists them; channels are captured when first read)\n", s.Bench.Name, a.ID, s.Bench.TruthName, a.Truth)
}

// SetSample loads a seeded sample of n architectures of s (0: all) for
// ranking; the first is the current one. Nothing changes when it fails.
func (b *Bench) SetSample(r *repl.REPL, s *study.Session, n int, seed int64) error {
	sample, err := study.SelectArchs(s.Bench, n, seed, "")
	if err != nil {
		return err
	}
	if len(sample) == 0 {
		return fmt.Errorf("benchmark %s has no architectures", s.Bench.Name)
	}
	b.s, b.sample, b.seed, b.cur = s, sample, seed, sample[0]
	r.Session.Inputs = interp.Inputs{}
	fmt.Fprintf(r.Out, "ranking typed scalar formulas on %d architectures of %s (seed %d); other formulas read %s, the current architecture (:arch ID picks another)\n", len(sample), s.Bench.Name, seed, sample[0].ID)
	return nil
}

func (b *Bench) setCurrent(r *repl.REPL, id string) error {
	if b.s == nil {
		return fmt.Errorf("no benchmark loaded; :bench NAME [ID] loads one (:bench %s is embedded)", bench.NanoName)
	}
	if id != "" {
		a, err := study.FindArch(b.s.Bench, id)
		if err != nil {
			return err
		}
		b.cur = a
		r.Session.Inputs = interp.Inputs{}
	}
	fmt.Fprintf(r.Out, "current architecture: %s/%s (%s = %.6g)\n", b.s.Bench.Name, b.cur.ID, b.s.Bench.TruthName, b.cur.Truth)
	return nil
}

// Status says what is loaded (:help prints it, and :bench alone).
func (b *Bench) Status() string {
	if b.s == nil {
		return "no benchmark loaded; :bench NAME --archs N or :bench NAME ID loads one"
	}
	if b.sample == nil {
		return fmt.Sprintf("%s: architecture %s loaded", b.s.Bench.Name, b.cur.ID)
	}
	return fmt.Sprintf("%s: %d architectures loaded for ranking (seed %d); current architecture %s", b.s.Bench.Name, len(b.sample), b.seed, b.cur.ID)
}

// Types are every input a benchmark architecture can have, so statements
// check (and :type answers) before anything is loaded.
func (b *Bench) Types() map[string]lang.Type { return study.ChannelTypes() }

// Describe implements repl.Provider.
func (b *Bench) Describe() string {
	if b.s == nil {
		return ""
	}
	return fmt.Sprintf("inputs of %s/%s (the current architecture; channels are captured when a statement first reads them):", b.s.Bench.Name, b.cur.ID)
}

// Provide captures what a statement reads on the current architecture.
func (b *Bench) Provide(ctx context.Context, r *repl.REPL, names []string) error {
	if b.s == nil {
		return fmt.Errorf("%s: no benchmark architecture is loaded to read it from; load one with :bench NAME ID (:bench %s --archs 1 needs no data), or .npy tensors with :inputs DIR", strings.Join(names, ", "), bench.NanoName)
	}
	in, err := b.s.ArchInputs(ctx, b.cur, names)
	if err != nil {
		return err // a cancelled capture finished (and is cached), but the user asked to stop
	}
	for k, v := range in {
		if _, ok := r.Session.Inputs[k]; !ok {
			r.Session.Inputs[k] = v
		}
	}
	return nil
}

// rankHook ranks a scalar expression that reads per-architecture inputs
// and nothing else (no bindings) over the sample; any other statement that
// reads them runs on the current architecture, which it says.
func (b *Bench) rankHook(ctx context.Context, r *repl.REPL, cp *lang.CheckedProgram, reads []string) (bool, error) {
	if b.sample == nil || !slices.ContainsFunc(reads, isChannel) {
		return false, nil
	}
	if s := cp.Stmts; len(s) == 1 && s[0].Kind == lang.ExprStmt && s[0].Checked.Type() == lang.ScalarType {
		p, err := interp.Compile(s[0].Checked, r.Session.Table)
		if err != nil {
			return true, err
		}
		// p.Inputs also names the bindings it reads, which reads leaves out.
		if len(p.Inputs()) == len(reads) && !slices.ContainsFunc(reads, func(n string) bool { return !isChannel(n) }) {
			return true, b.rank(ctx, r, p)
		}
	}
	fmt.Fprintf(r.Out, "(on %s/%s, the current architecture; :arch ID picks another)\n", b.s.Bench.Name, b.cur.ID)
	return false, nil
}

// isChannel tells a benchmark architecture's input (capture channel or
// architecture scalar) from a .npy input or a binding.
func isChannel(name string) bool {
	_, ok := stdlib.LookupChannel(name)
	return ok
}

func (b *Bench) rank(ctx context.Context, r *repl.REPL, p *interp.Program) error {
	update, finish := func(int) {}, func() {}
	if b.Progress != nil {
		update, finish = b.Progress("rank", len(b.sample), study.NeedsCapture(p))
	}
	rep, _, err := b.s.Rank(ctx, p, b.sample, 0, update)
	finish()
	if err != nil {
		return err
	}
	if v, ok := sameScore(rep.Scores); ok && !rep.Rho.Defined() {
		fmt.Fprintf(r.Out, "ρ undefined: %s is %s on every architecture (n %d of %s)\n", p.String(), interp.FormatScalar(v), rep.N, b.s.Bench.Name)
		return nil
	}
	fmt.Fprintf(r.Out, "ρ %s  τ %s  within-stratum ρ %s  (n %d of %s", rep.Rho.Text(4), rep.Tau.Text(4), rep.Within.Text(4), rep.N, b.s.Bench.Name)
	if rep.Invalid > 0 {
		fmt.Fprintf(r.Out, "; %d invalid", rep.Invalid)
	}
	fmt.Fprintln(r.Out, ")")
	return nil
}

// sameScore reports whether every score is the same number (a formula
// constant over the sample, which has no rank correlation).
func sameScore(scores []float64) (float64, bool) {
	first, v := true, 0.0
	for _, x := range scores {
		if first {
			first, v = false, x
		} else if x != v {
			return 0, false
		}
	}
	return v, !first
}
