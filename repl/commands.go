package repl

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"lpz/interp"
	"lpz/lang"
)

func builtins() []*Command {
	return []*Command{
		{Name: "help", Doc: "this help", Run: func(_ context.Context, r *REPL, _ string) error {
			fmt.Fprintln(r.Out, "Type an expression to evaluate it (the value is kept in _), or a statement:")
			fmt.Fprintln(r.Out, "  let NAME = EXPR     bind a value        proxy NAME = EXPR   a named scalar proxy")
			fmt.Fprintln(r.Out, "  print EXPR          show a value        # comment")
			fmt.Fprintln(r.Out, "Commands:")
			for _, c := range r.Commands() {
				fmt.Fprintf(r.Out, "  :%-24s %s\n", strings.TrimSpace(c.Name+" "+c.Args), c.Doc)
			}
			fmt.Fprintf(r.Out, "  :%-24s %s\n", "quit", "leave (also Ctrl-D)")
			if r.Status != nil {
				fmt.Fprintln(r.Out, r.Status())
			}
			return nil
		}},
		{Name: "type", Args: "EXPR", Doc: "the type of an expression, without evaluating it", Run: func(_ context.Context, r *REPL, arg string) error {
			c, err := r.TypeOf(arg)
			if err != nil {
				return err
			}
			fmt.Fprintln(r.Out, c.Type())
			return nil
		}},
		{Name: "ast", Args: "EXPR", Doc: "the syntax tree (canonical op names) with each node's type", Run: func(_ context.Context, r *REPL, arg string) error {
			c, err := r.TypeOf(arg)
			if err != nil {
				return err
			}
			printTree(r, c, c.Expr, "")
			return nil
		}},
		{Name: "ops", Args: "[NAME]", Doc: "the operator table (or one operator)", Run: func(_ context.Context, r *REPL, arg string) error {
			if arg == "" {
				fmt.Fprint(r.Out, r.Session.Table.Reference())
				return nil
			}
			op, ok := r.Session.Table.Lookup(arg)
			if !ok {
				return fmt.Errorf("no operator %q", arg)
			}
			fmt.Fprintf(r.Out, "%s (%s, %d argument(s), cost %d): %s\n  = %s\n", op.Name, op.Class, op.Arity, op.Cost, op.Doc, op.Def)
			if len(op.Aliases) > 0 {
				fmt.Fprintf(r.Out, "  also: %s\n", strings.Join(op.Aliases, ", "))
			}
			return nil
		}},
		{Name: "load", Args: "FILE", Doc: "run a .lpz script in this session", Run: func(ctx context.Context, r *REPL, arg string) error {
			if arg == "" {
				return fmt.Errorf(":load needs a file name")
			}
			src, err := os.ReadFile(arg)
			if err != nil {
				return err
			}
			return r.Exec(ctx, arg, string(src), false)
		}},
		{Name: "inputs", Args: "[DIR]", Doc: "load a directory of .npy tensors as inputs (NAME_0.npy… form list NAME); no DIR lists the inputs", Run: func(_ context.Context, r *REPL, arg string) error {
			if arg != "" {
				in, err := interp.LoadInputsDir(arg)
				if err != nil {
					return err
				}
				for k, v := range in {
					r.Session.Inputs[k] = v
				}
			}
			listInputs(r)
			return nil
		}},
		{Name: "vars", Doc: "the let/proxy bindings of this session", Run: func(_ context.Context, r *REPL, _ string) error {
			names := make([]string, 0, len(r.Session.Vars))
			for k := range r.Session.Vars {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				fmt.Fprintf(r.Out, "  %-10s %s\n", k, r.Session.Vars[k].Type)
			}
			return nil
		}},
	}
}

// listInputs shows what statements may read besides bindings: the loaded
// inputs with their sizes, and what the provider would load on demand.
func listInputs(r *REPL) {
	types := map[string]lang.Type{}
	head := ""
	if r.Provider != nil {
		if head = r.Provider.Describe(); head != "" {
			types = r.Provider.Types()
		}
	}
	for k, v := range r.Session.Inputs {
		types[k] = v.Type
	}
	if len(types) == 0 {
		fmt.Fprintln(r.Out, "no inputs loaded (use :inputs DIR)")
		return
	}
	if head != "" {
		fmt.Fprintln(r.Out, head)
	}
	names := make([]string, 0, len(types))
	for k := range types {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(r.Out, "  %-8s %-22s %s\n", k, types[k], inputDetail(r.Session.Inputs, k))
	}
}

func inputDetail(in interp.Inputs, name string) string {
	v, ok := in[name]
	switch {
	case !ok:
		return "loaded when a statement reads it"
	case v.Type.IsList():
		entries := "entries"
		if v.Len() == 1 {
			entries = "entry"
		}
		return fmt.Sprintf("%d %s, %.1f MB", v.Len(), entries, float64(v.Bytes())/1e6)
	case v.Type.Kind == lang.Tensor:
		return "shape " + fmt.Sprint(v.Tensor.Shape)
	}
	return interp.FormatScalar(v.Scalar)
}

func printTree(r *REPL, c *lang.Checked, e lang.Expr, indent string) {
	t := c.Types[e]
	switch x := e.(type) {
	case *lang.Call:
		fmt.Fprintf(r.Out, "%sCall %s : %s\n", indent, x.Op, t)
		for _, a := range x.Args {
			printTree(r, c, a, indent+"  ")
		}
	case *lang.Ref:
		fmt.Fprintf(r.Out, "%sRef %s : %s\n", indent, x.Name, t)
	case *lang.Num:
		fmt.Fprintf(r.Out, "%sNum %s : %s\n", indent, lang.FormatNumber(x.Value), t)
	case *lang.Lit:
		fmt.Fprintf(r.Out, "%sLit %s : %s\n", indent, lang.Print(x), t)
	}
}
