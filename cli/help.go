package cli

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The help of every command: what `lpz help CMD` and `lpz CMD -h` print.
// The flags themselves come from the command's FlagSet (their usage text,
// range and default), grouped as doc.groups says; TestHelpCoversEveryFlag
// keeps the groups and the FlagSets in step.

type example struct{ comment, cmd string }

type flagGroup struct {
	title string
	flags []string
}

type commandDoc struct {
	summary  string   // one line in `lpz help`
	usage    []string // synopsis lines, without "lpz "
	about    string   // what the command does, in a paragraph or two
	examples []example
	groups   []flagGroup
	section  string // where `lpz help` lists it
}

// Sections of `lpz help`, in order.
var helpSections = []string{"Start here", "The language", "Benchmarks and ranking", "Setup"}

var (
	benchGroup = flagGroup{"Benchmark", []string{"bench", "data", "model-fidelity"}}
	archsGroup = flagGroup{"Architectures", []string{"archs", "ids", "seed"}}
	// captureGroup is what addCaptureFlags defines.
	captureGroup = flagGroup{"Capture (how channels are computed and cached)", []string{"backend", "batch", "seq", "capture-seed", "text", "tokenizer", "cache", "no-cache", "cache-budget"}}
)

var docs = map[string]*commandDoc{
	"search": {
		section: "Start here",
		summary: "evolve a proxy formula by genetic programming (the paper's search)",
		usage:   []string{"search [--bench NAME] [flags]"},
		about: `Captures the fitness sample's channels (cached on disk), evolves formulas whose
fitness is Spearman ρ against the ground truth on that sample, then ranks the
winner, the top of the final population and the Pareto front on every
architecture of the benchmark. Ctrl-C or SIGTERM stops it cleanly: the best
so far is reported (and --checkpoint written); a second Ctrl-C quits at once.`,
		examples: []example{
			{"the main job on the embedded default benchmark (no data needed)", "lpz search --sample 20"},
			{"the paper's GPT-2 search on the published benchmark", "lpz search --bench gpt2-wt103 --data ../shared/bench --json --plot run.png"},
			{"a long run that survives being stopped", "lpz search --bench flexibert --checkpoint run.ckpt   # later: add --resume run.ckpt"},
			{"does GP beat random search? three seeds each", "lpz search --ablation strategy --seeds 3"},
		},
		groups: []flagGroup{
			benchGroup,
			{"Fitness sample", []string{"sample", "seed", "inputs", "fitness"}},
			{"Search (the paper's Algorithm 1)", []string{"pop", "gens", "cx", "mut", "ratio", "immigrants", "unary", "depth", "strategy", "seed-from", "no-rps", "rules"}},
			{"Stopping and resuming", []string{"patience", "time-limit", "checkpoint", "checkpoint-every", "resume"}},
			{"Ablations", []string{"ablation", "seeds"}},
			{"Output", []string{"json", "plot", "top", "quiet"}},
			{"Performance", []string{"workers", "memo-mb", "memo-tensors", "no-early", "cpuprofile"}},
			captureGroup,
		},
	},
	"rank": {
		section: "Benchmarks and ranking",
		summary: "rank a proxy formula (or a score file) against a benchmark's ground truth",
		usage:   []string{"rank FORMULA [--bench NAME] [flags]", "rank --scores FILE [--bench NAME] [flags]"},
		about: `Evaluates FORMULA on every architecture (or a seeded sample) and prints Spearman
ρ, Kendall τ-b and the mean within-stratum ρ, with the sign convention that a
good proxy has ρ > 0 whether the truth is higher- or lower-is-better. A formula
may start with a minus (lpz rank -params). Ctrl-C prints ρ over the
architectures scored so far; captures are cached, so running again resumes.`,
		examples: []example{
			{"", "lpz rank 'sum(fro(W))'"},
			{"the paper's Decoder.Params row", "lpz rank dparams --bench gpt2-wt103 --data ../shared/bench"},
			{"a reference implementation's scores", "lpz rank --scores snip_scores_seed_1111.yaml --bench gpt2-wt103"},
		},
		groups: []flagGroup{
			benchGroup, archsGroup,
			{"Scores instead of a formula", []string{"scores", "column"}},
			{"Output", []string{"json", "plot", "save-scores"}},
			{"Performance", []string{"workers"}},
			captureGroup,
		},
	},
	"table": {
		section: "Benchmarks and ranking",
		summary: "the paper's baseline proxies side by side with its Tables 2/3",
		usage:   []string{"table [--bench NAME] [flags]"},
		about: `Ranks every baseline proxy of the paper (and, with --corpus, the proxies of
corpus/*.lpz) on the benchmark and prints our ρ/τ next to the published ones.
Ctrl-C prints the rows finished so far.`,
		examples: []example{
			{"", "lpz table --bench gpt2-wt103 --data ../shared/bench"},
			{"Markdown for a paper, only two rows", "lpz table --bench flexibert --md --only no_params,lpzero"},
		},
		groups: []flagGroup{
			benchGroup, {"Architectures", []string{"archs", "seed"}},
			{"Rows", []string{"corpus", "only", "against"}},
			{"Output", []string{"json", "md"}},
			{"Performance", []string{"workers"}},
			captureGroup,
		},
	},
	"capture": {
		section: "Benchmarks and ranking",
		summary: "capture channels of a benchmark's architectures into the cache ahead of time",
		usage:   []string{"capture [--bench NAME] [--archs N | --ids A,B] [--shard i/n] [flags]"},
		about: `Runs each architecture's model once on the capture minibatch and stores its
channels (A H S W G J) in the capture cache, so later rank, table and search
runs read them instead of computing them. Interrupted, it keeps every finished
capture: run the same command again to resume. --shard spreads the work over
machines that share a cache directory.`,
		examples: []example{
			{"", "lpz capture --bench gpt2-wt103 --data ../shared/bench"},
			{"the second of four machines", "lpz capture --bench flexibert --shard 1/4 --cache /shared/lpz-cache"},
		},
		groups: []flagGroup{
			benchGroup, archsGroup,
			{"Work split", []string{"shard", "workers"}},
			captureGroup,
		},
	},
	"bench": {
		section: "Benchmarks and ranking",
		summary: "list benchmarks, show an architecture, or build a benchmark of your own",
		usage:   []string{"bench list [--data DIR]", "bench show NAME [ID] [--data DIR]", "bench build --space SPACE --n N --steps K --text FILE --out DIR [flags]"},
		about: `list: the benchmarks lpz can load here (published ones from the data directory,
the embedded ones, and where to get what is missing).
show: a benchmark's summary, or one architecture's configuration, ground truth
and parameter counts.
build: ground truth for a search space of your own (lpz bench build -h).`,
		examples: []example{
			{"", "lpz bench list --data ../shared/bench"},
			{"", "lpz bench show gpt2-wt103 config_0_j1 --data ../shared/bench"},
		},
		groups: []flagGroup{{"Flags", []string{"data", "model-fidelity"}}},
	},
	"bench build": {
		summary: "train a sample of a search space to make a benchmark",
		usage:   []string{"bench build --space SPACE --n N --steps K --text FILE --out DIR [flags]"},
		about: `Samples N architectures of SPACE (a built-in space or a YAML file), trains each
from scratch for K steps on the first part of FILE (byte-level tokens),
measures the validation loss / perplexity on the rest, and writes
DIR/benchmark.json (load it with --bench DIR). Re-running the same command
resumes: finished architectures are kept, also after Ctrl-C. --long M trains
a seeded subset of M finished architectures for --long-steps and stores the
rank correlation of short- and long-training validation loss as evidence.`,
		examples: []example{
			{"the space of the embedded nano benchmark", "lpz bench build --space nano --n 30 --steps 300 --text bench/nano/text.txt --out mybench"},
		},
		groups: []flagGroup{
			{"What to build", []string{"space", "n", "seed", "text", "valid-frac", "out", "name", "only"}},
			{"Training", []string{"steps", "batch", "seq", "lr", "eval-batches", "backend", "workers"}},
			{"Evidence", []string{"long", "long-steps"}},
			{"Output", []string{"quiet"}},
		},
	},
	"eval": {
		section: "The language",
		summary: "evaluate a formula on literals, a .npy directory or one architecture",
		usage:   []string{"eval FORMULA [--inputs DIR | --bench NAME --arch ID] [--json]"},
		about: `Prints the value of FORMULA with its type. Inputs come from a directory of .npy
files (A_0.npy, A_1.npy … form the list A), or from one architecture of a
benchmark (its channels are captured, or read from the cache).`,
		examples: []example{
			{"", "lpz eval 'sum(softmax([1, 2, 3]) * [1, 2, 3])'"},
			{"", "lpz eval 'fro(A)' --inputs corpus/inputs/tiny"},
			{"one architecture's channels (captured once, then cached)", "lpz eval 'fro(G)' --bench nano --arch nano_000"},
		},
		groups: []flagGroup{
			{"Inputs", []string{"inputs", "bench", "arch", "data", "model-fidelity"}},
			{"Output", []string{"json"}},
			captureGroup,
		},
	},
	"check": {
		section: "The language",
		summary: "type-check a formula or a script and print its canonical form",
		usage:   []string{"check FORMULA | FILE.lpz [--inputs DIR]"},
		about: `Parses and type-checks without evaluating. Errors carry file:line:col and a
caret; several errors are reported at once.`,
		examples: []example{
			{"", "lpz check 'sum(sq(inv(H)) + log(softmax(fro(A))))'"},
			{"", "lpz check corpus/paper.lpz"},
		},
		groups: []flagGroup{{"Flags", []string{"inputs"}}},
	},
	"run": {
		section: "The language",
		summary: "run a .lpz script (let, proxy, print statements)",
		usage:   []string{"run FILE.lpz [--inputs DIR]"},
		examples: []example{
			{"", "lpz run corpus/tour.lpz --inputs corpus/inputs/tiny"},
		},
		groups: []flagGroup{{"Flags", []string{"inputs"}}},
	},
	"fmt": {
		section: "The language",
		summary: "print a script in canonical form (short op names, minimal parentheses)",
		usage:   []string{"fmt FILE.lpz [-w]"},
		examples: []example{
			{"rewrite in place", "lpz fmt -w myproxies.lpz"},
		},
		groups: []flagGroup{{"Flags", []string{"w"}}},
	},
	"ops": {
		section: "The language",
		summary: "the operator and input reference (lpz ops NAME: one entry)",
		usage:   []string{"ops [NAME] [--md]"},
		examples: []example{
			{"", "lpz ops"},
			{"one operator", "lpz ops softmax"},
		},
		groups: []flagGroup{{"Flags", []string{"md"}}},
	},
	"simplify": {
		section: "The language",
		summary: "show the search's rewrite rules (RPS) simplifying a formula",
		usage:   []string{"simplify [--rules FILE] FORMULA"},
		examples: []example{
			{"", "lpz simplify 'sum(W - softmax(G))'"},
		},
		groups: []flagGroup{{"Flags", []string{"rules"}}},
	},
	"repl": {
		section: "The language",
		summary: "interactive prompt (also plain `lpz` on a terminal)",
		usage:   []string{"repl [--inputs DIR] [--bench NAME] [flags]"},
		about: `Readline history, tab completion of operators and inputs, multi-line input,
the last value in _, and :commands (:help lists them). Ctrl-C cancels a running
evaluation, not the session.`,
		examples: []example{
			{"", "lpz repl --inputs corpus/inputs/tiny"},
			{"typed scalar formulas print their ρ over the embedded nano benchmark", "lpz repl --bench nano"},
		},
		groups: []flagGroup{
			{"Inputs", []string{"inputs", "bench", "arch", "archs", "seed", "data", "model-fidelity"}},
			{"Session", []string{"history"}},
			captureGroup,
		},
	},
	"cache": {
		section: "Benchmarks and ranking",
		summary: "what the capture cache holds, per benchmark and capture setting; prune or clear it",
		usage:   []string{"cache [list | prune | clear --yes] [--cache DIR] [--cache-budget GiB] [--json]"},
		about: `Captures are cached on disk, keyed by everything they depend on (model config,
capture seed, minibatch tokens, backend). list shows entries, size and last use
per benchmark and capture setting, the budget and the free disk; prune evicts
least recently used entries down to the budget; clear --yes removes every entry.
Evictions and recaptures of evicted entries are reported on stderr by every
command that captures.`,
		examples: []example{
			{"", "lpz cache"},
			{"keep at most 10 GiB", "lpz cache prune --cache-budget 10"},
		},
		groups: []flagGroup{{"Flags", []string{"cache", "cache-budget", "json", "yes"}}},
	},
	"version": {
		section: "Setup",
		summary: "print lpz's version, commit, Go version and compute backends",
		usage:   []string{"version"},
	},
	"completion": {
		section: "Setup",
		summary: "print a shell completion script (bash, zsh or fish)",
		usage:   []string{"completion bash|zsh|fish"},
		examples: []example{
			{"bash, for this shell", "source <(lpz completion bash)"},
			{"zsh", "lpz completion zsh > \"${fpath[1]}/_lpz\""},
			{"fish", "lpz completion fish > ~/.config/fish/completions/lpz.fish"},
		},
	},
	"help": {
		section: "Setup",
		summary: "this overview, or a command's help: lpz help COMMAND",
		usage:   []string{"help [COMMAND]"},
	},
}

