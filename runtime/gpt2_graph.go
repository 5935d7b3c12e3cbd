package runtime

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// graph builds the forward pass of the model on batch in (a
// *preparedBatch). No Slice/Pad appears on any differentiated path: c_attn's
// q/k/v column blocks, the per-cluster rows of tied tables and biases, and
// the first T rows of wpe are separate graph parameters cut on the host.
func (m *GPT2) graph(gb *graphBuilder, in minibatch, want chanSet) *forward {
	pb := in.(*preparedBatch)
	a := m.arch
	out := &forward{}
	tabs := m.embeddingNodes(gb, want.synflow)
	h0 := m.adaptiveInput(gb, pb, tabs, want.synflow)
	if want.synflowOnes {
		h0 = Ones(gb.g, shapes.Make(gb.dt, pb.B, pb.T, a.d))
	}
	h := h0
	mask := causalMask(gb.g, pb.T) // quirk 10
	var gradW []*Node              // per block: wq, wk, wv, c_proj, c_fc, mlp.c_proj
	for l, blk := range m.blocks {
		w := m.blockNodes(gb, blk)
		gradW = append(gradW, w.wq, w.wk, w.wv, w.wo, w.wfc, w.wp)
		var delta func(*Node) *Node
		if l < len(m.actDelta) && m.actDelta[l] != nil {
			delta = func(act *Node) *Node {
				return Add(act, gb.param(fmt.Sprintf("block%d.actDelta", l), m.actDelta[l], act.Shape().Dimensions...))
			}
		}
		var act, ctx, probs *Node
		h, act, ctx, probs = gpt2BlockGraph(h, w, a.nHead[l], mask, delta)
		out.A = append(out.A, act)
		out.H = append(out.H, ctx)
		out.S = append(out.S, probs)
	}
	// J differentiates the residual stream after the last block (see
	// CaptureGPT2).
	out.input, out.last = h0, h
	out.weights, out.regroup = gradW, concatQKV
	if want.synflow { // GS pass: R = Σ last, no head and no loss
		return out
	}
	out.loss = m.adaptiveLoss(gb, pb, layerNormLast(h, gb.full(m.lnfG), gb.full(m.lnfB), 1e-5), tabs)
	return out
}

// rows cuts rows [r0, r1) of a row-major 2D (or 1D) parameter.
func (gb *graphBuilder) rows(p *Param, r0, r1 int) *Node {
	w := 1
	if len(p.Shape) == 2 {
		w = p.Shape[1]
	}
	if len(p.Shape) == 1 {
		return gb.param(fmt.Sprintf("%s[%d:%d]", p.Name, r0, r1), p.Data[r0*w:r1*w], r1-r0)
	}
	return gb.param(fmt.Sprintf("%s[%d:%d]", p.Name, r0, r1), p.Data[r0*w:r1*w], r1-r0, w)
}

// cols cuts columns [c0, c1) of a 2D parameter (copied on the host).
func (gb *graphBuilder) cols(p *Param, c0, c1 int) *Node {
	r, w := p.Shape[0], p.Shape[1]
	buf := make([]float32, 0, r*(c1-c0))
	for i := 0; i < r; i++ {
		buf = append(buf, p.Data[i*w+c0:i*w+c1]...)
	}
	return gb.param(fmt.Sprintf("%s[:,%d:%d]", p.Name, c0, c1), buf, r, c1-c0)
}

// gpt2Tables are the per-cluster embedding tables and projections as graph
// nodes (tied: the same nodes serve embedding and head).
type gpt2Tables struct {
	tab, proj []*Node
}

func (m *GPT2) embeddingNodes(gb *graphBuilder, synflow bool) gpt2Tables {
	a := m.arch
	K := a.K()
	var t gpt2Tables
	switch {
	case synflow:
		// The Synflow input ids are all 1 (cluster 0): feed only that row
		// (|·| of the whole table would be copied for nothing).
		t.tab = make([]*Node, K)
		t.tab[0] = gb.rows(m.embTables[0], 1, 2)
	case a.divVal == 1:
		for i := 0; i < K; i++ {
			t.tab = append(t.tab, gb.rows(m.embTables[0], a.bounds[i], a.bounds[i+1]))
		}
	default:
		for i := 0; i < K; i++ {
			t.tab = append(t.tab, gb.full(m.embTables[i]))
		}
	}
	t.proj = make([]*Node, len(m.embProjs))
	for i, p := range m.embProjs {
		t.proj[i] = gb.full(p)
	}
	return t
}

