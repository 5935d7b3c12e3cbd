package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"lpz/repl"
	"lpz/repl/benchrepl"
	"lpz/study"
)

// The REPL's benchmark (package benchrepl): here, the flags of lpz repl
// and of :bench that say what to load.

// addBenchLoadFlags are the flags of :bench, also flags of lpz repl.
func addBenchLoadFlags(fs *flag.FlagSet) {
	fs.String("archs", "", "rank typed scalar formulas on a seeded sample of N architectures (default: all)")
	fs.Int64("seed", 42, "seed of the sample")
	addDataFlags(fs)
	addCaptureFlags(fs)
}

// benchReplFlags adds lpz repl's benchmark flags; the returned function
// installs :bench and :arch and loads what --bench/--arch/--archs name.
func benchReplFlags(fs *flag.FlagSet) func(ctx context.Context, r *repl.REPL) error {
	name := fs.String("bench", "", benchUsage+"; loaded at start")
	id := fs.String("arch", "", "load this architecture at start (of --bench, else of the default benchmark)")
	addBenchLoadFlags(fs)
	return func(ctx context.Context, r *repl.REPL) error {
		b := &benchrepl.Bench{}
		b.Load = func(ctx context.Context, r *repl.REPL, args []string) error { return loadBench(r, b, fs, args) }
		b.Progress = func(label string, total int, capturing bool) (func(int), func()) {
			f, _ := r.Out.(*os.File)
			bar := newProgress(f, label, total, f != nil && isTerminal(f) && capturing)
			return bar.update, bar.finish
		}
		b.Install(r)
		if *name == "" && *id == "" && fs.Lookup("archs").Value.String() == "" {
			return nil
		}
		return openBenchREPL(r, b, fs, *name, *id)
	}
}

// loadBench is :bench ARGS, whose flags default to lpz repl's, but for
// --truth: a ground truth is one benchmark's.
func loadBench(r *repl.REPL, b *benchrepl.Bench, defaults *flag.FlagSet, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	addBenchLoadFlags(fs)
	defaults.Visit(func(f *flag.Flag) {
		if fs.Lookup(f.Name) != nil && f.Name != "truth" {
			_ = fs.Set(f.Name, f.Value.String()) // same flag, same syntax
		}
	})
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		fmt.Fprintln(r.Out, b.Status())
		return nil
	case 1:
		return openBenchREPL(r, b, fs, pos[0], "")
	case 2:
		return openBenchREPL(r, b, fs, pos[0], pos[1])
	}
	return fmt.Errorf(":bench wants NAME [ID], got %d arguments", len(pos))
}

// openBenchREPL loads benchmark name (the default one when empty):
// architecture id, or a sample of --archs. Nothing changes when it fails.
func openBenchREPL(r *repl.REPL, b *benchrepl.Bench, fs *flag.FlagSet, name, id string) error {
	get := func(flag string) string { return fs.Lookup(flag).Value.String() }
	bs, a, err := openBenchArch(name, id, get("data"), get("model-fidelity"))
	if err != nil {
		return err
	}
	if err := bs.captureFlags(fs, r.Out); err != nil {
		return err
	}
	if id != "" {
		b.SetArch(r, bs.Session, a)
		return nil
	}
	n, err := study.ParseArchs(get("archs"))
	if err != nil {
		return err
	}
	return b.SetSample(r, bs.Session, n, fs.Lookup("seed").Value.(flag.Getter).Get().(int64))
}
