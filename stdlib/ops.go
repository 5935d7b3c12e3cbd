// Package stdlib is the operator table of lpz: one entry per operator with
// its names, typing rule, exact numeric definition, documentation, cost and
// kernels. The checker, the interpreter, the GP sampler, the printer, `lpz
// ops` and REPL completion all read this table; nothing else knows an
// operator by name.
package stdlib

import (
	"fmt"
	"sort"
	"strings"

	"lpz/lang"
)

// Class groups operators that share a typing rule and a kernel shape.
type Class int

const (
	Elementwise   Class = iota // any → same type, element by element
	Reduction                  // per entry: tensor → scalar; list<tensor,F> → list<scalar,F>; list<scalar,F> → scalar
	Normalization              // per entry over all its elements; list<scalar,F> normalised across modules
	Binary                     // + - * / with scalar broadcast and same-family lists
	Aggregation                // anything → scalar (all elements of all entries)
)

func (c Class) String() string {
	return [...]string{"elementwise", "reduction", "normalisation", "binary", "aggregation"}[c]
}

// Op is one operator. Exactly the kernel fields of its class are set.
type Op struct {
	Name    string   // canonical short name (what the printer writes)
	Aliases []string // long names accepted by the parser/checker
	Class   Class
	Arity   int
	Doc     string // one line
	Def     string // the exact numeric definition
	Cost    int    // complexity contribution (GP parsimony, hall of fame)
	// Latex is the paper form: {0} is the argument, {0p} the argument in
	// parentheses unless atomic; empty means \operatorname{name}(...).
	Latex string

	// Elementwise: F is the definition on one element; F32 is the float32
	// slice kernel (dst may alias src).
	F   func(x float64) float64
	F32 func(dst, src []float32)

	// Reduction: over float32 entries (accumulating in float64) and over a
	// float64 vector (list<scalar> across modules).
	Reduce32 func(x []float32) float64
	Reduce64 func(x []float64) float64

	// Normalization: dst may alias src.
	Norm32 func(dst, src []float32)
	Norm64 func(dst, src []float64)

	// Binary: the definition on two elements.
	F2 func(a, b float64) float64

	// Graph lowers the op for the GoMLX engine; set by the runtime package
	// (keeps this table free of a GoMLX dependency).
}

// Table holds the operators and answers the checker's lookups.
type Table struct {
	ops    []*Op
	byName map[string]*Op
	sigs   map[string]*lang.OpSig
}

// NewTable indexes ops; it panics on a duplicate name, which is a
// programming error in the table itself.
func NewTable(ops []*Op) *Table {
	t := &Table{ops: ops, byName: map[string]*Op{}, sigs: map[string]*lang.OpSig{}}
	for _, op := range ops {
		sig := &lang.OpSig{Name: op.Name, Arity: op.Arity, Result: resultRule(op)}
		for _, n := range append([]string{op.Name}, op.Aliases...) {
			if _, dup := t.byName[n]; dup {
				panic("stdlib: duplicate operator name " + n)
			}
			t.byName[n] = op
			t.sigs[n] = sig
		}
	}
	return t
}

// Ops lists the operators in table order.
func (t *Table) Ops() []*Op { return t.ops }

// Lookup finds an operator by canonical name or alias.
func (t *Table) Lookup(name string) (*Op, bool) {
	op, ok := t.byName[name]
	return op, ok
}

// LookupOp implements lang.Ops.
func (t *Table) LookupOp(name string) (*lang.OpSig, bool) {
	s, ok := t.sigs[name]
	return s, ok
}

// OpNames implements lang.Ops: every accepted spelling, sorted.
func (t *Table) OpNames() []string {
	names := make([]string, 0, len(t.byName))
	for n := range t.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// resultRule is the typing rule of DESIGN.md §2 for an operator's class.
func resultRule(op *Op) func([]lang.Type) (lang.Type, string) {
	switch op.Class {
	case Elementwise:
		return func(a []lang.Type) (lang.Type, string) { return a[0], "" }
	case Reduction:
		return func(a []lang.Type) (lang.Type, string) {
			switch a[0].Kind {
			case lang.Tensor:
				return lang.ScalarType, ""
			case lang.ListTensor:
				return lang.ListOf(lang.Scalar, a[0].Family), ""
			case lang.ListScalar:
				return lang.ScalarType, ""
			}
			return lang.Type{}, "cannot reduce a scalar: it already is one number"
		}
	case Normalization:
		return func(a []lang.Type) (lang.Type, string) {
			if a[0].Kind == lang.Scalar {
				return lang.Type{}, "cannot normalise a scalar (it would be constant); apply it to a tensor or a list"
			}
			return a[0], ""
		}
	case Binary:
		return BinaryResult
	case Aggregation:
		return func([]lang.Type) (lang.Type, string) { return lang.ScalarType, "" }
	}
	panic("stdlib: unknown class")
}

// BinaryResult is the broadcast rule of the binary operators: a scalar
// broadcasts to anything; a tensor broadcasts to every entry of a list;
// two lists combine entry by entry only within one family.
func BinaryResult(a []lang.Type) (lang.Type, string) {
	x, y := a[0], a[1]
	switch {
	case x.Kind == lang.Scalar:
		return y, ""
	case y.Kind == lang.Scalar:
		return x, ""
	case x.Kind == lang.Tensor && y.Kind == lang.Tensor:
		return lang.TensorType, ""
	case x.Kind == lang.Tensor:
		return lang.ListOf(lang.Tensor, y.Family), ""
	case y.Kind == lang.Tensor:
		return lang.ListOf(lang.Tensor, x.Family), ""
	}
	if x.Family != y.Family {
		return lang.Type{}, fmt.Sprintf("cannot combine %s with %s: lists of different families (%s, %s) have no entry-by-entry pairing; aggregate one side first, e.g. sum(...) or avg(...)", x, y, x.Family, y.Family)
	}
	if x.Kind == lang.ListTensor || y.Kind == lang.ListTensor {
		return lang.ListOf(lang.Tensor, x.Family), ""
	}
	return lang.ListOf(lang.Scalar, x.Family), ""
}

// LatexTemplate implements lang.LatexTemplates.
func (t *Table) LatexTemplate(name string) string {
	if op, ok := t.byName[name]; ok {
		return op.Latex
	}
	return ""
}

// Reference renders the table as text (`lpz ops`).
func (t *Table) Reference() string {
	var b strings.Builder
	for _, class := range []Class{Elementwise, Reduction, Normalization, Binary, Aggregation} {
		fmt.Fprintf(&b, "%s:\n", class)
		for _, op := range t.ops {
			if op.Class != class {
				continue
			}
			names := op.Name
			if len(op.Aliases) > 0 {
				names += " (" + strings.Join(op.Aliases, ", ") + ")"
			}
			fmt.Fprintf(&b, "  %-34s %s\n  %-34s = %s   [cost %d]\n", names, op.Doc, "", op.Def, op.Cost)
		}
	}
	return b.String()
}
