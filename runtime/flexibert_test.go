package runtime

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"lpz/bench"
	"lpz/interp"
	"lpz/tensor"
)

// tinyFlexiDims shrink the vocabulary (mask id = V−1), positions and E.
func tinyFlexiDims(E int) flexiDims { return flexiDims{V: 40, P: 12, TypeVocab: 2, E: E} }

func fl(op, param string, h, ffn, nff int) bench.FlexiLayer {
	return bench.FlexiLayer{OpType: op, OpParam: param, Heads: h, FFNDim: ffn, NumFFN: nff}
}

// tinyFlexiCases cover every op (and both DSC head counts) at H = 8, with
// E ≠ H (embeddings_project) and E = H.
var tinyFlexiCases = []struct {
	name   string
	E      int
	layers []bench.FlexiLayer
}{
	{"sa", 6, []bench.FlexiLayer{fl("SA", "SDP", 2, 12, 1), fl("SA", "WMA", 4, 10, 3)}},
	{"lt", 8, []bench.FlexiLayer{fl("LT", "DFT", 2, 12, 3), fl("LT", "DCT", 4, 12, 1)}},
	{"dsc", 6, []bench.FlexiLayer{fl("DSC", "5", 2, 12, 1), fl("DSC", "9", 4, 12, 3)}},
	{"mixed", 8, []bench.FlexiLayer{fl("LT", "DCT", 2, 10, 1), fl("DSC", "3", 4, 12, 1), fl("SA", "WMA", 2, 12, 1), fl("LT", "DFT", 4, 12, 1)}},
}

func tinyFlexiArch(t testing.TB, E int, layers []bench.FlexiLayer) *flexiArch {
	t.Helper()
	a, err := newFlexiArch(bench.FlexiBERTConfig{HiddenSize: 8, Layers: layers}, bench.ModeRecords, tinyFlexiDims(E))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// spreadWeights redraws every parameter with O(1) values (biases, LN gains
// and betas too) so that the reference comparison exercises every term;
// the pad row stays 0.
func spreadWeights(m *FlexiBERT, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 99))
	for _, p := range m.Params {
		for i := range p.Data {
			v := r.NormFloat64() * 0.5
			if p.Std == 0 && p.Fill == 1 {
				v = 1 + 0.2*r.NormFloat64()
			}
			p.Data[i] = float32(v)
		}
	}
	clear(m.word.Data[:m.arch.dims.E])
}

func tinyFlexiModel(t testing.TB, E int, layers []bench.FlexiLayer, seed uint64, B, L int) (*FlexiBERT, *flexiBatch) {
	t.Helper()
	a := tinyFlexiArch(t, E, layers)
	m := newFlexiShapes(a)
	m.initWeights(seed)
	spreadWeights(m, seed)
	fb, err := prepareMLMBatch(a, randomMLMBatch(seed, B, L, a.dims.V), seed)
	if err != nil {
		t.Fatal(err)
	}
	return m, fb
}

func maxRelErr(got []float32, want []float64) (float64, int) {
	worst, at := 0.0, -1
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		e := math.Abs(float64(got[i])-want[i]) / math.Max(1, scale)
		if e > worst {
			worst, at = e, i
		}
	}
	return worst, at
}

