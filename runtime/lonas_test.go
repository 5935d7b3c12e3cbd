package runtime

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/bench"
	"lpz/checkpoint"
)

// tinySupernet is a uniform 2-layer super-network of 4 heads and d_ff 32
// with elastic choices {4, 2} heads and {32, 24, 16} channels, trained
// briefly so that its weights are not an initialisation.
func tinySupernet(t testing.TB, untied bool) *Supernet {
	t.Helper()
	cfg := bench.LlamaConfig{NLayer: 2, DModel: 16, NHead: []int{4, 4}, HeadDim: 4, DFF: []int{32, 32},
		NToken: 256, SeqLen: 16, TieWeight: !untied, RopeTheta: 10000, NormEps: 1e-5, InitStd: 0.02}
	m, err := NewLlama(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	train, valid := trainText()
	if _, err := m.Train(goBackend(t), train, valid, TrainConfig{Steps: 6, Batch: 4, LR: 1e-2, EvalBatches: 1, Seed: 1}, nil); err != nil {
		t.Fatal(err)
	}
	spec := &bench.Supernet{Base: cfg, HeadFracs: []float64{1, 0.5}, WidthFracs: []float64{1, 0.75, 0.5}}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	s := &Supernet{Spec: spec, Base: m}
	if err := s.NewAdapters(2, 4, 9); err != nil {
		t.Fatal(err)
	}
	for _, lr := range s.lora { // non-zero B, so that merging matters
		for i := range lr.b.Data {
			lr.b.Data[i] = float32(math.Sin(float64(i+lr.layer))) * 0.05
		}
	}
	return s
}

var tinySubnetOnce struct {
	sync.Once
	arch bench.Arch
	err  error
}

// tinySubnetArch is a sub-network of tinySupernet saved once per test
// binary to a temporary directory, as a benchmark's loader would give it.
func tinySubnetArch(t testing.TB) bench.Arch {
	t.Helper()
	o := &tinySubnetOnce
	o.Do(func() {
		s := tinySupernet(t, false)
		dir, err := os.MkdirTemp("", "lpz-lonas-test")
		if err != nil {
			o.err = err
			return
		}
		spec := *s.Spec
		spec.Checkpoint, spec.Adapter = filepath.Join(dir, "supernet"), filepath.Join(dir, "adapter")
		if o.err = SaveLlama(spec.Checkpoint, s.Base); o.err != nil {
			return
		}
		if o.err = s.SaveAdapters(spec.Adapter, "../supernet"); o.err != nil {
			return
		}
		files, _ := SupernetFiles(spec.Checkpoint, spec.Adapter)
		spec.Digest, o.err = checkpoint.DirDigest(files...)
		c, _ := spec.Config(bench.Choices{Heads: []int{1, 0}, Widths: []int{2, 1}})
		o.arch = bench.Arch{ID: "h10-w21", Lonas: c}
	})
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.arch
}

// maskedLoss runs the elastic (masked) graph of s on one batch for c.
func maskedLoss(t *testing.T, s *Supernet, c *bench.LonasConfig, ws [][]int) float64 {
	t.Helper()
	g := NewGraph(goBackend(t), "masked")
	defer g.Finalize()
	B, T := len(ws), len(ws[0])-1
	f, _, _ := s.elasticGraph(&graphBuilder{g: g, dt: dtypes.Float32}, B, T)
	g.Compile(f.loss)
	ts := &trainSession{B: B, T: T}
	for _, lr := range s.lora {
		ts.params = append(ts.params, &trainTensor{data: lr.a.Data, dims: lr.a.Shape}, &trainTensor{data: lr.b.Data, dims: lr.b.Shape})
	}
	in := append(ts.inputs(ws), s.masks(c)...)
	for _, p := range s.Base.Params {
		in = append(in, tensors.FromFlatDataAndDimensions(p.Data, p.Shape...))
	}
	out := g.Run(in...)
	defer out[0].FinalizeAll()
	return float64(tensors.MustCopyFlatData[float32](out[0])[0])
}

// The masked whole-model graph (how adapters are trained) and the cut-out
// sub-network with merged adapters (how sub-networks are measured and
// captured) are the same function.
func TestSubnetEqualsMaskedSupernet(t *testing.T) {
	s := tinySupernet(t, false)
	train, _ := trainText()
	ws := [][]int{train[0:17], train[40:57], train[90:107]}
	for _, ch := range []bench.Choices{{Heads: []int{0, 0}, Widths: []int{0, 0}}, {Heads: []int{1, 0}, Widths: []int{2, 1}}, {Heads: []int{1, 1}, Widths: []int{1, 2}}} {
		c, err := s.Spec.Config(ch)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := s.Subnet(c)
		if err != nil {
			t.Fatal(err)
		}
		tot, _ := sub.NumParams()
		lc, _ := c.Llama()
		if want, _ := bench.LlamaParams(&lc); int64(tot) != want {
			t.Errorf("%s: %d params, bench counts %d", ch.ID(), tot, want)
		}
		nll, err := sub.TokenNLL(goBackend(t), ws, 2)
		if err != nil {
			t.Fatal(err)
		}
		sum, n := 0.0, 0
		for _, w := range nll {
			for _, x := range w {
				sum, n = sum+x, n+1
			}
		}
		if got, want := sum/float64(n), maskedLoss(t, s, c, ws); math.Abs(got-want) > 1e-4 {
			t.Errorf("%s: sub-network loss %.6f, masked super-network %.6f", ch.ID(), got, want)
		}
	}
}

// Padding a window to a longer batch does not change its NLLs (causal).
func TestTokenNLLPaddingInvariant(t *testing.T) {
	s := tinySupernet(t, false)
	train, _ := trainText()
	short, long := train[3:9], train[20:37]
	a, err := s.Base.TokenNLL(goBackend(t), [][]int{short}, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Base.TokenNLL(goBackend(t), [][]int{long, short}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(b[1]) != len(short)-1 {
		t.Fatalf("got %d NLLs for a window of %d", len(b[1]), len(short))
	}
	for i := range a[0] {
		if math.Abs(a[0][i]-b[1][i]) > 1e-5 {
			t.Fatalf("position %d: alone %.6f, padded %.6f", i, a[0][i], b[1][i])
		}
	}
	if _, err := s.Base.TokenNLL(goBackend(t), [][]int{{1}}, 1); err == nil {
		t.Error("a one-id window was accepted")
	}
	if _, err := s.Base.TokenNLL(goBackend(t), [][]int{{1, 999}}, 1); err == nil || !strings.Contains(err.Error(), "vocabulary") {
		t.Errorf("out-of-vocabulary id: %v", err)
	}
}

// Saving the super-network and its adapters in Hugging Face / PEFT form
// and loading them back gives the same logits, tied or not.
func TestSupernetHFRoundTripLogitsParity(t *testing.T) {
	for _, untied := range []bool{false, true} {
		s := tinySupernet(t, untied)
		dir := t.TempDir()
		ck, ad := filepath.Join(dir, "supernet"), filepath.Join(dir, "adapter")
		if err := SaveLlama(ck, s.Base); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveAdapters(ad, "../supernet"); err != nil {
			t.Fatal(err)
		}
		files, err := SupernetFiles(ck, ad)
		if err != nil {
			t.Fatal(err)
		}
		spec := *s.Spec
		spec.Checkpoint, spec.Adapter = ck, ad
		if spec.Digest, err = checkpoint.DirDigest(files...); err != nil {
			t.Fatal(err)
		}
		back, err := LoadSupernet(&spec)
		if err != nil {
			t.Fatal(err)
		}
		train, _ := trainText()
		ws := [][]int{train[0:17], train[50:67]}
		c, _ := s.Spec.Config(bench.Choices{Heads: []int{1, 0}, Widths: []int{2, 0}})
		want, _ := s.Subnet(c)
		got, err := back.Subnet(c)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := want.TokenNLL(goBackend(t), ws, 2)
		b, err := got.TokenNLL(goBackend(t), ws, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			for j := range a[i] {
				if a[i][j] != b[i][j] {
					t.Fatalf("untied %v: window %d position %d: NLL %v before saving, %v after loading", untied, i, j, a[i][j], b[i][j])
				}
			}
		}
		// a changed file is not the super-network a benchmark recorded
		os.WriteFile(filepath.Join(ad, "adapter_config.json"), []byte(`{"peft_type":"LORA","r":2,"lora_alpha":8,"target_modules":["q_proj"]}`), 0o644)
		spec.Digest = "0000"
		if _, err := LoadSupernet(&spec); err == nil || !strings.Contains(err.Error(), "not the one the benchmark was built from") {
			t.Errorf("changed adapter: %v", err)
		}
	}
}

// Adapter training lowers the loss with the base frozen, and is
// deterministic for a seed.
func TestTrainAdaptersFrozenBaseDeterministic(t *testing.T) {
	run := func() (*Supernet, *TrainResult) {
		s := tinySupernet(t, false)
		if err := s.NewAdapters(2, 4, 9); err != nil {
			t.Fatal(err)
		}
		train, valid := trainText()
		res, err := s.TrainAdapters(goBackend(t), train, valid, TrainConfig{Steps: 8, Batch: 4, LR: 2e-2, EvalBatches: 1, Seed: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s, res
	}
	s1, r1 := run()
	s2, r2 := run()
	before := tinySupernet(t, false).Base
	for i, p := range s1.Base.Params {
		for j := range p.Data {
			if p.Data[j] != before.Params[i].Data[j] {
				t.Fatalf("base tensor %s changed in adapter training", p.Name)
			}
		}
	}
	if r1.ValidLoss != r2.ValidLoss || s1.lora[0].b.Data[0] != s2.lora[0].b.Data[0] {
		t.Errorf("not deterministic: %v vs %v", r1.ValidLoss, r2.ValidLoss)
	}
	moved := false
	for _, x := range s1.lora[0].b.Data {
		moved = moved || x != 0
	}
	if !moved {
		t.Error("adapter B stayed zero")
	}
}

// TestMain removes the directory tinySubnetArch wrote.
func TestMain(m *testing.M) {
	code := m.Run()
	if a := tinySubnetOnce.arch; a.Lonas != nil {
		os.RemoveAll(filepath.Dir(a.Lonas.Super.Checkpoint))
	}
	os.Exit(code)
}

// Sub-networks are cut from several goroutines at once (parallel
// captures); every cut sees the same merged weights.
func TestSubnetConcurrent(t *testing.T) {
	s := tinySupernet(t, false)
	c, _ := s.Spec.Config(bench.Choices{Heads: []int{1, 0}, Widths: []int{2, 1}})
	subs := make([]*Llama, 4)
	var wg sync.WaitGroup
	for i := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			subs[i], _ = s.Subnet(c)
		}()
	}
	wg.Wait()
	for i, m := range subs {
		if m == nil || m.Params[3].Data[5] != subs[0].Params[3].Data[5] {
			t.Fatalf("cut %d differs", i)
		}
	}
}
