package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"lpz/bench"
	"lpz/rank"
	"lpz/study"
)

// The commands that score a benchmark's architectures: lpz rank (a formula
// or a score file against the ground truth: study.Session.Rank, RankFile)
// and lpz table (the paper's baselines, study.TableRows), printed as text,
// Markdown or JSON.

func runRank(env *Env, args []string) error {
	fs := flag.NewFlagSet("rank", flag.ContinueOnError)
	sc := addScoringFlags(fs, "all, or N to rank a seeded sample of N architectures", true)
	plot := fs.String("plot", "", "write a scatter plot of proxy vs ground truth to this PNG")
	scoresFile := fs.String("scores", "", "rank a per-architecture score file (YAML id: value, or CSV id,value) instead of a formula")
	column := fs.String("column", "", "with --scores: the column (CSV header) or inner key (YAML) to read")
	saveScores := fs.String("save-scores", "", "write the per-architecture scores to this YAML file (id: value), readable by --scores")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if (*scoresFile == "") == (len(pos) != 1) {
		return usagef("want one formula, or --scores FILE (not both)")
	}
	if err := outputFile("plot", *plot, plotExts...); err != nil {
		return err
	}
	if err := outputFile("save-scores", *saveScores, ".yaml", ".yml"); err != nil {
		return err
	}
	bs, sample, err := sc.selected(fs, env.Stderr)
	if err != nil {
		return err
	}
	var report *rank.Report
	var stopped error // set when a signal stopped the scoring
	if *scoresFile != "" {
		if report, err = bs.RankFile(sample, *scoresFile, *column); err != nil {
			return err
		}
	} else {
		p, err := study.Compile(pos[0])
		if err != nil {
			return printed(env, err)
		}
		ctx, stop := interruptible(env.Stderr)
		defer stop()
		bar := newProgress(env.Stderr, "rank", len(sample), study.NeedsCapture(p))
		var scored int
		report, scored, err = bs.Rank(ctx, p, sample, *sc.workers, bar.update)
		bar.finish()
		switch {
		case err != nil && !stoppedBySignal(ctx):
			return err
		case report == nil:
			return interrupted(ctx, "only %d of %d architectures were scored, too few to rank; their captures are cached: run the same command again to go on", scored, len(sample))
		case err != nil:
			stopped = interrupted(ctx, "ρ above is over the %d of %d architectures scored before the signal; their captures are cached: run the same command again to finish", scored, len(sample))
		}
	}
	report.Data = study.DataLocation(bs.Bench.Source)
	if *sc.ids == "" && len(sample) < len(bs.Bench.Archs) {
		report.Seed = sc.seed // a seeded sample
	}
	// Printed first: a failing write must not cost the ranking.
	if *sc.json {
		b, err := report.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
	} else {
		fmt.Fprint(env.Stdout, report.Text())
	}
	if *saveScores != "" {
		if err := study.WriteScores(*saveScores, report); err != nil {
			return fmt.Errorf("the ranking is above, but --save-scores failed: %w", err)
		}
	}
	if *plot != "" {
		title := fmt.Sprintf("%s on %s", report.Proxy, bs.Bench.Name)
		if err := rank.ScatterPlotLabeled(*plot, report.Scores, report.TruthValues, title, "proxy", bs.Bench.TruthName); err != nil {
			return fmt.Errorf("the ranking is above, but --plot failed: %w", err)
		}
	}
	return stopped
}

func runTable(env *Env, args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	sc := addScoringFlags(fs, "all, or N to use a seeded sample of N architectures", false)
	md := fs.Bool("md", false, "Markdown table (for a paper or the README)")
	withCorpus := fs.Bool("corpus", false, "also one row per proxy of the top-level corpus/*.lpz scripts")
	only := fs.String("only", "", "comma-separated proxy names: only these rows (e.g. no_params,decoder_params)")
	against := fs.String("against", "", "reference directory (e.g. ../shared/bench/reference): rank correlation of our values with the earlier implementations'")
	if err := parseNone(fs, args, "unexpected argument %q"); err != nil {
		return err
	}
	if *md && *sc.json {
		return usagef("--md and --json exclude each other")
	}
	bs, n, err := sc.open(fs, env.Stderr)
	if err != nil {
		return err
	}
	rows, err := study.TableRows(bs.Bench.Name, *withCorpus, *only)
	if err != nil {
		return err
	}
	sample := bench.Sample(bs.Bench, n, *sc.seed)
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	bar := newProgress(env.Stderr, "table", len(sample), study.TableCaptures(rows))
	err = bs.ScoreTable(ctx, rows, sample, *sc.workers, bar.update)
	bar.finish()
	var stopped error // a signal: the rows are over what was scored
	if err != nil {
		if !stoppedBySignal(ctx) {
			return err
		}
		stopped = interrupted(ctx, "each row above is over the architectures scored before the signal (its n); their captures are cached: run the same command again to finish")
	}
	var sampleSeed *int64
	if n > 0 && n < len(bs.Bench.Archs) {
		sampleSeed = sc.seed
	}
	rep, err := bs.TableReport(rows, sample, sampleSeed, *against)
	if err != nil {
		return err
	}
	switch {
	case *sc.json:
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
	case *md:
		printTableMarkdown(env.Stdout, rep, *against != "")
	default:
		printTableText(env.Stdout, rep, *against != "")
	}
	if stopped != nil && !*sc.json {
		var ns []string
		for _, r := range rows {
			if r.Blocked == "" {
				ns = append(ns, fmt.Sprintf("%s %d", r.Baseline, r.N))
			}
		}
		fmt.Fprintf(env.Stdout, "interrupted: rows over fewer than the %d architectures: %s\n", len(sample), strings.Join(ns, ", "))
	}
	return stopped
}

