package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"lpz/bench"
	"lpz/study"
)

func runBench(env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: list | show NAME [ID] | build")
	}
	if args[0] == "build" {
		return runBenchBuild(env, args[1:])
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	data, fidelity := addDataFlags(fs)
	sub := args[0]
	if sub == "-h" || sub == "--help" || sub == "help" {
		return &helpRequest{fs: fs}
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		if flagSet(fs, "truth") {
			return usagef("--truth picks one benchmark's ground truth: lpz bench show NAME --truth %s", fs.Lookup("truth").Value)
		}
		dir := bench.DataDir(*data)
		fmt.Fprintf(env.Stdout, "data directory: %s\n", dir)
		for _, name := range append(append([]string{}, bench.Names...), bench.Embedded...) {
			b, err := bench.LoadAny(name, dir)
			if err != nil {
				fmt.Fprintf(env.Stdout, "  %-15s not loaded: %v\n", name, firstLine(err.Error()))
				continue
			}
			lo, hi := study.TruthRange(b)
			fmt.Fprintf(env.Stdout, "  %-15s %4d architectures  family %-9s  %s %.4g … %.4g (%s)\n", b.Name, len(b.Archs), b.Family, b.TruthName, lo, hi, better(b.HigherIsBetter))
			fmt.Fprintf(env.Stdout, "  %-15s truths %s\n", "", truthList(b))
		}
		return nil
	case "show":
		if len(pos) < 1 || len(pos) > 2 {
			return usagef("want: lpz bench show NAME [ID]")
		}
		bs, err := openBench(pos[0], *data, *fidelity)
		if err != nil {
			return err
		}
		if err := bs.selectTruth(fs); err != nil {
			return err
		}
		if len(pos) == 1 {
			showBench(env, bs)
			return nil
		}
		a, err := study.FindArch(bs.Bench, pos[1])
		if err != nil {
			return err
		}
		return showArch(env, bs, a)
	}
	return usagef("unknown subcommand %q (list | show)", sub)
}

// truthList names b's ground truths, the default first, each run of one
// direction followed by it: "valid_ppl (lower), acc_cont4 (higher)",
// "glue, cola, … (higher)".
func truthList(b *bench.Benchmark) string {
	var sb strings.Builder
	defs := b.TruthChoices()
	for i, d := range defs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(d.Name)
		if i == len(defs)-1 || defs[i+1].HigherIsBetter != d.HigherIsBetter {
			sb.WriteString(" (" + strings.TrimSuffix(better(d.HigherIsBetter), " is better") + ")")
		}
	}
	return sb.String()
}

