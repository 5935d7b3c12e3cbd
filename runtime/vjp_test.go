package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

type dotCase struct {
	name           string
	lhs, rhs       []int
	lc, lb, rc, rb []int
	op             string // "" DotGeneral, "dot" Dot, "einsum:EQ"
}

var dotCases = []dotCase{
	{name: "matmul", lhs: []int{3, 4}, rhs: []int{4, 5}, lc: []int{1}, rc: []int{0}},
	{name: "lhsT", lhs: []int{4, 3}, rhs: []int{4, 5}, lc: []int{0}, rc: []int{0}},
	{name: "rhsT", lhs: []int{3, 4}, rhs: []int{5, 4}, lc: []int{1}, rc: []int{1}},
	{name: "batch", lhs: []int{2, 3, 4}, rhs: []int{2, 4, 5}, lc: []int{2}, lb: []int{0}, rc: []int{1}, rb: []int{0}},
	{name: "batch-middle", lhs: []int{3, 2, 4}, rhs: []int{4, 2, 5}, lc: []int{2}, lb: []int{1}, rc: []int{0}, rb: []int{1}},
	{name: "two-contracting-swapped", lhs: []int{2, 3, 4, 5}, rhs: []int{5, 4, 6, 2}, lc: []int{2, 3}, lb: []int{0}, rc: []int{1, 0}, rb: []int{3}},
	{name: "attention", lhs: []int{2, 3, 5, 4}, rhs: []int{2, 3, 6, 4}, lc: []int{3}, lb: []int{0, 1}, rc: []int{3}, rb: []int{0, 1}},
	{name: "context", lhs: []int{2, 3, 5, 5}, rhs: []int{2, 3, 5, 4}, lc: []int{3}, lb: []int{0, 1}, rc: []int{2}, rb: []int{0, 1}},
	{name: "outer", lhs: []int{3}, rhs: []int{4}},
	{name: "batch-only", lhs: []int{3, 4}, rhs: []int{3, 4}, lb: []int{0, 1}, rb: []int{0, 1}},
	{name: "3d-by-2d", lhs: []int{2, 3, 4}, rhs: []int{4, 6}, lc: []int{2}, rc: []int{0}},
	{name: "dot-mm", lhs: []int{3, 4}, rhs: []int{4, 5}, op: "dot"},
	{name: "dot-mv", lhs: []int{3, 4}, rhs: []int{4}, op: "dot"},
	{name: "dot-vv", lhs: []int{4}, rhs: []int{4}, op: "dot"},
	{name: "einsum", lhs: []int{2, 3, 4}, rhs: []int{2, 5, 4}, op: "einsum:bij,bkj->bki"},
}

