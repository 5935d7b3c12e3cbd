package cli

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The help of every command: what `lpz help CMD` and `lpz CMD -h` print.
// The text is help.txt; the flags themselves come from the command's
// FlagSet (their usage text, range and default), grouped as the text says.

//go:embed help.txt
var helpText string

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

var docs = parseHelp(helpText)

// parseHelp reads help.txt (its form is described at its top). The file is
// part of the binary: a line it cannot read is a programming error, which
// every test of the package reports.
func parseHelp(text string) map[string]*commandDoc {
	out := map[string]*commandDoc{}
	var d *commandDoc
	part, comment := "", "" // part: the head, about, Examples or Flags
	for i, line := range strings.Split(text, "\n") {
		body := strings.TrimPrefix(line, "  ")
		switch {
		case strings.HasPrefix(line, "== "):
			d, part = &commandDoc{}, "head"
			out[line[3:]] = d
		case d == nil: // the file's comment
		case line == "Examples:" || line == "Flags:":
			part = strings.TrimSuffix(line, ":")
		case line == "" && part == "head":
			part = "about"
		case part == "head":
			d.setField(line, i+1)
		case part == "about":
			d.about += line + "\n"
		case line == "":
		case part == "Examples" && strings.HasPrefix(body, "# "):
			comment = body[2:]
		case part == "Examples":
			d.examples = append(d.examples, example{comment, body})
			comment = ""
		case part == "Flags":
			title, flags, _ := strings.Cut(body, ": ")
			d.groups = append(d.groups, flagGroup{title, strings.Fields(flags)})
		}
	}
	for _, d := range out {
		d.about = strings.TrimSpace(d.about)
	}
	return out
}

func (d *commandDoc) setField(line string, n int) {
	key, value, _ := strings.Cut(line, " ")
	value = strings.TrimSpace(value)
	switch key {
	case "section":
		d.section = value
	case "summary":
		d.summary = value
	case "usage":
		d.usage = append(d.usage, value)
	default:
		panic(fmt.Sprintf("cli: help.txt:%d: unknown field %q", n, key))
	}
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
