package cli

import (
	"context"
	"fmt"
	"io"
	"math"

	"lpz/gp"
	"lpz/study"
)

// runAblation runs one of the paper's ablations over several seeds and
// prints a table (sample and full ρ of each run's winner); a signal leaves
// the table of the runs that finished.
func runAblation(ctx context.Context, env *Env, o *searchOpts, bs *benchSession, sample *gp.Problem) error {
	rep, err := bs.Ablation(ctx, sample, study.AblationOptions{Spec: o.ablation, Config: o.cfg, Seed: o.seed, Seeds: o.seeds,
		Ran: func(s study.AblationSetting, seed uint64, c study.AblationCell, winner string) {
			fmt.Fprintf(env.Stderr, "%s seed %d: sample ρ %.4f, all ρ %.4f: %s\n", s.Name, seed, c.Sample, c.All, winner)
		}})
	if err != nil {
		return err
	}
	var stopped error
	if r := rep.Stopped; r != nil {
		stopped = interrupted(ctx, "the table above holds the runs that finished; %s seed %d was stopped (runs are deterministic: the same command repeats the finished ones exactly)", r.Setting, r.Seed)
	}
	printAblationTable(env.Stdout, rep, bs, sample)
	if o.plot != "" {
		labels := make([]string, len(rep.Settings))
		curves := make([][]gp.GenStats, len(rep.Settings))
		for si, s := range rep.Settings {
			labels[si], curves[si] = s.Name, study.MeanHistory(rep.Histories[si])
		}
		title := fmt.Sprintf("ablation %s on %s (mean best ρ over seeds %d–%d)", o.ablation, bs.Bench.Name, o.seed, o.seed+int64(rep.Seeds)-1)
		if rep.Seeds == 1 {
			title = fmt.Sprintf("ablation %s on %s (seed %d)", o.ablation, bs.Bench.Name, o.seed)
		}
		if err := plotHistory(o.plot, labels, curves, title); err != nil {
			return fmt.Errorf("the table is above, but --plot failed: %w", err)
		}
	}
	return stopped
}

// printAblationTable prints one row per setting over its finished runs;
// wins count only the seeds every setting finished.
func printAblationTable(w io.Writer, rep *study.AblationReport, bs *benchSession, sample *gp.Problem) {
	complete := rep.Complete()
	winsSample := rep.Wins(func(c study.AblationCell) float64 { return c.Sample })
	winsAll := rep.Wins(func(c study.AblationCell) float64 { return c.All })
	finished := ""
	if complete < rep.Seeds {
		finished = fmt.Sprintf(" (stopped: %d finished by every setting)", complete)
	}
	fmt.Fprintf(w, "ablation %s on %s, %d seeds from %d%s (sample %d, all %d)\n", rep.Spec, bs.Bench.Name, rep.Seeds, rep.Seed, finished, len(sample.Archs), len(bs.Bench.Archs))
	fmt.Fprintf(w, "  %-16s  %-16s  %-16s  %8s  %10s  %12s  %-14s  %s\n", "setting", "ρ sample", "ρ all", "evals", "evals→best", "evals/improv", "wins (sample)", "wins (all)")
	for si, s := range rep.Settings {
		cells := rep.Cells[si]
		if len(cells) == 0 {
			fmt.Fprintf(w, "  %-16s  no finished run\n", s.Name)
			continue
		}
		var a, b, e, tb []float64
		var improv float64
		for _, c := range cells {
			a, b, e, tb = append(a, c.Sample), append(b, c.All), append(e, float64(c.Evals)), append(tb, float64(c.ToBest))
			improv += float64(c.Improvements)
		}
		// No improvement after the initial population in any seed: the
		// ratio is undefined, not a number to compare.
		perImprov := "none"
		if improv > 0 {
			perImprov = fmt.Sprintf("%.1f", mean(e)*float64(len(e))/improv)
		}
		fmt.Fprintf(w, "  %-16s  %-16s  %-16s  %8.0f  %10.0f  %12s  %-14s  %s\n", s.Name, meanSD(a), meanSD(b), mean(e), mean(tb), perImprov,
			winsSample[si].String(complete), winsAll[si].String(complete))
	}
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
