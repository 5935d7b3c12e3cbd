package runtime

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// refForward is a plain-Go float64 transcription of GPT2_FLEX_MODEL.md
// §3–§5 (loops, no GoMLX), used to check the graph. It returns the loss and
// per block the gelu output A[l] (N×f) and heads H[l] (N×d).
func refForward(m *GPT2, b Batch) (loss float64, A, H [][]float64, sumHPre float64) {
	a := m.arch
	B, T, d, K := len(b.Inputs), len(b.Inputs[0]), a.d, a.K()
	N := B * T
	at := func(p *Param, i, j int) float64 { return float64(p.Data[i*p.Shape[1]+j]) }
	vec := func(p *Param, i int) float64 { return float64(p.Data[i]) }
	cluster := func(y int) int {
		c := 0
		for c+1 < K && y >= a.bounds[c+1] {
			c++
		}
		return c
	}
	// Embedding.
	h := make([][]float64, N)
	for n := 0; n < N; n++ {
		id := b.Inputs[n/T][n%T]
		c := cluster(id)
		row := make([]float64, d)
		if a.divVal == 1 {
			E := m.embTables[0]
			if len(m.embProjs) == 0 {
				for j := 0; j < d; j++ {
					row[j] = at(E, id, j)
				}
			} else {
				P := m.embProjs[0]
				for j := 0; j < d; j++ {
					for k := 0; k < a.e; k++ {
						row[j] += at(E, id, k) * at(P, j, k)
					}
				}
			}
		} else {
			E, P := m.embTables[c], m.embProjs[c]
			for j := 0; j < d; j++ {
				for k := 0; k < a.dims[c]; k++ {
					row[j] += at(E, id-a.bounds[c], k) * at(P, j, k)
				}
			}
		}
		for j := 0; j < d; j++ {
			row[j] = row[j]*math.Sqrt(float64(d)) + at(m.wpe, n%T, j)
		}
		h[n] = row
	}
	ln := func(x []float64, g, bb *Param) []float64 {
		var mean, v float64
		for _, e := range x {
			mean += e
		}
		mean /= float64(len(x))
		for _, e := range x {
			v += (e - mean) * (e - mean)
		}
		v /= float64(len(x))
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = (e-mean)/math.Sqrt(v+1e-5)*vec(g, i) + vec(bb, i)
		}
		return out
	}
	lin := func(x []float64, W, bb *Param) []float64 {
		out := make([]float64, W.Shape[1])
		for j := range out {
			s := vec(bb, j)
			for i := range x {
				s += x[i] * at(W, i, j)
			}
			out[j] = s
		}
		return out
	}
	for l, blk := range m.blocks {
		nh := a.nHead[l]
		dh := d / nh
		qkv := make([][]float64, N)
		for n := range h {
			qkv[n] = lin(ln(h[n], blk.ln1G, blk.ln1B), blk.cAttnW, blk.cAttnB)
		}
		ctx := make([][]float64, N)
		for n := range ctx {
			ctx[n] = make([]float64, d)
		}
		for bi := 0; bi < B; bi++ {
			for hd := 0; hd < nh; hd++ {
				for q := 0; q < T; q++ {
					sc := make([]float64, T)
					mx := math.Inf(-1)
					for k := 0; k < T; k++ {
						var s float64
						for j := 0; j < dh; j++ {
							s += qkv[bi*T+q][hd*dh+j] * qkv[bi*T+k][d+hd*dh+j]
						}
						s /= math.Sqrt(float64(dh))
						if k > q {
							s = -1e4
						}
						sc[k] = s
						mx = math.Max(mx, s)
					}
					var z float64
					for k := range sc {
						sc[k] = math.Exp(sc[k] - mx)
						z += sc[k]
					}
					for k := range sc {
						p := sc[k] / z
						for j := 0; j < dh; j++ {
							ctx[bi*T+q][hd*dh+j] += p * qkv[bi*T+k][2*d+hd*dh+j]
						}
					}
				}
			}
		}
		H = append(H, flatten(ctx))
		var act [][]float64
		for n := range h {
			o := lin(ctx[n], blk.aProjW, blk.aProjB)
			for j := range o {
				h[n][j] += o[j]
			}
			u := lin(ln(h[n], blk.ln2G, blk.ln2B), blk.fcW, blk.fcB)
			for j, x := range u {
				u[j] = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
			}
			act = append(act, u)
			o = lin(u, blk.mProjW, blk.mProjB)
			for j := range o {
				h[n][j] += o[j]
			}
		}
		A = append(A, flatten(act))
	}
	// Head.
	logits := func(x []float64, c int, rows []int) []float64 {
		// proj: get_out_proj(c)
		var P *Param
		switch {
		case m.outProjs[c] != nil:
			P = m.outProjs[c]
		case a.tieProjs[c] && a.divVal == 1 && len(m.embProjs) == 1:
			P = m.embProjs[0]
		case a.tieProjs[c] && a.divVal > 1:
			P = m.embProjs[c]
		}
		xp := x
		if P != nil {
			xp = make([]float64, P.Shape[1])
			for k := range xp {
				for j := 0; j < d; j++ {
					xp[k] += x[j] * at(P, j, k)
				}
			}
		}
		out := make([]float64, len(rows))
		for r, row := range rows {
			var s float64
			var bias float64
			if row >= 0 { // table row of cluster c
				var W *Param
				var wr int
				if a.divVal == 1 {
					W, wr = m.embTables[0], a.bounds[c]+row
					bias = vec(m.outBiases[0], a.bounds[c]+row)
				} else {
					W, wr = m.embTables[c], row
					bias = vec(m.outBiases[c], row)
				}
				for k := range xp {
					s += xp[k] * at(W, wr, k)
				}
			} else { // cluster entry -row-1
				ci := -row - 1
				for k := range xp {
					s += xp[k] * at(m.clusterW, ci, k)
				}
				bias = vec(m.clusterB, ci)
			}
			out[r] = s + bias
		}
		return out
	}
	logSoftmax := func(z []float64) []float64 {
		mx := math.Inf(-1)
		for _, v := range z {
			mx = math.Max(mx, v)
		}
		var s float64
		for _, v := range z {
			s += math.Exp(v - mx)
		}
		out := make([]float64, len(z))
		for i, v := range z {
			out[i] = v - mx - math.Log(s)
		}
		return out
	}
	headRows := make([]int, 0, a.sizes[0]+K-1)
	for i := 0; i < a.sizes[0]; i++ {
		headRows = append(headRows, i)
	}
	for i := 0; i < K-1; i++ {
		headRows = append(headRows, -i-1)
	}
	for n := range h {
		for _, v := range h[n] {
			sumHPre += v
		}
	}
	for n := 0; n < N; n++ {
		x := ln(h[n], m.lnfG, m.lnfB)
		y := b.Labels[n/T][n%T]
		c := cluster(y)
		hlp := logSoftmax(logits(x, 0, headRows))
		if c == 0 {
			loss -= hlp[y]
			continue
		}
		tailRows := make([]int, a.sizes[c])
		for i := range tailRows {
			tailRows[i] = i
		}
		tlp := logSoftmax(logits(x, c, tailRows))
		loss -= hlp[a.sizes[0]+c-1] + tlp[y-a.bounds[c]]
	}
	return loss / float64(N), A, H, sumHPre
}

