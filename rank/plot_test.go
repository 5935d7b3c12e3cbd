package rank

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
)

func isPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || len(data) < 8 || string(data[1:4]) != "PNG" {
		t.Fatalf("%s is not a PNG: %v, %d bytes", path, err, len(data))
	}
}

// Edge data still gives a plot: nothing a proxy returns may cost the user
// the picture of a finished run.
func TestPlotsEdgeData(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		x, y []float64
	}{
		{"one point", []float64{3}, []float64{7}},
		{"all equal", []float64{2, 2, 2}, []float64{5, 5, 5}},
		{"zeros", []float64{0, 0}, []float64{0, 0}},
		{"NaN among", []float64{1, nan, 3}, []float64{3, 1, nan}},
		{"all NaN", []float64{nan, nan}, []float64{1, 2}},
		{"Inf", []float64{inf, 1, -inf}, []float64{1, 2, 3}},
		{"huge", []float64{-math.MaxFloat64, math.MaxFloat64}, []float64{math.MaxFloat64, math.MaxFloat64}},
		{"empty", nil, nil},
	}
	dir := t.TempDir()
	for _, c := range cases {
		p := filepath.Join(dir, "s.png")
		if err := ScatterPlotLabeled(p, c.x, c.y, c.name, "x", "y"); err != nil {
			t.Errorf("scatter %s: %v", c.name, err)
			continue
		}
		isPNG(t, p)
		p = filepath.Join(dir, "l.png")
		series := []Series{{Label: "a", X: c.x, Y: c.y}, {Label: "b", X: c.y, Y: c.x}}
		if err := LinePlot(p, c.name, "gen", "ρ", series); err != nil {
			t.Errorf("line %s: %v", c.name, err)
			continue
		}
		isPNG(t, p)
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	if err := LinePlot(filepath.Join(dir, "l.png"), "t", "x", "y", []Series{{X: []float64{1}}}); err == nil {
		t.Error("series with 1 x and 0 y accepted")
	}
	if err := ScatterPlot(filepath.Join(dir, "s.nosuch"), []float64{1}, []float64{1}, "t"); err == nil {
		t.Error("unknown image format accepted")
	}
	if err := LinePlot(filepath.Join(dir, "missing", "l.png"), "t", "x", "y", nil); err == nil {
		t.Error("unwritable path accepted")
	}
}

// Many legend entries wrap into rows below the axes instead of covering
// curves; the strip grows with the rows.
func TestLegendWrapsBelowAxes(t *testing.T) {
	dir := t.TempDir()
	var series []Series
	for i := range 12 {
		series = append(series, Series{Label: "a rather long setting name", X: []float64{0, 1}, Y: []float64{float64(i), 1}})
	}
	p := filepath.Join(dir, "many.png")
	if err := LinePlot(p, "t", "x", "y", series); err != nil {
		t.Fatal(err)
	}
	isPNG(t, p)
}

// The axes reach past the data, so the extremes never sit on the frame
// (the best-ρ line touched the title, scatter points were cut in half).
func TestSetRangePads(t *testing.T) {
	cases := [][]float64{{0.1, 0.7}, {0.65, 0.65}, {0}, {-3, 30.2}, {-math.MaxFloat64, math.MaxFloat64}, {-1e308, 1e308}, {1e308, 1.7e308}}
	for _, vs := range cases {
		var a plot.Axis
		setRange(&a, vs)
		lo, hi := vs[0], vs[len(vs)-1]
		if math.IsNaN(a.Min) || math.IsInf(a.Max-a.Min, 0) {
			t.Errorf("%v: range [%v, %v] has no finite span (gonum's ticks hang on it)", vs, a.Min, a.Max)
		}
		if lo > -math.MaxFloat64/2 && !(a.Min < lo) || hi < math.MaxFloat64/2 && !(a.Max > hi) {
			t.Errorf("%v: range [%v, %v] does not pad the data", vs, a.Min, a.Max)
		}
	}
}