// TestFlexiAgainstReference compares loss, A, H and S of every op type
// with the float64 reference (graph run in float64 and in float32).
func TestFlexiAgainstReference(t *testing.T) {
	be := goBackend(t)
	const B, L = 2, 6
	for _, c := range tinyFlexiCases {
		m, fb := tinyFlexiModel(t, c.E, c.layers, 5, B, L)
		ref := flexiReference(m, fb, nil)
		for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
			tol := 2e-6 // outputs are rounded to float32
			if dt == dtypes.Float32 {
				tol = 2e-4
			}
			res, _, err := m.run(be, fb, chanSet{A: true, H: true, S: true}, false, dt)
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(res.loss-ref.loss) / math.Max(1, math.Abs(ref.loss)); e > tol {
				t.Errorf("%s %s: loss %.9g, reference %.9g", c.name, dt, res.loss, ref.loss)
			}
			check := func(ch string, got [][]float32, want [][]float64) {
				if len(got) != len(want) {
					t.Fatalf("%s %s: %s has %d entries, reference %d", c.name, dt, ch, len(got), len(want))
				}
				for i := range want {
					if len(got[i]) != len(want[i]) {
						t.Fatalf("%s %s: %s[%d] has %d values, reference %d", c.name, dt, ch, i, len(got[i]), len(want[i]))
					}
					if e, at := maxRelErr(got[i], want[i]); e > tol {
						t.Errorf("%s %s: %s[%d] off by %.3g (relative to the max) at %d: %g vs %g", c.name, dt, ch, i, e, at, got[i][at], want[i][at])
					}
				}
			}
			data := func(ts []*tensor.Tensor) [][]float32 {
				out := make([][]float32, len(ts))
				for i, x := range ts {
					out[i] = x.Data
				}
				return out
			}
			check("A", data(res.A), ref.A)
			check("H", data(res.H), ref.H)
			check("S", data(res.S), ref.S)
		}
	}
}

