package runtime

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// flexiBatch is a validated, masked MLM minibatch.
type flexiBatch struct {
	B, L    int
	ids     []int32 // B·L inputs after masking, batch-major
	maskPos []int32 // flat positions b·L+t of the masked tokens, increasing
	labels  []int32 // original ids at maskPos
}

// synflow is the batch itself: the Synflow graph replaces x₀ by all-ones.
func (fb *flexiBatch) synflow() minibatch { return fb }

// flexiGraph builds one FlexiBERT graph: the graph builder with every
// Param registered once (the word table serves the embedding and the head).
type flexiGraph struct {
	gb    *graphBuilder
	nodes map[*Param]*Node
	B, L  int
}

func (fg *flexiGraph) full(p *Param) *Node {
	if n, ok := fg.nodes[p]; ok {
		return n
	}
	n := fg.gb.full(p)
	fg.nodes[p] = n
	return n
}

func (fg *flexiGraph) ln(x *Node, gain, beta *Param) *Node {
	return layerNormLast(x, fg.full(gain), fg.full(beta), flexiLNEps)
}

// lin is a PyTorch Linear; b may be nil.
func (fg *flexiGraph) lin(x *Node, w, b *Param) *Node {
	if b == nil {
		return linearOutIn(x, fg.full(w), nil)
	}
	return linearOutIn(x, fg.full(w), fg.full(b))
}

// graph builds the forward pass on in (a *flexiBatch). No Slice or Pad is
// on a differentiated path: position rows and the token type row are cut on
// the host, DSC's shifted windows are a Gather from the time-major input
// with one zero row appended (Gather's VJP is a scatter-add).
func (m *FlexiBERT) graph(gb *graphBuilder, in minibatch, want chanSet) *forward {
	fb := in.(*flexiBatch)
	a := m.arch
	out := &forward{}
	B, L, E, H := fb.B, fb.L, a.dims.E, a.H
	fg := &flexiGraph{gb: gb, nodes: map[*Param]*Node{}, B: B, L: L}

	// Embeddings: LN_E(word[ids] + type[0] + pos[t]) (→ embeddings_project).
	// The Synflow pass replaces the encoder input x₀ by all-ones.
	var word, x0 *Node
	if want.synflow {
		x0 = Ones(gb.g, shapes.Make(gb.dt, B, L, H))
	} else {
		word = fg.full(m.word)
		e := Gather(word, gb.indices(fb.ids, B, L, 1)) // (B,L,E)
		pos := gb.param(m.pos.Name+"[:L]", m.pos.Data[:L*E], 1, L, E)
		typ := gb.param(m.typ.Name+"[0]", m.typ.Data[:E], E)
		e = Add(Add(e, BroadcastToDims(pos, B, L, E)), broadcastLast(typ, B, L, E))
		x0 = fg.ln(e, m.embG, m.embB)
		if m.projW != nil {
			x0 = fg.lin(x0, m.projW, m.projB)
		}
	}
	x := x0
	for li, la := range a.layers {
		fl := &m.layers[li]
		att, mixed, probs := fg.mixer(la, fl, x, a.H)
		out.H = append(out.H, mixed)
		out.S = append(out.S, probs...)
		// FFN: n_ff GELU linears, then the output dense, residual and LN.
		u := att
		nl := len(fl.ffW)
		for j := 0; j < nl-1; j++ {
			u = geluErf(fg.lin(u, fl.ffW[j], fl.ffB[j]))
		}
		if li < len(m.actDelta) && m.actDelta[li] != nil {
			u = Add(u, gb.param(fmt.Sprintf("layer%d.actDelta", li), m.actDelta[li], u.Shape().Dimensions...))
		}
		out.A = append(out.A, u)
		x = fg.ln(Add(att, fg.lin(u, fl.ffW[nl-1], fl.ffB[nl-1])), fl.outG, fl.outBeta)
	}
	out.input, out.last = x0, x
	for _, p := range m.WeightParams() {
		out.weights = append(out.weights, fg.full(p))
	}
	if want.synflow { // GS pass: R = Σ last hidden state at |θ|, no head
		return out
	}

	// MLM head on the masked positions only: ELECTRA generator head
	// (dense H→E, GELU, LN_E) and logits = t·wordᵀ + bias (tied table).
	nm := len(fb.maskPos)
	hm := Gather(Reshape(x, B*L, H), gb.indices(fb.maskPos, nm, 1)) // (m,H)
	t := fg.ln(geluErf(fg.lin(hm, m.headW, m.headB)), m.headG, m.headBeta)
	z := DotGeneral(t, []int{1}, nil, word, []int{1}, nil) // (m,V)
	z = Add(z, broadcastLast(fg.full(m.outBias), z.Shape().Dimensions...))
	out.loss = Div(gb.sumNLL(z, fb.labels), gb.scalar(float64(nm)))
	return out
}

