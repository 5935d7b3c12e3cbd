package runtime

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"lpz/bench"
	"lpz/interp"
	"lpz/tensor"
)

// The opt-in extra channels GA, HG and GS (stdlib.ExtraChannels).

// fdClose compares a finite difference with a gradient entry relative to
// scale (the largest magnitude of the compared tensor).
func fdClose(fd, g, scale, rel float64) bool {
	return math.Abs(fd-g) <= rel*math.Max(scale, 1e-3)+1e-7
}

func maxAbs(ts ...*tensor.Tensor) float64 {
	m := 0.0
	for _, t := range ts {
		for _, v := range t.Data {
			m = math.Max(m, math.Abs(float64(v)))
		}
	}
	return m
}

// gpt2Weights are the W matrices in W's order (host data = G's layout).
func gpt2Weights(m *GPT2) []*Param {
	var ws []*Param
	for _, blk := range m.blocks {
		ws = append(ws, blk.cAttnW, blk.aProjW, blk.fcW, blk.mProjW)
	}
	return ws
}

// checkHG checks H·g against the directional derivative of the gradient
// along g: (G(W + εg) − G(W − εg)) / (2ε), all W matrices moved at once.
func checkHG(t *testing.T, name string, ws []*Param, g0, hg []*tensor.Tensor, grads func() []*tensor.Tensor) {
	t.Helper()
	gn := maxAbs(g0...)
	eps := hgStep / gn // the largest step is hgStep
	orig := make([][]float32, len(ws))
	move := func(sign float64) {
		for i, p := range ws {
			for j := range p.Data {
				p.Data[j] = float32(float64(orig[i][j]) + sign*eps*float64(g0[i].Data[j]))
			}
		}
	}
	for i, p := range ws {
		orig[i] = slices.Clone(p.Data)
	}
	move(1)
	gp := grads()
	move(-1)
	gm := grads()
	for i, p := range ws {
		copy(p.Data, orig[i])
	}
	scale := maxAbs(hg...)
	if scale == 0 {
		t.Fatalf("%s: HG is all zero", name)
	}
	bad := 0
	for i := range hg {
		if !slices.Equal(hg[i].Shape, ws[i].Shape) {
			t.Fatalf("%s: HG[%d] shape %v, W %v", name, i, hg[i].Shape, ws[i].Shape)
		}
		for j := range hg[i].Data {
			fd := (float64(gp[i].Data[j]) - float64(gm[i].Data[j])) / (2 * eps)
			if !fdClose(fd, float64(hg[i].Data[j]), scale, 2e-3) && bad < 5 {
				bad++
				t.Errorf("%s %s[%d]: directional difference %.8g, HG %.8g (scale %.3g)", name, ws[i].Name, j, fd, hg[i].Data[j], scale)
			}
		}
	}
}

