package runtime

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Fast matmul gradients.
//
// GoMLX v0.26 differentiates DotGeneral and Dot by broadcasting v against the
// other operand and reduce-summing: the intermediate has the size of
// lhs×rhs, which on SimpleGo is ~10× slower than a matmul (DESIGN.md §5).
// The VJPs registered here are themselves one DotGeneral (+ at most one
// transpose) per operand:
//
//	out[b, l, r] = Σ_c lhs[b, l, c] · rhs[b, c, r]       (axes in any order)
//	∂lhs = DotGeneral(v, contract r-axes, batch b; rhs, contract rhs cross axes, batch)  → transpose to lhs layout
//	∂rhs = DotGeneral(v, contract l-axes, batch b; lhs, contract lhs cross axes, batch)  → transpose to rhs layout
//
// Einsum, EinsumAxes and MatMul lower to DotGeneral or Dot, so they are
// covered too. The registration happens in this package's init (importing
// the runtime package is enough); UseLibraryMatmulVJPs switches back to the
// library's VJPs (benchmarks and tests compare the two).

var (
	vjpMu            sync.Mutex
	libDotGeneralVJP = VJPRegistration[NodeTypeDotGeneral]
	libDotVJP        = VJPRegistration[NodeTypeDot]

	// fastVJPs and fallbackVJPs count VJP constructions (tests check that
	// the fast path is taken).
	fastVJPs, fallbackVJPs atomic.Int64
)

func init() { UseFastMatmulVJPs() }

// UseFastMatmulVJPs registers the DotGeneral-based VJPs for DotGeneral and
// Dot in graph.VJPRegistration (the default once this package is imported).
func UseFastMatmulVJPs() {
	vjpMu.Lock()
	defer vjpMu.Unlock()
	VJPRegistration[NodeTypeDotGeneral] = fastDotGeneralVJP
	VJPRegistration[NodeTypeDot] = fastDotVJP
}

// UseLibraryMatmulVJPs restores GoMLX's own VJPs for DotGeneral and Dot.
// It is not safe to call while another goroutine builds a gradient.
func UseLibraryMatmulVJPs() {
	vjpMu.Lock()
	defer vjpMu.Unlock()
	VJPRegistration[NodeTypeDotGeneral] = libDotGeneralVJP
	VJPRegistration[NodeTypeDot] = libDotVJP
}

// dotGeneralAxes are the axes of a DotGeneral node.
type dotGeneralAxes struct {
	lhsContracting, lhsBatch, rhsContracting, rhsBatch []int
}

// The DotGeneral node keeps its axes in an unexported struct; the only
// public view of them is the node's String(), whose format is fixed by the
// generated code of v0.26 (gen_backend_ops.go):
// "DotGeneral(lhs=[#1], lhsContractingAxes=[1], lhsBatchAxes=[], rhs=[#2], rhsContractingAxes=[0], rhsBatchAxes=[])".
// parseDotGeneralAxes validates what it parses against the shapes; if the
// format ever changes it reports !ok and the library VJP is used instead.
var dotGeneralRE = regexp.MustCompile(`DotGeneral\(lhs=\[#\d+\], lhsContractingAxes=\[([0-9 ]*)\], lhsBatchAxes=\[([0-9 ]*)\], rhs=\[#\d+\], rhsContractingAxes=\[([0-9 ]*)\], rhsBatchAxes=\[([0-9 ]*)\]\)`)

func parseInts(s string) ([]int, bool) {
	fields := strings.Fields(s)
	out := make([]int, 0, len(fields))
	for _, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func parseDotGeneralAxes(node *Node) (ax dotGeneralAxes, ok bool) {
	m := dotGeneralRE.FindStringSubmatch(node.String())
	if m == nil {
		return ax, false
	}
	var oks [4]bool
	ax.lhsContracting, oks[0] = parseInts(m[1])
	ax.lhsBatch, oks[1] = parseInts(m[2])
	ax.rhsContracting, oks[2] = parseInts(m[3])
	ax.rhsBatch, oks[3] = parseInts(m[4])
	for _, o := range oks {
		if !o {
			return ax, false
		}
	}
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	if len(ax.lhsContracting) != len(ax.rhsContracting) || len(ax.lhsBatch) != len(ax.rhsBatch) {
		return ax, false
	}
	valid := func(axes []int, rank int) bool {
		for _, a := range axes {
			if a < 0 || a >= rank {
				return false
			}
		}
		return true
	}
	if !valid(ax.lhsContracting, lhs.Rank()) || !valid(ax.lhsBatch, lhs.Rank()) ||
		!valid(ax.rhsContracting, rhs.Rank()) || !valid(ax.rhsBatch, rhs.Rank()) {
		return ax, false
	}
	for i := range ax.lhsContracting {
		if lhs.Shape().Dimensions[ax.lhsContracting[i]] != rhs.Shape().Dimensions[ax.rhsContracting[i]] {
			return ax, false
		}
	}
	for i := range ax.lhsBatch {
		if lhs.Shape().Dimensions[ax.lhsBatch[i]] != rhs.Shape().Dimensions[ax.rhsBatch[i]] {
			return ax, false
		}
	}
	// Output must be [batch..., lhsCross..., rhsCross...].
	want := make([]int, 0, node.Rank())
	for _, a := range ax.lhsBatch {
		want = append(want, lhs.Shape().Dimensions[a])
	}
	for _, a := range crossAxes(lhs.Rank(), ax.lhsContracting, ax.lhsBatch) {
		want = append(want, lhs.Shape().Dimensions[a])
	}
	for _, a := range crossAxes(rhs.Rank(), ax.rhsContracting, ax.rhsBatch) {
		want = append(want, rhs.Shape().Dimensions[a])
	}
	if !slices.Equal(want, node.Shape().Dimensions) {
		return ax, false
	}
	return ax, true
}

// crossAxes are the axes that are neither contracted nor batch, in order.
func crossAxes(rank int, contracting, batch []int) []int {
	var out []int
	for a := 0; a < rank; a++ {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			out = append(out, a)
		}
	}
	return out
}

