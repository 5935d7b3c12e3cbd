package rank

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// Undefined statistics are null on the wire and come back undefined: a
// search's results must not be lost to one undefined cell.
func TestQualityJSONUndefinedCells(t *testing.T) {
	q := Quality{N: 5, Rho: 0.5, Tau: Undefined(), Within: Stat(math.Inf(1))}
	data, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"tau":null`, `"within_stratum_rho":null`, `"rho":0.5`, `"strata_used":0`} {
		if !strings.Contains(string(data), want) {
			t.Fatalf("%s lacks %s", data, want)
		}
	}
	var back Quality
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.N != 5 || back.Rho != 0.5 || back.Tau.Defined() || back.Within.Defined() {
		t.Fatalf("round trip: %+v", back)
	}
	if err := json.Unmarshal([]byte(`{"rho":"x"}`), &back); err == nil {
		t.Error("a string ρ was accepted")
	}
}

func TestStatText(t *testing.T) {
	for _, tc := range []struct {
		s      Stat
		digits int
		want   string
	}{{0.12345, 4, "0.1235"}, {-1, 3, "-1.000"}, {Undefined(), 4, "undefined"}, {Stat(math.Inf(-1)), 3, "undefined"}} {
		if got := tc.s.Text(tc.digits); got != tc.want {
			t.Errorf("%v.Text(%d) = %q, want %q", float64(tc.s), tc.digits, got, tc.want)
		}
	}
}

func TestAssess(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name          string
		scores, truth []float64
		strata        []string
		n, invalid    int
		rho, within   float64 // NaN: undefined
		used          int
		undefinedNote string
	}{
		{"perfect, two strata", []float64{1, 2, 3, 4, 5, 6}, []float64{1, 2, 3, 4, 5, 6}, []string{"a", "a", "a", "b", "b", "b"}, 6, 0, 1, 1, 2, ""},
		{"NaN and Inf left out", []float64{1, nan, 2, math.Inf(1), 3}, []float64{1, 9, 2, 9, 3}, []string{"a", "a", "a", "a", "a"}, 3, 2, 1, 1, 1, ""},
		{"too few", []float64{1, 2}, []float64{1, 2}, []string{"a", "a"}, 2, 0, nan, nan, 0, "fewer than 3 architectures"},
		{"constant", []float64{7, 7, 7}, []float64{1, 2, 3}, []string{"a", "a", "a"}, 3, 0, nan, nan, 0, "constant scores or ground truth"},
	}
	for _, tc := range tests {
		q, per, why, err := assess(tc.scores, tc.truth, tc.strata, true)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		same := func(s Stat, want float64) bool {
			return s.Defined() == !math.IsNaN(want) && (!s.Defined() || float64(s) == want)
		}
		if q.N != tc.n || q.Invalid != tc.invalid || !same(q.Rho, tc.rho) || !same(q.Tau, tc.rho) || !same(q.Within, tc.within) || q.StrataUsed != tc.used || why != tc.undefinedNote {
			t.Errorf("%s: %+v %q", tc.name, q, why)
		}
		if len(per) == 0 && tc.n > 0 {
			t.Errorf("%s: no per-stratum results", tc.name)
		}
	}
	if _, _, err := Assess([]float64{1, 2, 3}, []float64{1, 2}, []string{"a", "a", "a"}, true); err == nil {
		t.Error("length mismatch accepted")
	}
}
