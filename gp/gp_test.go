package gp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"lpz/interp"
	"lpz/lang"
	"lpz/rank"
	"lpz/stdlib"
	"lpz/tensor"
)

func testTerminals() []stdlib.Channel {
	var out []stdlib.Channel
	for _, n := range []string{"A", "H", "W", "G", "J", "params", "layers"} {
		c, _ := stdlib.LookupChannel(n)
		out = append(out, c)
	}
	return out
}

// synthetic builds n architectures whose truth is a known function of their
// inputs: log Σ W² + log Σ |A| (up to small noise), with H, G, J unrelated
// noise of per-architecture scale.
func synthetic(n int, seed uint64) *Problem {
	r := rand.New(rand.NewPCG(seed, 7))
	mk := func(scale float64, shape ...int) *tensor.Tensor {
		t := tensor.New(shape...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64() * scale)
		}
		return t
	}
	p := &Problem{HigherIsBetter: true, Terminals: testTerminals()}
	for i := 0; i < n; i++ {
		layers := 2 + r.IntN(3)
		ws, as, hs, gs := 0.5+r.Float64()*1.5, 0.5+r.Float64(), 0.5+r.Float64(), 0.5+r.Float64()
		var A, H, W, G []*tensor.Tensor
		for l := 0; l < layers; l++ {
			A = append(A, mk(as, 2, 4, 8))
			H = append(H, mk(hs, 2, 4, 4))
			W = append(W, mk(ws, 4, 8), mk(ws, 8, 4))
			G = append(G, mk(gs, 4, 8), mk(gs, 8, 4))
		}
		in := interp.Inputs{
			"A":      interp.TensorList(stdlib.FamilyBlocks, nil, A),
			"H":      interp.TensorList(stdlib.FamilyBlocks, nil, H),
			"W":      interp.TensorList(stdlib.FamilyWeights, nil, W),
			"G":      interp.TensorList(stdlib.FamilyWeights, nil, G),
			"J":      interp.TensorList(stdlib.FamilyInput, nil, []*tensor.Tensor{mk(1, 2, 4, 4)}),
			"params": interp.ScalarValue(float64(1000 * layers)),
			"layers": interp.ScalarValue(float64(layers)),
		}
		var sq, sa float64
		for _, w := range W {
			for _, v := range w.Data {
				sq += float64(v) * float64(v)
			}
		}
		for _, a := range A {
			for _, v := range a.Data {
				sa += math.Abs(float64(v))
			}
		}
		// The truth needs both families: Σ W² (weights) and Σ |A| (blocks).
		p.Archs = append(p.Archs, Arch{ID: string(rune('a' + i%26)), Inputs: in, Truth: math.Log(sq) + math.Log(sa) + 0.01*r.NormFloat64(), Stratum: "s"})
	}
	return p
}

func TestGenerateWellTyped(t *testing.T) {
	for _, shape := range []Shape{Paper, Free} {
		g, err := NewGenerator(stdlib.Default, testTerminals(), shape, 2, 4)
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		aggregated := 0
		for i := 0; i < 1000; i++ {
			e := g.Random(r)
			c, err := g.Check(e)
			if err != nil {
				t.Fatalf("shape %d: %s: %v", shape, lang.Print(e), err)
			}
			if c.Type() != lang.ScalarType {
				t.Fatalf("%s has type %s", lang.Print(e), c.Type())
			}
			roundTrip(t, e)
			if call, ok := e.(*lang.Call); ok && call.Op != "sum" {
				aggregated++ // g(sum(..), sum(..)) of two families
			}
		}
		if shape == Paper && aggregated == 0 {
			t.Errorf("never combined two families through aggregation")
		}
	}
}

func roundTrip(t *testing.T, e lang.Expr) {
	t.Helper()
	text := lang.Print(e)
	back, err := lang.ParseExpr(text)
	if err != nil {
		t.Fatalf("%s does not parse: %v", text, err)
	}
	if !lang.Equal(back, e) || lang.Print(back) != text {
		t.Fatalf("%s does not round-trip (%s)", text, lang.Print(back))
	}
}