// adaptiveInput is h₀ = √d·AdaEmb(ids) + wpe[:T]: Σ_i mask_i ⊙
// E_i[clamp(id - l_i)] (·P_iᵀ), exact since masks are 0/1 and every token
// lies in exactly one cluster.
func (m *GPT2) adaptiveInput(gb *graphBuilder, pb *preparedBatch, t gpt2Tables, synflow bool) *Node {
	a := m.arch
	B, T, d, N := pb.B, pb.T, a.d, pb.B*pb.T
	var emb *Node
	for i := 0; i < a.K(); i++ {
		idx := make([]int32, N)
		mask := make([]float64, N)
		present := false
		for n, id := range pb.ids {
			if int(id) >= a.bounds[i] && int(id) < a.bounds[i+1] {
				idx[n] = id - int32(a.bounds[i])
				if synflow {
					idx[n] = 0 // t.tab[0] is the single row of id 1
				}
				mask[n] = 1
				present = true
			}
		}
		if !present {
			continue
		}
		x := Gather(t.tab[i], gb.indices(idx, B, T, 1)) // (B,T,d_i)
		if a.divVal > 1 {
			x = DotGeneral(x, []int{2}, nil, t.proj[i], []int{1}, nil) // x·P_iᵀ → (B,T,d)
		}
		mk := ConvertDType(Reshape(Const(gb.g, mask), B, T, 1), gb.dt)
		x = Mul(x, BroadcastToDims(mk, x.Shape().Dimensions...))
		if emb == nil {
			emb = x
		} else {
			emb = Add(emb, x)
		}
	}
	if a.divVal == 1 && len(t.proj) == 1 {
		emb = DotGeneral(emb, []int{2}, nil, t.proj[0], []int{1}, nil)
	}
	emb = Mul(emb, gb.scalar(math.Sqrt(float64(d)))) // quirk 5: ×√d_model
	wpe := gb.rows(m.wpe, 0, T)
	return Add(emb, BroadcastToDims(Reshape(wpe, 1, T, d), B, T, d))
}

// blockNodes registers one block's parameters.
func (m *GPT2) blockNodes(gb *graphBuilder, blk gpt2Block) *gpt2BlockNodes {
	d, full := m.arch.d, gb.full
	return &gpt2BlockNodes{
		wq: gb.cols(blk.cAttnW, 0, d), wk: gb.cols(blk.cAttnW, d, 2*d), wv: gb.cols(blk.cAttnW, 2*d, 3*d),
		bq: gb.rows(blk.cAttnB, 0, d), bk: gb.rows(blk.cAttnB, d, 2*d), bv: gb.rows(blk.cAttnB, 2*d, 3*d),
		wo: full(blk.aProjW), bo: full(blk.aProjB), wfc: full(blk.fcW), bfc: full(blk.fcB),
		wp: full(blk.mProjW), bp: full(blk.mProjB),
		ln1G: full(blk.ln1G), ln1B: full(blk.ln1B), ln2G: full(blk.ln2G), ln2B: full(blk.ln2B),
	}
}

