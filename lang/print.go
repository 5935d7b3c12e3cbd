package lang

import (
	"math"
	"strconv"
	"strings"
)

// Print renders an expression in lpz syntax: infix + - * / with the fewest
// parentheses that keep the tree, unary minus for neg, and calls for
// everything else, using the op names stored in the AST (the checker stores
// canonical short names). Parse(Print(e)) is Equal to e for every e.
func Print(e Expr) string { return PrintSpans(e, nil) }

// PrintSpans is Print that also calls span, when not nil, for every node n
// of e with the byte range of the result that reads Print(n): the texts of
// all subtrees at the cost of one Print (printing each subtree on its own
// costs the size times the depth). The calls come in post-order: a call's
// arguments, in order, just before the call itself.
func PrintSpans(e Expr, span func(n Expr, start, end int)) string {
	p := &printer{span: span}
	p.expr(e, 0)
	return p.b.String()
}

type printer struct {
	b    strings.Builder
	span func(n Expr, start, end int)
}

var infixSymbol = map[string]string{"add": "+", "sub": "-", "mul": "*", "div": "/"}

const (
	precSum   = 1
	precProd  = 2
	precUnary = 3
	precAtom  = 4
)

func precedence(e Expr) int {
	switch x := e.(type) {
	case *Call:
		switch x.Op {
		case "add", "sub":
			if len(x.Args) == 2 {
				return precSum
			}
		case "mul", "div":
			if len(x.Args) == 2 {
				return precProd
			}
		case "neg":
			if len(x.Args) == 1 && !isNum(x.Args[0]) {
				return precUnary
			}
		}
	case *Num:
		if x.Value < 0 || (x.Value == 0 && math.Signbit(x.Value)) {
			return precUnary // prints with a leading '-'
		}
	}
	return precAtom
}

func isNum(e Expr) bool { _, ok := e.(*Num); return ok }

// expr prints e; the text between the parentheses it may add is Print(e)
// whatever minPrec is, which is what makes PrintSpans's ranges right.
func (p *printer) expr(e Expr, minPrec int) {
	prec := precedence(e)
	if prec < minPrec {
		p.b.WriteByte('(')
		defer p.b.WriteByte(')')
	}
	start := p.b.Len()
	switch x := e.(type) {
	case *Num:
		p.b.WriteString(FormatNumber(x.Value))
	case *Ref:
		p.b.WriteString(x.Name)
	case *Lit:
		printLit(&p.b, x.Shape, x.Data)
	case *Call:
		p.call(x, prec)
	}
	if p.span != nil {
		p.span(e, start, p.b.Len())
	}
}

func (p *printer) call(x *Call, prec int) {
	switch prec {
	case precSum, precProd:
		// Left operand binds at our level (left associativity); the right
		// one needs strictly higher precedence to keep the tree.
		p.expr(x.Args[0], prec)
		p.b.WriteString(" " + infixSymbol[x.Op] + " ")
		p.expr(x.Args[1], prec+1)
	case precUnary:
		// At precUnary an operand starts with '-' exactly when it is a
		// negation or a negative number: that one reads -(-a), not --a.
		p.b.WriteByte('-')
		if precedence(x.Args[0]) == precUnary {
			p.b.WriteByte('(')
			p.expr(x.Args[0], precUnary)
			p.b.WriteByte(')')
		} else {
			p.expr(x.Args[0], precUnary)
		}
	default:
		p.b.WriteString(x.Op)
		p.b.WriteByte('(')
		for i, a := range x.Args {
			if i > 0 {
				p.b.WriteString(", ")
			}
			p.expr(a, 0)
		}
		p.b.WriteByte(')')
	}
}

// FormatNumber prints the shortest text that parses back to exactly v.
func FormatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		// 1e+06 and 1e-09 read back fine, but the '+' and zeros are noise.
		mant, exp := s[:i], s[i+1:]
		sign := ""
		if exp[0] == '+' || exp[0] == '-' {
			if exp[0] == '-' {
				sign = "-"
			}
			exp = exp[1:]
		}
		exp = strings.TrimLeft(exp, "0")
		if exp == "" {
			exp = "0"
		}
		s = mant + "e" + sign + exp
	}
	return s
}

func printLit(b *strings.Builder, shape []int, data []float64) {
	if len(shape) == 0 {
		b.WriteString(FormatNumber(data[0]))
		return
	}
	b.WriteByte('[')
	step := len(data) / max(shape[0], 1)
	for i := 0; i < shape[0]; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		printLit(b, shape[1:], data[i*step:(i+1)*step])
	}
	b.WriteByte(']')
}

// FormatStmt renders one statement.
func FormatStmt(s *Stmt) string {
	switch s.Kind {
	case LetStmt:
		return "let " + s.Name + " = " + Print(s.Expr)
	case ProxyStmt:
		return "proxy " + s.Name + " = " + Print(s.Expr)
	case PrintStmt:
		return "print " + Print(s.Expr)
	case RuleStmt:
		return formatRule(s.Expr, s.Rhs, s.Guard)
	case RejectStmt:
		return formatRule(s.Expr, nil, s.Guard)
	}
	return Print(s.Expr)
}

// formatRule renders a rewrite rule, or a reject when rhs is nil, in the
// rules-file syntax (guard may be nil); statements and loaded rules print
// through it alike.
func formatRule(lhs, rhs, guard Expr) string {
	s := "reject " + Print(lhs)
	if rhs != nil {
		s = "rule " + Print(lhs) + " -> " + Print(rhs)
	}
	if guard != nil {
		s += " if " + Print(guard)
	}
	return s
}