func fmtNum(v *float64) string {
	if v == nil {
		return "unknown"
	}
	return fmt.Sprintf("%.3f", *v)
}

// fmtOurs is one of our statistics: "undefined" when it does not exist
// (fmtNum's "unknown" is a published value not transcribed).
func fmtOurs(v rank.Stat) string { return v.Text(3) }

func fmtDelta(v rank.Stat) string {
	if !v.Defined() {
		return ""
	}
	return fmt.Sprintf("%+.3f", float64(v))
}

func fmtSeconds(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s < 1e-3:
		return fmt.Sprintf("%.0fµs", s*1e6)
	case s < 1:
		return fmt.Sprintf("%.1fms", s*1e3)
	}
	return fmt.Sprintf("%.2fs", s)
}

func tableHeader(rep *study.TableReport) string {
	s := fmt.Sprintf("%s: %d of %d architectures", rep.Bench, rep.N, rep.Total)
	if rep.Seed != nil {
		s += fmt.Sprintf(" (sample seed %d)", *rep.Seed)
	}
	return s + fmt.Sprintf("; ground truth %s; within-stratum ρ over strata of %s", rep.Truth, rep.Strata)
}

func printTableText(w io.Writer, rep *study.TableReport, against bool) {
	fmt.Fprintln(w, tableHeader(rep))
	fmt.Fprintf(w, "published: %s\n", rep.Source)
	if rep.Metric == "pearson" {
		fmt.Fprintln(w, "the paper's ρ column on this benchmark is Pearson r (see bench.PaperRhoMetric): Δρ = our r − paper")
	}
	if rep.Capture != "" {
		fmt.Fprintf(w, "capture: %s\n", rep.Capture)
	}
	fmt.Fprintf(w, "%-22s %-9s %-9s %-9s %-9s %-9s %-9s %-7s %-7s %-9s %-9s", "baseline", "rho", "tau", "pearson", "within", "paper ρ", "paper τ", "Δρ", "Δτ", "time/arch", "(eval)")
	if against {
		fmt.Fprintf(w, " %-9s %-9s", "ρ vs ref", "ref ρ")
	}
	fmt.Fprintln(w)
	for _, r := range rep.Rows {
		if r.Blocked != "" {
			fmt.Fprintf(w, "%-22s blocked: %s  [paper ρ %s, τ %s]\n", r.Baseline, r.Blocked, fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau))
			continue
		}
		fmt.Fprintf(w, "%-22s %-9s %-9s %-9s %-9s %-9s %-9s %-7s %-7s %-9s %-9s", r.Baseline, fmtOurs(r.Rho), fmtOurs(r.Tau), fmtOurs(r.Pearson), fmtOurs(r.Within),
			fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau), fmtDelta(r.DRho), fmtDelta(r.DTau), fmtSeconds(r.Seconds), fmtSeconds(r.EvalSeconds))
		if against && r.Against != nil {
			fmt.Fprintf(w, " %-9s %-9s", fmtOurs(r.Against.Rho), fmtOurs(r.Against.RefRho))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "formulas:")
	for _, r := range rep.Rows {
		if r.Formula != "" {
			fmt.Fprintf(w, "  %-22s %s = %s\n", r.Baseline, r.Proxy, r.Formula)
		}
	}
}

func printTableMarkdown(w io.Writer, rep *study.TableReport, against bool) {
	fmt.Fprintf(w, "%s. Published values: %s; \"unknown\" = not transcribed.", tableHeader(rep), rep.Source)
	if rep.Metric == "pearson" {
		fmt.Fprint(w, " On this benchmark the paper's ρ is Pearson r; Δρ compares our r with it.")
	}
	fmt.Fprint(w, "\n\n| baseline | lpz proxy | ρ | τ | Pearson r | within-stratum ρ | paper ρ | paper τ | Δρ | Δτ | time/arch (eval) |")
	sep := "|---|---|---|---|---|---|---|---|---|---|---|"
	if against {
		fmt.Fprint(w, " ρ vs reference | reference ρ |")
		sep += "---|---|"
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, sep)
	for _, r := range rep.Rows {
		proxy := "`" + mdEscape(r.Proxy) + "`"
		if r.Blocked != "" {
			fmt.Fprintf(w, "| %s | %s | blocked: %s | | | | %s | %s | | | |", mdEscape(r.Baseline), proxy, mdEscape(r.Blocked), fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau))
			if against {
				fmt.Fprint(w, " | |")
			}
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) |", mdEscape(r.Baseline), proxy, fmtOurs(r.Rho), fmtOurs(r.Tau), fmtOurs(r.Pearson), fmtOurs(r.Within),
			fmtNum(r.Paper.Rho), fmtNum(r.Paper.Tau), fmtDelta(r.DRho), fmtDelta(r.DTau), fmtSeconds(r.Seconds), fmtSeconds(r.EvalSeconds))
		if against {
			if r.Against != nil {
				fmt.Fprintf(w, " %s | %s |", fmtOurs(r.Against.Rho), fmtOurs(r.Against.RefRho))
			} else {
				fmt.Fprint(w, " | |")
			}
		}
		fmt.Fprintln(w)
	}
}
