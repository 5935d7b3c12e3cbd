package study

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/interp"
	"lpz/rank"
)

const (
	sharedBench     = "../../shared/bench" // CI has ../shared beside the clone
	sharedReference = sharedBench + "/reference"
)

// near3 compares a statistic with want to 3 decimals.
func near3(v rank.Stat, want float64) bool { return v.Defined() && math.Abs(float64(v)-want) < 5e-4 }

// Every reference mapping names a readable file/column holding every
// architecture of its benchmark, and a proxy that some table row computes.
func TestSharedReferenceMapping(t *testing.T) {
	rows := map[string][]*TableRow{}
	for _, name := range []string{"gpt2-wt103", "flexibert"} {
		rs, err := TableRows(name, true, "")
		if err != nil {
			t.Fatal(err)
		}
		rows[name] = rs
	}
	benches := map[string]*bench.Benchmark{}
	for _, ref := range bench.References {
		b, ok := benches[ref.Bench]
		if !ok {
			var err error
			if b, err = bench.Load(ref.Bench, sharedBench); err != nil {
				t.Fatal(err)
			}
			benches[ref.Bench] = b
		}
		found := false
		for _, r := range rows[ref.Bench] {
			found = found || (r.Proxy == ref.Proxy && r.Blocked == "")
		}
		if !found {
			t.Errorf("%s %s: no table row computes proxy %s", ref.Bench, ref.File, ref.Proxy)
		}
		// Our values = theirs: the comparison must be ρ 1.
		theirs := map[string]float64{}
		res, err := CompareReference(b, theirs, b.Archs, sharedReference, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref.File, err)
		}
		if !res.RefRho.Defined() {
			t.Errorf("%s %s: reference ρ undefined", ref.File, ref.Column)
		}
		var scores map[string]float64
		path := filepath.Join(sharedReference, ref.File)
		if ref.Column != "" {
			scores, err = bench.ReadScoresColumn(path, ref.Column)
		} else {
			scores, err = bench.ReadScores(path)
		}
		if err != nil || len(scores) != len(b.Archs) {
			t.Fatalf("%s: %d scores, %v", ref.File, len(scores), err)
		}
		for id, v := range scores {
			if ref.Negate {
				v = -v
			}
			theirs[id] = v
		}
		res, _ = CompareReference(b, theirs, b.Archs, sharedReference, ref)
		if res.N != len(b.Archs) || !near3(res.Rho, 1) {
			t.Errorf("%s: self-comparison %+v", ref.File, res)
		}
	}
	// The published GPT-2 values are the LPZero code's files ranked: SNIP,
	// GradNorm and (with the stored sign flipped) LPZero.
	b := benches["gpt2-wt103"]
	for proxy, want := range map[string]float64{"snip": 0.970, "grad_norm": 0.957, "gpt2_paper": 0.980} {
		for _, ref := range bench.ReferencesFor("gpt2-wt103") {
			if ref.Proxy == proxy {
				res, err := CompareReference(b, nil, b.Archs, sharedReference, ref)
				if err != nil || !near3(res.RefRho, want) {
					t.Errorf("%s: reference ρ %v, want %.3f (%v)", proxy, res.RefRho.Text(3), want, err)
				}
			}
		}
	}
}

func TestTableRowsCompile(t *testing.T) {
	for _, name := range bench.Names {
		rows, err := TableRows(name, true, "")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.Blocked != "" || r.prog == nil {
				t.Errorf("%s: row %s (%s) blocked: %s", name, r.Baseline, r.Proxy, r.Blocked)
			}
			if seen[r.Proxy] {
				t.Errorf("%s: proxy %s twice", name, r.Proxy)
			}
			seen[r.Proxy] = true
		}
		if len(rows) < len(bench.PaperRows)+2 {
			t.Errorf("%s: %d rows", name, len(rows))
		}
	}
}

// With a capture that lacks the extra channels, those rows are blocked
// with the channel named; the W/G subsets are derived from entry names.
func TestSharedTableBlockedChannels(t *testing.T) {
	tiny, err := interp.LoadInputsDir("../corpus/inputs/tiny")
	if err != nil {
		t.Fatal(err)
	}
	captured := interp.Inputs{}
	for _, name := range []string{"A", "H", "S", "J"} {
		captured[name] = tiny[name]
	}
	names := []string{"block0.attn.c_attn", "block0.attn.c_proj", "block0.mlp.c_fc", "block0.mlp.c_proj",
		"block1.attn.c_attn", "block1.attn.c_proj", "block1.mlp.c_fc", "block1.mlp.c_proj"}
	for _, name := range []string{"W", "G"} {
		captured[name] = interp.TensorList("weights", names, tiny[name].Tensors)
	}
	b, err := bench.Load("gpt2-wt103", sharedBench)
	if err != nil {
		t.Fatal(err)
	}
	archs := b.Archs[:3]
	bs := &Session{Bench: b, Channels: func(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error) {
		out := interp.Inputs{}
		for k, v := range captured {
			out[k] = v
		}
		return out, nil
	}}
	rows, err := TableRows("gpt2-wt103", false, "snip,synflow,fisher,grasp,head_importance,synaptic_saliency")
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.ScoreTable(context.Background(), rows, archs, 1, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"synflow": "channel GS (not captured", "fisher": "channel GA (not captured", "grasp": "channel HG (not captured"}
	for _, r := range rows {
		if w, ok := want[r.Proxy]; ok {
			if !strings.Contains(r.Blocked, w) {
				t.Errorf("%s: blocked %q, want %q", r.Proxy, r.Blocked, w)
			}
			continue
		}
		if r.Blocked != "" || len(r.scores) != 3 {
			t.Errorf("%s: blocked %q, %d scores", r.Proxy, r.Blocked, len(r.scores))
		}
	}
	// The derived subsets give the corpus goldens (inputs/tiny's Wmix… are
	// the same entries).
	for proxy, golden := range map[string]float64{"head_importance": 0.0068459016, "synaptic_saliency": 0.0064666816, "snip": 0.013312583} {
		for _, r := range rows {
			if got := r.scores[archs[0].ID]; r.Proxy == proxy && math.Abs(got-golden) > 1e-9 {
				t.Errorf("%s = %.10g, want %.10g", proxy, got, golden)
			}
		}
	}
}