func TestGPT2ExtraChannelsFiniteDifferences(t *testing.T) {
	be := goBackend(t)
	for _, cfg := range []bench.GPT2Config{tinyConfig(1, 64), tinyConfig(2, 64)} {
		cfg.WeightInitStd = 0.2 // second-order effects visible
		m, err := NewGPT2(cfg, 21)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := prepareBatch(m.arch, randomBatch(8, 2, 6, 300))
		if err != nil {
			t.Fatal(err)
		}
		run := func(want chanSet, p *preparedBatch) *runResult {
			t.Helper()
			res, _, err := m.run(be, p, want, dtypes.Float64)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		res := run(chanSet{G: true, GA: true, HG: true}, pb)
		L := m.arch.L
		if len(res.GA) != L || len(res.HG) != 4*L || len(res.G) != 4*L {
			t.Fatalf("div %d: %d GA, %d HG, %d G", cfg.DivVal, len(res.GA), len(res.HG), len(res.G))
		}
		// GA: loss differences under a perturbation added to A.
		for l := 0; l < L; l++ {
			ga := res.GA[l]
			if !slices.Equal(ga.Shape, []int{2, 6, m.arch.dInner[l]}) {
				t.Fatalf("GA[%d] shape %v", l, ga.Shape)
			}
			scale := maxAbs(ga)
			m.actDelta = make([][]float32, L)
			m.actDelta[l] = make([]float32, len(ga.Data))
			for _, idx := range []int{0, len(ga.Data) / 3, len(ga.Data) - 1, (7 * len(ga.Data)) / 11} {
				const h = 1e-3
				m.actDelta[l][idx] = h
				fp := run(chanSet{}, pb).loss
				m.actDelta[l][idx] = -h
				fm := run(chanSet{}, pb).loss
				m.actDelta[l][idx] = 0
				if fd := (fp - fm) / (2 * h); !fdClose(fd, float64(ga.Data[idx]), scale, 1e-4) {
					t.Errorf("div %d GA[%d][%d]: finite difference %.8g, GA %.8g", cfg.DivVal, l, idx, fd, ga.Data[idx])
				}
			}
			m.actDelta = nil
		}
		// HG: directional derivative of G along g.
		ws := gpt2Weights(m)
		checkHG(t, "gpt2", ws, res.G, res.HG, func() []*tensor.Tensor { return run(chanSet{G: true}, pb).G })

		// GS: R = Σ hPre at |θ| with all-ones ids, by finite differences.
		sb := synflowBatch(pb)
		sres := run(chanSet{synflow: true}, sb)
		if len(sres.G) != 4*L {
			t.Fatalf("%d GS entries", len(sres.G))
		}
		saved := make([][]float32, len(m.Params))
		for i, p := range m.Params {
			saved[i] = slices.Clone(p.Data)
			for j, v := range p.Data {
				p.Data[j] = float32(math.Abs(float64(v)))
			}
		}
		// The Synflow graph's forward (one embedding row, |θ| on the fly)
		// is the ordinary forward at |θ| on the all-ones ids.
		sa := run(chanSet{synflow: true, A: true}, sb).A
		na := run(chanSet{A: true}, sb).A
		for l := range na {
			for j := range na[l].Data {
				if na[l].Data[j] != sa[l].Data[j] {
					t.Fatalf("div %d: Synflow A[%d][%d] = %v, forward at |θ| %v", cfg.DivVal, l, j, sa[l].Data[j], na[l].Data[j])
				}
			}
		}
		scale := maxAbs(sres.G...)
		if scale == 0 {
			t.Fatal("GS is all zero")
		}
		for wi, p := range ws {
			if !slices.Equal(sres.G[wi].Shape, p.Shape) {
				t.Fatalf("GS[%d] shape %v, W %v", wi, sres.G[wi].Shape, p.Shape)
			}
			for _, idx := range []int{0, p.Size() / 3, p.Size() - 1, (7 * p.Size()) / 11} {
				const h = 1e-3
				orig := p.Data[idx]
				p.Data[idx] = orig + h
				rp := run(chanSet{synflow: true}, sb).loss
				p.Data[idx] = orig - h // may cross 0: |·| keeps it on the evaluated side only if orig > h
				rm := run(chanSet{synflow: true}, sb).loss
				p.Data[idx] = orig
				if orig <= h {
					continue
				}
				step := float64(orig+h) - float64(orig-h)
				if fd := (rp - rm) / step; !fdClose(fd, float64(sres.G[wi].Data[idx]), scale, 1e-4) {
					t.Errorf("div %d GS %s[%d]: finite difference %.8g, GS %.8g", cfg.DivVal, p.Name, idx, fd, sres.G[wi].Data[idx])
				}
			}
		}
		for i, p := range m.Params {
			copy(p.Data, saved[i])
		}
	}
}

// TestCaptureGS_OnesEmbeddingDegenerate documents why GPT-2's GS feeds
// all-ones token ids rather than an all-ones h₀: with h₀ = 1 every
// pre-LN block sees LN(constant row) = β = 0 at init, so every W's input
// is 0 and ∂R/∂W vanishes identically.
func TestCaptureGS_OnesEmbeddingDegenerate(t *testing.T) {
	m, err := NewGPT2(tinyConfig(2, 64), 3)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := prepareBatch(m.arch, randomBatch(1, 2, 5, 300))
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := m.run(goBackend(t), synflowBatch(pb), chanSet{synflow: true, synflowOnes: true}, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if s := maxAbs(res.G...); s != 0 {
		t.Errorf("GS with all-ones h₀: max |GS| = %g, expected exactly 0", s)
	}
}

func TestGPT2ExtraChannelsCapture(t *testing.T) {
	be := goBackend(t)
	cfg := tinyConfig(2, 64)
	const B, T = 2, 5
	batch := randomBatch(4, B, T, 300)
	extra := CaptureOptions{Seed: 7, Channels: []string{"GA", "HG", "GS"}}
	c, err := CaptureGPT2(be, cfg, batch, extra)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Inputs) != 3 {
		t.Fatalf("extra capture returned %d inputs: %v", len(c.Inputs), keys(c.Inputs))
	}
	all, err := CaptureGPT2(be, cfg, batch, CaptureOptions{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	// The default set is unchanged: exactly the stdlib channels.
	if got := keys(all.Inputs); !slices.Equal(got, []string{"A", "G", "H", "J", "S", "W", "dparams", "params"}) {
		t.Errorf("default capture channels %v", got)
	}
	checkLike(t, c.Inputs["GA"], all.Inputs["A"], "GA", "A")
	checkLike(t, c.Inputs["HG"], all.Inputs["W"], "HG", "W")
	checkLike(t, c.Inputs["GS"], all.Inputs["W"], "GS", "W")
	if c.Loss != all.Loss {
		t.Errorf("loss %v with the extra channels, %v without", c.Loss, all.Loss)
	}
	// G alongside GA is the G of the default capture.
	cg, err := CaptureGPT2(be, cfg, batch, CaptureOptions{Seed: 7, Channels: []string{"G", "GA"}})
	if err != nil {
		t.Fatal(err)
	}
	if !equalCaptures(&Capture{Inputs: interp.Inputs{"G": cg.Inputs["G"]}}, &Capture{Inputs: interp.Inputs{"G": all.Inputs["G"]}}) {
		t.Error("G differs when GA is captured too")
	}
	// Determinism.
	c2, err := CaptureGPT2(be, cfg, batch, extra)
	if err != nil {
		t.Fatal(err)
	}
	if !equalCaptures(c, c2) {
		t.Error("two extra captures differ")
	}
	for _, bad := range []string{"Q", "Wmix", "Gones"} {
		if _, err := CaptureGPT2(be, cfg, batch, CaptureOptions{Channels: []string{bad}}); err == nil {
			t.Errorf("channel %q accepted", bad)
		}
	}
}

func keys(in interp.Inputs) []string {
	var ks []string
	for k := range in {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// checkLike checks that got has the names, shapes and family of like.
func checkLike(t *testing.T, got, like interp.Value, gname, lname string) {
	t.Helper()
	if got.Type.Family != like.Type.Family || !slices.Equal(got.Names, like.Names) || len(got.Tensors) != len(like.Tensors) {
		t.Fatalf("%s: family %q names %v, %s: %q %v", gname, got.Type.Family, got.Names, lname, like.Type.Family, like.Names)
	}
	for i := range got.Tensors {
		if !slices.Equal(got.Tensors[i].Shape, like.Tensors[i].Shape) {
			t.Errorf("%s[%d] shape %v, %s %v", gname, i, got.Tensors[i].Shape, lname, like.Tensors[i].Shape)
		}
		for _, v := range got.Tensors[i].Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s[%d] has %v", gname, i, v)
			}
		}
	}
}

func TestFlexiExtraChannelsFiniteDifferences(t *testing.T) {
	be := goBackend(t)
	const B, L = 2, 5
	for _, c := range tinyFlexiCases {
		m, fb := tinyFlexiModel(t, c.E, c.layers, 8, B, L)
		run := func(want chanSet) *flexiResult {
			t.Helper()
			res, _, err := m.run(be, fb, want, false, dtypes.Float64)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		res := run(chanSet{G: true, GA: true, HG: true})
		n := len(m.layers)
		if len(res.GA) != n {
			t.Fatalf("%s: %d GA entries", c.name, len(res.GA))
		}
		for l := 0; l < n; l++ {
			ga := res.GA[l]
			scale := maxAbs(ga)
			m.actDelta = make([][]float32, n)
			m.actDelta[l] = make([]float32, len(ga.Data))
			for _, idx := range []int{0, len(ga.Data) / 3, len(ga.Data) - 1} {
				const h = 1e-3
				m.actDelta[l][idx] = h
				fp := run(chanSet{}).loss
				m.actDelta[l][idx] = -h
				fm := run(chanSet{}).loss
				m.actDelta[l][idx] = 0
				if fd := (fp - fm) / (2 * h); !fdClose(fd, float64(ga.Data[idx]), scale, 2e-4) {
					t.Errorf("%s GA[%d][%d]: finite difference %.8g, GA %.8g", c.name, l, idx, fd, ga.Data[idx])
				}
			}
			m.actDelta = nil
		}
		var ws []*Param
		for i := range m.layers {
			ws = append(ws, m.layers[i].weights()...)
		}
		checkHG(t, c.name, ws, res.G, res.HG, func() []*tensor.Tensor { return run(chanSet{G: true}).G })

		// GS: R = Σ last hidden state at |θ| with x₀ = 1.
		sres := run(chanSet{synflow: true})
		scale := maxAbs(sres.G...)
		if scale == 0 {
			t.Fatalf("%s: GS is all zero", c.name)
		}
		saved := make([][]float32, len(m.Params))
		for i, p := range m.Params {
			saved[i] = slices.Clone(p.Data)
			for j, v := range p.Data {
				p.Data[j] = float32(math.Abs(float64(v)))
			}
		}
		for wi, p := range ws {
			for _, idx := range []int{0, p.Size() / 3, p.Size() - 1} {
				const h = 1e-3
				orig := p.Data[idx]
				if orig <= h {
					continue
				}
				p.Data[idx] = orig + h
				rp := run(chanSet{synflow: true}).loss
				p.Data[idx] = orig - h
				rm := run(chanSet{synflow: true}).loss
				p.Data[idx] = orig
				step := float64(orig+h) - float64(orig-h)
				if fd := (rp - rm) / step; !fdClose(fd, float64(sres.G[wi].Data[idx]), scale, 2e-4) {
					t.Errorf("%s GS %s[%d]: finite difference %.8g, GS %.8g", c.name, p.Name, idx, fd, sres.G[wi].Data[idx])
				}
			}
		}
		for i, p := range m.Params {
			copy(p.Data, saved[i])
		}
	}
}

func TestFlexiExtraChannelsCapture(t *testing.T) {
	be := goBackend(t)
	c0 := tinyFlexiCases[3] // every op family
	a := tinyFlexiArch(t, c0.E, c0.layers)
	batch := randomMLMBatch(2, 2, 6, a.dims.V)
	extra := FlexiOptions{CaptureOptions: CaptureOptions{Seed: 3, Channels: []string{"GA", "HG", "GS"}}}
	c, err := captureFlexi(be, a, batch, extra, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Inputs) != 3 {
		t.Fatalf("extra capture returned %v", keys(c.Inputs))
	}
	all, err := captureFlexi(be, a, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 3}}, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(all.Inputs); !slices.Equal(got, []string{"A", "G", "H", "J", "S", "W", "dparams", "params"}) {
		t.Errorf("default capture channels %v", got)
	}
	checkLike(t, c.Inputs["GA"], all.Inputs["A"], "GA", "A")
	checkLike(t, c.Inputs["HG"], all.Inputs["W"], "HG", "W")
	checkLike(t, c.Inputs["GS"], all.Inputs["W"], "GS", "W")
	c2, err := captureFlexi(be, a, batch, extra, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if !equalCaptures(c, c2) {
		t.Error("two extra captures differ")
	}
	// With Gones and a standard channel.
	c3, err := captureFlexi(be, a, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 3, Channels: []string{"GS", ChannelGones}}}, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(c3.Inputs); !slices.Equal(got, []string{"GS", "Gones"}) {
		t.Errorf("GS+Gones capture returned %v", got)
	}
	for _, bad := range []string{"Q", "Gffn"} {
		if _, err := captureFlexi(be, a, batch, FlexiOptions{CaptureOptions: CaptureOptions{Channels: []string{bad}}}, dtypes.Float32); err == nil {
			t.Errorf("channel %q accepted", bad)
		}
	}
}

// hgStep is the largest entry of the step εg (the truncation error is
// O(ε²): 1e-3 leaves ~0.2% on the tiny models with weights of std 0.2).
var hgStep = 1e-4
