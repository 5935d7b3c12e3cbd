package runtime

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/bench"
)

// Training from scratch (lpz bench build).
//
// A model family plugs into the loop through trainModel: it lists its
// trainable tensors (host float32, row-major) and builds a graph whose
// inputs are ids (B,T) int32, label pairs (B·T, 2) int32 and then every
// trainable tensor in order, and whose outputs are the mean next-token NLL
// and (when grads is true) its gradient for every trainable tensor.
//
// The graph is built and compiled once per model and executed every step
// with fresh inputs; the optimizer runs on the host in Go (see
// TrainConfig / adamW). Measured on the 2-core CPU (the log line of
// TestTrainGPT2LossDecreasesAndIsDeterministic; TrainResult.OptimTime vs
// StepTime): the host AdamW update + clipping took 0.19 ms per step against
// 20 ms for the graph's forward+backward on a 29k-parameter model (~1%),
// and the ratio only falls for larger models (the update is O(params), the
// step O(params·tokens)), so there was nothing to gain from moving it into
// the graph, which would also triple the graph's inputs (two moments).

// TrainConfig is the recipe of one training run. Zero fields take the
// defaults of DefaultTrainConfig.
type TrainConfig struct {
	Steps  int // optimizer steps
	Batch  int // sequences per step
	Seq    int // tokens per sequence (≤ the model's context); 0 = the model's context
	LR     float64
	MinLR  float64 // cosine floor as a fraction of LR (0.1 = decays to LR/10)
	Warmup int     // linear warm-up steps (from LR/Warmup to LR); 0 = 10% of Steps
	Beta1  float64
	Beta2  float64
	Eps    float64
	// WeightDecay is AdamW's decoupled decay, applied to matrices (rank ≥ 2:
	// weights, embedding tables, position table) only, not to biases and
	// norm gains.
	WeightDecay float64
	Clip        float64 // global gradient-norm clip (≤ 0: none)
	Seed        uint64  // weights (the model's own seeded draw) and batch order
	// EvalBatches is the number of validation batches (Batch × Seq tokens
	// each, non-overlapping windows from the start of the validation ids).
	EvalBatches int
	// Stop, if set, is polled before every step: returning true ends the
	// run with ErrTrainStopped (the caller was interrupted).
	Stop func() bool `json:"-"`
}

// ErrTrainStopped is returned when TrainConfig.Stop asked to stop.
var ErrTrainStopped = errors.New("runtime: training stopped")

// TrainVersion identifies the training recipe's code: bump it whenever a
// change would alter the losses a training run produces.
const TrainVersion = "train/1"

// DefaultTrainConfig is the recipe lpz bench build uses unless told
// otherwise: AdamW β (0.9, 0.95), wd 0.01 on matrices, clip 1.0, warm-up
// 10% of the steps then cosine to LR/10.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Steps: 100, Batch: 16, LR: 3e-3, MinLR: 0.1, Beta1: 0.9, Beta2: 0.95,
		Eps: 1e-8, WeightDecay: 0.01, Clip: 1.0, Seed: 0, EvalBatches: 8}
}

func (tc TrainConfig) withDefaults() TrainConfig {
	d := DefaultTrainConfig()
	if tc.Steps <= 0 {
		tc.Steps = d.Steps
	}
	if tc.Batch <= 0 {
		tc.Batch = d.Batch
	}
	if tc.LR <= 0 {
		tc.LR = d.LR
	}
	if tc.MinLR <= 0 {
		tc.MinLR = d.MinLR
	}
	if tc.Warmup <= 0 {
		tc.Warmup = max(1, tc.Steps/10)
	}
	if tc.Beta1 <= 0 {
		tc.Beta1 = d.Beta1
	}
	if tc.Beta2 <= 0 {
		tc.Beta2 = d.Beta2
	}
	if tc.Eps <= 0 {
		tc.Eps = d.Eps
	}
	if tc.WeightDecay < 0 {
		tc.WeightDecay = 0
	}
	if tc.EvalBatches <= 0 {
		tc.EvalBatches = d.EvalBatches
	}
	return tc
}