// TestFlexiGradients checks G (∂loss/∂W), J (∂Σ last/∂x₀) and Gones
// (∂Σ last/∂W) from the float64 graph against central differences of the
// float64 reference.
func TestFlexiGradients(t *testing.T) {
	be := goBackend(t)
	const B, L = 2, 5
	for _, c := range tinyFlexiCases {
		m, fb := tinyFlexiModel(t, c.E, c.layers, 8, B, L)
		res, _, err := m.run(be, fb, chanSet{G: true, J: true}, true, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		var ws []*Param
		for i := range m.layers {
			ws = append(ws, m.layers[i].weights()...)
		}
		if len(res.G) != len(ws) || len(res.Gones) != len(ws) {
			t.Fatalf("%s: %d G and %d Gones entries for %d weights", c.name, len(res.G), len(res.Gones), len(ws))
		}
		const h = 1e-3
		close := func(fd, g float64) bool { return math.Abs(fd-g) <= 2e-4*math.Max(1, math.Abs(fd))+2e-6 }
		for wi, p := range ws {
			if !slices.Equal(res.G[wi].Shape, p.Shape) {
				t.Errorf("%s: G[%d] shape %v, weight %v", c.name, wi, res.G[wi].Shape, p.Shape)
			}
			for _, idx := range []int{0, p.Size() / 3, p.Size() - 1} {
				orig := p.Data[idx]
				p.Data[idx] = orig + h
				rp := flexiReference(m, fb, nil)
				p.Data[idx] = orig - h
				rm := flexiReference(m, fb, nil)
				p.Data[idx] = orig
				step := float64(orig+h) - float64(orig-h)
				if fd, g := (rp.loss-rm.loss)/step, float64(res.G[wi].Data[idx]); !close(fd, g) {
					t.Errorf("%s %s[%d]: loss finite difference %.8g, G %.8g", c.name, p.Name, idx, fd, g)
				}
				if fd, g := (sum64(rp.last)-sum64(rm.last))/step, float64(res.Gones[wi].Data[idx]); !close(fd, g) {
					t.Errorf("%s %s[%d]: Σlast finite difference %.8g, Gones %.8g", c.name, p.Name, idx, fd, g)
				}
			}
		}
		H := m.arch.H
		if !slices.Equal(res.J.Shape, []int{B, L, H}) {
			t.Fatalf("%s: J shape %v", c.name, res.J.Shape)
		}
		dx := make([]float64, B*L*H)
		for _, idx := range []int{0, 7, B*L*H/2 + 3, B*L*H - 1} {
			const hx = 1e-4
			dx[idx] = hx
			rp := flexiReference(m, fb, dx)
			dx[idx] = -hx
			rm := flexiReference(m, fb, dx)
			dx[idx] = 0
			if fd, g := (sum64(rp.last)-sum64(rm.last))/(2*hx), float64(res.J.Data[idx]); !close(fd, g) {
				t.Errorf("%s J[%d]: finite difference %.8g, J %.8g", c.name, idx, fd, g)
			}
		}
	}
}

// TestFlexiCaptureShapes checks names, shapes and counts of every channel
// for every layer type on a tiny model, the default channel set (no Gones)
// and a subset request.
func TestFlexiCaptureShapes(t *testing.T) {
	be := goBackend(t)
	const B, L = 2, 6
	layers := []bench.FlexiLayer{fl("SA", "SDP", 2, 12, 1), fl("SA", "WMA", 4, 10, 3), fl("LT", "DFT", 2, 12, 1),
		fl("LT", "DCT", 4, 12, 1), fl("DSC", "5", 2, 12, 3), fl("DSC", "9", 4, 10, 1)}
	a := tinyFlexiArch(t, 6, layers)
	batch := randomMLMBatch(1, B, L, a.dims.V)
	c, err := captureFlexi(be, a, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 3}}, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"A", "H", "S", "W", "G", "J", "params", "dparams"} {
		if _, ok := c.Inputs[ch]; !ok {
			t.Errorf("channel %s missing", ch)
		}
	}
	if _, ok := c.Inputs[ChannelGones]; ok {
		t.Error("Gones captured without being asked for")
	}
	wantA := [][]int{{B, L, 12}, {B, L, 10}, {B, L, 12}, {B, L, 12}, {B, L, 12}, {B, L, 10}}
	for l, x := range c.Inputs["A"].Tensors {
		if !slices.Equal(x.Shape, wantA[l]) {
			t.Errorf("A[%d] shape %v want %v", l, x.Shape, wantA[l])
		}
		if c.Inputs["A"].Names[l] != "layer"+strconv.Itoa(l)+".ffn.act" {
			t.Errorf("A[%d] name %s", l, c.Inputs["A"].Names[l])
		}
		if h := c.Inputs["H"].Tensors[l]; !slices.Equal(h.Shape, []int{B, L, 8}) {
			t.Errorf("H[%d] shape %v", l, h.Shape)
		}
	}
	wantS := []struct {
		name  string
		shape []int
	}{
		{"layer0.attn.probs", []int{B, 2, L, L}}, {"layer1.attn.probs", []int{B, 4, L, L}},
		{"layer4.attn.probs", []int{B, 1, L, L}}, {"layer4.conv.kernel", []int{B, L, 1, 5}},
		{"layer5.attn.probs", []int{B, 2, L, L}}, {"layer5.conv.kernel", []int{B, L, 2, 9}},
	}
	S := c.Inputs["S"]
	if len(S.Tensors) != len(wantS) {
		t.Fatalf("S has %d entries %v", len(S.Tensors), S.Names)
	}
	for i, w := range wantS {
		if S.Names[i] != w.name || !slices.Equal(S.Tensors[i].Shape, w.shape) {
			t.Errorf("S[%d] = %s %v, want %s %v", i, S.Names[i], S.Tensors[i].Shape, w.name, w.shape)
		}
		// Softmaxes sum to 1 over the last axis.
		x := S.Tensors[i]
		k := x.Shape[len(x.Shape)-1]
		for r := 0; r < len(x.Data)/k; r++ {
			s := 0.0
			for _, v := range x.Data[r*k : (r+1)*k] {
				s += float64(v)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("S[%d] row %d sums to %g", i, r, s)
			}
		}
	}
	wantW := []struct {
		name  string
		shape []int
	}{
		{"layer0.op.query", []int{8, 8}}, {"layer0.op.key", []int{8, 8}}, {"layer0.op.value", []int{8, 8}}, {"layer0.op.dense", []int{8, 8}},
		{"layer0.ffn.dense_in", []int{12, 8}}, {"layer0.ffn.dense_out", []int{8, 12}},
		{"layer1.op.query", []int{8, 8}}, {"layer1.op.key", []int{8, 8}}, {"layer1.op.value", []int{8, 8}}, {"layer1.op.weight", []int{8, 8}}, {"layer1.op.dense", []int{8, 8}},
		{"layer1.ffn.dense_in", []int{10, 8}}, {"layer1.ffn.dense_list.0", []int{10, 10}}, {"layer1.ffn.dense_list.1", []int{10, 10}}, {"layer1.ffn.dense_out", []int{8, 10}},
		{"layer2.op.input", []int{8, 8}}, {"layer2.ffn.dense_in", []int{12, 8}}, {"layer2.ffn.dense_out", []int{8, 12}},
		{"layer3.op.input", []int{8, 8}}, {"layer3.ffn.dense_in", []int{12, 8}}, {"layer3.ffn.dense_out", []int{8, 12}},
		{"layer4.op.query", []int{4, 8}}, {"layer4.op.key", []int{4, 8}}, {"layer4.op.value", []int{4, 8}},
		{"layer4.op.depthwise", []int{8, 5}}, {"layer4.op.pointwise", []int{4, 8}}, {"layer4.op.conv_kernel", []int{5, 4}}, {"layer4.op.conv_out", []int{4, 8}}, {"layer4.op.dense", []int{8, 8}},
		{"layer4.ffn.dense_in", []int{12, 8}}, {"layer4.ffn.dense_list.0", []int{12, 12}}, {"layer4.ffn.dense_list.1", []int{12, 12}}, {"layer4.ffn.dense_out", []int{8, 12}},
		{"layer5.op.query", []int{4, 8}}, {"layer5.op.key", []int{4, 8}}, {"layer5.op.value", []int{4, 8}},
		{"layer5.op.depthwise", []int{8, 9}}, {"layer5.op.pointwise", []int{4, 8}}, {"layer5.op.conv_kernel", []int{18, 4}}, {"layer5.op.conv_out", []int{4, 8}}, {"layer5.op.dense", []int{8, 8}},
		{"layer5.ffn.dense_in", []int{10, 8}}, {"layer5.ffn.dense_out", []int{8, 10}},
	}
	for _, ch := range []string{"W", "G"} {
		v := c.Inputs[ch]
		if len(v.Tensors) != len(wantW) {
			t.Fatalf("%s has %d entries: %v", ch, len(v.Tensors), v.Names)
		}
		for i, w := range wantW {
			if v.Names[i] != w.name || !slices.Equal(v.Tensors[i].Shape, w.shape) {
				t.Errorf("%s[%d] = %s %v, want %s %v", ch, i, v.Names[i], v.Tensors[i].Shape, w.name, w.shape)
			}
		}
	}
	if j := c.Inputs["J"]; len(j.Tensors) != 1 || j.Names[0] != "embed" || !slices.Equal(j.Tensors[0].Shape, []int{B, L, 8}) {
		t.Errorf("J = %v %v", j.Names, j.Tensors[0].Shape)
	}
	m := newFlexiShapes(a)
	total, enc := m.NumParams()
	if c.Inputs["params"].Scalar != float64(total) || c.Inputs["dparams"].Scalar != float64(enc) {
		t.Errorf("params %g dparams %g, want %d %d", c.Inputs["params"].Scalar, c.Inputs["dparams"].Scalar, total, enc)
	}
	if math.IsNaN(c.Loss) || math.Abs(c.Loss-math.Log(float64(a.dims.V))) > 1 {
		t.Errorf("initial loss %g, expected ≈ ln V = %g", c.Loss, math.Log(float64(a.dims.V)))
	}
	// Subset: only S and Gones.
	c2, err := captureFlexi(be, a, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 3, Channels: []string{"S", ChannelGones}}}, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Inputs) != 2 || len(c2.Inputs[ChannelGones].Tensors) != len(wantW) {
		t.Errorf("subset capture has %d inputs", len(c2.Inputs))
	}
	if !equalCaptures(&Capture{Inputs: interp.Inputs{"S": c.Inputs["S"]}, Loss: c.Loss}, &Capture{Inputs: interp.Inputs{"S": c2.Inputs["S"]}, Loss: c2.Loss}) {
		t.Error("S differs between the full and the subset capture")
	}
	if _, err := captureFlexi(be, a, batch, FlexiOptions{CaptureOptions: CaptureOptions{Channels: []string{"Q"}}}, dtypes.Float32); err == nil {
		t.Error("unknown channel accepted")
	}
	if _, err := captureFlexi(be, a, randomMLMBatch(1, 1, 13, 40), FlexiOptions{}, dtypes.Float32); err == nil {
		t.Error("L > max positions accepted")
	}
	if _, err := captureFlexi(be, a, MLMBatch{Inputs: [][]int{{1, 2}, {40, 1}}}, FlexiOptions{}, dtypes.Float32); err == nil {
		t.Error("token outside the vocabulary accepted")
	}
}