// printUsage is `lpz help`: the commands by section, and where to start.
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "lpz — a language, interpreter and search engine for zero-cost proxies of")
	fmt.Fprintln(w, "language-model architectures (LPZero, EMNLP 2024)")
	fmt.Fprintln(w, "\nUsage: lpz COMMAND [arguments]   (plain lpz on a terminal starts the REPL)")
	bySection := map[string][]string{}
	for _, c := range commands() {
		s := "Other"
		if d := docs[c.name]; d != nil && d.section != "" {
			s = d.section
		}
		bySection[s] = append(bySection[s], c.name)
	}
	for _, s := range append(append([]string{}, helpSections...), "Other") {
		names := bySection[s]
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		fmt.Fprintf(w, "\n%s:\n", s)
		for _, n := range names {
			fmt.Fprintf(w, "  %-11s %s\n", n, commandSummary(n))
		}
	}
	fmt.Fprintln(w, "\nFirst steps:")
	fmt.Fprintln(w, "  lpz search --sample 20          evolve a proxy on the embedded benchmark (about a minute)")
	fmt.Fprintln(w, "  lpz rank 'sum(fro(W))'          rank a formula of your own")
	fmt.Fprintln(w, "  lpz help search                 a command's flags and examples")
}

func commandSummary(name string) string {
	if d := docs[name]; d != nil {
		return d.summary
	}
	for _, c := range commands() {
		if c.name == name {
			return c.summary
		}
	}
	return ""
}

