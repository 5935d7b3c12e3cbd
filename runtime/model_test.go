package runtime

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"lpz/bench"
	"lpz/interp"
	"lpz/stdlib"
	"lpz/tensor"
)

var (
	_ Model = (*GPT2)(nil)
	_ Model = (*FlexiBERT)(nil)
	_ Model = (*Llama)(nil)
)

// tinyFlexiConfig is a small FlexiBERT record (real vocabulary and sizes).
func tinyFlexiConfig() bench.FlexiBERTConfig {
	return bench.FlexiBERTConfig{HiddenSize: 128, Layers: []bench.FlexiLayer{fl("SA", "SDP", 2, 128, 1), fl("DSC", "3", 4, 128, 1), fl("LT", "DCT", 2, 128, 2)}}
}

// familyCases is one small architecture per row of the family table.
func familyCases(t testing.TB) map[string]bench.Arch {
	g, f, l := tinyConfig(2, 64), tinyFlexiConfig(), tinyLlama()
	return map[string]bench.Arch{
		bench.FamilyGPT2:      {ID: "g", GPT2: &g},
		bench.FamilyFlexiBERT: {ID: "f", Flexi: &f},
		bench.FamilyLlama:     {ID: "l", Llama: &l},
		bench.FamilyLoNAS:     tinySubnetArch(t),
	}
}

// windows are B token windows of WindowLen(T) ids below V.
func windows(s Spec, B, T, V int) [][]int {
	b := randomBatch(11, B, WindowLen(s.Family, T), V)
	return b.Inputs
}

func TestEveryFamilyImplementsModel(t *testing.T) {
	cases := familyCases(t)
	for _, f := range families {
		a, ok := cases[f.name]
		if !ok {
			t.Fatalf("family %s has no test architecture", f.name)
		}
		s, err := SpecOf(a, "")
		if err != nil {
			t.Fatal(err)
		}
		if Trainable(f.name) != (f.name == bench.FamilyGPT2 || f.name == bench.FamilyLlama) || VersionOf(f.name) != f.version {
			t.Errorf("%s: trainable %v, version %q", f.name, Trainable(f.name), VersionOf(f.name))
		}
		if s.Family != f.name || s.Version != f.version {
			t.Errorf("%s: Spec %+v", f.name, s)
		}
		m, err := s.New(1)
		if err != nil {
			t.Fatal(err)
		}
		if m.Family() != f.name {
			t.Errorf("%s: model says family %s", f.name, m.Family())
		}
		e := m.Entries()
		if len(e.W) != len(m.WeightParams()) || len(e.A) == 0 || len(e.A) != len(e.H) {
			t.Errorf("%s: entries %d A %d H %d W for %d weight matrices", f.name, len(e.A), len(e.H), len(e.W), len(m.WeightParams()))
		}
	}
	if _, err := SpecOf(bench.Arch{ID: "x"}, ""); err == nil || !strings.Contains(err.Error(), "x") {
		t.Errorf("an architecture without a configuration: %v", err)
	}
	if _, err := SpecFromConfig("rnn", nil); err == nil {
		t.Error("unknown family accepted")
	}
}

