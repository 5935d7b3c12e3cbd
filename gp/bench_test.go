package gp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"lpz/interp"
	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// A GPT-2-like capture for 50 architectures: 2–6 blocks of width d ∈ {128,
// 192, 256}; per block A and H are [4, 64, d] and W, G hold four matrices
// ([d,d], [d,d], [d,2d], [2d,d]). About 440 MB in all.
var (
	benchOnce sync.Once
	benchProb *Problem
)

func benchProblem() *Problem {
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(11, 12))
		mk := func(scale float32, shape ...int) *tensor.Tensor {
			t := tensor.New(shape...)
			for i := range t.Data {
				t.Data[i] = (r.Float32() - 0.5) * scale
			}
			return t
		}
		p := &Problem{HigherIsBetter: false, Terminals: testTerminals()}
		for i := 0; i < 50; i++ {
			L := 2 + r.IntN(5)
			d := []int{128, 192, 256}[r.IntN(3)]
			s := 0.5 + r.Float32()
			var A, H, W, G []*tensor.Tensor
			for l := 0; l < L; l++ {
				A = append(A, mk(s, 4, 64, d))
				H = append(H, mk(1, 4, 64, d))
				W = append(W, mk(s, d, d), mk(s, d, d), mk(s, d, 2*d), mk(s, 2*d, d))
				G = append(G, mk(1e-3, d, d), mk(1e-3, d, d), mk(1e-3, d, 2*d), mk(1e-3, 2*d, d))
			}
			in := interp.Inputs{
				"A":      interp.TensorList(stdlib.FamilyBlocks, nil, A),
				"H":      interp.TensorList(stdlib.FamilyBlocks, nil, H),
				"W":      interp.TensorList(stdlib.FamilyWeights, nil, W),
				"G":      interp.TensorList(stdlib.FamilyWeights, nil, G),
				"J":      interp.TensorList(stdlib.FamilyInput, nil, []*tensor.Tensor{mk(1, 4, 64, d)}),
				"params": interp.ScalarValue(float64(12 * L * d * d)),
				"layers": interp.ScalarValue(float64(L)),
			}
			p.Archs = append(p.Archs, Arch{ID: fmt.Sprint(i), Inputs: in, Truth: 100 - float64(L*d)/64 + r.NormFloat64()})
		}
		benchProb = p
	})
	return benchProb
}

// inputBytes is the size of the terminals e reads, each counted once.
func inputBytes(p *Problem, e lang.Expr) int64 {
	names := map[string]bool{}
	lang.Walk(e, func(x lang.Expr) bool {
		if r, ok := x.(*lang.Ref); ok {
			names[r.Name] = true
		}
		return true
	})
	var n int64
	for _, a := range p.Archs {
		for name := range names {
			n += a.Inputs[name].Bytes()
		}
	}
	return n
}

// copyFloor copies every tensor e reads into a reused buffer: the
// memory-bandwidth floor of reading those bytes.
func copyFloor(p *Problem, e lang.Expr) time.Duration {
	names := map[string]bool{}
	lang.Walk(e, func(x lang.Expr) bool {
		if r, ok := x.(*lang.Ref); ok {
			names[r.Name] = true
		}
		return true
	})
	buf := make([]float32, 1<<22)
	best := time.Duration(1 << 62)
	for rep := 0; rep < 3; rep++ {
		t0 := time.Now()
		for _, a := range p.Archs {
			for name := range names {
				for _, t := range a.Inputs[name].Tensors {
					copy(buf, t.Data)
				}
			}
		}
		best = min(best, time.Since(t0))
	}
	return best
}

var benchFormulas = []string{
	"sum(fro(W))",
	"sum(sq(inv(A))) + sum(fro(W))",
	"sum(l1(sq(W)) + sq(softmax(G)))",
	"sum(log(abs(exp(A))) * sigmoid(H))",
}

// BenchmarkCandidate is the fitness of one new candidate (no memo hits)
// over the 50 architectures; x_floor is its time over the time to copy the
// bytes it reads.
func BenchmarkCandidate(b *testing.B) {
	p := benchProblem()
	g, _ := NewGenerator(stdlib.Default, p.Terminals, Paper, 2, 4)
	for _, src := range benchFormulas {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", src, workers), func(b *testing.B) {
				e, err := lang.ParseExpr(src)
				if err != nil {
					b.Fatal(err)
				}
				c, err := g.Check(e)
				if err != nil {
					b.Fatal(err)
				}
				floor := copyFloor(p, c.Expr)
				ev := &evaluator{table: stdlib.Default, archs: p.Archs, workers: workers}
				n := len(p.Archs)
				scores := make([]float64, n)
				errs := make([]*archError, n)
				b.SetBytes(inputBytes(p, c.Expr))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					root := ev.build(c, c.Expr)
					ev.scoreRange(context.Background(), root, 0, n, scores, errs)
					if ae := firstError(errs, 0, n); ae != nil {
						b.Fatal(ae.err)
					}
				}
				per := b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(per)/float64(floor), "x_floor")
				b.ReportMetric(float64(floor.Microseconds())/1000, "floor_ms")
			})
		}
	}
}

// BenchmarkCopyFloor is the copy bandwidth of the machine on W.
func BenchmarkCopyFloor(b *testing.B) {
	p := benchProblem()
	e, _ := lang.ParseExpr("sum(fro(W))")
	b.SetBytes(inputBytes(p, e))
	for i := 0; i < b.N; i++ {
		copyFloor(p, e)
	}
}

// BenchmarkSearch is a short paper-shaped search on the 50 synthetic
// architectures: evaluations per second with memo and early rejection.
func BenchmarkSearch(b *testing.B) {
	p := benchProblem()
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"memo+early", Config{Pop: 20, Gens: 60, Seed: 1, Early: true, Workers: 2}},
		{"memo", Config{Pop: 20, Gens: 60, Seed: 1, Workers: 2}},
		{"tensor-memo+early", Config{Pop: 20, Gens: 60, Seed: 1, Early: true, Workers: 2, MemoTensors: true}},
		{"plain", Config{Pop: 20, Gens: 60, Seed: 1, MemoBytes: -1, Workers: 2}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var res *Result
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = Run(context.Background(), p, tc.cfg); err != nil {
					b.Fatal(err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(res.Evaluations)/sec, "evals/s")
			b.ReportMetric(float64(res.Rejections["early"])/float64(res.Evaluations), "early_share")
			if n := res.MemoHits + res.MemoMisses; n > 0 {
				b.ReportMetric(float64(res.MemoHits)/float64(n), "memo_hit")
			}
			b.ReportMetric(float64(res.Rejections["rule"]+res.Rejections["duplicate"]+res.Rejections["type"])/float64(res.Children), "rps_share")
		})
	}
}
