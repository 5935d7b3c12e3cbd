package runtime

import (
	"sync"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Twice-differentiable Concatenate.
//
// GoMLX's Concatenate VJP slices the adjoint; differentiating that Slice
// again (the double backward of HG) needs Pad, which SimpleGo does not
// implement. In graphs marked by markDoubleBackward the adjoint pieces are
// cut with Gather instead (its VJP is a ScatterSum, whose VJP is a Gather:
// closed under differentiation). Both are pure data movement, so the
// values are bitwise the same; unmarked graphs keep the library VJP.

var (
	libConcatenateVJP    = VJPRegistration[NodeTypeConcatenate]
	doubleBackwardGraphs sync.Map // *Graph → struct{}
)

func init() { VJPRegistration[NodeTypeConcatenate] = concatenateVJP }

// markDoubleBackward makes g's Concatenate VJPs twice differentiable;
// unmarkDoubleBackward forgets g (call it when g is finalised).
func markDoubleBackward(g *Graph)   { doubleBackwardGraphs.Store(g, struct{}{}) }
func unmarkDoubleBackward(g *Graph) { doubleBackwardGraphs.Delete(g) }

func concatenateVJP(node *Node, vjpOutputs []*Node, outputShape shapes.Shape) []*Node {
	if _, ok := doubleBackwardGraphs.Load(node.Graph()); !ok || !outputShape.IsScalar() {
		return libConcatenateVJP(node, vjpOutputs, outputShape)
	}
	v := vjpOutputs[0]
	ins := node.Inputs()
	dims := node.Shape().Dimensions
	axis := -1
	for a, n := range ins[0].Shape().Dimensions {
		if n != dims[a] {
			axis = a
			break
		}
	}
	if axis < 0 { // one input (or empty others): the adjoint passes through
		return libConcatenateVJP(node, vjpOutputs, outputShape)
	}
	// Move the concatenation axis first, gather each input's rows, move back.
	rank := len(dims)
	perm := append([]int{axis}, crossAxes(rank, []int{axis}, nil)...)
	inv := make([]int, rank)
	for i, p := range perm {
		inv[p] = i
	}
	vt := v
	if axis != 0 {
		vt = TransposeAllAxes(v, perm...)
	}
	out := make([]*Node, len(ins))
	start := 0
	for i, in := range ins {
		n := in.Shape().Dimensions[axis]
		idx := make([]int32, n)
		for j := range idx {
			idx[j] = int32(start + j)
		}
		start += n
		piece := Gather(vt, Reshape(Const(node.Graph(), idx), n, 1))
		if axis != 0 {
			piece = TransposeAllAxes(piece, inv...)
		}
		out[i] = piece
	}
	return out
}