// showTruths lists b's ground truths with their directions and what they
// measure, the default first.
func showTruths(w io.Writer, b *bench.Benchmark) {
	defs := b.TruthChoices()
	width := 0
	for _, d := range defs {
		width = max(width, len(d.Name))
	}
	fmt.Fprintln(w, "truths (--truth NAME; the first is the default):")
	for _, d := range defs {
		line := fmt.Sprintf("  %-*s  %-16s  %s", width, d.Name, better(d.HigherIsBetter), d.Desc)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// better names the direction of a benchmark's ground truth.
func better(higher bool) string {
	if higher {
		return "higher is better"
	}
	return "lower is better"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func showBench(env *Env, bs *benchSession) {
	b := bs.Bench
	lo, hi := study.TruthRange(b)
	fmt.Fprintf(env.Stdout, "%s: %d architectures, family %s\n", b.Name, len(b.Archs), b.Family)
	fmt.Fprintf(env.Stdout, "ground truth: %s, %.4g … %.4g (%s)\n", b.TruthName, lo, hi, better(b.HigherIsBetter))
	showTruths(env.Stdout, b)
	showSource(env.Stdout, b)
	if info, ok := bench.CustomInfo(b); ok && info.Supernet != nil {
		sn := info.Supernet
		fmt.Fprintf(env.Stdout, "super-network: %d layers, d_model %d, %d heads of %d, d_ff %d, vocabulary %d; heads kept %v, widths kept %v of each layer\n",
			sn.Base.NLayer, sn.Base.DModel, sn.Base.NHead[0], sn.Base.HeadDim, sn.Base.DFF[0], sn.Base.NToken, sn.Heads, sn.Widths)
		printSupernet(env.Stdout, sn)
	}
	strata := map[string]int{}
	for _, s := range bench.Strata(b) {
		strata[s]++
	}
	fmt.Fprint(env.Stdout, "strata:")
	for _, k := range slices.Sorted(maps.Keys(strata)) {
		fmt.Fprintf(env.Stdout, " %s(%d)", k, strata[k])
	}
	fmt.Fprintln(env.Stdout)
	ids := b.IDs()
	fmt.Fprintf(env.Stdout, "ids: %s … %s\n", strings.Join(ids[:min(5, len(ids))], " "), ids[len(ids)-1])
}

// showSource prints where b's data came from as labelled lines, and the
// directory it was read from only when it was read from one.
func showSource(w io.Writer, b *bench.Benchmark) {
	src := b.Source
	fmt.Fprintln(w, "source:")
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-9s %s\n", label, v)
		}
	}
	if cb, ok := bench.CustomInfo(b); ok {
		built := "lpz bench build, space " + cb.Space.Name
		if cb.N > 0 {
			built += fmt.Sprintf(", %d architectures drawn with seed %d", cb.N, cb.Seed)
		}
		line("built by", built)
		line("created", cb.Created)
		line("backend", cb.Backend)
		line("code", cb.CodeVersion)
	} else {
		line("upstream", src.Repo)
		line("branch", src.Branch)
		line("commit", src.Commit)
		line("path", src.Path)
		line("subset", src.Subset)
	}
	line("licence", src.Licence)
	fmt.Fprintf(w, "data: %s\n", study.DataLocation(src))
}

func showArch(env *Env, bs *benchSession, a bench.Arch) error {
	fmt.Fprintf(env.Stdout, "%s/%s\n", bs.Bench.Name, a.ID)
	fmt.Fprintf(env.Stdout, "  %s = %.6g\n", bs.Bench.TruthName, a.Truth)
	for _, k := range slices.Sorted(maps.Keys(a.Extra)) {
		fmt.Fprintf(env.Stdout, "  %s = %.6g\n", k, a.Extra[k])
	}
	m, err := bench.ArchScalarsErr(a, bs.Fidelity)
	if err != nil {
		return err
	}
	for _, k := range bench.ScalarNames {
		fmt.Fprintf(env.Stdout, "  %s = %.0f\n", k, m[k])
	}
	fmt.Fprintf(env.Stdout, "  stratum = %s\n", bench.StratumOf(a))
	switch {
	case a.GPT2 != nil:
		c := a.GPT2
		fmt.Fprintf(env.Stdout, "  n_layer %d  d_model %d  d_embed %d  div_val %d  n_token %d  tgt_len %d\n", c.NLayer, c.DModel, c.DEmbed, c.DivVal, c.NToken, c.TgtLen)
		fmt.Fprintf(env.Stdout, "  n_head  %v\n  d_inner %v\n  cutoffs %v  tie_weight %v  tie_projs %v\n", c.NHead, c.DInner, c.Cutoffs, c.TieWeight, c.TieProjs)
	case a.Flexi != nil:
		fmt.Fprintf(env.Stdout, "  hidden_size %d (record)\n", a.Flexi.HiddenSize)
		for i, l := range a.Flexi.Layers {
			fmt.Fprintf(env.Stdout, "  layer %d: %s/%s heads %d ffn %d×%d\n", i, l.OpType, l.OpParam, l.Heads, l.NumFFN, l.FFNDim)
		}
	}
	return nil
}

// lpz bench build: ground truth for a search space of your own
// (study.Build; bench/custom.go has the benchmark format and bench/space.go
// the spaces). Here: the flags, the progress lines and the summary.

func runBenchBuild(env *Env, args []string) error {
	fs := flag.NewFlagSet("bench build", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	space := fs.String("space", "", "search space: a built-in name ("+strings.Join(bench.SpaceNames(), ", ")+") or a YAML file")
	n := intFlag(fs, "n", 32, 1, 1_000_000, "architectures to sample")
	steps := intFlag(fs, "steps", 0, 0, math.MaxInt32, "training steps per architecture (0: the space's train.steps, else 40)")
	text := fs.String("text", "", "training/validation text (UTF-8, read as bytes)")
	out := fs.String("out", "", "output directory (created; re-running resumes)")
	seed := fs.Uint64("seed", 0, "seed of the sample, the weights and the batch order")
	workers := intFlag(fs, "workers", 1, 1, maxWorkers, "architectures trained at once (each training uses every core)")
	backend := fs.String("backend", "", "compute backend (default go: SimpleGo)")
	batch := intFlag(fs, "batch", 0, 0, 4096, "sequences per step (0: the space's train.batch, else 8)")
	seq := intFlag(fs, "seq", 0, 0, 4096, "tokens per sequence (0: the model's context; else at least 2)")
	lr := floatFlag(fs, "lr", 0, "[0, 10]", "peak learning rate (0: the space's train.lr, else 0.005)")
	evalBatches := intFlag(fs, "eval-batches", 0, 0, 1_000_000, "validation batches (0: the space's train.eval_batches, else 16)")
	validFrac := floatFlag(fs, "valid-frac", 0.1, "(0, 1)", "fraction of the text (its end) held out for validation")
	name := fs.String("name", "", "benchmark name (default: the space's name)")
	long := intFlag(fs, "long", 0, 0, 1_000_000, "evidence: train this many finished architectures (seeded subset) for --long-steps")
	longSteps := intFlag(fs, "long-steps", 0, 0, math.MaxInt32, "evidence: steps of the long runs (0: 5× --steps)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	only := fs.String("only", "", "comma-separated architecture ids: train only these of the sample (e.g. to spread a build over machines)")
	supernet := fs.String("supernet", "", "lonas spaces: a Hugging Face LLaMA checkpoint directory to use as the super-network instead of training one")
	adapter := fs.String("adapter", "", "lonas spaces: a PEFT LoRA adapter directory of --supernet to use instead of training adapters")
	var tasks repeated
	fs.Var(&tasks, "task", "lonas spaces: a multiple-choice task file (JSONL) measured on every sub-network, a ground truth acc_NAME (repeatable)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *space == "" || *out == "" || *text == "" {
		return usagef("want: lpz %s (built-in spaces: %s; lpz help bench build)", docs["bench build"].usage[0], strings.Join(bench.SpaceNames(), ", "))
	}
	sp, err := bench.LoadSpace(*space)
	if err != nil {
		return err
	}
	o := study.BuildOptions{Space: sp, N: *n, Seed: *seed, TextPath: *text, Out: *out, Name: *name, Workers: *workers,
		Backend: *backend, ValidFrac: *validFrac, Steps: *steps, Batch: *batch, Seq: *seq, EvalBatches: *evalBatches, LR: *lr,
		Long: *long, LongSteps: *longSteps, Revision: study.ThisBinary().Code(), Supernet: *supernet, Adapter: *adapter, Tasks: tasks}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	if !*quiet {
		o.Progress = newBuildProgress(env.Stderr)
	}
	ctx, stop := interruptible(env.Stderr)
	defer stop()
	res, err := study.Build(ctx, o)
	if res != nil {
		printBuildSummary(env, res)
	}
	var stopped *study.BuildStopped
	if errors.As(err, &stopped) && stoppedBySignal(ctx) {
		return interrupted(ctx, "%s", stopped.Msg)
	}
	return err
}

// spread says how per-architecture seconds spread: min, median (the
// upper one), max and mean, with digits decimals.
func spread(secs []float64, digits int) string {
	s, sum := slices.Sorted(slices.Values(secs)), 0.0
	for _, x := range s {
		sum += x
	}
	f := "%." + strconv.Itoa(digits) + "fs"
	return fmt.Sprintf("min "+f+"  median "+f+"  max "+f+"  mean "+f, s[0], s[len(s)/2], s[len(s)-1], sum/float64(len(s)))
}

func printBuildSummary(env *Env, res *study.BuildResult) {
	cb, tc := res.Bench, res.Train
	okN, failed := 0, 0
	var secs []float64
	for _, a := range cb.Archs {
		if a.Status == "ok" {
			okN++
			secs = append(secs, a.TrainSecs+a.Metrics["eval_s"])
		} else {
			failed++
		}
	}
	fmt.Fprintf(env.Stdout, "benchmark     %s (%s, space %s): %d architectures ok, %d failed, of %d\n", res.Path, cb.Name, cb.Space.Name, okN, failed, cb.N)
	fmt.Fprintf(env.Stdout, "recipe        %d steps × %d × %v tokens, lr %g, seed %d, backend %s\n", tc.Steps, tc.Batch, cb.Train["seq"], tc.LR, cb.Seed, cb.Backend)
	did := "trained"
	if cb.Supernet != nil {
		did = "measured" // sub-networks are cut from the super-network, not trained
	}
	fmt.Fprintf(env.Stdout, "this run      %s %d, reused %d, wall %s (total build wall %.0fs)\n", did, res.Trained, res.Reused, res.Wall.Round(time.Second), cb.WallSeconds)
	if sn := cb.Supernet; sn != nil {
		printSupernet(env.Stdout, sn)
	}
	switch {
	case len(secs) > 0 && cb.Supernet != nil:
		fmt.Fprintf(env.Stdout, "measure time  %s per sub-network\n", spread(secs, 1))
	case len(secs) > 0:
		fmt.Fprintf(env.Stdout, "train time    %s per architecture\n", spread(secs, 1))
	}
	if ev := cb.Evidence; ev != nil {
		fmt.Fprintf(env.Stdout, "evidence      %d architectures × %d steps: Spearman ρ %.3f, Kendall τ %.3f (short vs long validation loss), %.0fs\n", len(ev.IDs), ev.Steps, ev.Spearman, ev.Kendall, ev.WallSecs)
	}
	if st, err := os.Stat(res.Path); err == nil {
		fmt.Fprintf(env.Stdout, "size          %d bytes\n", st.Size())
	}
}

// printSupernet summarises a LoNAS benchmark's super-network: how its two
// trainings went and how stable its ground truths are.
func printSupernet(w io.Writer, sn *bench.CustomSupernet) {
	for _, st := range []struct {
		name string
		rec  map[string]any
	}{{"supernet", sn.Train}, {"adapters", sn.AdapterTrain}} {
		if given, ok := st.rec["given"]; ok {
			fmt.Fprintf(w, "%-13s %v (given)\n", st.name, given)
			continue
		}
		fmt.Fprintf(w, "%-13s valid_loss %v  ppl %v  %v trained params  %vs\n", st.name, st.rec["valid_loss"], st.rec["valid_ppl"], st.rec["trained_params"], st.rec["wall_s"])
	}
	if st, ok := sn.Eval["stability"].(map[string]any); ok {
		rho := func(k string) any { // absent: every value tied, ρ undefined
			if v, ok := st[k]; ok {
				return v
			}
			return "undefined"
		}
		fmt.Fprintf(w, "stability     Spearman ρ between halves: perplexity %v, accuracy %v; perplexity vs accuracy %v (%v sub-networks)\n",
			rho("valid_ppl_halves_spearman"), rho("acc_halves_spearman"), rho("ppl_vs_acc_spearman"), st["n"])
	}
}
