package lang

import (
	"regexp"
	"strconv"
	"strings"
)

// LatexTemplates gives the LaTeX form of an operator (from the op table).
// In a template {0} is the first argument and {0p} the first argument in
// parentheses unless it is atomic. An empty template means
// \operatorname{name}\left(args\right).
type LatexTemplates interface {
	LatexTemplate(op string) string
}

// Latex renders an expression for a paper from the templates of the
// operators; a negation written -x stays structural.
func Latex(e Expr, t LatexTemplates) string {
	var b strings.Builder
	latex(&b, e, 0, t)
	return b.String()
}

func latex(b *strings.Builder, e Expr, minPrec int, t LatexTemplates) {
	p := precedence(e)
	if c, ok := e.(*Call); ok && c.Op == "div" && p == precProd {
		p = precAtom // a fraction groups itself
	}
	if p < minPrec {
		b.WriteString(`\left(`)
		defer b.WriteString(`\right)`)
	}
	switch x := e.(type) {
	case *Num:
		b.WriteString(latexNumber(x.Value))
	case *Ref:
		b.WriteString(latexName(x.Name))
	case *Lit:
		latexLit(b, x)
	case *Call:
		if x.Op == "neg" && len(x.Args) == 1 && p == precUnary {
			b.WriteByte('-')
			latex(b, x.Args[0], precUnary+1, t)
			return
		}
		tmpl := ""
		if t != nil {
			tmpl = t.LatexTemplate(x.Op)
		}
		if tmpl == "" {
			b.WriteString(`\operatorname{` + x.Op + `}\left(`)
			for i, a := range x.Args {
				if i > 0 {
					b.WriteString(", ")
				}
				latex(b, a, 0, t)
			}
			b.WriteString(`\right)`)
			return
		}
		// An infix operator's template ({0} + {1}) has its operands
		// parenthesised by precedence: the left one binds as tightly as
		// the operator, the right one tighter (a - (b - c)).
		left, right := 0, 0
		if p == precSum || p == precProd {
			left, right = p, p+1
		}
		expandTemplate(b, tmpl, x.Args, t, left, right)
	}
}

var placeholder = regexp.MustCompile(`\{(\d+)(p?)\}`)

// expandTemplate writes tmpl with its placeholders replaced by args, the
// first at least at precedence left and the others at right.
func expandTemplate(b *strings.Builder, tmpl string, args []Expr, t LatexTemplates, left, right int) {
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(tmpl, -1) {
		n, _ := strconv.Atoi(tmpl[m[2]:m[3]])
		if n >= len(args) {
			continue
		}
		b.WriteString(tmpl[last:m[0]])
		last = m[1]
		if m[5] > m[4] && !latexAtomic(args[n]) {
			b.WriteString(`\left(`)
			latex(b, args[n], 0, t)
			b.WriteString(`\right)`)
		} else if n == 0 {
			latex(b, args[n], left, t)
		} else {
			latex(b, args[n], right, t)
		}
	}
	b.WriteString(tmpl[last:])
}

func latexAtomic(e Expr) bool {
	switch x := e.(type) {
	case *Ref:
		return true
	case *Num:
		return x.Value >= 0 && !strings.ContainsAny(FormatNumber(x.Value), "e")
	}
	return false
}

func latexName(name string) string {
	if len(name) == 1 {
		return name
	}
	return `\mathrm{` + strings.ReplaceAll(name, "_", `\_`) + `}`
}

func latexNumber(v float64) string {
	s := FormatNumber(v)
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		return s[:i] + ` \times 10^{` + s[i+1:] + `}`
	}
	return s
}

func latexLit(b *strings.Builder, l *Lit) {
	if len(l.Shape) > 2 || len(l.Data) == 0 {
		b.WriteString(`\mathrm{tensor}` + shapeStr(l.Shape))
		return
	}
	rows, cols := 1, l.Shape[0]
	if len(l.Shape) == 2 {
		rows, cols = l.Shape[0], l.Shape[1]
	}
	b.WriteString(`\begin{bmatrix}`)
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(` \\ `)
		}
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(" & ")
			}
			b.WriteString(latexNumber(l.Data[r*cols+c]))
		}
	}
	b.WriteString(`\end{bmatrix}`)
}
