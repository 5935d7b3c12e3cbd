package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"lpz/interp"
	"lpz/lang"
	"lpz/repl"
	"lpz/stdlib"
	"lpz/study"
)

func runRepl(env *Env, args []string) error {
	fs := flag.NewFlagSet("repl", flag.ContinueOnError)
	inputs := fs.String("inputs", "", "directory of .npy tensors to load")
	history := fs.String("history", repl.DefaultHistory(), "history file")
	startBench := benchReplFlags(fs)
	if err := parseNone(fs, args, "repl takes no arguments, got %q (lpz run FILE runs a script; :load FILE in the REPL)"); err != nil {
		return err
	}
	sess := interp.NewSession(nil)
	r := repl.New(sess, env.Stdout)
	installSearchREPL(r)
	ctx := context.Background()
	if err := startBench(ctx, r); err != nil {
		return err
	}
	if *inputs != "" {
		in, err := interp.LoadInputsDir(*inputs)
		if err != nil {
			return err
		}
		for k, v := range in {
			sess.Inputs[k] = v
		}
	}
	if isTerminal(env.Stdin) {
		return r.Interactive(ctx, *history)
	}
	r.Interrupts = true // Ctrl-C stops the running statement; at a read it ends lpz as usual
	return r.Run(ctx, env.Stdin)
}

// parseScript parses the flags of a command that reads one script file
// (see parseOne) and reads it.
func parseScript(fs *flag.FlagSet, args []string, want string) (file, src string, err error) {
	if file, err = parseOne(fs, args, want); err == nil {
		src, err = lang.ReadSource(file)
	}
	return file, src, err
}

func runScript(env *Env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	inputs := fs.String("inputs", "", "directory of .npy tensors to load")
	file, src, err := parseScript(fs, args, "want one script file, got %d arguments")
	if err != nil {
		return err
	}
	sess := interp.NewSession(nil)
	if *inputs != "" {
		if sess.Inputs, err = interp.LoadInputsDir(*inputs); err != nil {
			return err
		}
	}
	ctx, stop := signalContext()
	defer stop()
	_, err = sess.Exec(ctx, file, src, env.Stdout)
	if err != nil && stoppedBySignal(ctx) {
		return interrupted(ctx, "the script stopped; the output above is of the statements that finished")
	}
	return printed(env, err)
}

// printed writes positioned language errors as they are (they already
// carry file:line:col and carets) and turns them into exit status 1.
func printed(env *Env, err error) error {
	if err == nil {
		return nil
	}
	fmt.Fprintln(env.Stderr, err)
	return &exitError{1}
}

func runCheck(env *Env, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	inputs := fs.String("inputs", "", "check against the inputs of this .npy directory instead of the channel table")
	arg, err := parseOne(fs, args, "want one expression or script file")
	if err != nil {
		return err
	}
	types := study.ChannelTypes()
	if *inputs != "" {
		in, err := interp.LoadInputsDir(*inputs)
		if err != nil {
			return err
		}
		types = interp.InputTypes(in)
	}
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: types}
	file, src := "<input>", arg
	if lang.IsSourceFile(arg) {
		file = arg
		if src, err = lang.ReadSource(file); err != nil {
			return err
		}
		prog, err := lang.Parse(file, src)
		if err != nil {
			return printed(env, err)
		}
		cp, err := ck.CheckProgram(prog)
		if err != nil {
			return printed(env, err)
		}
		n := 0
		for _, s := range cp.Stmts {
			if s.Kind == lang.ProxyStmt {
				n++
				fmt.Fprintf(env.Stdout, "proxy %s : %s = %s\n", s.Name, s.Checked.Type(), lang.Print(s.Checked.Expr))
			}
		}
		fmt.Fprintf(env.Stdout, "%s: ok (%d statements, %d proxies)\n", file, len(cp.Stmts), n)
		return nil
	}
	e, err := lang.ParseExprFile(file, src)
	if err != nil {
		return printed(env, err)
	}
	c, err := ck.CheckExpr(e, src)
	if err != nil {
		return printed(env, err)
	}
	fmt.Fprintf(env.Stdout, "%s : %s\n", lang.Print(c.Expr), c.Type())
	return nil
}

