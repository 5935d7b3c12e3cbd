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
		sum := rep.Summary(si)
		if sum.Runs == 0 {
			fmt.Fprintf(w, "  %-16s  no finished run\n", s.Name)
			continue
		}
		perImprov := "none"
		if !math.IsNaN(sum.PerImprovement) {
			perImprov = fmt.Sprintf("%.1f", sum.PerImprovement)
		}
		fmt.Fprintf(w, "  %-16s  %-16s  %-16s  %8.0f  %10.0f  %12s  %-14s  %s\n", s.Name, meanSD(sum.Sample), meanSD(sum.All), sum.Evals, sum.ToBest, perImprov,
			winsSample[si].String(complete), winsAll[si].String(complete))
	}
}

func meanSD(m study.MeanSD) string { return fmt.Sprintf("%.4f ± %.4f", m.Mean, m.SD) }
