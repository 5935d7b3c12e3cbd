package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"lpz/rank"
	"lpz/study"
)

const sharedReference = sharedBench + "/reference"

func tableJSON(t *testing.T, args ...string) study.TableReport {
	t.Helper()
	out, errs, code := lpz(t, "", append([]string{"table", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("lpz table %v: code %d\n%s", args, code, errs)
	}
	var r study.TableReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

func rowOf(t *testing.T, r study.TableReport, proxy string) *study.TableRow {
	t.Helper()
	for _, row := range r.Rows {
		if row.Proxy == proxy {
			return row
		}
	}
	t.Fatalf("no row %s", proxy)
	return nil
}

// near3 compares one of our statistics (rank.Stat) or a published value
// (*float64, nil when not transcribed) with want to 3 decimals.
func near3(v any, want float64) bool {
	switch x := v.(type) {
	case rank.Stat:
		return x.Defined() && math.Abs(float64(x)-want) < 5e-4
	case *float64:
		return x != nil && math.Abs(*x-want) < 5e-4
	}
	return false
}

// The architecture-scalar baselines reproduce the published GPT-2 numbers
// (Table 3) exactly, without any capture.
func TestSharedTableScalars(t *testing.T) {
	r := tableJSON(t, "--bench", "gpt2-wt103", "--data", sharedBench, "--only", "no_params,decoder_params", "--against", sharedReference)
	if r.N != 200 || len(r.Rows) != 2 || r.Source == "" {
		t.Fatalf("n %d, rows %d, source %q", r.N, len(r.Rows), r.Source)
	}
	np, dp := rowOf(t, r, "no_params"), rowOf(t, r, "decoder_params")
	if np.Baseline != "No.Params" || !near3(np.Rho, 0.737) || !near3(np.Paper.Rho, 0.737) || np.Paper.Tau != nil || np.DTau.Defined() {
		t.Errorf("No.Params row: %+v", np)
	}
	if !near3(dp.Rho, 0.967) || !near3(dp.Tau, 0.847) || !near3(dp.Paper.Tau, 0.847) || !near3(dp.DRho, 0) {
		t.Errorf("Decoder.Params row: %+v", dp)
	}
	if !dp.Within.Defined() || np.N != 200 || np.Seconds <= 0 {
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