func randData(r *rand.Rand, dims []int) []float64 {
	n := 1
	for _, d := range dims {
		n *= d
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

func (c dotCase) build(lhs, rhs *Node) *Node {
	switch {
	case c.op == "dot":
		return Dot(lhs, rhs)
	case len(c.op) > 7 && c.op[:7] == "einsum:":
		return Einsum(c.op[7:], lhs, rhs)
	}
	return DotGeneral(lhs, c.lc, c.lb, rhs, c.rc, c.rb)
}

// evalDot returns f = Σ dot(lhs,rhs) ⊙ R and ∂f/∂lhs, ∂f/∂rhs in float64.
func evalDot(t *testing.T, c dotCase, lhs, rhs []float64, seed uint64) (float64, []float64, []float64) {
	t.Helper()
	g := NewGraph(goBackend(t), "dot")
	defer g.Finalize()
	l := Parameter(g, "lhs", shapes.Make(dtypes.Float64, c.lhs...))
	r := Parameter(g, "rhs", shapes.Make(dtypes.Float64, c.rhs...))
	out := c.build(l, r)
	weights := randData(rand.New(rand.NewPCG(seed, 3)), out.Shape().Dimensions)
	var f *Node
	if out.Rank() == 0 {
		f = Mul(out, Const(g, weights[0]))
	} else {
		f = ReduceAllSum(Mul(out, Reshape(Const(g, weights), out.Shape().Dimensions...)))
	}
	grads := Gradient(f, l, r)
	g.Compile(f, grads[0], grads[1])
	res := g.Run(tensors.FromFlatDataAndDimensions(lhs, c.lhs...), tensors.FromFlatDataAndDimensions(rhs, c.rhs...))
	return tensors.MustCopyFlatData[float64](res[0])[0], tensors.MustCopyFlatData[float64](res[1]), tensors.MustCopyFlatData[float64](res[2])
}

func TestFastMatmulVJPs(t *testing.T) {
	defer UseFastMatmulVJPs()
	r := rand.New(rand.NewPCG(42, 1))
	for _, c := range dotCases {
		lhs, rhs := randData(r, c.lhs), randData(r, c.rhs)
		UseFastMatmulVJPs()
		fast0, fb0 := fastVJPs.Load(), fallbackVJPs.Load()
		f, gl, gr := evalDot(t, c, lhs, rhs, 9)
		if fastVJPs.Load() != fast0+1 || fallbackVJPs.Load() != fb0 {
			t.Errorf("%s: fast VJP not used (fast %d→%d, fallback %d→%d)", c.name, fast0, fastVJPs.Load(), fb0, fallbackVJPs.Load())
		}
		UseLibraryMatmulVJPs()
		f2, gl2, gr2 := evalDot(t, c, lhs, rhs, 9)
		UseFastMatmulVJPs()
		if f != f2 {
			t.Errorf("%s: forward differs %v vs %v", c.name, f, f2)
		}
		for i := range gl {
			if math.Abs(gl[i]-gl2[i]) > 1e-12*(1+math.Abs(gl2[i])) {
				t.Fatalf("%s: ∂lhs[%d] fast %v library %v", c.name, i, gl[i], gl2[i])
			}
		}
		for i := range gr {
			if math.Abs(gr[i]-gr2[i]) > 1e-12*(1+math.Abs(gr2[i])) {
				t.Fatalf("%s: ∂rhs[%d] fast %v library %v", c.name, i, gr[i], gr2[i])
			}
		}
		// Finite differences (f is bilinear: central differences are exact up to rounding).
		const h = 1e-3
		for _, side := range []struct {
			x    []float64
			grad []float64
			lhs  bool
		}{{lhs, gl, true}, {rhs, gr, false}} {
			for k := 0; k < 3; k++ {
				i := r.IntN(len(side.x))
				orig := side.x[i]
				side.x[i] = orig + h
				fp, _, _ := evalDot(t, c, lhs, rhs, 9)
				side.x[i] = orig - h
				fm, _, _ := evalDot(t, c, lhs, rhs, 9)
				side.x[i] = orig
				fd := (fp - fm) / (2 * h)
				if math.Abs(fd-side.grad[i]) > 1e-8*(1+math.Abs(fd)) {
					t.Errorf("%s: finite difference (lhs=%v) [%d] %v vs gradient %v", c.name, side.lhs, i, fd, side.grad[i])
				}
			}
		}
	}
}

// TestFastVJPIsUsed checks that the DotGeneral axes are recovered (so the
// fast path, not the fallback, runs) for every DotGeneral case.
func TestFastVJPIsUsed(t *testing.T) {
	g := NewGraph(goBackend(t), "parse")
	defer g.Finalize()
	for _, c := range dotCases {
		if c.op != "" {
			continue
		}
		l := Parameter(g, c.name+"l", shapes.Make(dtypes.Float32, c.lhs...))
		r := Parameter(g, c.name+"r", shapes.Make(dtypes.Float32, c.rhs...))
		n := c.build(l, r)
		ax, ok := parseDotGeneralAxes(n)
		if !ok {
			t.Fatalf("%s: cannot parse %s", c.name, n)
		}
		if len(ax.lhsContracting) != len(c.lc) || len(ax.lhsBatch) != len(c.lb) {
			t.Errorf("%s: parsed %+v", c.name, ax)
		}
	}
}

// randomDotCase draws a DotGeneral with random numbers of batch, contracting
// and cross axes on each side, placed at random positions.
func randomDotCase(r *rand.Rand, i int) dotCase {
	nb, nc, nl, nr := r.IntN(3), r.IntN(3), r.IntN(3), r.IntN(3)
	dim := func() int { return 1 + r.IntN(4) }
	bd, cd := make([]int, nb), make([]int, nc)
	for k := range bd {
		bd[k] = dim()
	}
	for k := range cd {
		cd[k] = dim()
	}
	// layout returns the dims and the positions of batch/contracting axes
	// after shuffling kinds: 0 batch k, 1 contracting k, 2 cross.
	layout := func(ncross int) (dims, bpos, cpos []int) {
		type ax struct{ kind, k, dim int }
		var axes []ax
		for k := 0; k < nb; k++ {
			axes = append(axes, ax{0, k, bd[k]})
		}
		for k := 0; k < nc; k++ {
			axes = append(axes, ax{1, k, cd[k]})
		}
		for k := 0; k < ncross; k++ {
			axes = append(axes, ax{2, k, dim()})
		}
		r.Shuffle(len(axes), func(a, b int) { axes[a], axes[b] = axes[b], axes[a] })
		bpos, cpos = make([]int, nb), make([]int, nc)
		for p, a := range axes {
			dims = append(dims, a.dim)
			switch a.kind {
			case 0:
				bpos[a.k] = p
			case 1:
				cpos[a.k] = p
			}
		}
		return
	}
	c := dotCase{name: fmt.Sprintf("random%d", i)}
	c.lhs, c.lb, c.lc = layout(nl)
	c.rhs, c.rb, c.rc = layout(nr)
	return c
}

// TestFastMatmulVJPsRandomShapes compares the fast VJPs with GoMLX's own on
// 40 random DotGeneral layouts.
func TestFastMatmulVJPsRandomShapes(t *testing.T) {
	defer UseFastMatmulVJPs()
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 40; i++ {
		c := randomDotCase(r, i)
		if len(c.lhs) == 0 || len(c.rhs) == 0 {
			continue // scalars: not a DotGeneral operand
		}
		lhs, rhs := randData(r, c.lhs), randData(r, c.rhs)
		UseFastMatmulVJPs()
		fb0 := fallbackVJPs.Load()
		_, gl, gr := evalDot(t, c, lhs, rhs, uint64(i))
		if fallbackVJPs.Load() != fb0 {
			t.Errorf("%s: fell back to the library VJP", c.name)
		}
		UseLibraryMatmulVJPs()
		_, gl2, gr2 := evalDot(t, c, lhs, rhs, uint64(i))
		for k := range gl {
			if math.Abs(gl[k]-gl2[k]) > 1e-12*(1+math.Abs(gl2[k])) {
				t.Fatalf("%s %+v: ∂lhs[%d] fast %v library %v", c.name, c, k, gl[k], gl2[k])
			}
		}
		for k := range gr {
			if math.Abs(gr[k]-gr2[k]) > 1e-12*(1+math.Abs(gr2[k])) {
				t.Fatalf("%s %+v: ∂rhs[%d] fast %v library %v", c.name, c, k, gr[k], gr2[k])
			}
		}
	}
}
