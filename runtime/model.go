package runtime

import (
	"fmt"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"

	"lpz/interp"
	"lpz/stdlib"
	"lpz/tensor"
)

// Model is the one thing a model family implements: one architecture with
// its seeded host weights (*GPT2, *FlexiBERT and *Llama are the three).
// It names its parameters and channel entries and builds its forward graph
// for a channel set; everything else is written once over it — choosing
// the channels, the gradients they need (forward.outputs), the graph
// execution, the Synflow pass and packaging the results as interpreter
// inputs (capture). Training (train.go) builds from the same family code:
// LLaMA's trainer runs its Model graph, GPT-2's shares its blocks. A new
// family adds a Model and one row of the family table (family.go).
type Model interface {
	// Family is the family's name (bench.FamilyGPT2, bench.FamilyFlexiBERT,
	// bench.FamilyLlama).
	Family() string
	// NumParams counts the unique parameters: total (the params scalar)
	// and the blocks' (dparams; what counts as a block is the family's).
	NumParams() (total, blocks int)
	// Entries names the entries of the per-block channels and of W.
	Entries() Entries
	// WeightParams are W's matrices, in Entries().W order.
	WeightParams() []*Param

	// prepare validates a minibatch (FlexiBERT also masks it with seed).
	prepare(b Batch, seed uint64) (minibatch, error)
	// graph registers the parameters on gb and builds the forward pass on
	// in; with want.synflow it stops at the last hidden state (no head,
	// forward.loss nil).
	graph(gb *graphBuilder, in minibatch, want chanSet) *forward
	// flops is the analytic matmul FLOP count of one capture execution
	// (0 where the family has none).
	flops(in minibatch, want chanSet) float64
}

// Entries are the entry names of a model's list channels: A, H, S per
// block (GA has A's), W for the weight matrices (G, HG, GS and Gones have
// W's). J always has the single entry "embed".
type Entries struct {
	A, H, S, W []string
}

// minibatch is a validated batch in the form a family's graph reads it.
type minibatch interface {
	// synflow is the input of the Synflow pass (GS).
	synflow() minibatch
}

// forward is what a family's graph returns: the loss and the nodes that
// forward.outputs differentiates for the requested channels.
type forward struct {
	loss    *Node   // mean loss; nil in the Synflow graph
	A, H, S []*Node // channel entries, Entries order
	// weights are the W matrices as graph parameters, in the order their
	// gradients are taken; regroup maps such gradients to W's entries
	// (GPT-2's c_attn is three column blocks), nil when they already are.
	weights []*Node
	regroup func([]*Node) []*Node
	input   *Node // J's input (GPT-2 h₀, FlexiBERT x₀, LLaMA embedding rows)
	last    *Node // the hidden state whose sum J, Gones and the Synflow pass differentiate
}

// graphChannels are the tensor channels a graph execution returns, in the
// order of its outputs (after the loss).
var graphChannels = []string{"A", "H", "S", "G", "J", ChannelGones, ChannelGA, ChannelHG}

// outputs adds the gradients want needs and returns the graph's outputs:
// the first (loss, or R = Σ last in the Synflow graph) and the nodes of
// every graph channel. One backward pass of the loss serves G, GA and HG's
// g; one of Σ last serves J and Gones.
func (f *forward) outputs(want chanSet) (*Node, map[string][]*Node) {
	out := map[string][]*Node{"A": f.A, "H": f.H, "S": f.S}
	regroup := f.regroup
	if regroup == nil {
		regroup = func(n []*Node) []*Node { return n }
	}
	if want.synflow {
		r := ReduceAllSum(f.last)
		out["G"] = regroup(Gradient(r, f.weights...))
		return r, out
	}
	if want.G || want.GA || want.HG {
		targets := f.weights
		if want.GA {
			targets = append(append([]*Node{}, f.weights...), f.A...)
		}
		grads := Gradient(f.loss, targets...)
		gw := grads[:len(f.weights)]
		if want.G {
			out["G"] = regroup(gw)
		}
		if want.GA {
			out[ChannelGA] = grads[len(f.weights):]
		}
		if want.HG {
			out[ChannelHG] = regroup(hessianGradient(gw, f.weights))
		}
	}
	if want.J || want.Gones {
		targets := []*Node{f.input}
		if want.Gones {
			targets = append(targets, f.weights...)
		}
		grads := Gradient(ReduceAllSum(f.last), targets...)
		if want.J {
			out["J"] = grads[:1]
		}
		if want.Gones {
			out[ChannelGones] = regroup(grads[1:])
		}
	}
	return f.loss, out
}