// LRAt is the learning rate of step s (0-based): linear warm-up
// LR·(s+1)/Warmup for s < Warmup, then cosine from LR to MinLR·LR at the
// last step.
func (tc TrainConfig) LRAt(s int) float64 {
	if s < tc.Warmup {
		return tc.LR * float64(s+1) / float64(tc.Warmup)
	}
	span := tc.Steps - tc.Warmup - 1
	p := 1.0
	if span > 0 {
		p = float64(s-tc.Warmup) / float64(span)
	}
	lo := tc.LR * tc.MinLR
	return lo + (tc.LR-lo)*0.5*(1+math.Cos(math.Pi*p))
}

// TrainResult is what one training run measured.
type TrainResult struct {
	TrainLoss    []float64 // per step, before the update
	ValidLoss    float64   // mean NLL per token (nats) on the validation windows
	ValidPPL     float64   // exp(ValidLoss)
	InitValid    float64   // validation loss before training (-1 if not measured)
	Params       int       // trainable parameters
	Tokens       int64     // training tokens seen (Steps·Batch·Seq)
	Seq          int       // tokens per sequence used
	ValidTokens  int       // validation tokens
	Time         time.Duration
	CompileTime  time.Duration // building + compiling the two graphs
	StepTime     time.Duration // all graph executions of training steps
	OptimTime    time.Duration // host AdamW + clipping
	EvalTime     time.Duration
	FinalGradNrm float64
}

// trainTensor is one trainable tensor.
type trainTensor struct {
	name  string
	data  []float32
	dims  []int
	decay bool // weight decay applies (matrices)
}

// trainModel is a model family's hook into the training loop.
type trainModel interface {
	tensors() []*trainTensor
	// context is the longest sequence the model accepts.
	context() int
	vocab() int
	// build builds the loss (and gradients) graph; the graph's parameters
	// are ids (B,T) int32, pairs (B·T,2) int32, then tensors() in order.
	build(g *Graph, B, T int, grads bool) (loss *Node, gr []*Node)
}

// stepFeeder is a trainModel whose graphs take inputs of their own after
// the trainable tensors, per step (step −1: validation): LoNAS's
// sub-network masks and frozen base weights.
type stepFeeder interface {
	stepInputs(step int) []any
}

// TrainProgress is called after every step (step is 1-based).
type TrainProgress func(step, steps int, loss float64)

// trainLoop trains tm on train ids and evaluates on valid ids.
func trainLoop(backend backends.Backend, tm trainModel, train, valid []int, tc TrainConfig, progress TrainProgress) (res *TrainResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: training: %v", r)
		}
	}()
	start := time.Now()
	tc = tc.withDefaults()
	T := tc.Seq
	if T <= 0 || T > tm.context() {
		T = tm.context()
	}
	B := tc.Batch
	if len(train) < T+2 {
		return nil, fmt.Errorf("runtime: training text has %d tokens, need more than %d", len(train), T+1)
	}
	for _, ids := range [][]int{train, valid} {
		for _, id := range ids {
			if id < 0 || id >= tm.vocab() {
				return nil, fmt.Errorf("runtime: token %d outside the vocabulary [0,%d)", id, tm.vocab())
			}
		}
	}
	ts := &trainSession{params: tm.tensors(), B: B, T: T}
	if sf, ok := tm.(stepFeeder); ok {
		ts.feed = sf.stepInputs
	}
	res = &TrainResult{InitValid: -1}
	for _, p := range ts.params {
		res.Params += len(p.data)
	}

	t0 := time.Now()
	gTrain := NewGraph(backend, "train")
	defer gTrain.Finalize()
	loss, grads := tm.build(gTrain, B, T, true)
	gTrain.Compile(append([]*Node{loss}, grads...)...)
	gEval := NewGraph(backend, "eval")
	defer gEval.Finalize()
	eLoss, _ := tm.build(gEval, B, T, false)
	gEval.Compile(eLoss)
	res.CompileTime = time.Since(t0)

	r := rand.New(rand.NewPCG(tc.Seed, trainStream))
	opt := newAdamW(ts.params, tc)
	gradBuf := make([][]float32, len(ts.params))
	for s := 0; s < tc.Steps; s++ {
		if tc.Stop != nil && tc.Stop() {
			return nil, ErrTrainStopped
		}
		ws := make([][]int, B)
		for i := range ws {
			o := r.IntN(len(train) - T)
			ws[i] = train[o : o+T+1]
		}
		t1 := time.Now()
		out := gTrain.Run(ts.inputsAt(ws, s)...)
		l := float64(tensors.MustCopyFlatData[float32](out[0])[0])
		for i := range ts.params {
			gradBuf[i] = tensors.MustCopyFlatData[float32](out[i+1])
		}
		for _, o := range out {
			o.FinalizeAll()
		}
		res.StepTime += time.Since(t1)
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("runtime: training diverged at step %d (loss %v)", s+1, l)
		}
		res.TrainLoss = append(res.TrainLoss, l)
		t2 := time.Now()
		res.FinalGradNrm = opt.step(gradBuf, tc.LRAt(s))
		res.OptimTime += time.Since(t2)
		if progress != nil {
			progress(s+1, tc.Steps, l)
		}
	}
	res.Tokens = int64(tc.Steps) * int64(B) * int64(T)
	res.Seq = T
	t3 := time.Now()
	res.ValidLoss, res.ValidTokens = ts.evaluate(gEval, valid, tc.EvalBatches)
	res.EvalTime = time.Since(t3)
	if math.IsNaN(res.ValidLoss) || math.IsInf(res.ValidLoss, 0) {
		return nil, fmt.Errorf("runtime: validation loss is %v", res.ValidLoss)
	}
	res.ValidPPL = math.Exp(res.ValidLoss)
	res.Time = time.Since(start)
	return res, nil
}

