package runtime

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// chanSet says which channels a graph computes. GA, HG and GS are the
// opt-in extra channels (stdlib.ExtraChannels, see parseChannels); synflow
// and synflowOnes select the Synflow graph (see synflowGraph), which
// computes only R and its weight gradients (in G).
type chanSet struct {
	A, H, S, W, G, J bool
	GA, HG, GS       bool
	synflow          bool // graph of the GS pass: |θ|, R = Σ last hidden state, G = ∂R/∂W
	synflowOnes      bool // (tests) GPT-2: h₀ = all-ones instead of the all-ones token ids
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

// hostInput is one graph parameter's value: a row-major view of host data.
type hostInput struct {
	data []float32
	dims []int
}

// preparedBatch is a validated batch with the host-side index tables the
// graph needs (all constants: labels are known when the graph is built).
type preparedBatch struct {
	B, T   int
	ids    []int32 // B·T, batch-major
	labels []int32
}

// gpt2Graph is the built graph's output layout.
type gpt2Graph struct {
	inputs []hostInput
	loss   *Node
	A, H   []*Node
	S      []*Node
	G      []*Node // per block: c_attn (d,3d), attn.c_proj, mlp.c_fc, mlp.c_proj
	J      *Node
	GA     []*Node // ∂loss/∂A per block
	HG     []*Node // H·g, G's layout
}

// buildGraph builds forward (and, as requested, backward) of the model on
// batch pb in dtype dt (Float32 or Float64). No Slice/Pad appears on any
// differentiated path: c_attn's q/k/v column blocks, the per-cluster rows of
// tied tables and biases, and the first T rows of wpe are separate graph
// parameters cut on the host.
func (m *GPT2) buildGraph(g *Graph, dt dtypes.DType, pb *preparedBatch, want chanSet) *gpt2Graph {
	a := m.arch
	out := &gpt2Graph{}
	B, T, d, K := pb.B, pb.T, a.d, a.K()
	N := B * T
	param := func(name string, data []float32, dims ...int) *Node {
		if want.synflow {
			data = absCopy(data)
		}
		out.inputs = append(out.inputs, hostInput{data: data, dims: dims})
		return Parameter(g, name, shapes.Make(dt, dims...))
	}
	full := func(p *Param) *Node { return param(p.Name, p.Data, p.Shape...) }
	// rows cuts rows [r0, r1) of a row-major 2D (or 1D) parameter.
	rows := func(p *Param, r0, r1 int) *Node {
		w := 1
		if len(p.Shape) == 2 {
			w = p.Shape[1]
		}
		if len(p.Shape) == 1 {
			return param(fmt.Sprintf("%s[%d:%d]", p.Name, r0, r1), p.Data[r0*w:r1*w], r1-r0)
		}
		return param(fmt.Sprintf("%s[%d:%d]", p.Name, r0, r1), p.Data[r0*w:r1*w], r1-r0, w)
	}
	// cols cuts columns [c0, c1) of a 2D parameter (copied on the host).
	cols := func(p *Param, c0, c1 int) *Node {
		r, w := p.Shape[0], p.Shape[1]
		buf := make([]float32, 0, r*(c1-c0))
		for i := 0; i < r; i++ {
			buf = append(buf, p.Data[i*w+c0:i*w+c1]...)
		}
		return param(fmt.Sprintf("%s[:,%d:%d]", p.Name, c0, c1), buf, r, c1-c0)
	}
	scalar := func(x float64) *Node { return Scalar(g, dt, x) }
	i32 := func(data []int32, dims ...int) *Node { return Reshape(Const(g, data), dims...) }

	// Per-cluster tables (tied: the same nodes serve embedding and head).
	var embTab []*Node
	if want.synflow {
		// The Synflow input ids are all 1 (cluster 0): feed only that row
		// (|·| of the whole table would be copied for nothing).
		embTab = make([]*Node, K)
		embTab[0] = rows(m.embTables[0], 1, 2)
	} else if a.divVal == 1 {
		for i := 0; i < K; i++ {
			embTab = append(embTab, rows(m.embTables[0], a.bounds[i], a.bounds[i+1]))
		}
	} else {
		for i := 0; i < K; i++ {
			embTab = append(embTab, full(m.embTables[i]))
		}
	}
	embProj := make([]*Node, len(m.embProjs))
	for i, p := range m.embProjs {
		embProj[i] = full(p)
	}

	// Adaptive input: Σ_i mask_i ⊙ E_i[clamp(id - l_i)] (·P_iᵀ), exact since
	// masks are 0/1 and every token lies in exactly one cluster.
	var emb *Node
	for i := 0; i < K; i++ {
		idx := make([]int32, N)
		mask := make([]float64, N)
		present := false
		for n, id := range pb.ids {
			if int(id) >= a.bounds[i] && int(id) < a.bounds[i+1] {
				idx[n] = id - int32(a.bounds[i])
				if want.synflow {
					idx[n] = 0 // embTab[0] is the single row of id 1
				}
				mask[n] = 1
				present = true
			}
		}
		if !present {
			continue
		}
		x := Gather(embTab[i], i32(idx, B, T, 1)) // (B,T,d_i)
		if a.divVal > 1 {
			x = DotGeneral(x, []int{2}, nil, embProj[i], []int{1}, nil) // x·P_iᵀ → (B,T,d)
		}
		mk := ConvertDType(Reshape(Const(g, mask), B, T, 1), dt)
		x = Mul(x, BroadcastToDims(mk, x.Shape().Dimensions...))
		if emb == nil {
			emb = x
		} else {
			emb = Add(emb, x)
		}
	}
	if a.divVal == 1 && len(embProj) == 1 {
		emb = DotGeneral(emb, []int{2}, nil, embProj[0], []int{1}, nil)
	}
	emb = Mul(emb, scalar(math.Sqrt(float64(d)))) // quirk 5: ×√d_model
	wpe := rows(m.wpe, 0, T)
	h0 := Add(emb, BroadcastToDims(Reshape(wpe, 1, T, d), B, T, d))
	if want.synflowOnes {
		h0 = Ones(g, shapes.Make(dt, B, T, d))
	}
	h := h0

	// Causal mask (quirk 10): key index > query index → replaced by -1e4.
	causal := make([]bool, T*T)
	for q := 0; q < T; q++ {
		for k := 0; k <= q; k++ {
			causal[q*T+k] = true
		}
	}
	causalNode := Reshape(Const(g, causal), 1, 1, T, T)

	bias := func(b *Node, dims ...int) *Node {
		r := make([]int, len(dims))
		for i := range r {
			r[i] = 1
		}
		r[len(r)-1] = dims[len(dims)-1]
		return BroadcastToDims(Reshape(b, r...), dims...)
	}
	linear := func(x, w, b *Node) *Node { // Conv1D: x·W + b, W (in, out)
		y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{0}, nil)
		return Add(y, bias(b, y.Shape().Dimensions...))
	}
	layerNorm := func(x, gain, beta *Node) *Node {
		mean := ReduceAndKeep(x, ReduceMean, -1)
		xc := Sub(x, mean)
		variance := ReduceAndKeep(Mul(xc, xc), ReduceMean, -1)
		y := Div(xc, Sqrt(Add(variance, scalar(1e-5))))
		return Add(Mul(y, bias(gain, y.Shape().Dimensions...)), bias(beta, y.Shape().Dimensions...))
	}
	geluNew := func(x *Node) *Node { // quirk 12: tanh approximation
		inner := Mul(scalar(math.Sqrt(2/math.Pi)), Add(x, Mul(scalar(0.044715), Mul(Mul(x, x), x))))
		return Mul(Mul(scalar(0.5), x), Add(scalar(1), Tanh(inner)))
	}

	var gradW []*Node // per block: wq, wk, wv, c_proj, c_fc, mlp.c_proj
	for l, blk := range m.blocks {
		nh := a.nHead[l]
		dh := d / nh
		wq, wk, wv := cols(blk.cAttnW, 0, d), cols(blk.cAttnW, d, 2*d), cols(blk.cAttnW, 2*d, 3*d)
		bq, bk, bv := rows(blk.cAttnB, 0, d), rows(blk.cAttnB, d, 2*d), rows(blk.cAttnB, 2*d, 3*d)
		wo, bo := full(blk.aProjW), full(blk.aProjB)
		wfc, bfc := full(blk.fcW), full(blk.fcB)
		wp, bp := full(blk.mProjW), full(blk.mProjB)
		gradW = append(gradW, wq, wk, wv, wo, wfc, wp)

		x := layerNorm(h, full(blk.ln1G), full(blk.ln1B))
		heads := func(y *Node) *Node { // (B,T,d) → (B,n,T,dh)
			return TransposeAllAxes(Reshape(y, B, T, nh, dh), 0, 2, 1, 3)
		}
		q, k, v := heads(linear(x, wq, bq)), heads(linear(x, wk, bk)), heads(linear(x, wv, bv))
		scores := DotGeneral(q, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}) // (B,n,T,T)
		scores = Div(scores, scalar(math.Sqrt(float64(dh))))
		scores = Where(BroadcastToDims(causalNode, B, nh, T, T), scores, scalar(-1e4))
		probs := Softmax(scores, -1)
		ctx := DotGeneral(probs, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1}) // (B,n,T,dh)
		ctx = Reshape(TransposeAllAxes(ctx, 0, 2, 1, 3), B, T, d)
		h = Add(h, linear(ctx, wo, bo))

		x = layerNorm(h, full(blk.ln2G), full(blk.ln2B))
		act := geluNew(linear(x, wfc, bfc))
		if l < len(m.actDelta) && m.actDelta[l] != nil {
			act = Add(act, param(fmt.Sprintf("block%d.actDelta", l), m.actDelta[l], act.Shape().Dimensions...))
		}
		h = Add(h, linear(act, wp, bp))

		out.A = append(out.A, act)
		out.H = append(out.H, ctx)
		out.S = append(out.S, probs)
	}
	hPre := h // residual stream after the last block (J's output, see capture.go)
	// concatQKV puts per-block gradients (wq, wk, wv, c_proj, c_fc, mlp.c_proj)
	// in G's layout (c_attn's q|k|v columns concatenated).
	concatQKV := func(grads []*Node) []*Node {
		var res []*Node
		for l := range m.blocks {
			gq, gk, gv, go_, gfc, gp := grads[6*l], grads[6*l+1], grads[6*l+2], grads[6*l+3], grads[6*l+4], grads[6*l+5]
			res = append(res, Concatenate([]*Node{gq, gk, gv}, 1), go_, gfc, gp)
		}
		return res
	}
	if want.synflow { // GS pass: R = Σ hPre, no head and no loss
		out.loss = ReduceAllSum(hPre)
		out.G = concatQKV(Gradient(out.loss, gradW...))
		return out
	}
	hL := layerNorm(h, full(m.lnfG), full(m.lnfB))

	// Projected adaptive log-softmax.
	hf := Reshape(hL, N, d)
	outTab := embTab
	if len(m.outTables) > 0 {
		outTab = nil
		for i := 0; i < K; i++ {
			if a.divVal == 1 {
				outTab = append(outTab, rows(m.outTables[0], a.bounds[i], a.bounds[i+1]))
			} else {
				outTab = append(outTab, full(m.outTables[i]))
			}
		}
	}
	outBias := make([]*Node, K)
	for i := 0; i < K; i++ {
		if a.divVal == 1 {
			outBias[i] = rows(m.outBiases[0], a.bounds[i], a.bounds[i+1])
		} else {
			outBias[i] = full(m.outBiases[i])
		}
	}
	outProj := func(i int) *Node { // get_out_proj(i)
		if m.outProjs[i] != nil {
			return full(m.outProjs[i])
		}
		if !a.tieProjs[i] {
			return nil // div_val 1, e == d: no projection
		}
		if a.divVal == 1 {
			if len(embProj) == 1 {
				return embProj[0]
			}
			return nil
		}
		return embProj[i]
	}
	logit := func(x, proj, w, b *Node) *Node { // x·Proj·Wᵀ + b
		if proj != nil {
			x = DotGeneral(x, []int{1}, nil, proj, []int{0}, nil)
		}
		z := DotGeneral(x, []int{1}, nil, w, []int{1}, nil)
		return Add(z, bias(b, z.Shape().Dimensions...))
	}
	// nllSum = Σ_n logsumexp(z[n,:]) - z[n, col[n]].
	nllSum := func(z *Node, col []int32) *Node {
		n := len(col)
		pairs := make([]int32, 0, 2*n)
		for r, c := range col {
			pairs = append(pairs, int32(r), c)
		}
		picked := Gather(z, i32(pairs, n, 2)) // (n)
		mx := StopGradient(ReduceAndKeep(z, ReduceMax, -1))
		lse := Add(Log(ReduceSum(Exp(Sub(z, mx)), -1)), Reshape(mx, n))
		return ReduceAllSum(Sub(lse, picked))
	}
	s0 := a.sizes[0]
	headCol := make([]int32, N)
	tailRows := make([][]int32, K)
	tailCol := make([][]int32, K)
	for n, y := range pb.labels {
		c := 0
		for c+1 < K && int(y) >= a.bounds[c+1] {
			c++
		}
		if c == 0 {
			headCol[n] = y
		} else {
			headCol[n] = int32(s0 + c - 1) // quirk 6: archai's forward order
			tailRows[c] = append(tailRows[c], int32(n))
			tailCol[c] = append(tailCol[c], y-int32(a.bounds[c]))
		}
	}
	wHead, bHead := outTab[0], outBias[0]
	if K > 1 {
		wHead = Concatenate([]*Node{outTab[0], full(m.clusterW)}, 0)
		bHead = Concatenate([]*Node{outBias[0], full(m.clusterB)}, 0)
	}
	total := nllSum(logit(hf, outProj(0), wHead, bHead), headCol)
	for c := 1; c < K; c++ {
		if len(tailRows[c]) == 0 {
			continue
		}
		hs := Gather(hf, i32(tailRows[c], len(tailRows[c]), 1)) // (n_c, d)
		total = Add(total, nllSum(logit(hs, outProj(c), outTab[c], outBias[c]), tailCol[c]))
	}
	out.loss = Div(total, scalar(float64(N))) // mean over all B·T tokens

	if want.G || want.GA || want.HG {
		// One backward pass of the loss for G, GA and HG's g.
		targets := gradW
		if want.GA {
			targets = append(append([]*Node{}, gradW...), out.A...)
		}
		grads := Gradient(out.loss, targets...)
		gw := grads[:len(gradW)]
		if want.G {
			out.G = concatQKV(gw)
		}
		if want.GA {
			out.GA = grads[len(gradW):]
		}
		if want.HG {
			out.HG = concatQKV(hessianGradient(gw, gradW))
		}
	}
	if want.J {
		out.J = Gradient(ReduceAllSum(hPre), h0)[0]
	}
	return out
}