// graphResult is one execution's loss (R in the Synflow pass) and the host
// tensors of the graph channels it computed.
type graphResult struct {
	loss float64
	ch   map[string][]*tensor.Tensor
}

// execute builds m's graph on in for want, runs it once on backend and
// copies the results to the host.
func execute(backend backends.Backend, m Model, in minibatch, want chanSet, dt dtypes.DType) (res *graphResult, tm Timing, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: %s graph: %v", m.Family(), r)
		}
	}()
	t0 := time.Now()
	gb := newGraphBuilder(backend, m.Family(), dt)
	gb.abs = want.synflow
	defer gb.g.Finalize()
	if want.HG {
		markDoubleBackward(gb.g)
		defer unmarkDoubleBackward(gb.g)
	}
	first, nodes := m.graph(gb, in, want).outputs(want)
	outs := []*Node{first}
	for _, ch := range graphChannels {
		if want.computes(ch) {
			outs = append(outs, nodes[ch]...)
		}
	}
	tm.Build = time.Since(t0)
	loss, rest, etm, err := gb.execute(outs)
	if err != nil {
		return nil, tm, err
	}
	tm.Compile, tm.Execute, tm.Transfer = etm.Compile, etm.Execute, etm.Transfer
	res = &graphResult{loss: loss, ch: map[string][]*tensor.Tensor{}}
	for _, ch := range graphChannels {
		if want.computes(ch) {
			n := len(nodes[ch])
			res.ch[ch], rest = rest[:n], rest[n:]
		}
	}
	return res, tm, nil
}

// capture instantiates a model (newModel draws its weights), runs batch
// once (twice with GS: the Synflow pass) and packages the requested
// channels.
func capture(backend backends.Backend, family string, newModel func() (Model, error), batch Batch, opts CaptureOptions, dt dtypes.DType) (*Capture, error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	start := time.Now()
	want, err := selectChannels(opts.Channels, familyNamed(family))
	if err != nil {
		return nil, err
	}
	m, err := newModel()
	if err != nil {
		return nil, err
	}
	in, err := m.prepare(batch, opts.Seed)
	if err != nil {
		return nil, err
	}
	c := &Capture{Inputs: interp.Inputs{}}
	c.Timing.Init = time.Since(start)
	res, tm, err := execute(backend, m, in, want, dt)
	if err != nil {
		return nil, err
	}
	c.Timing.addRun(tm)
	c.Timing.FLOPs = m.flops(in, want)
	c.Loss = res.loss
	if want.GS {
		sres, stm, err := execute(backend, m, in.synflow(), chanSet{synflow: true}, dt)
		if err != nil {
			return nil, err
		}
		res.ch[ChannelGS] = sres.ch["G"]
		c.Timing.addRun(stm)
	}
	c.Inputs = pack(m, want, res.ch)
	c.Timing.Total = time.Since(start)
	return c, nil
}

// pack turns a capture's host tensors into interpreter inputs, one value
// per requested channel.
func pack(m Model, want chanSet, ch map[string][]*tensor.Tensor) interp.Inputs {
	e := m.Entries()
	list := func(name string, names []string) interp.Value {
		return interp.TensorList(stdlib.FamilyOf(name), names, ch[name])
	}
	in := interp.Inputs{}
	for _, c := range []struct {
		name  string
		names []string
	}{
		{"A", e.A}, {"H", e.H}, {"S", e.S}, {"G", e.W}, {"J", []string{"embed"}},
		{ChannelGA, e.A}, {ChannelHG, e.W}, {ChannelGS, e.W},
	} {
		if want.has(c.name) {
			in[c.name] = list(c.name, append([]string(nil), c.names...))
		}
	}
	if want.Gones { // not a stdlib channel, so FamilyOf would not know it
		in[ChannelGones] = interp.TensorList(stdlib.FamilyWeights, append([]string(nil), e.W...), ch[ChannelGones])
	}
	if want.W {
		in["W"] = weightsValue(m)
	}
	total, blocks := m.NumParams()
	if want.params {
		in["params"] = interp.ScalarValue(float64(total))
	}
	if want.dparams {
		in["dparams"] = interp.ScalarValue(float64(blocks))
	}
	return in
}

// weightsValue is the W channel: m's weight matrices sharing its host data.
func weightsValue(m Model) interp.Value {
	var ws []*tensor.Tensor
	for _, p := range m.WeightParams() {
		ws = append(ws, &tensor.Tensor{Shape: append([]int(nil), p.Shape...), Data: p.Data})
	}
	return interp.TensorList(stdlib.FamilyWeights, m.Entries().W, ws)
}