func TestFlexiDeterminism(t *testing.T) {
	be := goBackend(t)
	a := tinyFlexiArch(t, 6, tinyFlexiCases[3].layers)
	batch := randomMLMBatch(2, 2, 8, a.dims.V)
	capt := func(seed uint64) *Capture {
		c, err := captureFlexi(be, a, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: seed}}, dtypes.Float32)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1, c2 := capt(11), capt(11)
	if !equalCaptures(c1, c2) {
		t.Error("two captures with the same seed differ")
	}
	c3 := capt(12)
	for _, ch := range []string{"A", "H", "S", "W", "G", "J"} {
		if slices.Equal(c1.Inputs[ch].Tensors[0].Data, c3.Inputs[ch].Tensors[0].Data) {
			t.Errorf("channel %s identical for seeds 11 and 12", ch)
		}
	}
	if c1.Loss == c3.Loss {
		t.Error("loss identical for different seeds")
	}
	// Masking depends only on the seed and the batch size.
	p1, p2 := maskPositions(11, 4, 64), maskPositions(11, 4, 64)
	if !slices.Equal(p1, p2) || len(p1) != 38 || slices.Equal(p1, maskPositions(12, 4, 64)) {
		t.Errorf("mask positions: %d, reproducible %v", len(p1), slices.Equal(p1, p2))
	}
	// Weights: the same seed gives the same embedding tables for any
	// architecture; the pad row is zero.
	m1 := newFlexiShapes(a)
	m1.initWeights(11)
	m2 := newFlexiShapes(tinyFlexiArch(t, 6, tinyFlexiCases[0].layers))
	m2.initWeights(11)
	if !slices.Equal(m1.word.Data, m2.word.Data) || !slices.Equal(m1.pos.Data, m2.pos.Data) {
		t.Error("embedding tables depend on the architecture")
	}
	// Memoised tables (hit and miss) give the bits of one plain stream.
	ref := newFlexiShapes(a)
	r := rand.New(rand.NewPCG(11, flexiRNGStream))
	drawParams(ref.Params, r.NormFloat64)
	clear(ref.word.Data[:a.dims.E])
	for _, reset := range []bool{true, false} {
		if reset {
			flexiEmbMemo.Lock()
			flexiEmbMemo.state = nil
			flexiEmbMemo.Unlock()
		}
		mm := newFlexiShapes(a)
		mm.initWeights(11)
		for i, p := range mm.Params {
			if !slices.Equal(p.Data, ref.Params[i].Data) {
				t.Errorf("memo reset %v: %s differs from the plain stream", reset, p.Name)
			}
		}
	}
	for _, v := range m1.word.Data[:6] {
		if v != 0 {
			t.Fatal("pad row not zero")
		}
	}
}

