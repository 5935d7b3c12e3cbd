package rank

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// padFrac is the share of the data's span left empty on each side of an
// axis, so that no point or curve touches the frame, the title or a label.
const padFrac = 0.06

// ScatterPlot writes a scatter plot of proxy scores (x) against ground truth
// (y) to path; the format follows the extension (.png, .svg, .pdf, ...).
func ScatterPlot(path string, scores, truth []float64, title string) error {
	return ScatterPlotLabeled(path, scores, truth, title, "proxy score", "ground truth")
}

// ScatterPlotLabeled is ScatterPlot with axis labels. Pairs with a
// non-finite value cannot be placed; they are left out and the title says
// how many, so a proxy that fails on some architectures still gets its plot.
func ScatterPlotLabeled(path string, scores, truth []float64, title, xlabel, ylabel string) error {
	if len(scores) != len(truth) {
		return fmt.Errorf("rank: plot: %d scores, %d truths", len(scores), len(truth))
	}
	pts := make(plotter.XYs, 0, len(scores))
	for i := range scores {
		if finite(scores[i]) && finite(truth[i]) {
			pts = append(pts, plotter.XY{X: scores[i], Y: truth[i]})
		}
	}
	if left := len(scores) - len(pts); left > 0 {
		title += fmt.Sprintf(" [%d of %d not finite, not drawn]", left, len(scores))
	}
	p := newPlot(title, xlabel, ylabel)
	if len(pts) > 0 {
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("rank: plot: %w", err)
		}
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		s.GlyphStyle.Radius = vg.Points(2)
		p.Add(s)
	}
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, pt := range pts {
		xs[i], ys[i] = pt.X, pt.Y
	}
	setRange(&p.X, xs)
	setRange(&p.Y, ys)
	return save(path, 6*vg.Inch, 4.5*vg.Inch, p.Draw)
}

// Series is one named curve of a LinePlot. Points with a non-finite
// coordinate are skipped.
type Series struct {
	Label string
	X, Y  []float64
}

// LinePlot draws curves (colours and dashes by position) with their legend
// in a strip below the axes, where it cannot cover a curve, and the y range
// padded so that no curve runs along the frame or into the title.
func LinePlot(path, title, xlabel, ylabel string, series []Series) error {
	p := newPlot(title, xlabel, ylabel)
	leg := make([]legendEntry, 0, len(series))
	var xs, ys []float64
	for i, s := range series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("rank: plot: series %q has %d x and %d y values", s.Label, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, 0, len(s.X))
		for j := range s.X {
			if finite(s.X[j]) && finite(s.Y[j]) {
				pts = append(pts, plotter.XY{X: s.X[j], Y: s.Y[j]})
				xs, ys = append(xs, s.X[j]), append(ys, s.Y[j])
			}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("rank: plot: %w", err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i)
		p.Add(l)
		leg = append(leg, legendEntry{s.Label, l})
	}
	setRange(&p.X, xs)
	setRange(&p.Y, ys)
	return save(path, 8*vg.Inch, 5*vg.Inch, func(c draw.Canvas) {
		strip := drawLegendRows(c, leg)
		p.Draw(draw.Crop(c, 0, 0, strip, 0))
	})
}

type legendEntry struct {
	label string
	thumb plot.Thumbnailer
}

// drawLegendRows lays the entries out left to right along the bottom of c,
// wrapping into rows, and returns the height it used.
func drawLegendRows(c draw.Canvas, entries []legendEntry) vg.Length {
	if len(entries) == 0 {
		return 0
	}
	l := plot.NewLegend()
	gap, rowH := vg.Points(18), l.TextStyle.Rectangle("Mg").Max.Y+vg.Points(4)
	margin := vg.Points(8)
	width := func(e legendEntry) vg.Length {
		return l.ThumbnailWidth + l.TextStyle.Rectangle(" "+e.label).Max.X + gap
	}
	var rows [][]legendEntry
	var used vg.Length
	for _, e := range entries {
		if len(rows) == 0 || used+width(e) > c.Size().X-2*margin {
			rows, used = append(rows, nil), 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], e)
		used += width(e)
	}
	height := vg.Length(len(rows))*rowH + margin
	for r, row := range rows {
		x := c.Min.X + margin
		top := c.Min.Y + height - vg.Length(r)*rowH
		for _, e := range row {
			one := plot.NewLegend()
			one.Left, one.Top = true, true
			one.Add(e.label, e.thumb)
			cell := c
			cell.Min = vg.Point{X: x, Y: top - rowH}
			cell.Max = vg.Point{X: x + width(e), Y: top}
			one.Draw(cell)
			x += width(e)
		}
	}
	return height + margin
}

// setRange pads the axis around vs (finite values) so that the extremes sit
// inside the frame; a single value or equal values get a span of their own.
func setRange(a *plot.Axis, vs []float64) {
	if len(vs) == 0 {
		a.Min, a.Max = 0, 1
		return
	}
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	pad := hi*padFrac - lo*padFrac // no overflow for spans near MaxFloat64
	if !(pad > 0) {
		pad = math.Max(math.Max(math.Abs(lo), math.Abs(hi))*0.1, 0.5)
	}
	a.Min, a.Max = lo-pad, hi+pad
	if math.IsInf(a.Max-a.Min, 0) {
		// gonum's tick search never ends on a span that overflows; the
		// extremes are then drawn at the frame.
		a.Min, a.Max = math.Max(a.Min, -math.MaxFloat64/2), math.Min(a.Max, math.MaxFloat64/2)
	}
}

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	return p
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// save renders draw onto a w×h canvas in the format named by path's
// extension and writes it to path.
func save(path string, w, h vg.Length, drawFn func(draw.Canvas)) error {
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("rank: plot %s: %w (use .png, .svg or .pdf)", path, err)
	}
	drawFn(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("rank: plot: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("rank: plot %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rank: plot %s: %w", path, err)
	}
	return nil
}
