package study

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"lpz/gp"
	"lpz/lang"
)

// ablation is one knob the paper ablates (or that we added): its default
// values and how a value sets the configuration.
type ablation struct {
	values []string
	apply  func(c *gp.Config, v string) (name string, err error)
}

var ablations = map[string]ablation{
	"pop":   {[]string{"80", "100", "200"}, intKnob("pop", "population", 2, func(c *gp.Config, n int) { c.Pop = n })},
	"unary": {[]string{"2", "3", "4", "5"}, intKnob("unary", "unary ops", 1, func(c *gp.Config, n int) { c.Unary = n })},
	"strategy": {[]string{gp.StrategyGP, gp.StrategyRandom}, func(c *gp.Config, v string) (string, error) {
		if v != gp.StrategyGP && v != gp.StrategyRandom {
			return "", fmt.Errorf("strategy %q is not gp or random", v)
		}
		c.Strategy = v
		return "strategy " + v, nil
	}},
	"rps": {[]string{"rps", "no-rps"}, func(c *gp.Config, v string) (string, error) {
		if v != "rps" && v != "no-rps" {
			return "", fmt.Errorf("%q is not rps or no-rps", v)
		}
		c.NoRPS = v == "no-rps"
		return v, nil
	}},
	"immigrants": {[]string{"0", "0.1", "0.25"}, shareKnob("immigrants", "immigrant share", "[0, 1)", func(p float64) bool { return p >= 0 && p < 1 },
		func(c *gp.Config, p float64) { c.Immigrants = p })},
	"ratio": {[]string{"0.1", "0.25", "0.5"}, shareKnob("ratio", "parent ratio", "(0, 1]", func(p float64) bool { return p > 0 && p <= 1 },
		func(c *gp.Config, p float64) { c.Ratio = p })},
}

// intKnob is an ablation value that must be an integer of at least least.
func intKnob(kind, what string, least int, set func(*gp.Config, int)) func(*gp.Config, string) (string, error) {
	return func(c *gp.Config, v string) (string, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < least {
			return "", fmt.Errorf("%s %q is not an integer ≥ %d", what, v, least)
		}
		set(c, n)
		return kind + " " + v, nil
	}
}

// shareKnob is an ablation value that must be a number valid accepts
// (interval names the range in the error).
func shareKnob(kind, what, interval string, valid func(float64) bool, set func(*gp.Config, float64)) func(*gp.Config, string) (string, error) {
	return func(c *gp.Config, v string) (string, error) {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || !valid(p) {
			return "", fmt.Errorf("%s %q is not in %s", what, v, interval)
		}
		set(c, p)
		return kind + " " + v, nil
	}
}