func seq(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

// operandVJP computes the adjoint of "this" operand of a DotGeneral whose
// output adjoint is v. thisFirst says whether this operand is the lhs (its
// cross axes come first in the output, after the batch axes).
func operandVJP(v, other *Node, nBatch int, thisContracting, thisBatch []int, thisRank int,
	otherContracting, otherBatch []int, thisFirst bool) *Node {
	thisCross := crossAxes(thisRank, thisContracting, thisBatch)
	otherCross := crossAxes(other.Rank(), otherContracting, otherBatch)
	// Axes of v: [batch (nBatch), lhsCross, rhsCross].
	var vOtherCross []int
	if thisFirst {
		vOtherCross = seq(nBatch+len(thisCross), len(otherCross))
	} else {
		vOtherCross = seq(nBatch, len(otherCross))
	}
	// res: [batch, thisCross (in order), other's remaining axes in increasing
	// order = otherContracting sorted].
	res := DotGeneral(v, vOtherCross, seq(0, nBatch), other, otherCross, otherBatch)
	sortedOtherContracting := slices.Clone(otherContracting)
	slices.Sort(sortedOtherContracting)
	perm := make([]int, thisRank) // output axis a of the adjoint takes res axis perm[a]
	for i, a := range thisBatch {
		perm[a] = i
	}
	for i, a := range thisCross {
		perm[a] = nBatch + i
	}
	for k, a := range thisContracting {
		pos := slices.Index(sortedOtherContracting, otherContracting[k])
		perm[a] = nBatch + len(thisCross) + pos
	}
	identity := true
	for i, p := range perm {
		if i != p {
			identity = false
			break
		}
	}
	if identity {
		return res
	}
	return TransposeAllAxes(res, perm...)
}

func fastDotGeneralVJP(node *Node, vjpOutputs []*Node, outputShape shapes.Shape) []*Node {
	ax, ok := parseDotGeneralAxes(node)
	v := vjpOutputs[0]
	if !ok || !outputShape.IsScalar() || v.DType() != node.DType() {
		fallbackVJPs.Add(1)
		return libDotGeneralVJP(node, vjpOutputs, outputShape)
	}
	fastVJPs.Add(1)
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	nBatch := len(ax.lhsBatch)
	return []*Node{
		operandVJP(v, rhs, nBatch, ax.lhsContracting, ax.lhsBatch, lhs.Rank(), ax.rhsContracting, ax.rhsBatch, true),
		operandVJP(v, lhs, nBatch, ax.rhsContracting, ax.rhsBatch, rhs.Rank(), ax.lhsContracting, ax.lhsBatch, false),
	}
}

// fastDotVJP handles Dot: vector·vector, matrix·vector and matrix·matrix.
func fastDotVJP(node *Node, vjpOutputs []*Node, outputShape shapes.Shape) []*Node {
	v := vjpOutputs[0]
	lhs, rhs := node.Inputs()[0], node.Inputs()[1]
	if !outputShape.IsScalar() || v.DType() != node.DType() {
		fallbackVJPs.Add(1)
		return libDotVJP(node, vjpOutputs, outputShape)
	}
	fastVJPs.Add(1)
	switch {
	case lhs.Rank() == 1 && rhs.Rank() == 1:
		// out = Σ lhs·rhs (scalar).
		return []*Node{Mul(v, rhs), Mul(v, lhs)}
	case lhs.Rank() == 2 && rhs.Rank() == 1:
		// out[i] = Σ_j lhs[i,j] rhs[j]: ∂lhs[i,j] = v[i] rhs[j]; ∂rhs[j] = Σ_i v[i] lhs[i,j].
		return []*Node{
			DotGeneral(v, nil, nil, rhs, nil, nil),
			DotGeneral(v, []int{0}, nil, lhs, []int{0}, nil),
		}
	case lhs.Rank() == 2 && rhs.Rank() == 2:
		// out = lhs·rhs: ∂lhs = v·rhsᵀ, ∂rhs = lhsᵀ·v.
		return []*Node{
			DotGeneral(v, []int{1}, nil, rhs, []int{1}, nil),
			DotGeneral(lhs, []int{0}, nil, v, []int{0}, nil),
		}
	}
	fastVJPs.Add(-1)
	fallbackVJPs.Add(1)
	return libDotVJP(node, vjpOutputs, outputShape)
}