// TestFlexiInitDistribution: Linear/embedding weights ~ N(0, 0.02²),
// biases 0, LN gains 1.
func TestFlexiInitDistribution(t *testing.T) {
	m, err := NewFlexiBERT(bench.FlexiBERTConfig{HiddenSize: 128, Layers: []bench.FlexiLayer{fl("DSC", "9", 4, 512, 3)}}, bench.ModeRecords, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params {
		var s, s2 float64
		for _, v := range p.Data {
			s += float64(v)
			s2 += float64(v) * float64(v)
		}
		n := float64(len(p.Data))
		mean, std := s/n, math.Sqrt(s2/n-(s/n)*(s/n))
		switch {
		case p.Std > 0 && n >= 1000:
			if math.Abs(std-0.02) > 0.002 || math.Abs(mean) > 0.002 {
				t.Errorf("%s: mean %g std %g", p.Name, mean, std)
			}
		case p.Std == 0 && (mean != float64(p.Fill) || std != 0):
			t.Errorf("%s: constant %g expected, mean %g std %g", p.Name, p.Fill, mean, std)
		}
	}
}

func loadFlexiBench(t testing.TB) *bench.Benchmark {
	t.Helper()
	b, err := bench.Load("flexibert", "../../shared/bench")
	if err != nil {
		t.Skip(err)
	}
	return b
}

// TestFlexiParams: the built model's params/dparams equal bench.FlexiParams
// for all 500 records in both modes, and upstream-proxy reproduces the
// reference CSV's "Number of Parameters".
func TestFlexiParams(t *testing.T) {
	b := loadFlexiBench(t)
	csvParams := map[string]int64{}
	if f, err := os.Open("../../shared/bench/reference/flexibert/BERT_results_activation.csv"); err == nil {
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(rows[0], "Number of Parameters")
		for _, r := range rows[1:] {
			v, _ := strconv.ParseInt(r[col], 10, 64)
			csvParams[r[0]] = v
		}
	}
	for _, arch := range b.Archs {
		for _, mode := range []bench.FlexiMode{bench.ModeRecords, bench.ModeUpstreamProxy} {
			want, err := bench.FlexiParams(arch.Flexi, mode)
			if err != nil {
				t.Fatal(err)
			}
			total, enc, err := FlexiBERTParams(*arch.Flexi, mode)
			if err != nil {
				t.Fatalf("%s %s: %v", arch.ID, mode, err)
			}
			if int64(total) != want.Total || int64(enc) != want.Encoder() {
				t.Errorf("%s %s: built %d/%d, analytic %d/%d", arch.ID, mode, total, enc, want.Total, want.Encoder())
			}
			if v, ok := csvParams[arch.ID]; ok && mode == bench.ModeUpstreamProxy && int64(total) != v {
				t.Errorf("%s: upstream-proxy %d, reference CSV %d", arch.ID, total, v)
			}
		}
	}
	if len(csvParams) > 0 && len(csvParams) != len(b.Archs) {
		t.Errorf("reference CSV has %d rows for %d archs", len(csvParams), len(b.Archs))
	}
}

// TestFlexiRealRecords captures a handful of real records covering every
// layer type in both modes (real vocabulary and sizes, batch 1×8) and
// checks params and the loss at init (≈ ln 30522).
func TestFlexiRealRecords(t *testing.T) {
	b := loadFlexiBench(t)
	be := goBackend(t)
	// The first records that together cover every op and both hidden sizes.
	need := map[string]bool{"SDP": true, "WMA": true, "DFT": true, "DCT": true, "5": true, "9": true, "H128": true, "H256": true}
	var picked []bench.Arch
	for _, a := range b.Archs {
		adds := false
		for _, l := range a.Flexi.Layers {
			if need[l.OpParam] {
				adds = true
			}
		}
		if need["H"+strconv.Itoa(a.Flexi.HiddenSize)] {
			adds = true
		}
		if !adds {
			continue
		}
		for _, l := range a.Flexi.Layers {
			delete(need, l.OpParam)
		}
		delete(need, "H"+strconv.Itoa(a.Flexi.HiddenSize))
		picked = append(picked, a)
		if len(need) == 0 {
			break
		}
	}
	if len(need) > 0 {
		t.Fatalf("no record has %v", need)
	}
	batch := randomMLMBatch(4, 1, 8, bench.FlexiVocab)
	for _, arch := range picked {
		for _, mode := range []bench.FlexiMode{bench.ModeRecords, bench.ModeUpstreamProxy} {
			c, err := CaptureFlexiBERT(be, *arch.Flexi, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 1, Channels: []string{"A", "S", "G", "params", "dparams"}}, Fidelity: mode})
			if err != nil {
				t.Fatalf("%s %s: %v", arch.ID, mode, err)
			}
			want, _ := bench.FlexiParams(arch.Flexi, mode)
			if c.Inputs["params"].Scalar != float64(want.Total) || c.Inputs["dparams"].Scalar != float64(want.Encoder()) {
				t.Errorf("%s %s: params %g/%g, want %d/%d", arch.ID, mode, c.Inputs["params"].Scalar, c.Inputs["dparams"].Scalar, want.Total, want.Encoder())
			}
			if math.Abs(c.Loss-math.Log(bench.FlexiVocab)) > 0.5 { // one masked token: noisy
				t.Errorf("%s %s: loss at init %g, ln V = %g", arch.ID, mode, c.Loss, math.Log(bench.FlexiVocab))
			}
			for _, g := range c.Inputs["G"].Tensors {
				for _, v := range g.Data {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%s %s: non-finite gradient", arch.ID, mode)
					}
				}
			}
			wantI := want.Hidden * 4
			if mode == bench.ModeRecords {
				wantI = arch.Flexi.Layers[0].FFNDim
			}
			if got := c.Inputs["A"].Tensors[0].Shape; !slices.Equal(got, []int{1, 8, wantI}) {
				t.Errorf("%s %s: A[0] shape %v", arch.ID, mode, got)
			}
		}
	}
	t.Logf("captured records %v", func() []string {
		var ids []string
		for _, a := range picked {
			ids = append(ids, a.ID)
		}
		return ids
	}())
}