// Every channel a family accepts comes back, and exactly those; a channel
// another family captures but this one cannot is an error naming both.
func TestFamilyChannelsNeverSilent(t *testing.T) {
	be := goBackend(t)
	cases := familyCases(t)
	var allExtra []string
	for _, f := range families {
		for _, c := range f.extra {
			if !slices.Contains(allExtra, c) {
				allExtra = append(allExtra, c)
			}
		}
	}
	for _, f := range families {
		s, err := SpecOf(cases[f.name], "")
		if err != nil {
			t.Fatal(err)
		}
		w := windows(s, 2, 8, 256)
		for _, req := range [][]string{nil, f.extra, {"J", "params"}} {
			c, err := s.Capture(be, w, CaptureOptions{Seed: 3, Channels: req})
			if err != nil {
				t.Fatalf("%s %v: %v", f.name, req, err)
			}
			want := slices.Clone(req)
			if want == nil {
				want = slices.Clone(standardChannels)
			}
			slices.Sort(want)
			if got := keys(c.Inputs); !slices.Equal(got, want) {
				t.Errorf("%s: asked for %v, got %v", f.name, want, got)
			}
			for name, v := range c.Inputs {
				if v.Type.IsList() && len(v.Tensors) == 0 {
					t.Errorf("%s: channel %s is empty", f.name, name)
				}
			}
		}
		for _, c := range allExtra {
			if slices.Contains(f.extra, c) {
				continue
			}
			_, err := s.Capture(be, w, CaptureOptions{Channels: []string{"A", c}})
			if err == nil || !strings.Contains(err.Error(), c) || !strings.Contains(err.Error(), f.name) {
				t.Errorf("%s asked for %s: %v", f.name, c, err)
			}
		}
		for _, bad := range []string{"Q", "Wmix", "layers"} {
			if _, err := s.Capture(be, w, CaptureOptions{Channels: []string{bad}}); err == nil || !strings.Contains(err.Error(), bad) {
				t.Errorf("%s asked for %s: %v", f.name, bad, err)
			}
		}
	}
}

// The default capture set is every stdlib channel that is not an
// architecture scalar, so a channel added to stdlib is not skipped silently.
func TestStandardChannelsCoverStdlib(t *testing.T) {
	for _, c := range stdlib.Channels {
		if !slices.Contains(standardChannels, c.Name) && !slices.Contains(bench.ScalarNames, c.Name) {
			t.Errorf("stdlib channel %s is neither captured nor an architecture scalar", c.Name)
		}
	}
}