func TestCrossoverMutationRoundTrip(t *testing.T) {
	g, _ := NewGenerator(stdlib.Default, testTerminals(), Paper, 2, 4)
	r := rand.New(rand.NewPCG(3, 4))
	changed := 0
	for i := 0; i < 500; i++ {
		a, b := g.Random(r), g.Random(r)
		ta, tb := lang.Print(a), lang.Print(b)
		child, ok := g.Crossover(r, a, b)
		if ok {
			if _, err := g.Check(child); err != nil {
				t.Fatalf("crossover of %s and %s: %s: %v", ta, tb, lang.Print(child), err)
			}
			roundTrip(t, child)
		}
		m := g.Mutate(r, a)
		c, err := g.Check(m)
		if err != nil || c.Type() != lang.ScalarType {
			t.Fatalf("mutation of %s: %s: %v", ta, lang.Print(m), err)
		}
		roundTrip(t, m)
		if lang.Print(m) != ta {
			changed++
		}
		if lang.Print(a) != ta || lang.Print(b) != tb {
			t.Fatalf("parents modified")
		}
	}
	if changed < 450 {
		t.Errorf("only %d of 500 mutations changed the tree", changed)
	}
}

func small(cfg Config) Config {
	if cfg.Pop == 0 {
		cfg.Pop = 20
	}
	if cfg.Gens == 0 {
		cfg.Gens = 60
	}
	cfg.Cx, cfg.Mut = 0.5, 0.5
	return cfg
}

func resultSig(r *Result) []any {
	var pop []string
	var rho []float64
	for _, p := range r.Population {
		pop = append(pop, p.Text)
		rho = append(rho, p.Rho)
	}
	return []any{pop, rho, r.History, r.Generations}
}

func TestSyntheticFindsFormula(t *testing.T) {
	p := synthetic(30, 1)
	res, err := Run(context.Background(), p, small(Config{Pop: 30, Gens: 300, Seed: 42}))
	if err != nil {
		t.Fatal(err)
	}
	b := res.Best()
	t.Logf("best %s ρ %.4f after %d evaluations; rejections %v; memo %d/%d", b.Text, b.Rho, res.Evaluations, res.Rejections, res.MemoHits, res.MemoHits+res.MemoMisses)
	if b.Rho < 0.95 {
		t.Fatalf("best ρ %.4f < 0.95", b.Rho)
	}
	// The reported ρ is that of the formula: recompute it independently.
	scores := make([]float64, len(p.Archs))
	truth := make([]float64, len(p.Archs))
	for i, a := range p.Archs {
		prog, err := interp.CompileSource(b.Text, interp.InputTypes(a.Inputs), stdlib.Default)
		if err != nil {
			t.Fatal(err)
		}
		v, err := interp.Host{}.Eval(context.Background(), prog, a.Inputs)
		if err != nil {
			t.Fatal(err)
		}
		scores[i], truth[i] = v.Scalar, a.Truth
	}
	rho, _, _ := rank.Correlate(scores, truth, true)
	if math.Abs(rho-b.Rho) > 1e-12 {
		t.Fatalf("reported ρ %v, recomputed %v", b.Rho, rho)
	}
	// The generating formula itself (two families, aggregated) is near 1.
	known, _ := lang.ParseExpr("sum(sq(W)) * sum(abs(A))")
	if a, _, err := AssessProblem(context.Background(), p, known); err != nil || a.Rho < 0.99 {
		t.Fatalf("known formula: ρ %v %v", a.Rho, err)
	}
	if len(res.HallOfFame) == 0 || !res.HallOfFame[0].Pareto {
		t.Fatalf("hall of fame %v", res.HallOfFame)
	}
}

func TestDeterminismAcrossSettings(t *testing.T) {
	p := synthetic(24, 2)
	base, err := Run(context.Background(), p, small(Config{Seed: 7, Gens: 150, Early: false}))
	if err != nil {
		t.Fatal(err)
	}
	want := resultSig(base)
	cases := map[string]Config{
		"workers2":   small(Config{Seed: 7, Gens: 150, Workers: 2}),
		"early":      small(Config{Seed: 7, Gens: 150, Early: true}),
		"nomemo":     small(Config{Seed: 7, Gens: 150, MemoBytes: -1}),
		"tinymemo":   small(Config{Seed: 7, Gens: 150, MemoBytes: 64 << 10, Workers: 2, Early: true}),
		"tensormemo": small(Config{Seed: 7, Gens: 150, MemoTensors: true, Early: true}),
	}
	for name, cfg := range cases {
		res, err := Run(context.Background(), p, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := resultSig(res); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: result differs from workers 1, no early rejection: best %v vs %v", name, res.Best(), base.Best())
		}
		t.Logf("%s: evaluations %d, early rejections %d, memo hits %d misses %d", name, res.Evaluations, res.Rejections["early"], res.MemoHits, res.MemoMisses)
		if cfg.Early && res.Rejections["early"] == 0 {
			t.Errorf("%s: early rejection never triggered, so the equality above proves nothing", name)
		}
	}
}

