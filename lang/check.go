package lang

import (
	"fmt"
	"sort"
	"strings"
)

// OpSig is what the checker needs to know of an operator. The op table in
// stdlib provides these; lang does not know any operator by name (except the
// infix spellings the parser lowers to add/sub/mul/div/neg).
type OpSig struct {
	Name  string // canonical name
	Arity int
	// Result gives the result type for argument types, or a message saying
	// why they do not fit (the checker adds the position and op name).
	Result func(args []Type) (Type, string)
}

// Ops resolves operator names (canonical or alias) to signatures.
type Ops interface {
	LookupOp(name string) (*OpSig, bool)
	OpNames() []string // every accepted spelling, for suggestions
}

// Checker types expressions against an operator table and the input types.
type Checker struct {
	Ops    Ops
	Inputs map[string]Type
}

// Checked is the result of checking one expression: a copy of the tree with
// canonical operator names, and the type of every node.
type Checked struct {
	Expr  Expr
	Types map[Expr]Type
}

// Type is the type of the whole expression.
func (c *Checked) Type() Type { return c.Types[c.Expr] }

// CheckExpr checks e (from source src, used for carets). Errors are
// collected, not stopped at the first.
func (c *Checker) CheckExpr(e Expr, src string) (*Checked, error) {
	errs := &ErrorList{Src: src}
	out := c.check(e, c.Inputs, errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckedStmt is one checked statement of a program.
type CheckedStmt struct {
	*Stmt
	Checked *Checked // nil for rule/reject statements
}

// CheckedProgram is a checked script.
type CheckedProgram struct {
	Prog  *Program
	Stmts []*CheckedStmt
	// Bindings are the let/proxy names defined by the script with their types.
	Bindings map[string]Type
}

// CheckProgram checks every statement of a script in order; let and proxy
// names are visible to later statements. A proxy must be scalar.
func (c *Checker) CheckProgram(p *Program) (*CheckedProgram, error) {
	return c.CheckProgramWith(p, nil)
}

// CheckProgramWith is CheckProgram with extra names already bound (the
// REPL's earlier definitions).
func (c *Checker) CheckProgramWith(p *Program, bound map[string]Type) (*CheckedProgram, error) {
	errs := &ErrorList{Src: p.Src}
	env := make(map[string]Type, len(c.Inputs)+len(bound))
	for k, v := range c.Inputs {
		env[k] = v
	}
	for k, v := range bound {
		env[k] = v
	}
	out := &CheckedProgram{Prog: p, Bindings: map[string]Type{}}
	for _, s := range p.Stmts {
		cs := &CheckedStmt{Stmt: s}
		switch s.Kind {
		case RuleStmt, RejectStmt:
			errs.add(s.Pos, "rule and reject statements belong in a rules file, not in a script")
		default:
			cs.Checked = c.check(s.Expr, env, errs)
			t := cs.Checked.Type()
			if s.Kind == ProxyStmt && t.Kind != Invalid && t.Kind != Scalar {
				errs.add(s.Expr.Position(), "proxy %s has type %s, but a proxy must be a scalar: %s", s.Name, t, scalarHint(t))
			}
			if s.Kind == LetStmt || s.Kind == ProxyStmt {
				env[s.Name] = t
				out.Bindings[s.Name] = t
			}
		}
		out.Stmts = append(out.Stmts, cs)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func scalarHint(t Type) string {
	switch t.Kind {
	case ListScalar:
		return "aggregate it across modules, e.g. sum(...) or avg(...)"
	case ListTensor:
		return "reduce each entry and aggregate, e.g. sum(...) or sum(fro(...))"
	case Tensor:
		return "reduce it, e.g. sum(...) or fro(...)"
	}
	return "wrap it in sum(...)"
}

func (c *Checker) check(e Expr, env map[string]Type, errs *ErrorList) *Checked {
	out := &Checked{Types: map[Expr]Type{}}
	out.Expr = c.node(e, env, errs, out.Types)
	return out
}

func (c *Checker) node(e Expr, env map[string]Type, errs *ErrorList, types map[Expr]Type) Expr {
	switch x := e.(type) {
	case *Num:
		n := *x
		types[&n] = ScalarType
		return &n
	case *Lit:
		l := Clone(x)
		types[l] = TensorType
		return l
	case *Ref:
		r := *x
		t, ok := env[x.Name]
		if !ok {
			errs.add(x.Pos, "unknown input %q%s", x.Name, c.suggest(x.Name, env, true))
			t = Type{}
		}
		types[&r] = t
		return &r
	case *Call:
		args := make([]Expr, len(x.Args))
		argTypes := make([]Type, len(x.Args))
		ok := true
		for i, a := range x.Args {
			args[i] = c.node(a, env, errs, types)
			argTypes[i] = types[args[i]]
			if argTypes[i].Kind == Invalid {
				ok = false
			}
		}
		call := &Call{Op: x.Op, Args: args, Pos: x.Pos}
		sig, found := c.Ops.LookupOp(x.Op)
		switch {
		case !found:
			errs.add(x.Pos, "unknown operator %q%s", x.Op, c.suggest(x.Op, env, false))
			ok = false
		case len(args) != sig.Arity:
			errs.add(x.Pos, "%s takes %d argument%s, got %d", sig.Name, sig.Arity, plural(sig.Arity), len(args))
			ok = false
		default:
			call.Op = sig.Name
		}
		t := Type{}
		if ok {
			var msg string
			t, msg = sig.Result(argTypes)
			if msg != "" {
				errs.add(x.Pos, "%s: %s", sig.Name, msg)
				t = Type{}
			}
		}
		types[call] = t
		return call
	}
	return e
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// suggest returns "; did you mean X?" for the closest known name.
func (c *Checker) suggest(name string, env map[string]Type, inputs bool) string {
	var cands []string
	if inputs {
		for k := range env {
			cands = append(cands, k)
		}
	} else {
		cands = c.Ops.OpNames()
	}
	sort.Strings(cands)
	if best, ok := Closest(name, cands); ok {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	if inputs && len(cands) == 0 {
		return "; no inputs are loaded (load a capture or a .npy directory)"
	}
	if inputs && len(cands) > 0 && len(cands) <= 12 {
		return fmt.Sprintf("; known inputs: %s", strings.Join(cands, ", "))
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
