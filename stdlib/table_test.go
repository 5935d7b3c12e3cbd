package stdlib

import (
	"math"
	"math/rand/v2"
	"testing"

	"lpz/lang"
)

// missing lists what op's entry lacks: a property every entry must state
// (its sign, AnySign included; its LaTeX; its graph lowering, or HostOnly)
// or a kernel or arity its class needs.
func missing(op *Op) []string {
	var out []string
	need := func(ok bool, what string) {
		if !ok {
			out = append(out, what)
		}
	}
	need(op.Sign != signUnset, "a sign (AnySign when nothing is known)")
	need(op.Latex != "", "a LaTeX form")
	need(op.Doc != "" && op.Def != "", "its documentation and definition")
	g := op.Graph
	forms := 0
	for _, set := range []bool{g.Unary != nil, g.Binary != nil, g.HostOnly} {
		if set {
			forms++
		}
	}
	need(forms == 1, "exactly one of a unary lowering, a binary lowering or HostOnly")
	switch op.Class {
	case Elementwise:
		need(op.F != nil && op.F32 != nil, "F and F32")
		need(g.Unary != nil || g.HostOnly, "a unary lowering")
	case Reduction, Aggregation:
		need(op.Reduce32 != nil && op.Reduce64 != nil, "Reduce32 and Reduce64")
		need(g.Unary != nil || g.HostOnly, "a unary lowering")
	case Normalization:
		need(op.Norm32 != nil && op.Norm64 != nil, "Norm32 and Norm64")
		need(g.Unary != nil || g.HostOnly, "a unary lowering")
	case Binary:
		need(op.F2 != nil, "F2")
		need(g.Binary != nil || g.HostOnly, "a binary lowering")
	case Pairwise:
		need(op.Pair != nil, "Pair")
		need(g.HostOnly, "HostOnly (no graph engine lowers the class)")
	case Matrix:
		need(op.Mat != nil, "Mat")
		need(g.HostOnly, "HostOnly (no graph engine lowers the class)")
	case Power:
		need(op.F2 != nil, "F2")
		need(g.HostOnly, "HostOnly (no graph engine lowers the class)")
	case Axis:
		need(op.Reduce32 != nil, "Reduce32")
		need(g.HostOnly, "HostOnly (no graph engine lowers the class)")
	}
	arity := 1
	if op.Class == Binary || op.Class.ConstArg() {
		arity = 2
	}
	need(op.Arity == arity, "the arity of its class")
	need(!op.Commutative || op.Class == Binary, "Commutative only on a binary op")
	return out
}

// TestTableComplete: every entry of the table states every property, so
// that a forgotten one fails here rather than reading as "any sign", "no
// LaTeX" or "no lowering".
func TestTableComplete(t *testing.T) {
	for _, op := range Default.AllOps() {
		if m := missing(op); len(m) > 0 {
			t.Errorf("%s lacks %v", op.Name, m)
		}
	}
	// The check itself: an entry written without its properties is caught.
	bare := &Op{Name: "bare", Class: Elementwise, Arity: 1, Doc: "d", Def: "d", F: identity, F32: chunked(identity)}
	if m := missing(bare); len(m) != 4 { // the lowering counts twice: none of the three, none for its class
		t.Errorf("an entry without sign, LaTeX and lowering: missing %v", m)
	}
}

// TestCommutative checks the Commutative claims bit for bit on random and
// special values, and that the binary ops that do not claim it are not.
func TestCommutative(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), 1e-300, 3e38}
	for range 200 {
		xs = append(xs, r.NormFloat64()*math.Exp(5*r.NormFloat64()))
	}
	for _, op := range Default.AllOps() {
		if op.Class != Binary {
			continue
		}
		same := true
		for _, a := range xs {
			for _, b := range xs {
				same = same && math.Float64bits(op.F2(a, b)) == math.Float64bits(op.F2(b, a))
			}
		}
		if same != op.Commutative {
			t.Errorf("%s: commutative on the samples %v, claims %v", op.Name, same, op.Commutative)
		}
	}
}

// TestRoles: the search finds its aggregations by role: Total aggregates
// everything to a scalar, Mean is a reduction.
func TestRoles(t *testing.T) {
	total, ok := Default.ByRole(Total)
	if !ok || total.Class != Aggregation {
		t.Errorf("Total: %v %v", total, ok)
	}
	mean, ok := Default.ByRole(Mean)
	if !ok || mean.Class != Reduction {
		t.Errorf("Mean: %v %v", mean, ok)
	}
	defer func() {
		if recover() == nil {
			t.Error("two operators with one role were accepted")
		}
	}()
	NewTable([]*Op{{Name: "a", Role: Total}, {Name: "b", Role: Total}})
}

func TestCanonOps(t *testing.T) {
	for _, c := range []struct{ name, want string }{{"frobenius_norm", "fro"}, {"fro", "fro"}, {"to_sum_scalar", "sum"}} {
		if got, ok := Default.Canonical(c.name); !ok || got != c.want {
			t.Errorf("Canonical(%s) = %s %v, want %s", c.name, got, ok, c.want)
		}
	}
	if _, ok := Default.Canonical("frobenius"); ok {
		t.Error("an unknown name has a canonical name")
	}
	const src = "to_sum_scalar(frobenius_norm(A)) + frobenius(B)"
	e, err := lang.ParseExpr(src)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lang.Print(Default.CanonOps(e)), "sum(fro(A)) + frobenius(B)"; got != want {
		t.Errorf("CanonOps: %s, want %s", got, want)
	}
	if got := lang.Print(e); got != src {
		t.Errorf("CanonOps changed its argument to %s", got)
	}
}