// mixer is a layer's token-mixing op on x (B,L,H): att is its output
// (after the output dense, residual and LN where the op has them), mixed the
// H entry (before the output dense) and probs its S entries.
func (fg *flexiGraph) mixer(la flexiLayerArch, fl *flexiLayer, x *Node, H int) (att, mixed *Node, probs []*Node) {
	B, L, lin := fg.B, fg.L, fg.lin
	// attend returns the probabilities (B,n,L,L) and the context (B,L,n,d).
	attend := func(q, k, v *Node, n int) (*Node, *Node) {
		probs, ctx := attention(splitHeads(q, n), splitHeads(k, n), splitHeads(v, n), nil)
		return probs, TransposeAllAxes(ctx, 0, 2, 1, 3)
	}
	switch la.op {
	case "SDP", "WMA":
		q := lin(x, fl.qW, fl.qB)
		if la.op == "WMA" {
			q = lin(q, fl.wmaW, nil)
		}
		p, ctx := attend(q, lin(x, fl.kW, fl.kB), lin(x, fl.vW, fl.vB), la.h)
		mixed = Reshape(ctx, B, L, H)
		att = fg.ln(Add(x, lin(mixed, fl.soW, fl.soB)), fl.soG, fl.soBeta)
		return att, mixed, []*Node{p}
	case "DFT", "DCT":
		mixed = fg.transform(la, Reshape(lin(x, fl.inW, fl.inB), B, L, la.h, la.d))
		return mixed, mixed, nil // quirk 2: no dense, residual or LN
	}
	// DSC
	n, d, A, k := la.n, la.d, la.A, la.k
	q, kk, v := lin(x, fl.qW, fl.qB), lin(x, fl.kW, fl.kB), lin(x, fl.vW, fl.vB)
	// Separable conv of x: depthwise (per channel, k taps) then pointwise.
	wx := fg.windows(x, k)                                                                          // (k,L,B,H)
	dw := BroadcastToDims(Reshape(TransposeAllAxes(fg.full(fl.dwW), 1, 0), k, 1, 1, H), k, L, B, H) // Wd[c,j] at [j,·,·,c]
	s := ReduceSum(Mul(wx, dw), 0)                                                                  // (L,B,H)
	s = DotGeneral(s, []int{2}, nil, fg.full(fl.pwW), []int{1}, nil)                                // (L,B,A)
	s = TransposeAllAxes(s, 1, 0, 2)
	s = Add(s, broadcastLast(fg.full(fl.convB), B, L, A))
	kappa := Softmax(Reshape(lin(Mul(s, q), fl.kerW, fl.kerB), B, L, n, k), -1) // (B,L,n,k)
	o := lin(x, fl.coW, fl.coB)                                                 // (B,L,A)
	wo := Reshape(fg.windows(o, k), k, L, B, n, d)
	conv := DotGeneral(kappa, []int{3}, []int{0, 1, 2}, wo, []int{0}, []int{2, 1, 3}) // (B,L,n,d)
	p, ctx := attend(q, kk, v, n)                                                     // ctx (B,L,n,d)
	mixed = Reshape(Concatenate([]*Node{ctx, conv}, 2), B, L, H)
	att = fg.ln(Add(x, lin(mixed, fl.soW, fl.soB)), fl.soG, fl.soBeta)
	return att, mixed, []*Node{p, kappa}
}

// transform is the LT layers' DFT (real part) or DCT over both the
// sequence and the head axes of z (B,L,h,d), unnormalised (quirk 6),
// reshaped to (B,L,H).
func (fg *flexiGraph) transform(la flexiLayerArch, z *Node) *Node {
	gb, L := fg.gb, fg.L
	var f *Node
	if la.op == "DFT" {
		cd, sd := dftMatrices(la.d)
		cl, sl := dftMatrices(L)
		cdN, sdN := gb.constant(cd, la.d, la.d), gb.constant(sd, la.d, la.d)
		clN, slN := gb.constant(cl, L, L), gb.constant(sl, L, L)
		// F = C_L Z C_d − S_L Z S_d (all four matrices symmetric).
		zc := DotGeneral(z, []int{3}, nil, cdN, []int{0}, nil) // (B,L,h,d)
		zs := DotGeneral(z, []int{3}, nil, sdN, []int{0}, nil)
		f = Sub(DotGeneral(clN, []int{1}, nil, zc, []int{1}, nil), DotGeneral(slN, []int{1}, nil, zs, []int{1}, nil)) // (L,B,h,d)
	} else {
		dd, dl := dctMatrix(la.d), dctMatrix(L)
		// G = D_L Z D_dᵀ.
		zd := DotGeneral(z, []int{3}, nil, gb.constant(dd, la.d, la.d), []int{1}, nil) // (B,L,h,d)
		f = DotGeneral(gb.constant(dl, L, L), []int{1}, nil, zd, []int{1}, nil)        // (L,B,h,d)
	}
	d := z.Shape().Dimensions
	return Reshape(TransposeAllAxes(f, 1, 0, 2, 3), d[0], d[1], d[2]*d[3])
}

