package runtime

import "math"

// A plain-Go float64 reference of the FlexiBERT forward pass, written from
// the spec's formulas (FLEXIBERT_MODEL.md §2–§4) independently of the graph
// code: DFT/DCT by their double sums, DSC by its unfold definition.
// Activations are row-major (B·L, C) slices.

type flexiRef struct {
	A, H, S [][]float64 // as the channels (flattened)
	x0      []float64
	last    []float64
	loss    float64
}

func p64(p *Param) []float64 {
	out := make([]float64, len(p.Data))
	for i, v := range p.Data {
		out[i] = float64(v)
	}
	return out
}

// refLin: y[n,o] = Σ_i x[n,i]·W[o,i] + b[o] (W (out,in) row-major).
func refLin(x []float64, N, in int, w, b *Param) []float64 {
	W := p64(w)
	out := w.Shape[0]
	var bias []float64
	if b != nil {
		bias = p64(b)
	}
	y := make([]float64, N*out)
	for n := 0; n < N; n++ {
		for o := 0; o < out; o++ {
			s := 0.0
			if bias != nil {
				s = bias[o]
			}
			for i := 0; i < in; i++ {
				s += x[n*in+i] * W[o*in+i]
			}
			y[n*out+o] = s
		}
	}
	return y
}

func refLN(x []float64, N, C int, g, b *Param) []float64 {
	G, Bt := p64(g), p64(b)
	y := make([]float64, len(x))
	for n := 0; n < N; n++ {
		row := x[n*C : (n+1)*C]
		mu := 0.0
		for _, v := range row {
			mu += v
		}
		mu /= float64(C)
		va := 0.0
		for _, v := range row {
			va += (v - mu) * (v - mu)
		}
		va /= float64(C)
		for c, v := range row {
			y[n*C+c] = (v-mu)/math.Sqrt(va+flexiLNEps)*G[c] + Bt[c]
		}
	}
	return y
}

func refGelu(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
	}
	return y
}

