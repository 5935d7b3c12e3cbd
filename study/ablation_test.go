package study

import (
	"math"
	"reflect"
	"testing"

	"lpz/gp"
)

func TestAblationSpecs(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []string
	}{
		{"pop", []string{"pop 80", "pop 100", "pop 200"}},
		{"unary", []string{"unary 2", "unary 3", "unary 4", "unary 5"}},
		{"strategy", []string{"strategy gp", "strategy random"}},
		{"rps", []string{"rps", "no-rps"}},
		{"immigrants", []string{"immigrants 0", "immigrants 0.1", "immigrants 0.25"}},
		{"ratio=0.1, 0.5", []string{"ratio 0.1", "ratio 0.5"}},
		{"pop=120", []string{"pop 120"}},
	} {
		settings, err := AblationSettings(tc.spec, gp.DefaultConfig())
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		var names []string
		for _, s := range settings {
			names = append(names, s.Name)
		}
		if !reflect.DeepEqual(names, tc.want) {
			t.Errorf("%s: %v, want %v", tc.spec, names, tc.want)
		}
	}
	s, _ := AblationSettings("immigrants=0.25", gp.DefaultConfig())
	r, _ := AblationSettings("ratio=0.5", gp.DefaultConfig())
	n, _ := AblationSettings("rps=no-rps", gp.DefaultConfig())
	if s[0].Config.Immigrants != 0.25 || r[0].Config.Ratio != 0.5 || !n[0].Config.NoRPS || s[0].Config.Pop != 80 {
		t.Errorf("values not applied: %+v %+v %+v", s[0].Config, r[0].Config, n[0].Config)
	}
	for _, bad := range []string{"", "crossover", "pop=", "pop=1", "unary=x", "strategy=anneal", "rps=maybe", "immigrants=1", "ratio=2"} {
		if _, err := AblationSettings(bad, gp.DefaultConfig()); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCountWins(t *testing.T) {
	// Three settings, three seeds: seed 0 a clear win for 1, seed 1 a tie
	// of 0 and 2, seed 2 a win for 0.
	cells := [][]float64{{0.90, 0.95, 0.97}, {0.93, 0.94, 0.96}, {0.91, 0.95, 0.92}}
	got := countWins(cells, 3, func(x float64) float64 { return x })
	want := []string{"1/3 +1 tied", "1/3", "0/3 +1 tied"}
	for i, w := range want {
		if s := got[i].String(3); s != w {
			t.Errorf("setting %d: %s, want %s", i, s, w)
		}
	}
}

func TestMeanHistory(t *testing.T) {
	// Two seeds; the second stopped after generation 1 (patience), so its
	// best so far carries into generation 2.
	runs := [][]gp.GenStats{
		{{Gen: 0, Best: 0.5, Median: 0.1, Evals: 10}, {Gen: 1, Best: 0.6, Median: 0.2, Evals: 12}, {Gen: 2, Best: 0.8, Median: 0.3, Evals: 14}},
		{{Gen: 0, Best: 0.7, Median: 0.3, Evals: 20}, {Gen: 1, Best: 0.9, Median: 0.4, Evals: 22}},
	}
	want := []gp.GenStats{
		{Gen: 0, Best: 0.6, Median: 0.2, Evals: 15},
		{Gen: 1, Best: 0.75, Median: 0.3, Evals: 17},
		{Gen: 2, Best: 0.85, Median: 0.35, Evals: 18},
	}
	got := MeanHistory(runs)
	if len(got) != len(want) {
		t.Fatalf("%d generations, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Gen != w.Gen || g.Evals != w.Evals || math.Abs(g.Best-w.Best) > 1e-12 || math.Abs(g.Median-w.Median) > 1e-12 {
			t.Errorf("generation %d: %+v, want %+v", i, g, w)
		}
	}
	if got := MeanHistory(nil); len(got) != 0 {
		t.Errorf("no runs: %v", got)
	}
}