// AblationKinds lists the knobs an ablation compares, for messages, in a
// fixed order.
func AblationKinds() string {
	kinds := make([]string, 0, len(ablations))
	for k := range ablations {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return strings.Join(kinds, " | ")
}

// parseAblation reads KIND or KIND=V1,V2,…: the values replace the kind's
// defaults (e.g. immigrants=0,0.25 compares two settings only).
func parseAblation(spec string) (kind string, values []string, err error) {
	kind, list, hasList := strings.Cut(spec, "=")
	a, ok := ablations[kind]
	if !ok {
		return "", nil, optionErrorf("--ablation wants %s (optionally KIND=V1,V2,…), got %q", AblationKinds(), spec)
	}
	if !hasList {
		return kind, a.values, nil
	}
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v != "" {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return "", nil, optionErrorf("--ablation %s= wants at least one value", kind)
	}
	return kind, values, nil
}

// AblationSetting is one column of an ablation: a name and its
// configuration.
type AblationSetting struct {
	Name   string // e.g. "pop 100", "no-rps"
	Config gp.Config
}

// AblationSettings applies each value of an ablation spec (KIND, or
// KIND=V1,V2,… to choose the values; AblationKinds lists the kinds) to
// base. A bad spec is an OptionError.
func AblationSettings(spec string, base gp.Config) ([]AblationSetting, error) {
	kind, values, err := parseAblation(spec)
	if err != nil {
		return nil, err
	}
	settings := make([]AblationSetting, 0, len(values))
	for _, v := range values {
		c := base
		name, err := ablations[kind].apply(&c, v)
		if err != nil {
			return nil, optionErrorf("--ablation %s: %v", kind, err)
		}
		settings = append(settings, AblationSetting{name, c})
	}
	return settings, nil
}

// AblationCell is one run of an ablation: its winner's ρ and the search's
// effort.
type AblationCell struct {
	Sample       float64 // the winner's ρ on the fitness sample
	All          float64 // and on every architecture (NaN: undefined)
	Evals        int
	ToBest       int // evaluations until the final best was found
	Improvements int // improvements of the best after the initial population
}

// AblationOptions are an ablation's settings.
type AblationOptions struct {
	Spec   string    // which knob and values (see AblationSettings)
	Config gp.Config // what every setting starts from
	Seed   int64     // the first seed; runs use Seed, Seed+1, …
	Seeds  int       // seeds per setting (at least 1)
	// Ran, when set, is called after each finished run with its setting,
	// seed, cell and winning formula.
	Ran func(s AblationSetting, seed uint64, c AblationCell, winner string)
}

// AblationReport is the outcome of an ablation: one cell per setting and
// finished seed.
type AblationReport struct {
	Spec     string
	Settings []AblationSetting
	Seed     int64 // the first seed
	Seeds    int   // seeds asked for
	// Cells[i] are setting i's finished runs by seed, Histories[i] their
	// best/median fitness per generation.
	Cells     [][]AblationCell
	Histories [][][]gp.GenStats
	// Stopped names the run a cancellation stopped (nil when all ran).
	Stopped *AblationRun
}

// AblationRun names one run of an ablation.
type AblationRun struct {
	Setting string
	Seed    uint64
}

// Ablation runs one of the paper's ablations: a search per setting and
// seed on the fitness sample, each winner then ranked on every
// architecture. Seeds run one after another with every setting, so a
// cancellation leaves whole seeds (plus the settings that finished the
// last one), reported with Stopped set; other failures are errors.
func (s *Session) Ablation(ctx context.Context, sample *gp.Problem, opts AblationOptions) (*AblationReport, error) {
	settings, err := AblationSettings(opts.Spec, opts.Config)
	if err != nil {
		return nil, err
	}
	boundHeap(sample.Bytes(), opts.Config.MemoBytes)
	rep := &AblationReport{Spec: opts.Spec, Settings: settings, Seed: opts.Seed, Seeds: max(1, opts.Seeds),
		Cells: make([][]AblationCell, len(settings)), Histories: make([][][]gp.GenStats, len(settings))}
	for k := 0; k < rep.Seeds; k++ {
		for si, st := range settings {
			cfg := st.Config
			cfg.Seed = uint64(opts.Seed) + uint64(k)
			cfg.Progress = nil
			c, hist, text, err := s.ablationRun(ctx, sample, cfg)
			if err != nil {
				if ctx.Err() == nil {
					return nil, err
				}
				rep.Stopped = &AblationRun{st.Name, cfg.Seed}
				return rep, nil
			}
			rep.Cells[si] = append(rep.Cells[si], c)
			rep.Histories[si] = append(rep.Histories[si], hist)
			if opts.Ran != nil {
				opts.Ran(st, cfg.Seed, c, text)
			}
		}
	}
	return rep, nil
}

// ablationRun is one search of an ablation and its winner's ranking on
// every architecture; a cancellation makes it fail (a half run is no
// cell).
func (s *Session) ablationRun(ctx context.Context, sample *gp.Problem, cfg gp.Config) (AblationCell, []gp.GenStats, string, error) {
	res, err := gp.Run(ctx, sample, cfg)
	if err == nil && res.Stopped == "interrupted" {
		err = ctx.Err()
	}
	if err != nil {
		return AblationCell{}, nil, "", err
	}
	best := res.Best()
	full, err := s.assessAll(ctx, []lang.Expr{best.Expr}, sample.Terminals, cfg.Workers, nil)
	if err != nil {
		return AblationCell{}, nil, "", err
	}
	toBest := res.Evaluations
	for _, h := range res.History {
		if h.Best >= best.Fitness {
			toBest = h.Evals
			break
		}
	}
	improv := 0
	for j := 1; j < len(res.History); j++ {
		if res.History[j].Best > res.History[j-1].Best {
			improv++
		}
	}
	return AblationCell{best.Rho, float64(full[0].Rho), res.Evaluations, toBest, improv}, res.History, best.Text, nil
}

// Complete is the number of seeds every setting finished.
func (r *AblationReport) Complete() int {
	complete := r.Seeds
	for _, c := range r.Cells {
		complete = min(complete, len(c))
	}
	return complete
}

// Wins compares the settings seed by seed, over the seeds every setting
// finished, on one score of their cells.
func (r *AblationReport) Wins(score func(AblationCell) float64) []Tally {
	return countWins(r.Cells, r.Complete(), score)
}

// Tally is one setting's record over the seeds: seeds where it alone
// scored best, and seeds where it shared the best score with another.
type Tally struct{ Wins, Ties int }

// String formats the tally over seeds, e.g. "2/3 +1 tied".
func (t Tally) String(seeds int) string {
	if t.Ties == 0 {
		return fmt.Sprintf("%d/%d", t.Wins, seeds)
	}
	return fmt.Sprintf("%d/%d +%d tied", t.Wins, seeds, t.Ties)
}

// countWins compares the settings seed by seed on one score; equal best
// scores (the same formula found twice, say) are ties, not wins.
func countWins[C any](cells [][]C, seeds int, score func(C) float64) []Tally {
	out := make([]Tally, len(cells))
	for k := 0; k < seeds; k++ {
		best := math.Inf(-1)
		for si := range cells {
			best = max(best, score(cells[si][k]))
		}
		var top []int
		for si := range cells {
			if score(cells[si][k]) == best {
				top = append(top, si)
			}
		}
		for _, si := range top {
			if len(top) == 1 {
				out[si].Wins++
			} else {
				out[si].Ties++
			}
		}
	}
	return out
}

// MeanHistory averages best and median fitness per generation over the
// seeds' runs, so an ablation's curves show the settings, not one seed's
// luck. A run that stopped early (patience, time limit) keeps its last
// values for the later generations: its best so far no longer changes.
func MeanHistory(runs [][]gp.GenStats) []gp.GenStats {
	gens := 0
	for _, h := range runs {
		if len(h) > 0 {
			gens = max(gens, h[len(h)-1].Gen+1)
		}
	}
	out := make([]gp.GenStats, gens)
	for g := range out {
		out[g].Gen = g
		n := 0
		for _, h := range runs {
			if len(h) == 0 {
				continue
			}
			// History holds one entry per generation from 0; find the
			// last one at or before g.
			i := sort.Search(len(h), func(i int) bool { return h[i].Gen > g }) - 1
			if i < 0 {
				continue
			}
			out[g].Best += h[i].Best
			out[g].Median += h[i].Median
			out[g].Evals += h[i].Evals
			n++
		}
		if n > 0 {
			out[g].Best /= float64(n)
			out[g].Median /= float64(n)
			out[g].Evals /= n
		}
	}
	return out
}

// AblationSummary is one setting's finished runs in a few numbers (a row
// of lpz search --ablation's table).
type AblationSummary struct {
	Runs int
	// Sample and All are the winners' ρ on the fitness sample and on
	// every architecture.
	Sample, All MeanSD
	Evals       float64 // mean evaluations per run
	ToBest      float64 // mean evaluations until the winner was first found
	// PerImprovement is evaluations per improvement of the best fitness
	// after the initial population; NaN when no run improved (the ratio
	// is undefined, not a number to compare).
	PerImprovement float64
}

// MeanSD is a mean and a sample standard deviation (0 for one value).
type MeanSD struct{ Mean, SD float64 }

func meanSD(x []float64) MeanSD {
	m := mean(x)
	v := 0.0
	for _, y := range x {
		v += (y - m) * (y - m)
	}
	if len(x) > 1 {
		v /= float64(len(x) - 1)
	}
	return MeanSD{m, math.Sqrt(v)}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Summary summarises setting si's finished runs.
func (r *AblationReport) Summary(si int) AblationSummary {
	cells := r.Cells[si]
	if len(cells) == 0 {
		return AblationSummary{}
	}
	var a, b, e, tb []float64
	var improv float64
	for _, c := range cells {
		a, b, e, tb = append(a, c.Sample), append(b, c.All), append(e, float64(c.Evals)), append(tb, float64(c.ToBest))
		improv += float64(c.Improvements)
	}
	s := AblationSummary{Runs: len(cells), Sample: meanSD(a), All: meanSD(b), Evals: mean(e), ToBest: mean(tb), PerImprovement: math.NaN()}
	if improv > 0 {
		s.PerImprovement = mean(e) * float64(len(e)) / improv
	}
	return s
}
