package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"lpz/bench"
	"lpz/rank"
	"lpz/study"
)

// lpz table: the paper's baselines (study.TableRows) scored on a benchmark
// and printed as text, Markdown or JSON.

func runTable(env *Env, args []string) error {
	fs := flag.NewFlagSet("table", flag.ContinueOnError)
	ba := addBenchArgs(fs, "all, or N to use a seeded sample of N architectures", false)
	asJSON := fs.Bool("json", false, "machine-readable output")
	md := fs.Bool("md", false, "Markdown table (for a paper or the README)")
	withCorpus := fs.Bool("corpus", false, "also one row per proxy of the top-level corpus/*.lpz scripts")
	only := fs.String("only", "", "comma-separated proxy names: only these rows (e.g. no_params,decoder_params)")
	against := fs.String("against", "", "reference directory (e.g. ../shared/bench/reference): rank correlation of our values with the earlier implementations'")
	workers := intFlag(fs, "workers", runtime.NumCPU(), 1, maxWorkers, "architectures evaluated in parallel (default: all cores)")
	addCaptureFlags(fs)
	if err := parseNone(fs, args, "unexpected argument %q"); err != nil {
		return err
	}
	if *md && *asJSON {
		return usagef("--md and --json exclude each other")
	}
	bs, n, err := ba.open(fs, env.Stderr)
	if err != nil {
		return err
	}
	rows, err := study.TableRows(bs.Bench.Name, *withCorpus, *only)
	if err != nil {
		return err
	}
	sample := bench.Sample(bs.Bench, n, *ba.seed)
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	bar := newProgress(env.Stderr, "table", len(sample), study.TableCaptures(rows))
	err = bs.ScoreTable(ctx, rows, sample, *workers, bar.update)
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
		sampleSeed = ba.seed
	}
	rep, err := bs.TableReport(rows, sample, sampleSeed, *against)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
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
	if stopped != nil && !*asJSON {
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
