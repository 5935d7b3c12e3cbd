package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"lpz/bench"
	"lpz/interp"
	"lpz/lang"
	"lpz/rank"
	"lpz/repl"
)

func init() {
	replExtensions = append(replExtensions, installBenchREPL)
}

// benchREPL is the REPL's benchmark state: one architecture's inputs loaded
// into the session, or a sample over which typed formulas are ranked.
type benchREPL struct {
	bs     *benchSession
	sample []bench.Arch
	ids    []string
}

func installBenchREPL(r *repl.REPL) {
	st := &benchREPL{}
	r.Register(&repl.Command{
		Name: "bench",
		Args: "NAME [ID | --archs N] [--seed S] [--data DIR]",
		Doc:  "load one architecture's inputs, or a sample of N on which each typed formula prints ρ/τ",
		Run: func(ctx context.Context, r *repl.REPL, arg string) error {
			return st.load(ctx, r, strings.Fields(arg))
		},
		Complete: func(r *repl.REPL) []string {
			out := append([]string{}, bench.Names...)
			return append(out, st.ids...)
		},
	})
	r.ExprHook = func(ctx context.Context, r *repl.REPL, src string) (bool, error) {
		if st.sample == nil || !looksLikeExpr(src) {
			return false, nil
		}
		p, err := interp.CompileSource(src, withVars(channelTypes(), r.Session), r.Session.Table)
		if err != nil {
			return false, nil // let the session report it (it may be a statement)
		}
		if p.Type() != lang.ScalarType {
			return false, nil
		}
		scores, invalid, err := st.bs.scoreArchs(ctx, p, st.sample, 0, nil)
		if err != nil {
			return true, err
		}
		var valid []bench.Arch
		for _, a := range st.sample {
			if _, ok := scores[a.ID]; ok {
				valid = append(valid, a)
			}
		}
		rep, err := rank.NewReportFromMap(st.bs.b, valid, scores, p.String())
		if err != nil {
			return true, err
		}
		rho, tau := "undefined", "undefined"
		if rep.Spearman != nil {
			rho = fmt.Sprintf("%.4f", *rep.Spearman)
		}
		if rep.Kendall != nil {
			tau = fmt.Sprintf("%.4f", *rep.Kendall)
		}
		within := "undefined"
		if rep.WithinStratum != nil {
			within = fmt.Sprintf("%.4f", *rep.WithinStratum)
		}
		fmt.Fprintf(r.Out, "ρ %s  τ %s  within-stratum ρ %s  (n %d of %s", rho, tau, within, rep.N, st.bs.b.Name)
		if len(invalid) > 0 {
			fmt.Fprintf(r.Out, "; %d invalid", len(invalid))
		}
		fmt.Fprintln(r.Out, ")")
		return true, nil
	}
	r.Names = func() []string { return st.ids }
}

func (st *benchREPL) load(ctx context.Context, r *repl.REPL, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	archs := fs.String("archs", "", "rank typed formulas on a sample of N (or all)")
	seed := fs.Int64("seed", 42, "sample seed")
	data := fs.String("data", "", "benchmark data directory")
	fidelity := fs.String("model-fidelity", string(bench.DefaultFlexiMode), "FlexiBERT models")
	addCaptureFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		if st.bs == nil {
			fmt.Fprintln(r.Out, "no benchmark loaded; :bench NAME ID or :bench NAME --archs N")
			return nil
		}
		fmt.Fprintf(r.Out, "%s: %d architectures loaded for ranking\n", st.bs.b.Name, len(st.sample))
		return nil
	}
	bs, err := openBench(pos[0], *data, *fidelity)
	if err != nil {
		return err
	}
	bs.captureFlags(fs)
	st.bs, st.ids = bs, bs.b.IDs()
	if len(pos) == 2 {
		a, ok := bs.b.Arch(pos[1])
		if !ok {
			return fmt.Errorf("benchmark %s has no architecture %q", pos[0], pos[1])
		}
		in, err := bs.inputs(ctx, a, captureChannelNames())
		if err != nil {
			return err
		}
		st.sample = nil
		r.Session.Inputs = in
		fmt.Fprintf(r.Out, "loaded %s/%s (%s = %.6g): inputs %s\n", bs.b.Name, a.ID, bs.b.TruthName, a.Truth, strings.Join(r.Session.Names(), " "))
		return nil
	}
	n, err := parseArchs(*archs)
	if err != nil {
		return err
	}
	st.sample = bench.Sample(bs.b, n, *seed)
	fmt.Fprintf(r.Out, "ranking typed scalar formulas on %d architectures of %s (seed %d); :bench NAME ID loads one\n", len(st.sample), bs.b.Name, *seed)
	return nil
}

// captureChannelNames lists the list channels of the table (what loading
// one architecture captures), or none when this build cannot capture.
func captureChannelNames() []string {
	if captureProvider == nil {
		return nil
	}
	var out []string
	for _, name := range listChannels() {
		out = append(out, name)
	}
	return out
}

func withVars(types map[string]langType, s *interp.Session) map[string]langType {
	for k, v := range s.Vars {
		types[k] = v.Type
	}
	return types
}

// looksLikeExpr skips statements (let/proxy/print) so they reach the session.
func looksLikeExpr(src string) bool {
	first := strings.Fields(src)
	if len(first) == 0 {
		return false
	}
	switch first[0] {
	case "let", "proxy", "print", "rule", "reject":
		return false
	}
	return true
}