// trainSession feeds a training model's graphs: B windows of T+1 ids,
// the current trainable tensors and, with feed, the step's own inputs.
type trainSession struct {
	params []*trainTensor
	B, T   int
	feed   func(step int) []any
}

// inputsAt are the graph inputs of step (−1: validation).
func (ts *trainSession) inputsAt(windows [][]int, step int) []any {
	in := ts.inputs(windows)
	if ts.feed != nil {
		in = append(in, ts.feed(step)...)
	}
	return in
}

func (ts *trainSession) inputs(windows [][]int) []any {
	ids := make([]int32, 0, ts.B*ts.T)
	pairs := make([]int32, 0, 2*ts.B*ts.T)
	for _, w := range windows {
		for t := 0; t < ts.T; t++ {
			ids = append(ids, int32(w[t]))
			pairs = append(pairs, int32(len(pairs)/2), int32(w[t+1]))
		}
	}
	in := []any{tensors.FromFlatDataAndDimensions(ids, ts.B, ts.T), tensors.FromFlatDataAndDimensions(pairs, ts.B*ts.T, 2)}
	for _, p := range ts.params {
		in = append(in, tensors.FromFlatDataAndDimensions(p.data, p.dims...))
	}
	return in
}

// evaluate is the mean loss of gEval over up to maxBatches consecutive
// batches of valid, and the number of tokens scored.
func (ts *trainSession) evaluate(gEval *Graph, valid []int, maxBatches int) (float64, int) {
	B, T := ts.B, ts.T
	nw := len(valid) / (T + 1)
	nb := min(maxBatches, nw/B)
	if nb == 0 {
		panic(fmt.Sprintf("validation text has %d tokens: not one batch of %d×%d", len(valid), B, T+1))
	}
	sum := 0.0
	for b := 0; b < nb; b++ {
		ws := make([][]int, B)
		for i := range ws {
			k := (b*B + i) * (T + 1)
			ws[i] = valid[k : k+T+1]
		}
		out := gEval.Run(ts.inputsAt(ws, -1)...)
		sum += float64(tensors.MustCopyFlatData[float32](out[0])[0])
		out[0].FinalizeAll()
	}
	return sum / float64(nb), nb * B * T
}

// trainStream is the second PCG word of the batch order.
const trainStream = 0x6c707a2d7472616e // "lpz-tran"

// adamW is AdamW (Loshchilov & Hutter; PyTorch's torch.optim.AdamW form)
// with global-norm clipping, moments in float64 on the host.
type adamW struct {
	params []*trainTensor
	m, v   [][]float64
	tc     TrainConfig
	t      int
}

func newAdamW(params []*trainTensor, tc TrainConfig) *adamW {
	o := &adamW{params: params, tc: tc}
	for _, p := range params {
		o.m = append(o.m, make([]float64, len(p.data)))
		o.v = append(o.v, make([]float64, len(p.data)))
	}
	return o
}