func refSoftmax(v []float64) {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	s := 0.0
	for i, x := range v {
		v[i] = math.Exp(x - mx)
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
}

func addVec(a, b []float64) []float64 {
	y := make([]float64, len(a))
	for i := range a {
		y[i] = a[i] + b[i]
	}
	return y
}

// refAttention: n heads of size d over q, k, v (B·L, n·d); returns probs
// (B,n,L,L) and ctx (B·L, n·d).
func refAttention(q, k, v []float64, B, L, n, d int) (probs, ctx []float64) {
	A := n * d
	probs = make([]float64, B*n*L*L)
	ctx = make([]float64, B*L*A)
	for b := 0; b < B; b++ {
		for j := 0; j < n; j++ {
			for t := 0; t < L; t++ {
				row := probs[((b*n+j)*L+t)*L : ((b*n+j)*L+t+1)*L]
				for s := 0; s < L; s++ {
					dot := 0.0
					for i := 0; i < d; i++ {
						dot += q[(b*L+t)*A+j*d+i] * k[(b*L+s)*A+j*d+i]
					}
					row[s] = dot / math.Sqrt(float64(d))
				}
				refSoftmax(row)
				for i := 0; i < d; i++ {
					c := 0.0
					for s := 0; s < L; s++ {
						c += row[s] * v[(b*L+s)*A+j*d+i]
					}
					ctx[(b*L+t)*A+j*d+i] = c
				}
			}
		}
	}
	return
}

// flexiReference runs m on fb in float64. dx0, if not nil, is added to the
// encoder input x₀ (for finite differences of J).
func flexiReference(m *FlexiBERT, fb *flexiBatch, dx0 []float64) flexiRef {
	a := m.arch
	B, L, E, H := fb.B, fb.L, a.dims.E, a.H
	N := B * L
	var r flexiRef
	word, pos, typ := p64(m.word), p64(m.pos), p64(m.typ)
	e := make([]float64, N*E)
	for n := 0; n < N; n++ {
		t := n % L
		for c := 0; c < E; c++ {
			e[n*E+c] = word[int(fb.ids[n])*E+c] + typ[c] + pos[t*E+c]
		}
	}
	x := refLN(e, N, E, m.embG, m.embB)
	if m.projW != nil {
		x = refLin(x, N, E, m.projW, m.projB)
	}
	if dx0 != nil {
		x = addVec(x, dx0)
	}
	r.x0 = x
	for li, la := range a.layers {
		fl := &m.layers[li]
		var mixed, att []float64
		switch la.op {
		case "SDP", "WMA":
			q := refLin(x, N, H, fl.qW, fl.qB)
			if la.op == "WMA" {
				q = refLin(q, N, la.A, fl.wmaW, nil)
			}
			probs, ctx := refAttention(q, refLin(x, N, H, fl.kW, fl.kB), refLin(x, N, H, fl.vW, fl.vB), B, L, la.h, la.d)
			r.S = append(r.S, probs)
			mixed = ctx
			att = refLN(addVec(x, refLin(ctx, N, H, fl.soW, fl.soB)), N, H, fl.soG, fl.soBeta)
		case "DFT", "DCT":
			z := refLin(x, N, H, fl.inW, fl.inB)
			h, d := la.h, la.d
			mixed = make([]float64, N*H)
			for b := 0; b < B; b++ {
				for j := 0; j < h; j++ {
					for u := 0; u < L; u++ {
						for v := 0; v < d; v++ {
							s := 0.0
							for t := 0; t < L; t++ {
								for i := 0; i < d; i++ {
									zv := z[(b*L+t)*H+j*d+i]
									if la.op == "DFT" {
										s += zv * math.Cos(2*math.Pi*(float64(u*t)/float64(L)+float64(v*i)/float64(d)))
									} else {
										s += 4 * zv * math.Cos(math.Pi*float64(u*(2*t+1))/float64(2*L)) * math.Cos(math.Pi*float64(v*(2*i+1))/float64(2*d))
									}
								}
							}
							mixed[(b*L+u)*H+j*d+v] = s
						}
					}
				}
			}
			att = mixed
		case "DSC":
			n, d, A, k := la.n, la.d, la.A, la.k
			p := (k - 1) / 2
			q := refLin(x, N, H, fl.qW, fl.qB)
			kk := refLin(x, N, H, fl.kW, fl.kB)
			v := refLin(x, N, H, fl.vW, fl.vB)
			dw, pw, cb := p64(fl.dwW), p64(fl.pwW), p64(fl.convB)
			s := make([]float64, N*A)
			for b := 0; b < B; b++ {
				for t := 0; t < L; t++ {
					depth := make([]float64, H)
					for c := 0; c < H; c++ {
						for j := 0; j < k; j++ {
							if tt := t + j - p; tt >= 0 && tt < L {
								depth[c] += dw[c*k+j] * x[(b*L+tt)*H+c]
							}
						}
					}
					for c2 := 0; c2 < A; c2++ {
						acc := cb[c2]
						for c := 0; c < H; c++ {
							acc += pw[c2*H+c] * depth[c]
						}
						s[(b*L+t)*A+c2] = acc
					}
				}
			}
			g := make([]float64, N*A)
			for i := range g {
				g[i] = s[i] * q[i]
			}
			kap := refLin(g, N, A, fl.kerW, fl.kerB) // (N, n·k), index m·k+j
			for i := 0; i < N*n; i++ {
				refSoftmax(kap[i*k : (i+1)*k])
			}
			o := refLin(x, N, H, fl.coW, fl.coB)
			probs, ctx := refAttention(q, kk, v, B, L, n, d)
			mixed = make([]float64, N*H)
			for b := 0; b < B; b++ {
				for t := 0; t < L; t++ {
					row := mixed[(b*L+t)*H : (b*L+t+1)*H]
					copy(row[:A], ctx[(b*L+t)*A:(b*L+t+1)*A])
					for mm := 0; mm < n; mm++ {
						for i := 0; i < d; i++ {
							c := 0.0
							for j := 0; j < k; j++ {
								if tt := t + j - p; tt >= 0 && tt < L {
									c += kap[(b*L+t)*n*k+mm*k+j] * o[(b*L+tt)*A+mm*d+i]
								}
							}
							row[A+mm*d+i] = c
						}
					}
				}
			}
			r.S = append(r.S, probs, kap) // kap is (B,L,n,k) row-major
			att = refLN(addVec(x, refLin(mixed, N, H, fl.soW, fl.soB)), N, H, fl.soG, fl.soBeta)
		}
		r.H = append(r.H, mixed)
		u, in := att, H
		nl := len(fl.ffW)
		for j := 0; j < nl-1; j++ {
			u = refGelu(refLin(u, N, in, fl.ffW[j], fl.ffB[j]))
			in = la.I
		}
		r.A = append(r.A, u)
		x = refLN(addVec(att, refLin(u, N, la.I, fl.ffW[nl-1], fl.ffB[nl-1])), N, H, fl.outG, fl.outBeta)
	}
	r.last = x
	// MLM head.
	nm := len(fb.maskPos)
	hm := make([]float64, 0, nm*H)
	for _, p := range fb.maskPos {
		hm = append(hm, x[int(p)*H:(int(p)+1)*H]...)
	}
	t := refLN(refGelu(refLin(hm, nm, H, m.headW, m.headB)), nm, E, m.headG, m.headBeta)
	z := refLin(t, nm, E, m.word, m.outBias)
	V := a.dims.V
	for i := 0; i < nm; i++ {
		row := z[i*V : (i+1)*V]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for _, v := range row {
			s += math.Exp(v - mx)
		}
		r.loss += math.Log(s) + mx - row[fb.labels[i]]
	}
	r.loss /= float64(nm)
	return r
}

func sum64(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}