func TestCostOrderCheapestFirstStable(t *testing.T) {
	p := synthetic(24, 2)
	q := costOrder(p)
	if len(q.Archs) != len(p.Archs) || &q.Archs[0] == &p.Archs[0] {
		t.Fatal("costOrder must return a reordered copy")
	}
	seen := map[string]bool{}
	prev, prevIdx := int64(-1), -1
	pos := map[string]int{}
	for i, a := range p.Archs {
		pos[a.ID] = i
	}
	for _, a := range q.Archs {
		c := (&Problem{Archs: []Arch{a}}).Bytes()
		if c < prev || (c == prev && pos[a.ID] < prevIdx) {
			t.Fatalf("%s (cost %d, position %d) after cost %d position %d", a.ID, c, pos[a.ID], prev, prevIdx)
		}
		prev, prevIdx = c, pos[a.ID]
		seen[a.ID] = true
	}
	if len(seen) != len(p.Archs) {
		t.Fatalf("lost architectures: %d of %d", len(seen), len(p.Archs))
	}
}

func TestCheckpointResume(t *testing.T) {
	p := synthetic(20, 3)
	path := filepath.Join(t.TempDir(), "cp.json")
	full, err := Run(context.Background(), p, small(Config{Seed: 9}))
	if err != nil {
		t.Fatal(err)
	}
	part, err := Run(context.Background(), p, small(Config{Seed: 9, Checkpoint: path, CheckpointEvery: 10, StopAfter: 25}))
	if err != nil {
		t.Fatal(err)
	}
	if part.Stopped != "interrupted" {
		t.Fatalf("stopped: %s", part.Stopped)
	}
	cp, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Gen != 20 {
		t.Fatalf("checkpoint at generation %d, want 20", cp.Gen)
	}
	resumed, err := Run(context.Background(), p, small(Config{Seed: 9, Resume: cp}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resultSig(resumed), resultSig(full)) {
		t.Fatalf("resumed result differs:\n%v\n%v", resultSig(resumed), resultSig(full))
	}
	if resumed.Evaluations != full.Evaluations || !reflect.DeepEqual(resumed.Rejections, full.Rejections) {
		t.Fatalf("counters differ: %d %v vs %d %v", resumed.Evaluations, resumed.Rejections, full.Evaluations, full.Rejections)
	}
	if _, err := Run(context.Background(), p, small(Config{Seed: 10, Resume: cp})); err == nil {
		t.Fatal("resuming with another seed should fail")
	}
	os.Remove(path)
}

// A checkpoint resumes only the search it was written by: another sample,
// other terminals, another origin or other settings are refused, naming
// both sides.
func TestResumeRefusesAnotherSearch(t *testing.T) {
	p := synthetic(20, 3)
	path := filepath.Join(t.TempDir(), "cp.json")
	if _, err := Run(context.Background(), p, small(Config{Seed: 9, Checkpoint: path, CheckpointEvery: 10, StopAfter: 10})); err != nil {
		t.Fatal(err)
	}
	cp, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	other := synthetic(21, 3)
	fewer := *p
	fewer.Terminals = p.Terminals[:1]
	elsewhere := *p
	elsewhere.Origin = "capture batch 8 × 64"
	cases := []struct {
		name string
		prob *Problem
		cfg  Config
		want string
	}{
		{"sample", other, Config{Seed: 9}, "21 architectures"},
		{"terminals", &fewer, Config{Seed: 9}, "terminals " + p.Terminals[0].Name + ","},
		{"origin", &elsewhere, Config{Seed: 9}, "of capture batch 8 × 64"},
		{"crossover", p, Config{Seed: 9, Cx: 0.9}, "cx 0.9"},
		{"shape", p, Config{Seed: 9, Unary: 3}, "3 unary ops"},
		{"rps", p, Config{Seed: 9, NoRPS: true}, "rules none"},
	}
	for _, c := range cases {
		cfg := small(c.cfg)
		if c.cfg.Cx != 0 {
			cfg.Cx = c.cfg.Cx
		}
		cfg.Resume = cp
		_, err := Run(context.Background(), c.prob, cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: resuming gave %v, want an error naming %q", c.name, err, c.want)
		}
	}
	cfg := small(Config{Seed: 9})
	cfg.Resume = cp
	if _, err := Run(context.Background(), p, cfg); err != nil {
		t.Fatalf("resuming the same search: %v", err)
	}
}

// countdownCtx is cancelled after its Err method has been asked n times:
// a search polls it before every generation, every child and every slice
// of architectures, so sweeping n interrupts it at every kind of point,
// including in the middle of a generation.
type countdownCtx struct {
	context.Context
	n    int
	done chan struct{}
}

func newCountdown(n int) *countdownCtx {
	return &countdownCtx{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

func (c *countdownCtx) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	if c.n--; c.n == 0 {
		close(c.done)
		return context.Canceled
	}
	return nil
}

// An interrupted search (cancelled context) writes a checkpoint of its last
// completed generation, even when it is stopped in the middle of one, and
// resuming it gives the uninterrupted result.
func TestInterruptWritesResumableCheckpoint(t *testing.T) {
	p := synthetic(20, 3)
	full, err := Run(context.Background(), p, small(Config{Seed: 9}))
	if err != nil {
		t.Fatal(err)
	}
	stops := map[int]bool{}
	for n := 50; n < 5000; n += 37 {
		path := filepath.Join(t.TempDir(), "cp.json")
		part, err := Run(newCountdown(n), p, small(Config{Seed: 9, Checkpoint: path, CheckpointEvery: 1000}))
		if err != nil {
			t.Fatalf("countdown %d: %v", n, err)
		}
		if part.Stopped == "gens" {
			break
		}
		if len(part.Population) < 20 {
			continue // still filling the initial population (next test)
		}
		if part.Stopped != "interrupted" || !part.Checkpointed {
			t.Fatalf("countdown %d: stopped %s, checkpointed %v", n, part.Stopped, part.Checkpointed)
		}
		stops[part.Generations] = true
		cp, err := LoadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Gen != part.Generations || cp.Evaluations != part.Evaluations {
			t.Fatalf("countdown %d: checkpoint at generation %d with %d evaluations, result %d with %d", n, cp.Gen, cp.Evaluations, part.Generations, part.Evaluations)
		}
		resumed, err := Run(context.Background(), p, small(Config{Seed: 9, Resume: cp}))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(resultSig(resumed), resultSig(full)) {
			t.Fatalf("countdown %d (generation %d): resumed result differs:\n%v\n%v", n, part.Generations, resultSig(resumed), resultSig(full))
		}
		if resumed.Evaluations != full.Evaluations || resumed.Children != full.Children || !reflect.DeepEqual(resumed.Rejections, full.Rejections) {
			t.Fatalf("countdown %d: counters differ: %d %d %v vs %d %d %v", n, resumed.Evaluations, resumed.Children, resumed.Rejections, full.Evaluations, full.Children, full.Rejections)
		}
	}
	if len(stops) < 5 {
		t.Fatalf("the sweep stopped the search at only %d distinct generations: %v", len(stops), stops)
	}
}

// Interrupted while the initial population is filled: the formulas
// evaluated so far are the result, and no checkpoint is written; stopped
// before any formula was evaluated, the search fails.
func TestInterruptDuringInitialPopulation(t *testing.T) {
	p := synthetic(20, 3)
	path := filepath.Join(t.TempDir(), "cp.json")
	cfg := small(Config{Seed: 9, Checkpoint: path})
	res, err := Run(newCountdown(30), p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "interrupted" || res.Generations != 0 || len(res.Population) == 0 || len(res.Population) >= cfg.Pop || res.Checkpointed {
		t.Fatalf("stopped %s at %d with a population of %d, checkpointed %v", res.Stopped, res.Generations, len(res.Population), res.Checkpointed)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("checkpoint written for an unfinished initial population")
	}
	if _, err := Run(newCountdown(1), p, cfg); err == nil {
		t.Fatal("a search cancelled before its first evaluation must fail")
	}
}

func TestRandomStrategyAndNoRPS(t *testing.T) {
	p := synthetic(20, 4)
	for _, cfg := range []Config{{Strategy: StrategyRandom, Seed: 1}, {NoRPS: true, Seed: 1}, {Shape: Free, Depth: 4, Seed: 1}} {
		res, err := Run(context.Background(), p, small(cfg))
		if err != nil {
			t.Fatal(err)
		}
		if res.Generations != 60 || len(res.Population) != 20 {
			t.Fatalf("%+v: %d generations, population %d", cfg, res.Generations, len(res.Population))
		}
	}
}

func TestPatience(t *testing.T) {
	p := synthetic(20, 5)
	res, err := Run(context.Background(), p, small(Config{Seed: 1, Gens: 400, Patience: 5}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "patience" || res.Generations >= 400 {
		t.Fatalf("stopped %s after %d", res.Stopped, res.Generations)
	}
}

func TestTimeLimit(t *testing.T) {
	p := synthetic(20, 5)
	res, err := Run(context.Background(), p, small(Config{Seed: 1, Gens: 400, TimeLimit: time.Nanosecond}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != "time-limit" || res.Generations != 0 || len(res.Population) != 20 {
		t.Fatalf("stopped %s after %d generations", res.Stopped, res.Generations)
	}
}

func TestSpearmanUpperBound(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 2000; trial++ {
		n := 5 + r.IntN(40)
		m := 2 + r.IntN(n-2)
		truth := make([]float64, n)
		scores := make([]float64, n)
		corr := r.Float64()*2 - 1
		ties := r.IntN(3) == 0
		for i := range truth {
			truth[i] = r.NormFloat64()
			scores[i] = corr*truth[i] + r.NormFloat64()*0.5
			if ties && i >= m && r.IntN(2) == 0 {
				scores[i] = scores[r.IntN(m)] // ties with evaluated scores
			}
		}
		higher := r.IntN(2) == 0
		ub, ok := spearmanUpperBound(scores[:m], truth, m, higher)
		if !ok {
			t.Fatalf("no bound without ties")
		}
		rho, _, _ := rank.Correlate(scores, truth, higher)
		if rho > ub+1e-12 {
			t.Fatalf("ρ %v above its bound %v (n %d m %d)", rho, ub, n, m)
		}
	}
}

func TestRejectionReasons(t *testing.T) {
	p := synthetic(10, 6)
	g, _ := NewGenerator(stdlib.Default, p.Terminals, Paper, 2, 4)
	rules, _ := stdlib.Rules()
	cfg := DefaultConfig()
	s := &search{cfg: cfg, prob: p, gen: g, rules: rules, seen: map[uint64]bool{}, hof: map[int]Individual{}, maxDepth: 8,
		res: &Result{Rejections: map[string]int{}}, ev: &evaluator{table: stdlib.Default, archs: p.Archs, workers: 1}}
	for _, a := range p.Archs {
		s.truth = append(s.truth, a.Truth)
	}
	cases := map[string]string{
		"sum(log(-abs(W)))":        "rule",
		"sum(fro(W) - fro(W))":     "rule",
		"sum(A + W)":               "type",
		"sum(exp(exp(exp(W))))":    "nonfinite",
		"sum(softmax(fro(A)))":     "constant",
		"layers * 0 + 1":           "constant",
		"sum(fro(id(W)))":          "",
		"sum(fro(W))":              "duplicate",
		"sum(sq(sqrt(sq(sq(W)))))": "",
	}
	for _, src := range []string{"sum(log(-abs(W)))", "sum(fro(W) - fro(W))", "sum(A + W)", "sum(exp(exp(exp(W))))", "sum(softmax(fro(A)))", "layers * 0 + 1", "sum(fro(id(W)))", "sum(fro(W))", "sum(sq(sqrt(sq(sq(W)))))"} {
		e, err := lang.ParseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		_, reason := s.consider(context.Background(), e, 1, math.Inf(-1))
		if reason != cases[src] {
			t.Errorf("%s: reason %q, want %q", src, reason, cases[src])
		}
	}
}

// The search's evaluator (memo, fused reductions) gives the interpreter's
// values on random well-typed trees.
func TestEvaluatorMatchesInterpreter(t *testing.T) {
	p := synthetic(6, 8)
	for k, shape := range []Shape{Paper, Free, Paper} {
		g, _ := NewGenerator(stdlib.Default, p.Terminals, shape, 3, 5)
		ev := &evaluator{table: stdlib.Default, archs: p.Archs, workers: 2, memo: newMemo(1 << 20)}
		ev.memo.tensors = k < 2
		r := rand.New(rand.NewPCG(8, 9))
		fusedCount := 0
		for trial := 0; trial < 300; trial++ {
			e := g.Random(r)
			c, err := g.Check(e)
			if err != nil {
				t.Fatal(err)
			}
			root := ev.build(c, c.Expr)
			n := len(p.Archs)
			scores := make([]float64, n)
			errs := make([]*archError, n)
			before := ev.nodeEvals.Load()
			ev.scoreRange(context.Background(), root, 0, n, scores, errs)
			if ev.nodeEvals.Load()-before < int64(n*(lang.Size(c.Expr)-2)) {
				fusedCount++
			}
			prog, err := interp.Compile(c, stdlib.Default)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range p.Archs {
				v, err := interp.Host{}.Eval(context.Background(), prog, a.Inputs)
				want, ok := v.Scalar, err == nil
				got, gok := scores[i], errs[i] == nil
				if ok != gok {
					t.Fatalf("%s on %d: interpreter ok %v (%v), evaluator ok %v (%v)", lang.Print(e), i, ok, err, gok, errs[i])
				}
				if ok && got != want && math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s on %d: %v, interpreter %v", lang.Print(e), i, got, want)
				}
			}
		}
		if fusedCount == 0 {
			t.Errorf("no fused evaluation happened")
		}
	}
}

func TestWithinStratumFitness(t *testing.T) {
	p := synthetic(30, 4)
	for i := range p.Archs {
		p.Archs[i].Stratum = fmt.Sprintf("L%v", p.Archs[i].Inputs["layers"].Scalar)
	}
	cfg := small(Config{Seed: 3, Fitness: FitnessWithin, Early: true})
	res, err := Run(context.Background(), p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, ind := range res.Population {
		if i > 0 && ind.Fitness > res.Population[i-1].Fitness {
			t.Fatalf("population not ordered by fitness at %d", i)
		}
		a, _, err := AssessProblem(context.Background(), p, ind.Expr)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(a.Within)-ind.Fitness) > 1e-12 || math.Abs(float64(a.Rho)-ind.Rho) > 1e-12 {
			t.Fatalf("%s: fitness %v rho %v, assessed within %v rho %v", ind.Text, ind.Fitness, ind.Rho, a.Within, a.Rho)
		}
	}
	if res.Rejections["early"] != 0 {
		t.Fatalf("the ρ bound says nothing about within-stratum ρ, yet %d early rejections", res.Rejections["early"])
	}
	w2 := cfg
	w2.Workers = 2
	res2, err := Run(context.Background(), p, w2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resultSig(res), resultSig(res2)) {
		t.Fatal("workers 2 differs from workers 1")
	}
	// A checkpoint of a ρ search does not resume a within-stratum one.
	path := filepath.Join(t.TempDir(), "cp.json")
	if _, err := Run(context.Background(), p, small(Config{Seed: 3, Checkpoint: path, CheckpointEvery: 10, StopAfter: 15})); err != nil {
		t.Fatal(err)
	}
	cp, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resume = cp
	if _, err := Run(context.Background(), p, cfg); err == nil || !strings.Contains(err.Error(), "fitness") {
		t.Fatalf("resume across fitness kinds: %v", err)
	}
}

// A list input with no entries (FlexiBERT models without attention have
// an empty A) must go through the interpreter's rules, not panic in the
// fused path.
func TestEmptyListInput(t *testing.T) {
	p := synthetic(12, 6)
	p.Archs[0].Inputs["A"] = interp.TensorList(stdlib.FamilyBlocks, nil, nil)
	for _, src := range []string{"sum(sq(A) + A)", "sum(fro(A))", "sum(sigmoid(minmax(A)))", "sum(abs(A)) * sum(fro(W))"} {
		e, err := lang.ParseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := AssessProblem(context.Background(), p, e); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		ev := &evaluator{table: stdlib.Default, archs: p.Archs, workers: 1}
		g, err := NewGenerator(stdlib.Default, p.Terminals, Paper, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := g.Check(e)
		if err != nil {
			t.Fatal(err)
		}
		root := ev.build(c, c.Expr)
		scores := make([]float64, len(p.Archs))
		errs := make([]*archError, len(p.Archs))
		ev.scoreRange(context.Background(), root, 0, len(p.Archs), scores, errs)
	}
	res, err := Run(context.Background(), p, small(Config{Seed: 2, Gens: 40}))
	if err != nil || len(res.Population) == 0 {
		t.Fatalf("search with an empty list input: %v", err)
	}
}

// The guarded rules (Σ over + and − of equal shapes) keep every value up to
// float rounding, and never apply where a broadcast makes them wrong: on
// random well-typed trees, the rewritten tree checks and evaluates to the
// original's value on every architecture.
func TestGuardedRulesKeepValues(t *testing.T) {
	all, err := stdlib.Rules()
	if err != nil {
		t.Fatal(err)
	}
	guarded := &lang.RuleSet{}
	for _, r := range all.Rewrites {
		if r.Guard != nil {
			guarded.Rewrites = append(guarded.Rewrites, r)
		}
	}
	if len(guarded.Rewrites) == 0 {
		t.Fatal("the rules file has no guarded rule")
	}
	p := synthetic(4, 11)
	eval := func(g *Generator, e lang.Expr, a Arch) (float64, error) {
		c, err := g.Check(e)
		if err != nil {
			return 0, err
		}
		prog, err := interp.Compile(c, stdlib.Default)
		if err != nil {
			return 0, err
		}
		v, err := interp.Host{}.Eval(context.Background(), prog, a.Inputs)
		return v.Scalar, err
	}
	rewritten := 0
	for _, shape := range []Shape{Paper, Free} {
		g, _ := NewGenerator(stdlib.Default, p.Terminals, shape, 2, 5)
		r := rand.New(rand.NewPCG(12, 13))
		for trial := 0; trial < 3000; trial++ {
			e := g.Random(r)
			out, steps, err := guarded.Rewrite(e)
			if err != nil {
				t.Fatal(err)
			}
			if len(steps) == 0 {
				continue
			}
			rewritten++
			for _, a := range p.Archs {
				want, werr := eval(g, e, a)
				got, gerr := eval(g, out, a)
				if (werr == nil) != (gerr == nil) {
					t.Fatalf("%s -> %s on %s: errors %v / %v", lang.Print(e), lang.Print(out), a.ID, werr, gerr)
				}
				if werr == nil && math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Fatalf("%s -> %s on %s: %v, was %v", lang.Print(e), lang.Print(out), a.ID, got, want)
				}
			}
		}
	}
	if rewritten < 20 {
		t.Errorf("only %d of the random trees were rewritten: the test says little", rewritten)
	}
}

// Immigrants: a share of offspring are fresh random trees; the run stays
// deterministic across workers and across a checkpoint, and the count is
// reported.
func TestImmigrants(t *testing.T) {
	p := synthetic(20, 6)
	plain, err := Run(context.Background(), p, small(Config{Seed: 3, Gens: 100}))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Immigrants != 0 {
		t.Fatalf("no immigrants asked, %d counted", plain.Immigrants)
	}
	cfg := small(Config{Seed: 3, Gens: 100, Immigrants: 0.3})
	imm, err := Run(context.Background(), p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("immigrants %d of %d generations; best %s ρ %.4f (plain %s ρ %.4f)", imm.Immigrants, imm.Generations, imm.Best().Text, imm.Best().Rho, plain.Best().Text, plain.Best().Rho)
	if imm.Immigrants < 15 || imm.Immigrants > 45 {
		t.Errorf("%d immigrants in 100 generations at share 0.3", imm.Immigrants)
	}
	if reflect.DeepEqual(resultSig(imm), resultSig(plain)) {
		t.Error("immigrants changed nothing")
	}
	w2 := cfg
	w2.Workers = 2
	if two, err := Run(context.Background(), p, w2); err != nil || !reflect.DeepEqual(resultSig(two), resultSig(imm)) || two.Immigrants != imm.Immigrants {
		t.Errorf("workers 2 differ from workers 1 (err %v)", err)
	}
	path := filepath.Join(t.TempDir(), "cp.json")
	part := cfg
	part.Checkpoint, part.CheckpointEvery, part.StopAfter = path, 20, 50
	if _, err := Run(context.Background(), p, part); err != nil {
		t.Fatal(err)
	}
	cp, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	resume := cfg
	resume.Resume = cp
	res, err := Run(context.Background(), p, resume)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resultSig(res), resultSig(imm)) || res.Immigrants != imm.Immigrants {
		t.Errorf("resumed run differs: %d immigrants vs %d", res.Immigrants, imm.Immigrants)
	}
	other := resume
	other.Immigrants = 0.1
	if _, err := Run(context.Background(), p, other); err == nil || !strings.Contains(err.Error(), "immigrant share 0.3, not 0.1") {
		t.Errorf("resuming with another immigrant share: %v", err)
	}
}
