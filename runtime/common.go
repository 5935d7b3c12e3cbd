package runtime

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/tensor"
)

// Graph helpers shared by the model families.

// graphBuilder registers graph parameters together with their host values
// (fed to Run in registration order) and makes constants in the graph dtype.
type graphBuilder struct {
	g      *Graph
	dt     dtypes.DType
	inputs []hostInput
	abs    bool // feed |data| for every parameter (the Synflow pass)
}

// hostInput is one graph parameter's value: a row-major view of host data
// (ints for an int32 parameter).
type hostInput struct {
	data []float32
	ints []int32
	dims []int
}

// absCopy is |x| elementwise in a new slice (the Synflow pass's weights).
func absCopy(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		if v < 0 {
			v = -v
		}
		out[i] = v
	}
	return out
}

// param adds a graph parameter with host data (row-major, dims).
func (gb *graphBuilder) param(name string, data []float32, dims ...int) *Node {
	if gb.abs {
		data = absCopy(data)
	}
	gb.inputs = append(gb.inputs, hostInput{data: data, dims: dims})
	return Parameter(gb.g, name, shapes.Make(gb.dt, dims...))
}

// intParam adds an int32 graph parameter (ids fed per execution, so that
// one compiled graph serves every training step).
func (gb *graphBuilder) intParam(name string, data []int32, dims ...int) *Node {
	gb.inputs = append(gb.inputs, hostInput{ints: data, dims: dims})
	return Parameter(gb.g, name, shapes.Make(dtypes.Int32, dims...))
}

// full adds a Param as a graph parameter of its own shape.
func (gb *graphBuilder) full(p *Param) *Node { return gb.param(p.Name, p.Data, p.Shape...) }

// scalar is a constant scalar in the graph dtype.
func (gb *graphBuilder) scalar(x float64) *Node { return Scalar(gb.g, gb.dt, x) }

// constant is a constant tensor (row-major data) in the graph dtype.
func (gb *graphBuilder) constant(data []float64, dims ...int) *Node {
	return Reshape(ConstAsDType(gb.g, gb.dt, data), dims...)
}

// indices is an int32 constant of the given shape.
func (gb *graphBuilder) indices(data []int32, dims ...int) *Node {
	return Reshape(Const(gb.g, data), dims...)
}

// broadcastLast broadcasts a vector b over the leading axes of dims (b's
// length is dims' last entry).
func broadcastLast(b *Node, dims ...int) *Node {
	r := make([]int, len(dims))
	for i := range r {
		r[i] = 1
	}
	r[len(r)-1] = dims[len(dims)-1]
	return BroadcastToDims(Reshape(b, r...), dims...)
}

// linearOutIn is y = x·Wᵀ + b for a PyTorch-layout weight W (out, in)
// contracting x's last axis; b may be nil.
func linearOutIn(x, w, b *Node) *Node {
	y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{1}, nil)
	if b != nil {
		y = Add(y, broadcastLast(b, y.Shape().Dimensions...))
	}
	return y
}

// linearInOut is y = x·W + b for an (in, out) weight W (GPT-2's Conv1D,
// LLaMA's matrices) contracting x's last axis; b may be nil.
func linearInOut(x, w, b *Node) *Node {
	y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{0}, nil)
	if b != nil {
		y = Add(y, broadcastLast(b, y.Shape().Dimensions...))
	}
	return y
}

// splitHeads is (B,T,n·dh) → (B,n,T,dh); mergeHeads is its inverse.
func splitHeads(y *Node, n int) *Node {
	d := y.Shape().Dimensions
	return TransposeAllAxes(Reshape(y, d[0], d[1], n, d[2]/n), 0, 2, 1, 3)
}

func mergeHeads(ctx *Node) *Node {
	d := ctx.Shape().Dimensions
	return Reshape(TransposeAllAxes(ctx, 0, 2, 1, 3), d[0], d[2], d[1]*d[3])
}

// causalMask is the (1,1,T,T) mask of the keys a query may attend to (key
// index ≤ query index).
func causalMask(g *Graph, T int) *Node {
	causal := make([]bool, T*T)
	for q := 0; q < T; q++ {
		for k := 0; k <= q; k++ {
			causal[q*T+k] = true
		}
	}
	return Reshape(Const(g, causal), 1, 1, T, T)
}

// attention is softmax(q·kᵀ/√dh)·v over heads (B,n,T,dh); with a mask the
// masked scores are replaced by −1e4 (not −∞: GPT-2 quirk 10). It returns
// the probabilities (B,n,T,T) and the context (B,n,T,dh).
func attention(q, k, v, mask *Node) (probs, ctx *Node) {
	g, dt := q.Graph(), q.DType()
	scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}) // (B,n,T,T)
	scores = Div(scores, Scalar(g, dt, math.Sqrt(float64(q.Shape().Dimensions[3]))))
	if mask != nil {
		scores = Where(BroadcastToDims(mask, scores.Shape().Dimensions...), scores, Scalar(g, dt, -1e4))
	}
	probs = Softmax(scores, -1)
	return probs, DotGeneral(probs, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
}

// layerNormLast normalises over the last axis: (x-μ)/√(σ²+eps)·γ + β
// (biased variance, as torch.nn.LayerNorm).
func layerNormLast(x, gain, beta *Node, eps float64) *Node {
	mean := ReduceAndKeep(x, ReduceMean, -1)
	xc := Sub(x, mean)
	variance := ReduceAndKeep(Mul(xc, xc), ReduceMean, -1)
	y := Div(xc, Sqrt(Add(variance, Scalar(x.Graph(), x.DType(), eps))))
	dims := y.Shape().Dimensions
	return Add(Mul(y, broadcastLast(gain, dims...)), broadcastLast(beta, dims...))
}