// printCommandHelp writes the help of the command whose FlagSet is fs
// (nil for commands without flags).
func printCommandHelp(w io.Writer, name string, fs *flag.FlagSet) {
	d := docs[name]
	if d == nil {
		d = &commandDoc{summary: commandSummary(name), usage: []string{name + " [flags]"}}
	}
	fmt.Fprintf(w, "lpz %s — %s\n\nUsage:\n", name, d.summary)
	for _, u := range d.usage {
		fmt.Fprintf(w, "  lpz %s\n", u)
	}
	if d.about != "" {
		fmt.Fprintf(w, "\n%s\n", d.about)
	}
	if len(d.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range d.examples {
			if e.comment != "" {
				fmt.Fprintf(w, "  # %s\n", e.comment)
			}
			fmt.Fprintf(w, "  %s\n", e.cmd)
		}
	}
	if fs != nil {
		printFlagGroups(w, name, d.groups, fs)
	}
	fmt.Fprintln(w, "\nlpz help lists every command.")
}

// printFlagGroups prints the flags group by group, then any the groups do
// not name.
func printFlagGroups(w io.Writer, cmd string, groups []flagGroup, fs *flag.FlagSet) {
	listed := map[string]bool{}
	for _, g := range groups {
		var fl []*flag.Flag
		for _, n := range g.flags {
			if f := fs.Lookup(n); f != nil && !listed[n] {
				fl = append(fl, f)
				listed[n] = true
			}
		}
		printFlags(w, cmd, g.title, fl)
	}
	var rest []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !listed[f.Name] {
			rest = append(rest, f)
		}
	})
	title := "Other flags"
	if len(groups) == 0 {
		title = "Flags"
	}
	printFlags(w, cmd, title, rest)
}

