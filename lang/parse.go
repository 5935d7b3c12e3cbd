package lang

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Parse parses a script (statements separated by newlines or ';'). On
// failure the error is an *ErrorList with positions and carets. A leading
// byte-order mark is dropped (positions count from after it); input over
// the limits of scan.go is refused before the parser runs.
func Parse(file, src string) (*Program, error) {
	src = strings.TrimPrefix(src, bom)
	if err := scan(file, src); err != nil {
		return nil, err
	}
	g, err := parser.ParseString(file, src)
	if err != nil {
		return nil, syntaxError(file, src, err)
	}
	lw := &lowerer{file: file, errs: &ErrorList{Src: src}}
	prog := &Program{File: file, Src: src}
	for _, s := range g.Stmts {
		if st := lw.stmt(s); st != nil {
			prog.Stmts = append(prog.Stmts, st)
		}
	}
	if err := lw.errs.Err(); err != nil {
		return nil, err
	}
	return prog, nil
}

// ParseExpr parses a single expression.
func ParseExpr(src string) (Expr, error) { return ParseExprFile("", src) }

// ParseExprFile parses a single expression, naming file in positions.
func ParseExprFile(file, src string) (Expr, error) {
	prog, err := Parse(file, src)
	if err != nil {
		return nil, err
	}
	if len(prog.Stmts) != 1 || prog.Stmts[0].Kind != ExprStmt {
		pos := Pos{File: file, Line: 1, Col: 1}
		if len(prog.Stmts) > 1 {
			pos = prog.Stmts[1].Pos
		} else if len(prog.Stmts) == 1 {
			pos = prog.Stmts[0].Pos
		}
		l := &ErrorList{Src: src}
		if len(prog.Stmts) == 0 {
			l.add(pos, "expected an expression")
		} else {
			l.add(pos, "expected a single expression, not a statement list")
		}
		return nil, l.Err()
	}
	return prog.Stmts[0].Expr, nil
}

func syntaxError(file, src string, err error) error {
	l := &ErrorList{Src: src}
	var perr participle.Error
	if errors.As(err, &perr) {
		p := perr.Position()
		msg := perr.Message()
		msg = strings.ReplaceAll(msg, `token "<EOF>"`, "end of input")
		for _, g := range []string{"GExpr", "GTerm", "GUnary", "GPrimary"} {
			msg = strings.ReplaceAll(msg, "(expected "+g+")", "(expected an expression)")
		}
		l.add(Pos{File: file, Line: max(p.Line, 1), Col: max(p.Column, 1)}, "syntax error: %s", msg)
	} else {
		l.add(Pos{File: file, Line: 1, Col: 1}, "syntax error: %v", err)
	}
	return l.Err()
}

type lowerer struct {
	file string
	errs *ErrorList
}

func (lw *lowerer) pos(p lexer.Position) Pos {
	return Pos{File: lw.file, Line: p.Line, Col: p.Column}
}

func (lw *lowerer) stmt(s *gStmt) *Stmt {
	pos := lw.pos(s.Pos)
	switch {
	case s.Let != nil:
		lw.checkName(s.Let.Name, pos, "let")
		return &Stmt{Kind: LetStmt, Name: s.Let.Name, Expr: lw.expr(s.Let.Expr), Pos: pos}
	case s.Proxy != nil:
		lw.checkName(s.Proxy.Name, pos, "proxy")
		return &Stmt{Kind: ProxyStmt, Name: s.Proxy.Name, Expr: lw.expr(s.Proxy.Expr), Pos: pos}
	case s.Print != nil:
		return &Stmt{Kind: PrintStmt, Expr: lw.expr(s.Print), Pos: pos}
	case s.Rule != nil:
		st := &Stmt{Kind: RuleStmt, Expr: lw.expr(s.Rule.Lhs), Rhs: lw.expr(s.Rule.Rhs), Pos: pos}
		if s.Rule.Guard != nil {
			st.Guard = lw.expr(s.Rule.Guard)
		}
		return st
	case s.Reject != nil:
		st := &Stmt{Kind: RejectStmt, Expr: lw.expr(s.Reject.Pattern), Pos: pos}
		if s.Reject.Guard != nil {
			st.Guard = lw.expr(s.Reject.Guard)
		}
		return st
	case s.Expr != nil:
		return &Stmt{Kind: ExprStmt, Expr: lw.expr(s.Expr), Pos: pos}
	}
	return nil
}

