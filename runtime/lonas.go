package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/bench"
)

// The LoNAS super-network (bench.FamilyLoNAS): a trained Llama whose layers
// are elastic in heads and SwiGLU width, with LoRA adapters on the
// projections LoNAS adapts (Q, K, V, up, gate). The adapters are trained
// with a random sub-network per step (LoNAS's scheme) through one masked
// graph of the whole model (see elastic); a sub-network is then deployed
// by merging the adapters into the weights and keeping its heads' and
// channels' rows and columns (Subnet), which is the same function as the
// masked graph.

// LonasModelVersion is the lonas family's code version (cache keys): the
// llama graph plus how a sub-network is cut and its adapters merged.
const LonasModelVersion = "lonas/1+" + LlamaModelVersion

// LoraTargets are the adapted projections, in PEFT's module names.
var LoraTargets = []string{"q_proj", "k_proj", "v_proj", "up_proj", "gate_proj"}

// lora is one adapter: W' = W + Scale·A·B with A (in, r) and B (r, out)
// in lpz's (in, out) orientation (PEFT's lora_A is Aᵀ, lora_B is Bᵀ).
type lora struct {
	layer  int
	target string
	a, b   *Param
	base   *Param
}

// Supernet is a trained super-network with its adapters.
type Supernet struct {
	Spec  *bench.Supernet
	Base  *Llama
	Rank  int
	Alpha float64
	lora  []*lora

	// merged are Base's params with the adapters merged, built once on
	// first use; captures cut sub-networks from several goroutines.
	mergeMu sync.Mutex
	merged  []*Param
}

// Scale is LoRA's α/r.
func (s *Supernet) Scale() float64 {
	if s.Rank == 0 {
		return 0
	}
	return s.Alpha / float64(s.Rank)
}

// target is block l's weight that a LoRA target adapts.
func (b llamaBlock) target(name string) *Param {
	switch name {
	case "q_proj":
		return b.wq
	case "k_proj":
		return b.wk
	case "v_proj":
		return b.wv
	case "up_proj":
		return b.wu
	case "gate_proj":
		return b.wg
	}
	return nil
}

// NewAdapters adds fresh adapters of rank r on every target (A drawn
// N(0, 1/in) from seed, B zero, so the super-network starts unchanged).
func (s *Supernet) NewAdapters(r int, alpha float64, seed uint64) error {
	if r <= 0 {
		return fmt.Errorf("runtime: LoRA rank %d must be positive", r)
	}
	s.Rank, s.Alpha, s.lora, s.merged = r, alpha, nil, nil
	rng := rand.New(rand.NewPCG(seed, loraStream))
	for l, b := range s.Base.blocks {
		for _, t := range LoraTargets {
			w := b.target(t)
			in, out := w.Shape[0], w.Shape[1]
			a := &Param{Name: fmt.Sprintf("layers.%d.%s.lora_A", l, t), Shape: []int{in, r}, Data: make([]float32, in*r)}
			std := 1 / math.Sqrt(float64(in))
			for i := range a.Data {
				a.Data[i] = float32(rng.NormFloat64() * std)
			}
			bb := &Param{Name: fmt.Sprintf("layers.%d.%s.lora_B", l, t), Shape: []int{r, out}, Data: make([]float32, r*out)}
			s.lora = append(s.lora, &lora{layer: l, target: t, a: a, b: bb, base: w})
		}
	}
	return nil
}

const loraStream = 0x6c707a2d6c6f7261 // "lpz-lora"

// Merged are Base's params with every adapter merged in (W + Scale·A·B).
func (s *Supernet) Merged() []*Param {
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	if s.merged != nil {
		return s.merged
	}
	delta := map[*Param]*lora{}
	for _, lr := range s.lora {
		delta[lr.base] = lr
	}
	for _, p := range s.Base.Params {
		q := &Param{Name: p.Name, Shape: p.Shape, Group: p.Group, Data: append([]float32(nil), p.Data...)}
		if lr := delta[p]; lr != nil {
			in, out, r := p.Shape[0], p.Shape[1], s.Rank
			sc := s.Scale()
			for i := range in {
				for j := range out {
					var acc float64
					for k := range r {
						acc += float64(lr.a.Data[i*r+k]) * float64(lr.b.Data[k*out+j])
					}
					q.Data[i*out+j] += float32(sc * acc)
				}
			}
		}
		s.merged = append(s.merged, q)
	}
	return s.merged
}

