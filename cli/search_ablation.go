package cli

import (
	"context"
	"fmt"
	"io"
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
	"immigrants": {[]string{"0", "0.1", "0.25"}, shareKnob("immigrants", "immigrant share", "[0, 1)", validImmigrants,
		func(c *gp.Config, p float64) { c.Immigrants = p })},
	"ratio": {[]string{"0.1", "0.25", "0.5"}, shareKnob("ratio", "parent ratio", "(0, 1]", func(p float64) bool { return p > 0 && p <= 1 },
		func(c *gp.Config, p float64) { c.Ratio = p })},
}

// validImmigrants is the range of --immigrants and of its ablation values.
func validImmigrants(p float64) bool { return p >= 0 && p < 1 }

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

// ablationKinds lists the kinds for messages, in a fixed order.
func ablationKinds() string {
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
		return "", nil, usagef("--ablation wants %s (optionally KIND=V1,V2,…), got %q", ablationKinds(), spec)
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
		return "", nil, usagef("--ablation %s= wants at least one value", kind)
	}
	return kind, values, nil
}

// ablationSetting is one column of an ablation: a name and its configuration.
type ablationSetting struct {
	name string
	cfg  gp.Config
}

// ablationSettings applies each value of an --ablation spec to base.
func ablationSettings(spec string, base gp.Config) ([]ablationSetting, error) {
	kind, values, err := parseAblation(spec)
	if err != nil {
		return nil, err
	}
	settings := make([]ablationSetting, 0, len(values))
	for _, v := range values {
		c := base
		name, err := ablations[kind].apply(&c, v)
		if err != nil {
			return nil, usagef("--ablation %s: %v", kind, err)
		}
		settings = append(settings, ablationSetting{name, c})
	}
	return settings, nil
}

// ablationCell is one run of an ablation: its winner's ρ and the search's
// effort.
type ablationCell struct {
	sample, all float64
	evals       int
	toBest      int // evaluations until the final best was found
	improv      int // improvements of the best after the initial population
}

// runAblation runs one of the paper's ablations over several seeds and
// prints a table (sample and full ρ of each run's winner). Seeds run one
// after another with every setting, so a signal leaves a table of whole
// seeds (plus the settings that finished the last one).
func runAblation(ctx context.Context, env *Env, o *searchOpts, bs *benchSession, sample *gp.Problem) error {
	settings, err := ablationSettings(o.ablation, o.cfg)
	if err != nil {
		return err
	}
	seeds := max(1, o.seeds)
	cells := make([][]ablationCell, len(settings))
	histories := make([][][]gp.GenStats, len(settings)) // setting, seed
	var stopped error
runs:
	for k := 0; k < seeds; k++ {
		for si, s := range settings {
			cfg := s.cfg
			cfg.Seed = uint64(o.seed) + uint64(k)
			cfg.Progress = nil
			c, hist, text, err := ablationRun(ctx, bs, sample, cfg)
			if err != nil {
				if !stoppedBySignal(ctx) {
					return err
				}
				stopped = interrupted(ctx, "the table above holds the runs that finished; %s seed %d was stopped (runs are deterministic: the same command repeats the finished ones exactly)", s.name, cfg.Seed)
				break runs
			}
			cells[si] = append(cells[si], c)
			histories[si] = append(histories[si], hist)
			fmt.Fprintf(env.Stderr, "%s seed %d: sample ρ %.4f, all ρ %.4f: %s\n", s.name, cfg.Seed, c.sample, c.all, text)
		}
	}
	printAblationTable(env.Stdout, o, bs, sample, settings, cells, seeds)
	if o.plot != "" {
		labels := make([]string, len(settings))
		curves := make([][]gp.GenStats, len(settings))
		for si, s := range settings {
			labels[si], curves[si] = s.name, meanHistory(histories[si])
		}
		title := fmt.Sprintf("ablation %s on %s (mean best ρ over seeds %d–%d)", o.ablation, bs.b.Name, o.seed, o.seed+int64(seeds)-1)
		if seeds == 1 {
			title = fmt.Sprintf("ablation %s on %s (seed %d)", o.ablation, bs.b.Name, o.seed)
		}
		if err := plotHistory(o.plot, labels, curves, title); err != nil {
			return fmt.Errorf("the table is above, but --plot failed: %w", err)
		}
	}
	return stopped
}

