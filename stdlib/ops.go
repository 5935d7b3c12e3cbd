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
	Pairwise                   // per entry: tensor [B,...] → tensor [B,B] over the first (batch) axis
	Matrix                     // per entry: tensor viewed as a matrix → scalar (linear algebra on the host)
	Power                      // elementwise with a constant parameter: op(x, c), c a number
	Axis                       // reduce along one constant axis: op(x, k), tensor → tensor of rank − 1
)

// Classes lists every class in documentation order.
var Classes = []Class{Elementwise, Reduction, Normalization, Binary, Aggregation, Pairwise, Matrix, Power, Axis}

func (c Class) String() string {
	return [...]string{"elementwise", "reduction", "normalisation", "binary", "aggregation", "pairwise", "matrix", "power", "axis"}[c]
}

// ConstArg reports whether the class's second argument must be a constant
// number (an expression without inputs): pow's exponent, amax's axis. The
// checker types it as a scalar; the engines reject a non-constant one.
func (c Class) ConstArg() bool { return c == Power || c == Axis }

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

	// Binary: the definition on two elements. Power: F2(x, c) is the
	// definition on one element x with the constant parameter c.
	F2 func(a, b float64) float64

	// Pairwise: the rows×rows result (row-major) for x viewed as
	// [rows, len(x)/rows], accumulated in float64.
	Pair func(x []float32, rows int) []float64

	// Matrix: the value for x viewed as a rows×cols matrix (a tensor of
	// rank > 2 is reshaped to [first, rest], a vector to [1, n]). An error
	// is a shape the op does not accept.
	Mat func(x []float32, rows, cols int) (float64, error)

	// Axis uses Reduce32 on each lane along the axis.

	// NoSearch keeps the op out of the search's vocabulary (Table.Ops):
	// the checker, the engines, the printers and `lpz ops` still know it.
	// Set on the operators added for the literature's baselines until the
	// search opts in to them (see the note in table.go).
	NoSearch bool

	// Sign is what the op's value is known to be: ≥ 0 for any argument
	// (NonNegative), ≥ 0 when every argument is (KeepsNonNegative), or
	// nothing (AnySign, said explicitly). The rules' nonneg guard reads it
	// (abs(x) -> x if nonneg(x)).
	Sign Sign

	// Graph is the op's lowering for a graph engine (runtime's GoMLX
	// engine), or HostOnly.
	Graph Lowering

	// Role is the part the op plays in the shape of the search's proxies;
	// NoRole for most.
	Role Role

	// Commutative: op(a, b) = op(b, a) bit for bit on every pair of
	// arguments. The search orders the arguments of such an op, so that
	// a + b and b + a are one candidate.
	Commutative bool
}

// Sign classifies an op's value by sign (Op.Sign). The zero value is no
// claim at all, which the table's test refuses: every entry says its sign,
// AnySign included, so that a forgotten one is not read as "anything".
type Sign int

const (
	signUnset        Sign = iota
	AnySign               // nothing known
	NonNegative           // ≥ 0 (or NaN) whatever the arguments
	KeepsNonNegative      // ≥ 0 when every argument is ≥ 0
)

// String is the sign's note in the reference (`lpz ops`): empty when
// nothing is known.
func (s Sign) String() string {
	switch s {
	case NonNegative:
		return "≥ 0"
	case KeepsNonNegative:
		return "≥ 0 when its arguments are"
	}
	return ""
}

// Role is a part an op plays in the search's proxies, LPZero's tree
// Σ g(f(x₁), f(x₂)): the search builds and normalises trees by role, so
// that no operator is known to it by name. At most one op has each role.
type Role int

const (
	NoRole Role = iota
	// Total is the Σ that closes a proxy and aggregates a branch to a
	// scalar.
	Total
	// Mean is the other aggregation of a branch, where it gives a scalar
	// (of a tensor or a list of scalars).
	Mean
)

// Table holds the operators and answers the checker's lookups.
type Table struct {
	ops    []*Op // every operator
	search []*Op // without NoSearch ones
	byName map[string]*Op
	sigs   map[string]*lang.OpSig
	roles  map[Role]*Op
}

