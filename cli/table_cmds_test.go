package cli

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/interp"
	"lpz/study"
)

const sharedReference = sharedBench + "/reference"

func tableJSON(t *testing.T, args ...string) tableReport {
	t.Helper()
	out, errs, code := lpz(t, "", append([]string{"table", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("lpz table %v: code %d\n%s", args, code, errs)
	}
	var r tableReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

func rowOf(t *testing.T, r tableReport, proxy string) *tableRow {
	t.Helper()
	for _, row := range r.Rows {
		if row.Proxy == proxy {
			return row
		}
	}
	t.Fatalf("no row %s", proxy)
	return nil
}

func near3(v *float64, want float64) bool { return v != nil && math.Abs(*v-want) < 5e-4 }

// The architecture-scalar baselines reproduce the published GPT-2 numbers
// (Table 3) exactly, without any capture.
func TestSharedTableScalars(t *testing.T) {
	r := tableJSON(t, "--bench", "gpt2-wt103", "--data", sharedBench, "--only", "no_params,decoder_params", "--against", sharedReference)
	if r.N != 200 || len(r.Rows) != 2 || r.Source == "" {
		t.Fatalf("n %d, rows %d, source %q", r.N, len(r.Rows), r.Source)
	}
	np, dp := rowOf(t, r, "no_params"), rowOf(t, r, "decoder_params")
	if np.Baseline != "No.Params" || !near3(np.Rho, 0.737) || !near3(np.Paper.Rho, 0.737) || np.Paper.Tau != nil || np.DTau != nil {
		t.Errorf("No.Params row: %+v", np)
	}
	if !near3(dp.Rho, 0.967) || !near3(dp.Tau, 0.847) || !near3(dp.Paper.Tau, 0.847) || dp.DRho == nil || math.Abs(*dp.DRho) > 5e-4 {
		t.Errorf("Decoder.Params row: %+v", dp)
	}
	if dp.Within == nil || np.N != 200 || np.Seconds <= 0 {
		t.Errorf("within %v, n %d, seconds %v", dp.Within, np.N, np.Seconds)
	}
	// The LPZero code's num_parameters file holds the same counts.
	if a := np.Against; a == nil || a.N != 200 || !near3(a.Rho, 1) || !near3(a.RefRho, 0.737) {
		t.Errorf("against: %+v", np.Against)
	}
}

func TestSharedTableMarkdownAndText(t *testing.T) {
	out, errs, code := lpz(t, "", "table", "--bench", "gpt2-wt103", "--data", sharedBench, "--only", "decoder_params", "--md", "--archs", "50")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	for _, want := range []string{"gpt2-wt103: 50 of 200 architectures (sample seed 42)", "| baseline | lpz proxy | ρ | τ |", "| Decoder.Params | `decoder_params` |", "| 0.967 | 0.847 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	out, _, code = lpz(t, "", "table", "--bench", "flexibert", "--data", sharedBench, "--only", "no_params")
	if code != 0 || !strings.Contains(out, "No.Params") || !strings.Contains(out, "0.590") || !strings.Contains(out, "no_params = params") {
		t.Errorf("text (code %d):\n%s", code, out)
	}
	if _, errs, code := lpz(t, "", "table", "--bench", "gpt2-wt103", "--data", sharedBench, "--only", "nope"); code != 2 || !strings.Contains(errs, "no row for proxy nope") {
		t.Errorf("--only nope: code %d, %s", code, errs)
	}
}

// On FlexiBERT the upstream-proxy models (hidden 256 everywhere) count the
// reference CSV's parameters exactly, and the published No.Params cells are
// reproduced: τ-b 0.454 and, since the paper's FlexiBERT "ρ" is Pearson r,
// r 0.590 (Spearman ρ is 0.652).
func TestSharedTableAgainstFlexiBERT(t *testing.T) {
	r := tableJSON(t, "--bench", "flexibert", "--data", sharedBench, "--only", "no_params", "--model-fidelity", "upstream-proxy", "--against", sharedReference)
	np := rowOf(t, r, "no_params")
	if a := np.Against; a == nil || a.N != 500 || !near3(a.Rho, 1) || !near3(a.RefTau, 0.454) || !near3(a.RefR, 0.590) {
		t.Fatalf("against: %+v", np.Against)
	}
	if r.Metric != "pearson" || !near3(np.Tau, 0.454) || !near3(np.Pearson, 0.590) || !near3(np.Rho, 0.652) || !near3(np.DRho, 0) || !near3(np.DTau, 0) {
		t.Fatalf("metric %s, row %+v", r.Metric, np)
	}
}

// Every reference mapping names a readable file/column holding every
// architecture of its benchmark, and a proxy that some table row computes.
func TestSharedReferenceMapping(t *testing.T) {
	rows := map[string][]*tableRow{}
	for _, name := range []string{"gpt2-wt103", "flexibert"} {
		rs, err := tableRows(name, true, "")
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
		res, err := compareReference(b, theirs, b.Archs, sharedReference, ref)
		if err != nil {
			t.Fatalf("%s: %v", ref.File, err)
		}
		if res.RefRho == nil {
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
		res, _ = compareReference(b, theirs, b.Archs, sharedReference, ref)
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
				res, err := compareReference(b, nil, b.Archs, sharedReference, ref)
				if err != nil || !near3(res.RefRho, want) {
					t.Errorf("%s: reference ρ %v, want %.3f (%v)", proxy, fmtNum(res.RefRho), want, err)
				}
			}
		}
	}
}

func TestTableRowsCompile(t *testing.T) {
	for _, name := range bench.Names {
		rows, err := tableRows(name, true, "")
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
	bs := wrapSession(&study.Session{Bench: b, Channels: func(ctx context.Context, a bench.Arch, channels []string) (interp.Inputs, error) {
		out := interp.Inputs{}
		for k, v := range captured {
			out[k] = v
		}
		return out, nil
	}})
	rows, err := tableRows("gpt2-wt103", false, "snip,synflow,fisher,grasp,head_importance,synaptic_saliency")
	if err != nil {
		t.Fatal(err)
	}
	if err := scoreTable(context.Background(), bs, rows, archs, 1, nil); err != nil {
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