func runEval(env *Env, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	inputs := fs.String("inputs", "", "directory of .npy tensors (NAME_0.npy… form list NAME)")
	asJSON := fs.Bool("json", false, "machine-readable output")
	addEvalBenchFlags(fs)
	expr, err := parseOne(fs, args, "want one expression (quote it), got %d arguments")
	if err != nil {
		return err
	}
	in := interp.Inputs{}
	source := "literals only"
	if *inputs != "" {
		if in, err = interp.LoadInputsDir(*inputs); err != nil {
			return err
		}
		source = *inputs
	} else if bin, src, ok, err := evalBenchInputs(fs, expr); err != nil {
		return err
	} else if ok {
		in, source = bin, src
	}
	p, err := interp.CompileSource(expr, interp.InputTypes(in), stdlib.Default)
	if err != nil {
		return printed(env, err)
	}
	ctx, stop := signalContext()
	defer stop()
	v, err := interp.Host{}.Eval(ctx, p, in)
	if err != nil && stoppedBySignal(ctx) {
		return interrupted(ctx, "nothing evaluated")
	}
	if err != nil {
		if _, nonFinite := err.(*interp.NonFiniteError); !nonFinite {
			return printed(env, err)
		}
	}
	if *asJSON {
		out := map[string]any{"expr": p.String(), "type": v.Type.String(), "inputs": source}
		switch v.Type.Kind {
		case lang.Scalar:
			out["value"] = jsonNumber(v.Scalar)
			out["finite"] = interp.IsFinite(v.Scalar)
		case lang.ListScalar:
			vals := make([]any, len(v.Scalars))
			for i, x := range v.Scalars {
				vals[i] = jsonNumber(x)
			}
			out["value"] = vals
		case lang.Tensor:
			out["shape"] = v.Tensor.Shape
			out["value"] = v.Tensor.Data
		case lang.ListTensor:
			shapes := make([][]int, len(v.Tensors))
			for i, t := range v.Tensors {
				shapes[i] = t.Shape
			}
			out["shapes"] = shapes
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	fmt.Fprintln(env.Stdout, interp.FormatValue(v))
	if err != nil {
		fmt.Fprintln(env.Stderr, "warning:", err)
	}
	return nil
}

// jsonNumber keeps NaN/Inf representable in JSON (as strings).
func jsonNumber(x float64) any {
	if interp.IsFinite(x) {
		return x
	}
	return fmt.Sprint(x)
}

func runOps(env *Env, args []string) error {
	fs := flag.NewFlagSet("ops", flag.ContinueOnError)
	md := fs.Bool("md", false, "Markdown table (for the README)")
	names, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		if *md {
			return usagef("--md prints the whole table; leave out %q", names[0])
		}
		for i, name := range names {
			entry, err := stdlib.Default.Entry(name)
			if err != nil {
				return err
			}
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprint(env.Stdout, entry)
		}
		return nil
	}
	if *md {
		fmt.Fprint(env.Stdout, stdlib.Default.Markdown())
		return nil
	}
	fmt.Fprint(env.Stdout, stdlib.Default.Reference()+stdlib.ChannelReference())
	return nil
}

func runFmt(env *Env, args []string) error {
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	write := fs.Bool("w", false, "rewrite the file instead of printing")
	file, src, err := parseScript(fs, args, "want one script file")
	if err != nil {
		return err
	}
	out, err := Format(file, src)
	if err != nil {
		return printed(env, err)
	}
	if *write {
		return writeFileAtomic(file, []byte(out))
	}
	fmt.Fprint(env.Stdout, out)
	return nil
}

// Format prints a script in canonical form (see lang.Format), operator
// aliases replaced by their names in the op table.
func Format(file, src string) (string, error) {
	return lang.Format(file, src, stdlib.Default.CanonOps)
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// addEvalBenchFlags adds lpz eval's --bench/--arch: an architecture of a
// benchmark provides the formula's inputs.
func addEvalBenchFlags(fs *flag.FlagSet) {
	fs.String("bench", "", "benchmark whose architecture provides the inputs")
	fs.String("arch", "", "architecture id (of --bench, else of the default benchmark) whose inputs the formula reads")
	addDataFlags(fs)
	addCaptureFlags(fs)
}

// evalBenchInputs are the inputs lpz eval --bench/--arch names (ok = false
// without those flags), and where they come from.
func evalBenchInputs(fs *flag.FlagSet, expr string) (in interp.Inputs, source string, ok bool, err error) {
	get := func(name string) string { return fs.Lookup(name).Value.String() }
	name, id := get("bench"), get("arch")
	if name == "" && id == "" {
		return nil, "", false, nil
	}
	if id == "" {
		return nil, "", false, usagef("--bench needs --arch ID, the architecture whose inputs the formula reads (lpz bench show %s lists them)", name)
	}
	// Check first, against every input a benchmark can provide, so the
	// capture is of what the formula reads (and a typo costs none).
	p, err := interp.CompileSource(expr, study.ChannelTypes(), stdlib.Default)
	if err != nil {
		return nil, "", false, err
	}
	bs, a, err := openBenchArch(name, id, get("data"), get("model-fidelity"))
	if err != nil {
		return nil, "", false, err
	}
	if err := bs.captureFlags(fs, os.Stderr); err != nil {
		return nil, "", false, err
	}
	ctx, stop := signalContext()
	defer stop()
	in, err = bs.ArchInputs(ctx, a, p.Inputs())
	if ctx.Err() != nil {
		return nil, "", false, interrupted(ctx, "nothing evaluated; the captures finished so far are cached")
	}
	return in, bs.Bench.Name + "/" + a.ID, true, err
}

func installSearchREPL(r *repl.REPL) {
	r.Register(&repl.Command{
		Name: "simplify",
		Args: "EXPR",
		Doc:  "apply the search's rewrite rules (stdlib/rules.lpz) to a fixpoint and show each step",
		Run: func(ctx context.Context, r *repl.REPL, arg string) error {
			return simplify(r.Out, strings.TrimSpace(arg))
		},
	})
}

func simplify(w io.Writer, src string) error {
	return simplifyWith(w, src, "")
}

func simplifyWith(w io.Writer, src, rulesFile string) error {
	if src == "" {
		return usagef("want an expression: simplify EXPR")
	}
	e, err := lang.ParseExpr(src)
	if err != nil {
		return err
	}
	rules, err := stdlib.ReadRules(rulesFile)
	if err != nil {
		return err
	}
	s, err := stdlib.Simplify(e, rules)
	for _, step := range s.Steps {
		fmt.Fprintf(w, "  %s  =>  %s    [%s]\n", lang.Print(step.Before), lang.Print(step.After), step.Rule)
	}
	if err != nil {
		return err
	}
	if len(s.Steps) == 0 {
		fmt.Fprintln(w, "  (no rule applies)")
	}
	fmt.Fprintln(w, lang.Print(s.Result))
	if s.Rejected != nil {
		fmt.Fprintf(w, "rejected: %s matches %s\n", s.Rejected, lang.Print(s.RejectedAt))
	}
	return nil
}

func runSimplify(env *Env, args []string) error {
	fs := flag.NewFlagSet("simplify", flag.ContinueOnError)
	rulesFile := fs.String("rules", "", "rules file in lpz syntax (default: the embedded stdlib/rules.lpz)")
	expr, err := parseOne(fs, args, "want one expression: lpz simplify [--rules FILE] EXPR")
	if err != nil {
		return err
	}
	return printed(env, simplifyWith(env.Stdout, expr, *rulesFile))
}