// step clips the gradients to global norm Clip and applies one update
// with learning rate lr; it returns the gradient norm before clipping.
func (o *adamW) step(grads [][]float32, lr float64) float64 {
	o.t++
	var sq float64
	for _, g := range grads {
		for _, x := range g {
			sq += float64(x) * float64(x)
		}
	}
	norm := math.Sqrt(sq)
	scale := 1.0
	if o.tc.Clip > 0 && norm > o.tc.Clip {
		scale = o.tc.Clip / (norm + 1e-6)
	}
	b1, b2 := o.tc.Beta1, o.tc.Beta2
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	for i, p := range o.params {
		g, m, v := grads[i], o.m[i], o.v[i]
		decay := 1.0
		if p.decay {
			decay = 1 - lr*o.tc.WeightDecay
		}
		for j := range p.data {
			gj := float64(g[j]) * scale
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			w := float64(p.data[j]) * decay
			w -= lr * (m[j] / c1) / (math.Sqrt(v[j]/c2) + o.tc.Eps)
			p.data[j] = float32(w)
		}
	}
	return norm
}

// ---- GPT-2 family ----

// gpt2Trainer trains a GPT-2 flex model with a single softmax cluster
// (div_val 1 and cutoffs that clean to [n_token], as every byte-level
// model). The attention's c_attn weight and bias are trained as three
// column blocks (q, k, v): AdamW, weight decay and the global norm are
// elementwise or sums, so this is the same optimisation as on the whole
// matrix, and it keeps Slice (whose gradient SimpleGo cannot build) out of
// the graph.
type gpt2Trainer struct {
	m      *GPT2
	ts     []*trainTensor
	byName map[*Param][]int // Param → indices into ts
}

func newGPT2Trainer(m *GPT2) (*gpt2Trainer, error) {
	a := m.arch
	if a.K() != 1 || a.divVal != 1 {
		return nil, fmt.Errorf("runtime: training supports a single softmax cluster (div_val 1, cutoffs cleaning to [n_token]); got %d clusters, div_val %d", a.K(), a.divVal)
	}
	t := &gpt2Trainer{m: m, byName: map[*Param][]int{}}
	attnW := map[*Param]bool{}
	attnB := map[*Param]bool{}
	for _, b := range m.blocks {
		attnW[b.cAttnW] = true
		attnB[b.cAttnB] = true
	}
	add := func(p *Param, name string, data []float32, dims ...int) {
		t.byName[p] = append(t.byName[p], len(t.ts))
		t.ts = append(t.ts, &trainTensor{name: name, data: data, dims: dims, decay: len(dims) >= 2})
	}
	d := a.d
	for _, p := range m.Params {
		switch {
		case attnW[p]:
			for c := 0; c < 3; c++ {
				buf := make([]float32, 0, d*d)
				for i := 0; i < d; i++ {
					buf = append(buf, p.Data[i*3*d+c*d:i*3*d+(c+1)*d]...)
				}
				add(p, fmt.Sprintf("%s[:,%d]", p.Name, c), buf, d, d)
			}
		case attnB[p]:
			for c := 0; c < 3; c++ {
				add(p, fmt.Sprintf("%s[%d]", p.Name, c), append([]float32(nil), p.Data[c*d:(c+1)*d]...), d)
			}
		default:
			add(p, p.Name, p.Data, p.Shape...) // trained in place
		}
	}
	return t, nil
}

func (t *gpt2Trainer) tensors() []*trainTensor { return t.ts }
func (t *gpt2Trainer) context() int            { return t.m.arch.tgtLen }
func (t *gpt2Trainer) vocab() int              { return t.m.arch.V }

// syncBack writes the trained q/k/v blocks back into the model's Params.
func (t *gpt2Trainer) syncBack() {
	d := t.m.arch.d
	for _, b := range t.m.blocks {
		wi, bi := t.byName[b.cAttnW], t.byName[b.cAttnB]
		for c := 0; c < 3; c++ {
			w := t.ts[wi[c]].data
			for i := 0; i < d; i++ {
				copy(b.cAttnW.Data[i*3*d+c*d:i*3*d+(c+1)*d], w[i*d:(i+1)*d])
			}
			copy(b.cAttnB.Data[c*d:(c+1)*d], t.ts[bi[c]].data)
		}
	}
}

