// Package lang is the lpz language front end: grammar, the small closed AST
// that everything else (checker, printer, GP, rewrite rules) works on, the
// type system and the checker.
package lang

import "fmt"

// Pos is a source position. Line and Col are 1-based; Col counts bytes.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	file := p.File
	if file == "" {
		file = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

// Expr is a node of the closed expression AST: *Call, *Ref, *Num or *Lit.
type Expr interface {
	Position() Pos
	exprNode()
}

// Call applies an operator. Infix operators are calls too: a + b is
// Call{Op: "add"}, -a is Call{Op: "neg"}. Op is the name as written until the
// checker canonicalises it.
type Call struct {
	Op   string
	Args []Expr
	Pos  Pos
}

// Ref names an input, a let binding, or (inside rules) a pattern variable.
type Ref struct {
	Name string
	Pos  Pos
}

// Num is a numeric literal; a literal preceded directly by unary minus is
// folded into a negative Num.
type Num struct {
	Value float64
	Pos   Pos
}

// Lit is a vector/matrix literal such as [[1, 2], [3, 4]], stored row-major.
type Lit struct {
	Shape []int
	Data  []float64
	Pos   Pos
}

func (c *Call) Position() Pos { return c.Pos }
func (r *Ref) Position() Pos  { return r.Pos }
func (n *Num) Position() Pos  { return n.Pos }
func (l *Lit) Position() Pos  { return l.Pos }
func (*Call) exprNode()       {}
func (*Ref) exprNode()        {}
func (*Num) exprNode()        {}
func (*Lit) exprNode()        {}

// StmtKind distinguishes the statements of a script.
type StmtKind int

const (
	ExprStmt   StmtKind = iota // a bare expression (REPL): evaluate and show
	LetStmt                    // let name = expr
	ProxyStmt                  // proxy name = expr: a named scalar proxy
	PrintStmt                  // print expr
	RuleStmt                   // rule pattern -> replacement (rewrite rules file)
	RejectStmt                 // reject pattern (rules file)
)

// Stmt is one statement. Name is set for let/proxy; Rhs only for rules;
// Guard only for a rule or reject with an `if` condition.
type Stmt struct {
	Kind  StmtKind
	Name  string
	Expr  Expr
	Rhs   Expr
	Guard Expr
	Pos   Pos
}

// Program is a parsed script.
type Program struct {
	File  string
	Src   string
	Stmts []*Stmt
}

// Equal reports whether two expressions are the same tree, ignoring
// positions. Numbers compare bit for bit so that -0 and 0 differ as the
// printer distinguishes them.
func Equal(a, b Expr) bool {
	switch x := a.(type) {
	case *Call:
		y, ok := b.(*Call)
		if !ok || x.Op != y.Op || len(x.Args) != len(y.Args) {
			return false
		}
		for i := range x.Args {
			if !Equal(x.Args[i], y.Args[i]) {
				return false
			}
		}
		return true
	case *Ref:
		y, ok := b.(*Ref)
		return ok && x.Name == y.Name
	case *Num:
		y, ok := b.(*Num)
		return ok && sameFloat(x.Value, y.Value)
	case *Lit:
		y, ok := b.(*Lit)
		if !ok || len(x.Shape) != len(y.Shape) || len(x.Data) != len(y.Data) {
			return false
		}
		for i := range x.Shape {
			if x.Shape[i] != y.Shape[i] {
				return false
			}
		}
		for i := range x.Data {
			if !sameFloat(x.Data[i], y.Data[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// Walk calls f on e and its descendants in pre-order; f returning false
// skips the children.
func Walk(e Expr, f func(Expr) bool) {
	if !f(e) {
		return
	}
	if c, ok := e.(*Call); ok {
		for _, a := range c.Args {
			Walk(a, f)
		}
	}
}

// Size is the number of nodes of e.
func Size(e Expr) int {
	n := 0
	Walk(e, func(Expr) bool { n++; return true })
	return n
}

// CheckSize refuses a tree of more than MaxNodes nodes with an error at
// its root; it stops counting there, so it is cheap on any tree.
func CheckSize(e Expr) error {
	n := 0
	Walk(e, func(Expr) bool { n++; return n <= MaxNodes })
	if n > MaxNodes {
		return &Error{Pos: e.Position(), Msg: fmt.Sprintf("the formula has more than %d nodes (lang.MaxNodes); split it or simplify it", MaxNodes)}
	}
	return nil
}

// Clone deep-copies an expression.
func Clone(e Expr) Expr {
	switch x := e.(type) {
	case *Call:
		args := make([]Expr, len(x.Args))
		for i, a := range x.Args {
			args[i] = Clone(a)
		}
		return &Call{Op: x.Op, Args: args, Pos: x.Pos}
	case *Ref:
		c := *x
		return &c
	case *Num:
		c := *x
		return &c
	case *Lit:
		return &Lit{Shape: append([]int(nil), x.Shape...), Data: append([]float64(nil), x.Data...), Pos: x.Pos}
	}
	return nil
}

// Inline replaces every Ref bound in lets by a copy of its expression (the
// let bindings of a script, themselves already inlined), giving a proxy
// that stands on its own: what the search seeds from and the table ranks.
func Inline(e Expr, lets map[string]Expr) Expr {
	switch x := e.(type) {
	case *Ref:
		if v, ok := lets[x.Name]; ok {
			return Clone(v)
		}
	case *Call:
		c := &Call{Op: x.Op, Pos: x.Pos, Args: make([]Expr, len(x.Args))}
		for i, a := range x.Args {
			c.Args[i] = Inline(a, lets)
		}
		return c
	}
	return Clone(e)
}

// InlineBounded is Inline for scripts from users: a chain of lets that each
// use the one before twice doubles the tree at every step, so it refuses
// with an error at e a result of more than MaxNodes nodes, before building
// it.
func InlineBounded(e Expr, lets map[string]Expr) (Expr, error) {
	budget := MaxNodes
	out := inlineWithin(e, lets, &budget)
	if out == nil {
		return nil, &Error{Pos: e.Position(), Msg: fmt.Sprintf("with its let bindings inlined the formula has more than %d nodes (lang.MaxNodes)", MaxNodes)}
	}
	return out, nil
}

// InlinedProxy is a proxy statement of a script with the script's let
// bindings inlined: a formula that stands on its own.
type InlinedProxy struct {
	Name string
	Pos  Pos // of the statement
	Expr Expr
}

// Proxies lists the proxy statements of p in order, each with the let and
// proxy bindings before it inlined (what the search seeds from and the
// table ranks). It inlines with InlineBounded: a formula of more than
// MaxNodes nodes is an error at its statement, since scripts come from
// users too.
func (p *Program) Proxies() ([]InlinedProxy, error) {
	lets := map[string]Expr{}
	var out []InlinedProxy
	for _, s := range p.Stmts {
		if s.Kind != LetStmt && s.Kind != ProxyStmt {
			continue
		}
		e, err := InlineBounded(s.Expr, lets)
		if err != nil {
			return nil, err
		}
		lets[s.Name] = e
		if s.Kind == ProxyStmt {
			out = append(out, InlinedProxy{Name: s.Name, Pos: s.Pos, Expr: e})
		}
	}
	return out, nil
}

// inlineWithin is Inline spending *budget nodes; nil when it runs out.
func inlineWithin(e Expr, lets map[string]Expr, budget *int) Expr {
	switch x := e.(type) {
	case *Ref:
		if v, ok := lets[x.Name]; ok {
			// v is inlined already: copy it as it is, if it fits.
			Walk(v, func(Expr) bool { *budget--; return *budget >= 0 })
			if *budget < 0 {
				return nil
			}
			return Clone(v)
		}
	case *Call:
		if *budget--; *budget < 0 {
			return nil
		}
		c := &Call{Op: x.Op, Pos: x.Pos, Args: make([]Expr, len(x.Args))}
		for i, a := range x.Args {
			if c.Args[i] = inlineWithin(a, lets, budget); c.Args[i] == nil {
				return nil
			}
		}
		return c
	}
	if *budget--; *budget < 0 {
		return nil
	}
	return Clone(e)
}
