package rank

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ScatterPlot writes a scatter plot of proxy scores (x) against ground truth
// (y) to path; the format follows the extension (.png, .svg, .pdf, ...).
func ScatterPlot(path string, scores, truth []float64, title string) error {
	return ScatterPlotLabeled(path, scores, truth, title, "proxy score", "ground truth")
}

// ScatterPlotLabeled is ScatterPlot with axis labels.
func ScatterPlotLabeled(path string, scores, truth []float64, title, xlabel, ylabel string) error {
	if len(scores) != len(truth) {
		return fmt.Errorf("rank: plot: %d scores, %d truths", len(scores), len(truth))
	}
	if len(scores) == 0 {
		return fmt.Errorf("rank: plot: no points")
	}
	pts := make(plotter.XYs, 0, len(scores))
	for i := range scores {
		if math.IsNaN(scores[i]) || math.IsInf(scores[i], 0) || math.IsNaN(truth[i]) || math.IsInf(truth[i], 0) {
			return fmt.Errorf("rank: plot: point %d (%v, %v) is not finite", i, scores[i], truth[i])
		}
		pts = append(pts, plotter.XY{X: scores[i], Y: truth[i]})
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("rank: plot: %w", err)
	}
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	s.GlyphStyle.Radius = vg.Points(2)
	p.Add(s)
	if err := p.Save(6*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("rank: plot: %w", err)
	}
	return nil
}