func (lw *lowerer) checkName(name string, pos Pos, what string) {
	if keywords[name] {
		lw.errs.add(pos, "%q is a keyword and cannot be the name of a %s", name, what)
	}
}

var infixOps = map[string]string{"+": "add", "-": "sub", "*": "mul", "/": "div"}

func (lw *lowerer) expr(e *gExpr) Expr {
	left := lw.term(e.Head)
	for _, t := range e.Tail {
		left = &Call{Op: infixOps[t.Op], Args: []Expr{left, lw.term(t.Term)}, Pos: lw.pos(t.Pos)}
	}
	return left
}

func (lw *lowerer) term(t *gTerm) Expr {
	left := lw.unary(t.Head)
	for _, u := range t.Tail {
		left = &Call{Op: infixOps[u.Op], Args: []Expr{left, lw.unary(u.Unary)}, Pos: lw.pos(u.Pos)}
	}
	return left
}

func (lw *lowerer) unary(u *gUnary) Expr {
	if u.Neg != nil {
		// A literal directly after '-' is a negative number, so that the
		// printer's "-2" reads back as the same Num.
		if p := u.Neg.Primary; p != nil && p.Number != nil {
			n := lw.number(*p.Number, lw.pos(u.Pos))
			n.Value = -n.Value
			return n
		}
		return &Call{Op: "neg", Args: []Expr{lw.unary(u.Neg)}, Pos: lw.pos(u.Pos)}
	}
	return lw.primary(u.Primary)
}

func (lw *lowerer) number(text string, pos Pos) *Num {
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) {
		lw.errs.add(pos, "number %s is out of range", text)
		v = 0
	}
	return &Num{Value: v, Pos: pos}
}

func (lw *lowerer) primary(p *gPrimary) Expr {
	pos := lw.pos(p.Pos)
	switch {
	case p.Number != nil:
		return lw.number(*p.Number, pos)
	case p.Call != nil:
		if keywords[p.Call.Name] {
			lw.errs.add(pos, "%q is a keyword, not an operator", p.Call.Name)
		}
		args := make([]Expr, len(p.Call.Args))
		for i, a := range p.Call.Args {
			args[i] = lw.expr(a)
		}
		return &Call{Op: p.Call.Name, Args: args, Pos: pos}
	case p.Ref != nil:
		if keywords[*p.Ref] {
			lw.errs.add(pos, "%q is a keyword and cannot be used as a value", *p.Ref)
		}
		return &Ref{Name: *p.Ref, Pos: pos}
	case p.Paren != nil:
		return lw.expr(p.Paren)
	case p.List != nil:
		return lw.literal(p.List)
	}
	lw.errs.add(pos, "expected an expression")
	return &Num{Pos: pos}
}

// literal flattens a nested bracket literal; it must be rectangular and hold
// numbers only.
func (lw *lowerer) literal(l *gList) Expr {
	pos := lw.pos(l.Pos)
	shape, data, ok := lw.flatten(l)
	if !ok {
		return &Lit{Shape: []int{0}, Pos: pos}
	}
	return &Lit{Shape: shape, Data: data, Pos: pos}
}

func (lw *lowerer) flatten(l *gList) ([]int, []float64, bool) {
	pos := lw.pos(l.Pos)
	if len(l.Elems) == 0 {
		lw.errs.add(pos, "empty literal: a tensor literal needs at least one element")
		return nil, nil, false
	}
	var inner []int
	var data []float64
	for i, e := range l.Elems {
		x := lw.expr(e)
		var shape []int
		var vals []float64
		switch v := x.(type) {
		case *Num:
			vals = []float64{v.Value}
		case *Lit:
			shape, vals = v.Shape, v.Data
			if len(v.Data) == 0 {
				return nil, nil, false
			}
		default:
			lw.errs.add(x.Position(), "a tensor literal holds numbers only")
			return nil, nil, false
		}
		if i == 0 {
			inner = shape
		} else if !slices.Equal(inner, shape) {
			lw.errs.add(x.Position(), "ragged literal: element %d has shape %s, element 0 has %s", i, shapeStr(shape), shapeStr(inner))
			return nil, nil, false
		}
		data = append(data, vals...)
	}
	return append([]int{len(l.Elems)}, inner...), data, true
}

func shapeStr(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