// adaptiveLoss is the mean NLL of the projected adaptive log-softmax on
// the final hidden state hL (B,T,d): the head cluster over every token,
// each tail over the tokens whose label falls in it.
func (m *GPT2) adaptiveLoss(gb *graphBuilder, pb *preparedBatch, hL *Node, t gpt2Tables) *Node {
	a := m.arch
	K, N := a.K(), pb.B*pb.T
	full, rows := gb.full, gb.rows
	hf := Reshape(hL, N, a.d)
	outTab := t.tab
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
			if len(t.proj) == 1 {
				return t.proj[0]
			}
			return nil
		}
		return t.proj[i]
	}
	logit := func(x, proj, w, b *Node) *Node { // x·Proj·Wᵀ + b
		if proj != nil {
			x = DotGeneral(x, []int{1}, nil, proj, []int{0}, nil)
		}
		z := DotGeneral(x, []int{1}, nil, w, []int{1}, nil)
		return Add(z, broadcastLast(b, z.Shape().Dimensions...))
	}
	headCol, tailRows, tailCol := m.clusterLabels(pb.labels)
	wHead, bHead := outTab[0], outBias[0]
	if K > 1 {
		wHead = Concatenate([]*Node{outTab[0], full(m.clusterW)}, 0)
		bHead = Concatenate([]*Node{outBias[0], full(m.clusterB)}, 0)
	}
	total := gb.sumNLL(logit(hf, outProj(0), wHead, bHead), headCol)
	for c := 1; c < K; c++ {
		if len(tailRows[c]) == 0 {
			continue
		}
		hs := Gather(hf, gb.indices(tailRows[c], len(tailRows[c]), 1)) // (n_c, d)
		total = Add(total, gb.sumNLL(logit(hs, outProj(c), outTab[c], outBias[c]), tailCol[c]))
	}
	return Div(total, gb.scalar(float64(N))) // mean over all B·T tokens
}

// clusterLabels sorts the labels into the head's columns (a tail's label
// becomes its cluster's column) and, per tail cluster, the rows whose label
// falls in it with their columns there.
func (m *GPT2) clusterLabels(labels []int32) (headCol []int32, tailRows, tailCol [][]int32) {
	a := m.arch
	K, s0 := a.K(), a.sizes[0]
	headCol = make([]int32, len(labels))
	tailRows, tailCol = make([][]int32, K), make([][]int32, K)
	for n, y := range labels {
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
	return headCol, tailRows, tailCol
}

// concatQKV puts per-block gradients (wq, wk, wv, c_proj, c_fc, mlp.c_proj)
// in W's layout (c_attn's q|k|v columns concatenated).
func concatQKV(grads []*Node) []*Node {
	var res []*Node
	for l := 0; l+6 <= len(grads); l += 6 {
		gq, gk, gv, go_, gfc, gp := grads[l], grads[l+1], grads[l+2], grads[l+3], grads[l+4], grads[l+5]
		res = append(res, Concatenate([]*Node{gq, gk, gv}, 1), go_, gfc, gp)
	}
	return res
}

// gpt2BlockNodes are one block's parameters as graph nodes, c_attn cut into
// its q, k and v column blocks.
type gpt2BlockNodes struct {
	ln1G, ln1B, ln2G, ln2B   *Node
	wq, wk, wv, bq, bk, bv   *Node
	wo, bo, wfc, bfc, wp, bp *Node
}

// gpt2BlockGraph is one pre-LN block on the residual stream h: attention with nh
// heads under mask, then the gelu_new MLP (quirks 11, 12). It returns the
// new stream and the block's A, H and S entries; delta, when not nil, is
// added to A (tests: finite differences of GA).
func gpt2BlockGraph(h *Node, w *gpt2BlockNodes, nh int, mask *Node, delta func(*Node) *Node) (out, act, ctx, probs *Node) {
	x := layerNormLast(h, w.ln1G, w.ln1B, 1e-5)
	q := splitHeads(linearInOut(x, w.wq, w.bq), nh)
	k := splitHeads(linearInOut(x, w.wk, w.bk), nh)
	v := splitHeads(linearInOut(x, w.wv, w.bv), nh)
	probs, ctx = attention(q, k, v, mask)
	ctx = mergeHeads(ctx)
	h = Add(h, linearInOut(ctx, w.wo, w.bo))
	x = layerNormLast(h, w.ln2G, w.ln2B, 1e-5)
	act = geluTanh(linearInOut(x, w.wfc, w.bfc))
	if delta != nil {
		act = delta(act)
	}
	return Add(h, linearInOut(act, w.wp, w.bp)), act, ctx, probs
}
