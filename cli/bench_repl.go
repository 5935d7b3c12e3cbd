package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"lpz/bench"
	"lpz/interp"
	"lpz/lang"
	"lpz/repl"
	"lpz/stdlib"
	"lpz/study"
)

// benchREPL is the REPL's benchmark state. Formulas read the inputs of the
// current architecture, captured when a statement first reads them; with a
// sample loaded, a scalar expression that reads only per-architecture
// inputs is ranked over the sample instead.
type benchREPL struct {
	defaults *flag.FlagSet // lpz repl's flags, the defaults of :bench
	bs       *benchSession
	sample   []bench.Arch // nil: one architecture, nothing is ranked
	seed     int64
	cur      bench.Arch
}

// addBenchLoadFlags are the flags of :bench, also flags of lpz repl.
func addBenchLoadFlags(fs *flag.FlagSet) {
	fs.String("archs", "", "rank typed scalar formulas on a seeded sample of N architectures (default: all)")
	fs.Int64("seed", 42, "seed of the sample")
	fs.String("data", "", "benchmark data directory (default $LPZ_DATA, else ./data)")
	fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models: records | upstream-proxy")
	addCaptureFlags(fs)
}

// benchReplFlags adds lpz repl's benchmark flags; the returned function
// installs :bench and :arch and loads what --bench/--arch/--archs name.
func benchReplFlags(fs *flag.FlagSet) func(ctx context.Context, r *repl.REPL) error {
	name := fs.String("bench", "", benchUsage+"; loaded at start")
	id := fs.String("arch", "", "load this architecture at start (of --bench, else of the default benchmark)")
	addBenchLoadFlags(fs)
	return func(ctx context.Context, r *repl.REPL) error {
		st := &benchREPL{defaults: fs}
		st.install(r)
		if *name == "" && *id == "" && fs.Lookup("archs").Value.String() == "" {
			return nil
		}
		return st.open(ctx, r, fs, *name, *id)
	}
}

func (st *benchREPL) install(r *repl.REPL) {
	r.Register(&repl.Command{
		Name: "bench",
		Args: "NAME [ID | --archs N]",
		Doc:  "rank typed scalar formulas (ρ, τ) on a sample of N, or load one architecture; flags --seed --data and lpz capture's",
		Run: func(ctx context.Context, r *repl.REPL, arg string) error {
			return st.load(ctx, r, strings.Fields(arg))
		},
		Complete: func(r *repl.REPL) []string {
			return append(append([]string{bench.NanoName}, bench.Names...), st.ids()...)
		},
	})
	r.Register(&repl.Command{
		Name: "arch",
		Args: "[ID]",
		Doc:  "show or pick the architecture whose inputs formulas read (a sample stays loaded)",
		Run: func(ctx context.Context, r *repl.REPL, arg string) error {
			return st.setArch(r, arg)
		},
		Complete: func(r *repl.REPL) []string { return st.ids() },
	})
	r.Provider = st
	r.ExprHook = st.rankHook
	r.Status = st.status
}

func (st *benchREPL) ids() []string {
	if st.bs == nil {
		return nil
	}
	return st.bs.Bench.IDs()
}

func (st *benchREPL) load(ctx context.Context, r *repl.REPL, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	addBenchLoadFlags(fs)
	if st.defaults != nil {
		st.defaults.Visit(func(f *flag.Flag) {
			if fs.Lookup(f.Name) != nil {
				_ = fs.Set(f.Name, f.Value.String()) // same flag, same syntax
			}
		})
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		fmt.Fprintln(r.Out, st.status())
		return nil
	case 1:
		return st.open(ctx, r, fs, pos[0], "")
	case 2:
		return st.open(ctx, r, fs, pos[0], pos[1])
	}
	return fmt.Errorf(":bench wants NAME [ID], got %d arguments", len(pos))
}

// open loads benchmark name (the default one when empty): architecture id,
// or a sample of --archs. Nothing changes when it fails.
func (st *benchREPL) open(ctx context.Context, r *repl.REPL, fs *flag.FlagSet, name, id string) error {
	get := func(flag string) string { return fs.Lookup(flag).Value.String() }
	bs, a, err := openBenchArch(name, id, get("data"), get("model-fidelity"))
	if err != nil {
		return err
	}
	bs.captureFlags(fs, r.Out)
	if id != "" {
		st.bs, st.sample, st.cur = bs, nil, a
		r.Session.Inputs = interp.Inputs{}
		fmt.Fprintf(r.Out, "%s/%s (%s = %.6g): formulas read its inputs (:inputs lists them; channels are captured when first read)\n", bs.Bench.Name, a.ID, bs.Bench.TruthName, a.Truth)
		return nil
	}
	n, err := study.ParseArchs(get("archs"))
	if err != nil {
		return err
	}
	seed := fs.Lookup("seed").Value.(flag.Getter).Get().(int64)
	sample, err := study.SelectArchs(bs.Bench, n, seed, "")
	if err != nil {
		return err
	}
	if len(sample) == 0 {
		return fmt.Errorf("benchmark %s has no architectures", bs.Bench.Name)
	}
	st.bs, st.sample, st.seed, st.cur = bs, sample, seed, sample[0]
	r.Session.Inputs = interp.Inputs{}
	fmt.Fprintf(r.Out, "ranking typed scalar formulas on %d architectures of %s (seed %d); other formulas read %s, the current architecture (:arch ID picks another)\n", len(sample), bs.Bench.Name, seed, sample[0].ID)
	return nil
}