// windows returns w[j,t,b,c] = y[b, t+j-p, c] (0 outside [0,L)) for y (B,L,C).
func (fg *flexiGraph) windows(y *Node, k int) *Node {
	B, L := fg.B, fg.L
	C := y.Shape().Dimensions[2]
	p := (k - 1) / 2
	yt := TransposeAllAxes(y, 1, 0, 2) // (L,B,C)
	yz := Concatenate([]*Node{yt, Zeros(fg.gb.g, shapes.Make(fg.gb.dt, 1, B, C))}, 0)
	idx := make([]int32, 0, k*L)
	for j := 0; j < k; j++ {
		for t := 0; t < L; t++ {
			s := t + j - p
			if s < 0 || s >= L {
				s = L // the zero row
			}
			idx = append(idx, int32(s))
		}
	}
	return Gather(yz, fg.gb.indices(idx, k, L, 1)) // (k,L,B,C)
}

// dftMatrices are C[u,t] = cos(2πut/N) and S[u,t] = sin(2πut/N), with the
// argument reduced mod N exactly (both are symmetric).
func dftMatrices(N int) (c, s []float64) {
	c, s = make([]float64, N*N), make([]float64, N*N)
	for u := 0; u < N; u++ {
		for t := 0; t < N; t++ {
			ang := 2 * math.Pi * float64((u*t)%N) / float64(N)
			c[u*N+t], s[u*N+t] = math.Cos(ang), math.Sin(ang)
		}
	}
	return
}

// dctMatrix is D[u,t] = 2·cos(πu(2t+1)/(2N)): the unnormalised DCT-II
// (scipy norm=None, torch-dct's dct).
func dctMatrix(N int) []float64 {
	d := make([]float64, N*N)
	for u := 0; u < N; u++ {
		for t := 0; t < N; t++ {
			k := (u * (2*t + 1)) % (4 * N)
			d[u*N+t] = 2 * math.Cos(math.Pi*float64(k)/float64(2*N))
		}
	}
	return d
}

// flexiFLOPs counts the matmul floating-point operations (2 per
// multiply-add) of one capture, like MatmulFLOPs for GPT-2: forward
// (embeddings_project, per layer the op and FFN, the head on the masked
// tokens); with G + head backward to the hidden state + 2× layers; with J
// + 1× layers; with Gones + 1× layers more (its weight gradients).
func flexiFLOPs(a *flexiArch, B, L, masked int, withG, withJ, withOnes bool) float64 {
	N, bf, lf := float64(B*L), float64(B), float64(L)
	H, E := float64(a.H), float64(a.dims.E)
	var emb, layers float64
	if a.H != a.dims.E {
		emb = 2 * N * E * H
	}
	for _, la := range a.layers {
		A, d, n, k, I := float64(la.A), float64(la.d), float64(la.n), float64(la.k), float64(la.I)
		switch la.op {
		case "SDP", "WMA":
			layers += 3*2*N*H*A + 2*2*bf*n*lf*lf*d + 2*N*H*H
			if la.op == "WMA" {
				layers += 2 * N * A * A
			}
		case "DFT":
			layers += 2*N*H*H + 2*(2*N*H*d) + 2*(2*N*H*lf)
		case "DCT":
			layers += 2*N*H*H + 2*N*H*d + 2*N*H*lf
		case "DSC":
			layers += 3*2*N*H*A + 2*N*H*A + 2*N*A*n*k + 2*N*H*A + 2*2*bf*n*lf*lf*d + 2*N*A*k + 2*N*H*H
		}
		layers += 2 * N * (H*I + float64(la.numFF-1)*I*I + I*H)
	}
	m := float64(masked)
	head := 2*m*H*E + 2*m*E*float64(a.dims.V)
	total := emb + layers + head
	if withG {
		total += head + 2*layers
	}
	if withJ || withOnes {
		total += layers
	}
	if withOnes {
		total += layers
	}
	return total
}