func flatten(x [][]float64) []float64 {
	var out []float64
	for _, r := range x {
		out = append(out, r...)
	}
	return out
}

// TestAgainstReference compares the GoMLX graph (float64) with the plain-Go
// transcription of the spec: loss, A and H.
func TestAgainstReference(t *testing.T) {
	for _, cfg := range []struct{ dv, e int }{{1, 32}, {1, 64}, {2, 64}, {4, 64}} {
		c := tinyConfig(cfg.dv, cfg.e)
		c.WeightInitStd = 0.2 // non-trivial logits
		m, err := NewGPT2(c, 5)
		if err != nil {
			t.Fatal(err)
		}
		b := randomBatch(4, 2, 7, 300)
		pb, _ := prepareBatch(m.arch, b)
		res, _, err := m.run(goBackend(t), pb, chanSet{A: true, H: true}, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		loss, A, H, _ := refForward(m, b)
		if math.Abs(loss-res.loss) > 1e-9*math.Abs(loss) {
			t.Errorf("div %d e %d: loss graph %.12g reference %.12g", cfg.dv, cfg.e, res.loss, loss)
		}
		for l := range A {
			for i, v := range A[l] {
				if math.Abs(float64(res.A[l].Data[i])-v) > 1e-5*(1+math.Abs(v)) {
					t.Fatalf("div %d A[%d][%d]: graph %v reference %v", cfg.dv, l, i, res.A[l].Data[i], v)
				}
			}
			for i, v := range H[l] {
				if math.Abs(float64(res.H[l].Data[i])-v) > 1e-5*(1+math.Abs(v)) {
					t.Fatalf("div %d H[%d][%d]: graph %v reference %v", cfg.dv, l, i, res.H[l].Data[i], v)
				}
			}
		}
	}
}

// TestJFiniteDifferences: h₀ = emb + wpe[t], so Σ_b J[b,t,j] =
// ∂(Σ h_Lₙ)/∂wpe[t,j], checked by central differences of the reference.
func TestJFiniteDifferences(t *testing.T) {
	cfg := tinyConfig(2, 64)
	cfg.WeightInitStd = 0.2
	m, err := NewGPT2(cfg, 9)
	if err != nil {
		t.Fatal(err)
	}
	b := randomBatch(6, 2, 5, 300)
	pb, _ := prepareBatch(m.arch, b)
	res, _, err := m.run(goBackend(t), pb, chanSet{J: true}, dtypes.Float64)
	if err != nil {
		t.Fatal(err)
	}
	B, T, d := 2, 5, cfg.DModel
	for _, tj := range [][2]int{{0, 0}, {2, 5}, {4, 31}, {1, 17}} {
		var want float64
		for bi := 0; bi < B; bi++ {
			want += float64(res.J.Data[(bi*T+tj[0])*d+tj[1]])
		}
		idx := tj[0]*d + tj[1]
		orig := m.wpe.Data[idx]
		const h = 1e-3
		m.wpe.Data[idx] = orig + h
		_, _, _, fp := refForward(m, b)
		m.wpe.Data[idx] = orig - h
		_, _, _, fm := refForward(m, b)
		m.wpe.Data[idx] = orig
		fd := (fp - fm) / (float64(orig+h) - float64(orig-h))
		if math.Abs(fd-want) > 1e-4*math.Max(1, math.Abs(fd)) {
			t.Errorf("J at t=%d j=%d: Σ_b J = %.8g, finite difference %.8g", tj[0], tj[1], want, fd)
		}
	}
}