// ablationRun is one search of an ablation and its winner's ranking on
// every architecture; a signal makes it fail (a half run is no cell).
func ablationRun(ctx context.Context, bs *benchSession, sample *gp.Problem, cfg gp.Config) (ablationCell, []gp.GenStats, string, error) {
	res, err := gp.Run(ctx, sample, cfg)
	if err == nil && res.Stopped == "interrupted" {
		err = ctx.Err()
	}
	if err != nil {
		return ablationCell{}, nil, "", err
	}
	best := res.Best()
	full, err := assessAll(ctx, bs, []lang.Expr{best.Expr}, sample.Terminals, cfg.Workers, nil)
	if err != nil {
		return ablationCell{}, nil, "", err
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
	return ablationCell{best.Rho, float64(full[0].Rho), res.Evaluations, toBest, improv}, res.History, best.Text, nil
}

// printAblationTable prints one row per setting over its finished runs;
// wins count only the seeds every setting finished.
func printAblationTable(w io.Writer, o *searchOpts, bs *benchSession, sample *gp.Problem, settings []ablationSetting, cells [][]ablationCell, seeds int) {
	complete := seeds
	for _, c := range cells {
		complete = min(complete, len(c))
	}
	winsSample := countWins(cells, complete, func(c ablationCell) float64 { return c.sample })
	winsAll := countWins(cells, complete, func(c ablationCell) float64 { return c.all })
	finished := ""
	if complete < seeds {
		finished = fmt.Sprintf(" (stopped: %d finished by every setting)", complete)
	}
	fmt.Fprintf(w, "ablation %s on %s, %d seeds from %d%s (sample %d, all %d)\n", o.ablation, bs.b.Name, seeds, o.seed, finished, len(sample.Archs), len(bs.b.Archs))
	fmt.Fprintf(w, "  %-16s  %-16s  %-16s  %8s  %10s  %12s  %-14s  %s\n", "setting", "ρ sample", "ρ all", "evals", "evals→best", "evals/improv", "wins (sample)", "wins (all)")
	for si, s := range settings {
		if len(cells[si]) == 0 {
			fmt.Fprintf(w, "  %-16s  no finished run\n", s.name)
			continue
		}
		var a, b, e, tb []float64
		var improv float64
		for _, c := range cells[si] {
			a, b, e, tb = append(a, c.sample), append(b, c.all), append(e, float64(c.evals)), append(tb, float64(c.toBest))
			improv += float64(c.improv)
		}
		// No improvement after the initial population in any seed: the
		// ratio is undefined, not a number to compare.
		perImprov := "none"
		if improv > 0 {
			perImprov = fmt.Sprintf("%.1f", mean(e)*float64(len(e))/improv)
		}
		fmt.Fprintf(w, "  %-16s  %-16s  %-16s  %8.0f  %10.0f  %12s  %-14s  %s\n", s.name, meanSD(a), meanSD(b), mean(e), mean(tb), perImprov,
			winsSample[si].String(complete), winsAll[si].String(complete))
	}
}

// meanHistory averages best and median ρ per generation over the seeds'
// runs, so an ablation's curves show the settings, not one seed's luck. A
// run that stopped early (patience, time limit) keeps its last values for
// the later generations: its best so far no longer changes.
func meanHistory(runs [][]gp.GenStats) []gp.GenStats {
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

// tally is one setting's record over the seeds: seeds where it alone
// scored best, and seeds where it shared the best score with another.
type tally struct{ wins, ties int }

func (t tally) String(seeds int) string {
	if t.ties == 0 {
		return fmt.Sprintf("%d/%d", t.wins, seeds)
	}
	return fmt.Sprintf("%d/%d +%d tied", t.wins, seeds, t.ties)
}

// countWins compares the settings seed by seed on one score; equal best
// scores (the same formula found twice, say) are ties, not wins.
func countWins[C any](cells [][]C, seeds int, score func(C) float64) []tally {
	out := make([]tally, len(cells))
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
				out[si].wins++
			} else {
				out[si].ties++
			}
		}
	}
	return out
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func meanSD(x []float64) string {
	m := mean(x)
	v := 0.0
	for _, y := range x {
		v += (y - m) * (y - m)
	}
	if len(x) > 1 {
		v /= float64(len(x) - 1)
	}
	return fmt.Sprintf("%.4f ± %.4f", m, math.Sqrt(v))
}