// geluTanh is gelu_new, the tanh approximation (GPT-2 quirk 12).
func geluTanh(x *Node) *Node {
	g, dt := x.Graph(), x.DType()
	scalar := func(v float64) *Node { return Scalar(g, dt, v) }
	inner := Mul(scalar(math.Sqrt(2/math.Pi)), Add(x, Mul(scalar(0.044715), Mul(Mul(x, x), x))))
	return Mul(Mul(scalar(0.5), x), Add(scalar(1), Tanh(inner)))
}

// geluErf is the exact GELU x·Φ(x) = ½x(1 + erf(x/√2)) (HF "gelu").
func geluErf(x *Node) *Node {
	g, dt := x.Graph(), x.DType()
	return Mul(Mul(Scalar(g, dt, 0.5), x), Add(Scalar(g, dt, 1), Erf(Mul(x, Scalar(g, dt, 1/math.Sqrt2)))))
}

// sumNLL is Σ_n (logsumexp(z[n,:]) − z[n, col[n]]) for logits z (n, V).
func (gb *graphBuilder) sumNLL(z *Node, col []int32) *Node {
	n := len(col)
	pairs := make([]int32, 0, 2*n)
	for r, c := range col {
		pairs = append(pairs, int32(r), c)
	}
	return nllSumAt(z, gb.indices(pairs, n, 2), n)
}

// nllSumAt is sumNLL with the (row, column) pairs (n, 2) as a node (a
// constant, or a parameter fed per training step).
func nllSumAt(z, pairs *Node, n int) *Node { return ReduceAllSum(nllAt(z, pairs, n)) }

// nllAt is the (n) vector of each pair's NLL, logsumexp(z[r,:]) − z[r,c].
func nllAt(z, pairs *Node, n int) *Node {
	picked := Gather(z, pairs) // (n)
	mx := StopGradient(ReduceAndKeep(z, ReduceMax, -1))
	lse := Add(Log(ReduceSum(Exp(Sub(z, mx)), -1)), Reshape(mx, n))
	return Sub(lse, picked)
}

// execute compiles outs (outs[0] must be a scalar: the loss), feeds the
// registered inputs (converted to dt), runs the graph once and copies every
// output to the host: the first exactly as a float64, the rest as float32
// host tensors in order. The graph is finalised on return.
func (gb *graphBuilder) execute(outs []*Node) (first float64, rest []*tensor.Tensor, tm Timing, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: executing graph %s: %v", gb.g.Name(), r)
		}
	}()
	t0 := time.Now()
	gb.g.Compile(outs...)
	tm.Compile = time.Since(t0)
	inputs := make([]any, len(gb.inputs))
	for i, in := range gb.inputs {
		switch {
		case in.ints != nil:
			inputs[i] = tensors.FromFlatDataAndDimensions(in.ints, in.dims...)
		case gb.dt == dtypes.Float64:
			buf := make([]float64, len(in.data))
			for j, v := range in.data {
				buf[j] = float64(v)
			}
			inputs[i] = tensors.FromFlatDataAndDimensions(buf, in.dims...)
		default:
			inputs[i] = tensors.FromFlatDataAndDimensions(in.data, in.dims...)
		}
	}
	t0 = time.Now()
	results := gb.g.Run(inputs...)
	tm.Execute = time.Since(t0)
	t0 = time.Now()
	if gb.dt == dtypes.Float64 {
		first = tensors.MustCopyFlatData[float64](results[0])[0]
	} else {
		first = float64(tensors.MustCopyFlatData[float32](results[0])[0])
	}
	results[0].FinalizeAll()
	rest = make([]*tensor.Tensor, 0, len(results)-1)
	for _, r := range results[1:] {
		rest = append(rest, toHost(r))
		r.FinalizeAll()
	}
	tm.Transfer = time.Since(t0)
	return first, rest, tm, nil
}

// newGraphBuilder starts a graph on backend.
func newGraphBuilder(backend backends.Backend, name string, dt dtypes.DType) *graphBuilder {
	return &graphBuilder{g: NewGraph(backend, name), dt: dt}
}

// drawParams fills every Param's Data in list order from one PCG stream:
// Std > 0 → float32(N(0,1)·Std) per element in row-major order, else the
// constant Fill (no draws): every family's scheme, each with its own stream
// word.
func drawParams(params []*Param, next func() float64) {
	for _, p := range params {
		p.Data = make([]float32, p.Size())
		if p.Std == 0 {
			if p.Fill != 0 {
				for i := range p.Data {
					p.Data[i] = p.Fill
				}
			}
			continue
		}
		for i := range p.Data {
			p.Data[i] = float32(next() * p.Std)
		}
	}
}

// countParams is NumParams of the decoders: every parameter, and those of
// GroupNonEmbedding.
func countParams(params []*Param) (total, nonEmbedding int) {
	for _, p := range params {
		total += p.Size()
		if p.Group == GroupNonEmbedding {
			nonEmbedding += p.Size()
		}
	}
	return
}

// hessianGradient is H·g by double backward: ∂(Σ_k ⟨stop(g_k), g_k⟩)/∂W
// for the weights ws and their gradients gw (the graph must have been
// marked by markDoubleBackward before the first Gradient, see run).
func hessianGradient(gw, ws []*Node) []*Node {
	var dot *Node
	for _, gk := range gw {
		t := ReduceAllSum(Mul(StopGradient(gk), gk))
		if dot == nil {
			dot = t
		} else {
			dot = Add(dot, t)
		}
	}
	return Gradient(dot, ws...)
}