func printFlags(w io.Writer, cmd, title string, fl []*flag.Flag) {
	if len(fl) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, f := range fl {
		head := "  --" + f.Name
		if arg := flagArg(cmd, f); arg != "" {
			head += " " + arg
		}
		usage := f.Usage
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines := wrapWords(usage, helpWidth-26)
		if len(head) <= 24 {
			fmt.Fprintf(w, "%-26s%s\n", head, lines[0])
			lines = lines[1:]
		} else {
			fmt.Fprintln(w, head)
		}
		for _, l := range lines {
			fmt.Fprintf(w, "%26s%s\n", "", l)
		}
	}
}

// flagArg is the placeholder of a flag's value in the help.
func flagArg(cmd string, f *flag.Flag) string {
	switch f.Value.(type) {
	case *intRange:
		return "N"
	case *floatRange:
		return "X"
	case *nonNegDuration:
		return "DURATION"
	}
	if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
		return ""
	}
	if name, _ := flag.UnquoteUsage(f); name != "value" && name != "string" {
		return strings.ToUpper(name)
	}
	if a, ok := flagArgs[cmd+" --"+f.Name]; ok {
		return a
	}
	if a, ok := flagArgs[f.Name]; ok {
		return a
	}
	return "VALUE"
}

// flagArgs names the value of string flags by what they hold.
var flagArgs = map[string]string{
	"bench": "NAME", "data": "DIR", "cache": "DIR", "out": "DIR", "tokenizer": "DIR", "against": "DIR",
	"plot": "FILE", "checkpoint": "FILE", "resume": "FILE", "save-scores": "FILE", "scores": "FILE", "text": "FILE",
	"rules": "FILE", "cpuprofile": "FILE", "history": "FILE", "seed-from": "corpus|FILE", "space": "SPACE",
	"model-fidelity": "MODE", "backend": "BACKEND", "archs": "all|N", "ids": "IDS", "arch": "ID", "shard": "i/n",
	"column": "NAME", "only": "NAMES", "name": "NAME", "strategy": "gp|random", "fitness": "rho|within",
	"ablation": "KIND[=V,…]", "inputs": "DIR", "search --inputs": "LIST",
}

// helpWidth is the width help text is wrapped to (a terminal's 100
// columns, leaving room for the shell's margins).
const helpWidth = 100

// wrapWords breaks s into lines of at most width characters at spaces.
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