func (st *benchREPL) setArch(r *repl.REPL, id string) error {
	if st.bs == nil {
		return fmt.Errorf("no benchmark loaded; :bench NAME [ID] loads one (:bench %s is embedded)", bench.NanoName)
	}
	if id != "" {
		a, err := study.FindArch(st.bs.Bench, id)
		if err != nil {
			return err
		}
		st.cur = a
		r.Session.Inputs = interp.Inputs{}
	}
	fmt.Fprintf(r.Out, "current architecture: %s/%s (%s = %.6g)\n", st.bs.Bench.Name, st.cur.ID, st.bs.Bench.TruthName, st.cur.Truth)
	return nil
}

func (st *benchREPL) status() string {
	if st.bs == nil {
		return "no benchmark loaded; :bench NAME --archs N or :bench NAME ID loads one"
	}
	if st.sample == nil {
		return fmt.Sprintf("%s: architecture %s loaded", st.bs.Bench.Name, st.cur.ID)
	}
	return fmt.Sprintf("%s: %d architectures loaded for ranking (seed %d); current architecture %s", st.bs.Bench.Name, len(st.sample), st.seed, st.cur.ID)
}

// Types are every input a benchmark architecture can have, so statements
// check (and :type answers) before anything is loaded.
func (st *benchREPL) Types() map[string]lang.Type { return study.ChannelTypes() }

func (st *benchREPL) Describe() string {
	if st.bs == nil {
		return ""
	}
	return fmt.Sprintf("inputs of %s/%s (the current architecture; channels are captured when a statement first reads them):", st.bs.Bench.Name, st.cur.ID)
}

// Provide captures what a statement reads on the current architecture.
func (st *benchREPL) Provide(ctx context.Context, r *repl.REPL, names []string) error {
	if st.bs == nil {
		return fmt.Errorf("%s: no benchmark architecture is loaded to read it from; load one with :bench NAME ID (:bench %s --archs 1 needs no data), or .npy tensors with :inputs DIR", strings.Join(names, ", "), bench.NanoName)
	}
	in, err := st.bs.Inputs(ctx, st.cur, names)
	if ctx.Err() != nil {
		return ctx.Err() // the capture finished (and is cached), but the user asked to stop
	}
	if err == nil {
		err = st.bs.MissingChannel(st.cur, in, names)
	}
	if err != nil {
		return err
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
func (st *benchREPL) rankHook(ctx context.Context, r *repl.REPL, cp *lang.CheckedProgram, reads []string) (bool, error) {
	if st.sample == nil || !slices.ContainsFunc(reads, isChannel) {
		return false, nil
	}
	if s := cp.Stmts; len(s) == 1 && s[0].Kind == lang.ExprStmt && s[0].Checked.Type() == lang.ScalarType {
		p, err := interp.Compile(s[0].Checked, r.Session.Table)
		if err != nil {
			return true, err
		}
		// p.Inputs also names the bindings it reads, which reads leaves out.
		if len(p.Inputs()) == len(reads) && !slices.ContainsFunc(reads, func(n string) bool { return !isChannel(n) }) {
			return true, st.rank(ctx, r, p)
		}
	}
	fmt.Fprintf(r.Out, "(on %s/%s, the current architecture; :arch ID picks another)\n", st.bs.Bench.Name, st.cur.ID)
	return false, nil
}

// isChannel tells a benchmark architecture's input (capture channel or
// architecture scalar) from a .npy input or a binding.
func isChannel(name string) bool {
	_, ok := stdlib.LookupChannel(name)
	return ok
}

func (st *benchREPL) rank(ctx context.Context, r *repl.REPL, p *interp.Program) error {
	f, _ := r.Out.(*os.File)
	bar := newProgress(f, "rank", len(st.sample), f != nil && isTerminal(f) && study.NeedsCapture(p))
	rep, _, err := st.bs.Rank(ctx, p, st.sample, 0, bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	if v, ok := sameScore(rep.Scores); ok && !rep.Rho.Defined() {
		fmt.Fprintf(r.Out, "ρ undefined: %s is %s on every architecture (n %d of %s)\n", p.String(), interp.FormatScalar(v), rep.N, st.bs.Bench.Name)
		return nil
	}
	fmt.Fprintf(r.Out, "ρ %s  τ %s  within-stratum ρ %s  (n %d of %s", rep.Rho.Text(4), rep.Tau.Text(4), rep.Within.Text(4), rep.N, st.bs.Bench.Name)
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