// build is GPT2.graph's forward pass (the same blocks, gpt2BlockGraph, and
// the same ×√d embedding scale) for K = 1 with the batch as graph inputs,
// so one compiled graph serves every step; wpe is trained whole, so its
// first T rows are a one-hot matmul instead of a host cut.
func (t *gpt2Trainer) build(g *Graph, B, T int, grads bool) (*Node, []*Node) {
	m, a := t.m, t.m.arch
	dt := dtypes.Float32
	d, N := a.d, B*T
	ids := Parameter(g, "ids", shapes.Make(dtypes.Int32, B, T))
	pairs := Parameter(g, "pairs", shapes.Make(dtypes.Int32, N, 2))
	nodes := make([]*Node, len(t.ts))
	for i, tt := range t.ts {
		nodes[i] = Parameter(g, tt.name, shapes.Make(dt, tt.dims...))
	}
	one := func(p *Param) *Node { return nodes[t.byName[p][0]] }
	scalar := func(x float64) *Node { return Scalar(g, dt, x) }

	table := one(m.embTables[0])
	emb := Gather(table, Reshape(ids, B, T, 1)) // (B,T,e)
	var embProj *Node
	if len(m.embProjs) == 1 {
		embProj = one(m.embProjs[0])
		emb = DotGeneral(emb, []int{2}, nil, embProj, []int{1}, nil)
	}
	emb = Mul(emb, scalar(math.Sqrt(float64(d))))
	wpe := one(m.wpe)
	if T < a.tgtLen { // first T rows as a one-hot matmul (no Slice under the gradient)
		sel := make([]float32, T*a.tgtLen)
		for i := 0; i < T; i++ {
			sel[i*a.tgtLen+i] = 1
		}
		wpe = MatMul(Reshape(Const(g, sel), T, a.tgtLen), wpe)
	}
	h := Add(emb, BroadcastToDims(Reshape(wpe, 1, T, d), B, T, d))
	mask := causalMask(g, T)
	for l, blk := range m.blocks {
		wi, bi := t.byName[blk.cAttnW], t.byName[blk.cAttnB]
		h, _, _, _ = gpt2BlockGraph(h, &gpt2BlockNodes{
			wq: nodes[wi[0]], wk: nodes[wi[1]], wv: nodes[wi[2]], bq: nodes[bi[0]], bk: nodes[bi[1]], bv: nodes[bi[2]],
			wo: one(blk.aProjW), bo: one(blk.aProjB), wfc: one(blk.fcW), bfc: one(blk.fcB),
			wp: one(blk.mProjW), bp: one(blk.mProjB),
			ln1G: one(blk.ln1G), ln1B: one(blk.ln1B), ln2G: one(blk.ln2G), ln2B: one(blk.ln2B),
		}, a.nHead[l], mask, nil)
	}
	hf := Reshape(layerNormLast(h, one(m.lnfG), one(m.lnfB), 1e-5), N, d)
	// Head: x·Proj (own or tied) · Wᵀ + b.
	var proj *Node
	switch {
	case m.outProjs[0] != nil:
		proj = one(m.outProjs[0])
	case a.tieProjs[0] && embProj != nil:
		proj = embProj
	}
	if proj != nil {
		hf = DotGeneral(hf, []int{1}, nil, proj, []int{0}, nil)
	}
	w := table
	if len(m.outTables) > 0 {
		w = one(m.outTables[0])
	}
	z := DotGeneral(hf, []int{1}, nil, w, []int{1}, nil)
	z = Add(z, broadcastLast(one(m.outBiases[0]), N, a.V))
	loss := Div(nllSumAt(z, pairs, N), scalar(float64(N)))
	if !grads {
		return loss, nil
	}
	return loss, Gradient(loss, nodes...)
}

// TrainGPT2 trains cfg from its seeded initialisation (NewGPT2(cfg,
// tc.Seed)) on the train ids with AdamW and evaluates the mean next-token
// NLL on the valid ids. Only single-cluster heads are supported (see
// gpt2Trainer).
func TrainGPT2(backend backends.Backend, cfg bench.GPT2Config, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error) {
	if backend == nil {
		return nil, fmt.Errorf("runtime: nil backend")
	}
	m, err := NewGPT2(cfg, tc.Seed)
	if err != nil {
		return nil, err
	}
	t, err := newGPT2Trainer(m)
	if err != nil {
		return nil, err
	}
	res, err := trainLoop(backend, t, train, valid, tc, progress)
	if err != nil {
		return nil, err
	}
	t.syncBack()
	return res, nil
}
