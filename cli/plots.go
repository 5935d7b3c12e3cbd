package cli

import (
	"lpz/gp"
	"lpz/rank"
)

// plotHistory draws ρ per generation: best and median of one run (labels
// name the two), or the best of each of several runs (one label per run).
func plotHistory(path string, labels []string, runs [][]gp.GenStats, title string) error {
	var series []rank.Series
	curve := func(label string, h []gp.GenStats, y func(gp.GenStats) float64) rank.Series {
		s := rank.Series{Label: label, X: make([]float64, len(h)), Y: make([]float64, len(h))}
		for i, g := range h {
			s.X[i], s.Y[i] = float64(g.Gen), y(g)
		}
		return s
	}
	best := func(g gp.GenStats) float64 { return g.Best }
	for k, h := range runs {
		if len(runs) == 1 {
			series = append(series, curve(labels[0], h, best), curve(labels[1], h, func(g gp.GenStats) float64 { return g.Median }))
		} else {
			series = append(series, curve(labels[k], h, best))
		}
	}
	return rank.LinePlot(path, title, "generation", "Spearman ρ (sample)", series)
}