// TestFlexiAllRecords (LPZ_FLEXI_ALL=1; minutes) captures all 500 records
// in both modes at a small batch (1×16, all channels) and checks params,
// finite loss and finite gradients.
func TestFlexiAllRecords(t *testing.T) {
	if os.Getenv("LPZ_FLEXI_ALL") == "" {
		t.Skip("set LPZ_FLEXI_ALL=1")
	}
	b := loadFlexiBench(t)
	be := goBackend(t)
	batch := randomMLMBatch(5, 1, 16, bench.FlexiVocab)
	for _, mode := range []bench.FlexiMode{bench.ModeRecords, bench.ModeUpstreamProxy} {
		for _, arch := range b.Archs {
			c, err := CaptureFlexiBERT(be, *arch.Flexi, batch, FlexiOptions{CaptureOptions: CaptureOptions{Seed: 1}, Fidelity: mode})
			if err != nil {
				t.Fatalf("%s %s: %v", arch.ID, mode, err)
			}
			want, _ := bench.FlexiParams(arch.Flexi, mode)
			if c.Inputs["params"].Scalar != float64(want.Total) {
				t.Errorf("%s %s: params %g want %d", arch.ID, mode, c.Inputs["params"].Scalar, want.Total)
			}
			if math.IsNaN(c.Loss) || math.IsInf(c.Loss, 0) {
				t.Errorf("%s %s: loss %g", arch.ID, mode, c.Loss)
			}
			for _, ch := range []string{"G", "J", "S", "A"} {
				for _, x := range c.Inputs[ch].Tensors {
					for _, v := range x.Data {
						if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
							t.Fatalf("%s %s: non-finite value in %s", arch.ID, mode, ch)
						}
					}
				}
			}
		}
		t.Logf("%s: all %d records captured", mode, len(b.Archs))
	}
}
