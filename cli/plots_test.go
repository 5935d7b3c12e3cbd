package cli

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"lpz/gp"
)

// A run's history plot is written for any history the search can leave:
// one generation, flat curves, NaN medians, several runs.
func TestPlotHistoryEdgeData(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name   string
		labels []string
		runs   [][]gp.GenStats
	}{
		{"one generation", []string{"best", "median"}, [][]gp.GenStats{{{Gen: 0, Best: 0.5, Median: 0.1}}}},
		{"flat", []string{"best", "median"}, [][]gp.GenStats{{{Gen: 0, Best: 0.6, Median: 0.6}, {Gen: 1, Best: 0.6, Median: 0.6}}}},
		{"NaN", []string{"best", "median"}, [][]gp.GenStats{{{Gen: 0, Best: nan, Median: nan}, {Gen: 1, Best: 0.2, Median: nan}}}},
		{"empty", []string{"best", "median"}, [][]gp.GenStats{nil}},
		{"ablation", []string{"gp", "random", "none"}, [][]gp.GenStats{{{Gen: 0, Best: 0.3}}, {{Gen: 0, Best: 0.3}, {Gen: 5, Best: 0.4}}, nil}},
	}
	for _, c := range cases {
		p := filepath.Join(t.TempDir(), "h.png")
		if err := plotHistory(p, c.labels, c.runs, c.name); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if b, err := os.ReadFile(p); err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
			t.Errorf("%s: not a PNG (%v)", c.name, err)
		}
	}
}