// Subnet is the sub-network c of s as a plain Llama: the adapters merged,
// then each layer's first n_head·head_dim attention columns (rows of Wo)
// and first d_ff SwiGLU channels kept.
func (s *Supernet) Subnet(c *bench.LonasConfig) (*Llama, error) {
	cfg, err := c.Llama()
	if err != nil {
		return nil, err
	}
	m, err := newLlamaShell(cfg)
	if err != nil {
		return nil, err
	}
	m.family = bench.FamilyLoNAS
	full := s.Merged()
	if len(full) != len(m.Params) {
		return nil, fmt.Errorf("runtime: sub-network has %d tensors, super-network %d", len(m.Params), len(full))
	}
	for i, p := range m.Params {
		if err := keepLeading(p, full[i]); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// keepLeading fills p (a vector or matrix) with the leading rows and
// columns of the larger src of the same name.
func keepLeading(p, src *Param) error {
	if p.Name != src.Name || len(p.Shape) != len(src.Shape) {
		return fmt.Errorf("runtime: sub-network tensor %s does not match super-network tensor %s", p.Name, src.Name)
	}
	switch len(p.Shape) {
	case 1:
		copy(p.Data, src.Data[:p.Shape[0]])
	case 2:
		rows, cols, scols := p.Shape[0], p.Shape[1], src.Shape[1]
		if rows > src.Shape[0] || cols > scols {
			return fmt.Errorf("runtime: sub-network tensor %s %v exceeds the super-network's %v", p.Name, p.Shape, src.Shape)
		}
		for r := range rows {
			copy(p.Data[r*cols:(r+1)*cols], src.Data[r*scols:r*scols+cols])
		}
	default:
		return fmt.Errorf("runtime: tensor %s has rank %d", p.Name, len(p.Shape))
	}
	return nil
}

// masks are the 0/1 head and channel masks of a sub-network over the
// super-network's full widths, as graph inputs (per layer: heads, then
// channels).
func (s *Supernet) masks(c *bench.LonasConfig) []any {
	var in []any
	base := s.Base.Cfg
	for l := range base.NLayer {
		a := base.NHead[l] * base.HeadDim
		h := make([]float32, a)
		for i := range c.NHead[l] * base.HeadDim {
			h[i] = 1
		}
		f := make([]float32, base.DFF[l])
		for i := range c.DFF[l] {
			f[i] = 1
		}
		in = append(in, tensors.FromFlatDataAndDimensions(h, a), tensors.FromFlatDataAndDimensions(f, base.DFF[l]))
	}
	return in
}

// elasticGraph builds the masked whole-model graph. Its parameters are
// ids and pairs, the adapters (A, B of each in order), the masks, then
// the base weights; it returns the loss, the logits and the adapter nodes.
func (s *Supernet) elasticGraph(gb *graphBuilder, B, T int) (*forward, *Node, []*Node) {
	m := s.Base
	ids, pairs := m.batchNodes(gb, &preparedBatch{B: B, T: T})
	e := &elastic{delta: map[*Param]*Node{}}
	var adapters []*Node
	for _, lr := range s.lora {
		a, b := gb.full(lr.a), gb.full(lr.b)
		adapters = append(adapters, a, b)
		e.delta[lr.base] = MulScalar(linearInOut(a, b, nil), s.Scale())
	}
	for l := range m.Cfg.NLayer {
		e.headMask = append(e.headMask, gb.param(fmt.Sprintf("block%d.head_mask", l), nil, m.Cfg.NHead[l]*m.Cfg.HeadDim))
		e.ffnMask = append(e.ffnMask, gb.param(fmt.Sprintf("block%d.ffn_mask", l), nil, m.Cfg.DFF[l]))
	}
	nodes := map[*Param]*Node{}
	for _, p := range m.Params {
		nodes[p] = gb.full(p)
	}
	f, z := m.forwardWith(gb, B, T, ids, pairs, nodes, e, chanSet{})
	return f, z, adapters
}

// adapterTrainer adapts a Supernet's adapters to the training loop: each
// step trains the sub-network that sample draws for it (the maximal one
// at validation).
type adapterTrainer struct {
	s      *Supernet
	ts     []*trainTensor
	sample func(step int) *bench.LonasConfig
	frozen []any // the base weights as graph inputs, made once: they never change
}

func (t *adapterTrainer) tensors() []*trainTensor { return t.ts }
func (t *adapterTrainer) context() int            { return t.s.Base.Cfg.SeqLen }
func (t *adapterTrainer) vocab() int              { return t.s.Base.Cfg.NToken }
func (t *adapterTrainer) build(g *Graph, B, T int, grads bool) (*Node, []*Node) {
	f, _, adapters := t.s.elasticGraph(&graphBuilder{g: g, dt: dtypes.Float32}, B, T)
	if !grads {
		return f.loss, nil
	}
	return f.loss, Gradient(f.loss, adapters...)
}

// stepInputs are the masks of step's sub-network and the frozen weights.
func (t *adapterTrainer) stepInputs(step int) []any {
	c := t.s.maximal()
	if step >= 0 {
		c = t.sample(step)
	}
	if t.frozen == nil {
		t.frozen = paramTensors(t.s.Base.Params)
	}
	return append(t.s.masks(c), t.frozen...)
}

// paramTensors are params as graph inputs, in order.
func paramTensors(params []*Param) []any {
	in := make([]any, len(params))
	for i, p := range params {
		in[i] = tensors.FromFlatDataAndDimensions(p.Data, p.Shape...)
	}
	return in
}

func (s *Supernet) maximal() *bench.LonasConfig {
	return &bench.LonasConfig{NHead: s.Base.Cfg.NHead, DFF: s.Base.Cfg.DFF, Super: s.Spec}
}

// TrainAdapters trains the adapters (NewAdapters first) with the base
// frozen, one sub-network per step drawn uniformly from the space with
// PCG(tc.Seed, subnetStream), in the loop and recipe of TrainGPT2; the
// validation loss is the maximal sub-network's.
func (s *Supernet) TrainAdapters(backend backends.Backend, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error) {
	if len(s.lora) == 0 {
		return nil, fmt.Errorf("runtime: the super-network has no adapters to train")
	}
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	if err := s.Spec.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(tc.Seed, subnetStream))
	t := &adapterTrainer{s: s, sample: func(int) *bench.LonasConfig {
		var ch bench.Choices
		for range s.Spec.Layers() {
			ch.Heads = append(ch.Heads, rng.IntN(len(s.Spec.HeadFracs)))
			ch.Widths = append(ch.Widths, rng.IntN(len(s.Spec.WidthFracs)))
		}
		c, _ := s.Spec.Config(ch) // in range by construction
		return c
	}}
	for _, lr := range s.lora {
		for _, p := range []*Param{lr.a, lr.b} {
			t.ts = append(t.ts, &trainTensor{name: p.Name, data: p.Data, dims: p.Shape})
		}
	}
	s.merged = nil
	return trainLoop(backend, t, train, valid, tc, progress)
}

const subnetStream = 0x6c707a2d7375626e // "lpz-subn"

// TokenNLL runs m on windows (each 2 … SeqLen+1 ids; rows are padded to
// the longest, and padding never reaches earlier positions of a causal
// model) in batches of batch windows, and returns for every window the
// NLL (nats) of each of its ids after the first.
func (m *Llama) TokenNLL(backend backends.Backend, windows [][]int, batch int) ([][]float64, error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	batch = max(1, batch)
	T := 0
	for i, w := range windows {
		if len(w) < 2 || len(w) > m.Cfg.SeqLen+1 {
			return nil, fmt.Errorf("runtime: window %d has %d ids (want 2…%d)", i, len(w), m.Cfg.SeqLen+1)
		}
		for _, id := range w {
			if id < 0 || id >= m.Cfg.NToken {
				return nil, fmt.Errorf("runtime: window %d: token %d outside the vocabulary [0,%d)", i, id, m.Cfg.NToken)
			}
		}
		T = max(T, len(w)-1)
	}
	out := make([][]float64, len(windows))
	if len(windows) == 0 {
		return out, nil
	}
	exec, err := m.nllExec(backend, batch, T)
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	weights := paramTensors(m.Params) // made once for every batch
	for lo := 0; lo < len(windows); lo += batch {
		hi := min(lo+batch, len(windows))
		if err := runNLL(exec, weights, windows[lo:hi], out[lo:hi], batch, T); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nllExec compiles the per-token NLL graph for (batch, T).
func (m *Llama) nllExec(backend backends.Backend, B, T int) (g *Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: building the NLL graph: %v", r)
		}
	}()
	g = NewGraph(backend, "llama_nll")
	gb := &graphBuilder{g: g, dt: dtypes.Float32}
	ids, pairs := m.batchNodes(gb, &preparedBatch{B: B, T: T})
	nodes := map[*Param]*Node{}
	for _, p := range m.Params {
		nodes[p] = gb.full(p)
	}
	_, z := m.forwardWith(gb, B, T, ids, pairs, nodes, nil, chanSet{})
	g.Compile(nllAt(z, pairs, B*T))
	return g, nil
}

// runNLL feeds one batch of windows (padded with id 0 to T+1 and with
// empty rows to B) and the weights, and copies out each window's NLLs.
func runNLL(g *Graph, weights []any, ws [][]int, out [][]float64, B, T int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: running the NLL graph: %v", r)
		}
	}()
	ids := make([]int32, B*T)
	pairs := make([]int32, 2*B*T)
	for r := range B {
		for t := range T {
			n := r*T + t
			pairs[2*n] = int32(n)
			if r < len(ws) && t < len(ws[r])-1 {
				ids[n], pairs[2*n+1] = int32(ws[r][t]), int32(ws[r][t+1])
			}
		}
	}
	in := append([]any{tensors.FromFlatDataAndDimensions(ids, B, T), tensors.FromFlatDataAndDimensions(pairs, B*T, 2)}, weights...)
	res := g.Run(in...)
	nll := tensors.MustCopyFlatData[float32](res[0])
	res[0].FinalizeAll()
	for r, w := range ws {
		out[r] = make([]float64, len(w)-1)
		for t := range out[r] {
			out[r][t] = float64(nll[r*T+t])
		}
	}
	return nil
}