// Spec.Capture on token windows is CaptureGPT2 / CaptureFlexiBERT on the
// batch the family makes of them.
func TestSpecCaptureMatchesFamilyCapture(t *testing.T) {
	be := goBackend(t)
	cases := familyCases(t)
	opts := CaptureOptions{Seed: 5, Channels: []string{"A", "G", "W"}}
	gs, _ := SpecOf(cases[bench.FamilyGPT2], "")
	w := windows(gs, 2, 6, 300)
	c1, err := gs.Capture(be, w, opts)
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	for _, r := range w {
		b.Inputs, b.Labels = append(b.Inputs, r[:6]), append(b.Labels, r[1:])
	}
	c2, err := CaptureGPT2(be, *cases[bench.FamilyGPT2].GPT2, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !equalCaptures(c1, c2) {
		t.Error("gpt2: Spec.Capture differs from CaptureGPT2")
	}
	fs, _ := SpecOf(cases[bench.FamilyFlexiBERT], bench.ModeUpstreamProxy)
	if fs.Fidelity != bench.ModeUpstreamProxy || gs.Fidelity != "" {
		t.Errorf("fidelity %q / %q", fs.Fidelity, gs.Fidelity)
	}
	fw := [][]int{{50000, 1, 2, 30521, 30522, 7}, {3, 4, 5, 6, 50256, 8}}
	c3, err := fs.Capture(be, fw, opts)
	if err != nil {
		t.Fatal(err)
	}
	c4, err := CaptureFlexiBERT(be, *cases[bench.FamilyFlexiBERT].Flexi, MLMBatch{Inputs: fs.Batch(fw).Inputs}, FlexiOptions{CaptureOptions: opts, Fidelity: bench.ModeUpstreamProxy})
	if err != nil {
		t.Fatal(err)
	}
	if !equalCaptures(c3, c4) {
		t.Error("flexibert: Spec.Capture differs from CaptureFlexiBERT")
	}
	wv, err := gs.Weights(5)
	if err != nil || !equalCaptures(&Capture{Inputs: interp.Inputs{"W": wv}}, &Capture{Inputs: interp.Inputs{"W": c1.Inputs["W"]}}) {
		t.Errorf("Weights differs from the captured W (%v)", err)
	}
}

// TestLlamaExtraChannelsFiniteDifferences checks LLaMA's GA, HG and GS
// like the other families' (float64 graph).
func TestLlamaExtraChannelsFiniteDifferences(t *testing.T) {
	be := goBackend(t)
	cfg := bench.LlamaConfig{NLayer: 2, DModel: 8, NHead: []int{2, 1}, HeadDim: 4, DFF: []int{12, 10}, NToken: 40, SeqLen: 8, TieWeight: true, InitStd: 0.3}
	m, err := NewLlama(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := prepareDecoderBatch(randomBatch(6, 2, 5, 40), 40, 8, "seq_len")
	if err != nil {
		t.Fatal(err)
	}
	run := func(want chanSet, in minibatch) *runResult {
		t.Helper()
		r, _, err := execute(be, m, in, want, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		return newRunResult(r)
	}
	res := run(chanSet{G: true, GA: true, HG: true}, pb)
	// GA along itself: d/dε loss(A + ε·GA) at 0 is Σ_l ‖GA_l‖².
	norm2, step := 0.0, 1e-3/maxAbs(res.GA...)
	along := func(e float64) float64 {
		m.actDelta = make([][]float32, len(res.GA))
		for l, ga := range res.GA {
			for _, v := range ga.Data {
				m.actDelta[l] = append(m.actDelta[l], float32(e*float64(v)))
			}
		}
		defer func() { m.actDelta = nil }()
		return run(chanSet{}, pb).loss
	}
	for _, ga := range res.GA {
		for _, v := range ga.Data {
			norm2 += float64(v) * float64(v)
		}
	}
	if fd := (along(step) - along(-step)) / (2 * step); math.Abs(fd-norm2) > 1e-4*norm2 || norm2 == 0 {
		t.Errorf("GA: d/dε loss(A + ε·GA) = %.10g by finite differences, Σ‖GA‖² = %.10g", fd, norm2)
	}
	ws := m.WeightParams()
	checkHG(t, "llama", ws, res.G, res.HG, func() []*tensor.Tensor { return run(chanSet{G: true}, pb).G })

	// GS along W itself: d/dε R(|θ| with W scaled by 1+ε) at 0 is Σ ⟨GS, |W|⟩
	// (scaling keeps every entry on its side of 0, where |·| is smooth).
	sb := pb.synflow()
	gs := run(chanSet{synflow: true}, sb).G
	want := 0.0
	for k, p := range ws {
		for i, v := range p.Data {
			want += float64(gs[k].Data[i]) * math.Abs(float64(v))
		}
	}
	orig := make([][]float32, len(ws))
	scaled := func(f float64) float64 {
		for k, p := range ws {
			for i, v := range orig[k] {
				p.Data[i] = float32(float64(v) * f)
			}
		}
		return run(chanSet{synflow: true}, sb).loss
	}
	for k, p := range ws {
		orig[k] = slices.Clone(p.Data)
	}
	const eps = 1e-4
	fd := (scaled(1+eps) - scaled(1-eps)) / (2 * eps)
	scaled(1)
	if math.Abs(fd-want) > 1e-4*math.Abs(want) || want == 0 {
		t.Errorf("GS: d/dε R((1+ε)|W|) = %.10g by finite differences, Σ⟨GS, |W|⟩ = %.10g", fd, want)
	}
}

// Spec.Train from a configuration map is the family's training function.
func TestSpecTrain(t *testing.T) {
	be := goBackend(t)
	train, valid := trainText()
	tc := TrainConfig{Steps: 2, Batch: 2, EvalBatches: 1, Seed: 3}
	cfg := tinyByteGPT2()
	raw, _ := json.Marshal(cfg)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	s, err := SpecFromConfig(bench.FamilyGPT2, m)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := s.Train(be, train, valid, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := TrainGPT2(be, cfg, train, valid, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r1.TrainLoss, r2.TrainLoss) || r1.ValidLoss != r2.ValidLoss {
		t.Errorf("Spec.Train %v %v, TrainGPT2 %v %v", r1.TrainLoss, r1.ValidLoss, r2.TrainLoss, r2.ValidLoss)
	}
	fs, _ := SpecOf(familyCases(t)[bench.FamilyFlexiBERT], "")
	if _, err := fs.Train(be, train, valid, tc, nil); err == nil || !strings.Contains(err.Error(), "flexibert") {
		t.Errorf("training FlexiBERT: %v", err)
	}
}