// NewTable indexes ops; it panics on a duplicate name or role, which is a
// programming error in the table itself.
func NewTable(ops []*Op) *Table {
	t := &Table{ops: ops, byName: map[string]*Op{}, sigs: map[string]*lang.OpSig{}, roles: map[Role]*Op{}}
	for _, op := range ops {
		if op.Role != NoRole {
			if _, dup := t.roles[op.Role]; dup {
				panic("stdlib: two operators with one role, the second " + op.Name)
			}
			t.roles[op.Role] = op
		}
		sig := &lang.OpSig{Name: op.Name, Arity: op.Arity, Result: resultRule(op)}
		for _, n := range append([]string{op.Name}, op.Aliases...) {
			if _, dup := t.byName[n]; dup {
				panic("stdlib: duplicate operator name " + n)
			}
			t.byName[n] = op
			t.sigs[n] = sig
		}
		if !op.NoSearch {
			t.search = append(t.search, op)
		}
	}
	return t
}

// Ops lists the operators the search draws from, in table order: every
// operator except the NoSearch ones. AllOps lists every operator.
func (t *Table) Ops() []*Op { return t.search }

// AllOps lists every operator in table order (references, `lpz ops`).
func (t *Table) AllOps() []*Op { return t.ops }

// Lookup finds an operator by canonical name or alias.
func (t *Table) Lookup(name string) (*Op, bool) {
	op, ok := t.byName[name]
	return op, ok
}

// ByRole finds the operator with a role in the search's proxies.
func (t *Table) ByRole(r Role) (*Op, bool) {
	op, ok := t.roles[r]
	return op, ok
}

// Canonical is the canonical name of an operator name or alias; ok is
// false for an unknown name.
func (t *Table) Canonical(name string) (string, bool) {
	op, ok := t.byName[name]
	if !ok {
		return "", false
	}
	return op.Name, true
}

// CanonOps is a copy of e with every operator alias replaced by its
// canonical name; unknown names are left as they are, for the checker or
// the rules to report. (The checker canonicalises too, but only a tree
// that checks; the rewrite rules match canonical names.)
func (t *Table) CanonOps(e lang.Expr) lang.Expr {
	e = lang.Clone(e)
	lang.Walk(e, func(x lang.Expr) bool {
		if c, ok := x.(*lang.Call); ok {
			if name, ok := t.Canonical(c.Op); ok {
				c.Op = name
			}
		}
		return true
	})
	return e
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
	case Pairwise:
		return func(a []lang.Type) (lang.Type, string) {
			switch a[0].Kind {
			case lang.Tensor, lang.ListTensor:
				return a[0], ""
			}
			return lang.Type{}, fmt.Sprintf("needs a tensor with a batch axis (or a list of them), got %s", a[0])
		}
	case Matrix:
		return func(a []lang.Type) (lang.Type, string) {
			switch a[0].Kind {
			case lang.Tensor:
				return lang.ScalarType, ""
			case lang.ListTensor:
				return lang.ListOf(lang.Scalar, a[0].Family), ""
			}
			return lang.Type{}, fmt.Sprintf("needs a matrix (a tensor, or a list of tensors), got %s", a[0])
		}
	case Power:
		return func(a []lang.Type) (lang.Type, string) {
			if a[1].Kind != lang.Scalar {
				return lang.Type{}, fmt.Sprintf("the exponent must be a constant number, e.g. %s(x, 0.5), got a %s", op.Name, a[1])
			}
			return a[0], ""
		}
	case Axis:
		return func(a []lang.Type) (lang.Type, string) {
			if a[1].Kind != lang.Scalar {
				return lang.Type{}, fmt.Sprintf("the axis must be a constant integer, e.g. %s(x, 1) or %s(x, -1), got a %s", op.Name, op.Name, a[1])
			}
			switch a[0].Kind {
			case lang.Tensor, lang.ListTensor:
				return a[0], ""
			}
			return lang.Type{}, fmt.Sprintf("needs a tensor (or a list of tensors) to reduce along an axis, got %s", a[0])
		}
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
	for _, class := range Classes {
		fmt.Fprintf(&b, "%s:\n", class)
		for _, op := range t.AllOps() {
			if op.Class != class {
				continue
			}
			names := op.Name
			if len(op.Aliases) > 0 {
				names += " (" + strings.Join(op.Aliases, ", ") + ")"
			}
			notes := fmt.Sprintf("cost %d", op.Cost)
			if sign := op.Sign.String(); sign != "" {
				notes += "; " + sign
			}
			fmt.Fprintf(&b, "  %-34s %s\n  %-34s = %s   [%s]\n", names, op.Doc, "", op.Def, notes)
		}
	}
	return b.String()
}
