package cli

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"text/template"

	"lpz/bench"
	"lpz/runtime"
	"lpz/stdlib"
	"lpz/study"
)

// Commands about lpz itself: help, version, shell completion.

func runHelp(env *Env, args []string) error {
	if err := noFlags("help", args); err != nil {
		return err
	}
	switch len(args) {
	case 0:
		printUsage(env.Stdout)
		return nil
	case 1, 2:
	default:
		return usagef("want: lpz help [COMMAND]")
	}
	name := strings.Join(args, " ")
	if name == "bench build" {
		return lookupCommand("bench").run(env, []string{"build", "--help"})
	}
	c := lookupCommand(args[0])
	if c == nil || len(args) > 1 {
		return usagef("no command %q%s (lpz help lists them)", name, commandHint(args[0]))
	}
	fs := commandFlags(c)
	printCommandHelp(env.Stdout, c.name, fs)
	return nil
}

// commandFlags is a command's FlagSet, obtained by asking it for help
// (commands define their flags where they parse them); nil for commands
// without flags.
func commandFlags(c *command) *flag.FlagSet {
	quiet := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}
	var hr *helpRequest
	if err := c.run(quiet, []string{"--help"}); errors.As(err, &hr) {
		return hr.fs
	}
	return nil
}

// noFlags is the help answer of commands that take no flags.
func noFlags(name string, args []string) error {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return &helpRequest{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
		}
	}
	return nil
}

func runVersion(env *Env, args []string) error {
	if err := noFlags("version", args); err != nil {
		return err
	}
	if len(args) > 0 {
		return usagef("lpz version takes no arguments")
	}
	bi := study.ThisBinary()
	commit := "unknown (built without VCS stamping: go run, -buildvcs=false, or outside a git checkout)"
	if bi.Revision != "" {
		commit = bi.Revision + " (" + bi.Time
		if bi.Modified {
			commit += ", with uncommitted changes"
		}
		commit += ")"
	}
	fmt.Fprintf(env.Stdout, "lpz %s\n", bi.Version)
	fmt.Fprintf(env.Stdout, "commit    %s\n", commit)
	fmt.Fprintf(env.Stdout, "go        %s %s/%s\n", goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	xla := "xla (PJRT plugin: --backend xla:/path/plugin.so)"
	if !runtime.XLAAvailable {
		xla = "xla: not in this build (go build -tags xla)"
	}
	fmt.Fprintf(env.Stdout, "backends  go (SimpleGo, pure Go; the default); %s\n", xla)
	fmt.Fprintf(env.Stdout, "models    %s, %s, %s\n", runtime.GPT2ModelVersion, runtime.FlexiBERTModelVersion, runtime.LlamaModelVersion)
	return nil
}

func runCompletion(env *Env, args []string) error {
	if err := noFlags("completion", args); err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("want: lpz completion bash|zsh|fish")
	}
	if t := completionScripts.Lookup(args[0]); t != nil {
		return t.Execute(env.Stdout, completionSpec())
	}
	return usagef("lpz completion: unknown shell %q (want bash, zsh or fish)", args[0])
}

//go:embed completion.tmpl
var completionTemplate string

var completionScripts = template.Must(template.New("").Funcs(template.FuncMap{
	"words":        func(s []string) string { return fmt.Sprintf("%q", strings.Join(s, " ")) },
	"join":         func(s []string) string { return strings.Join(s, " ") },
	"alternatives": func(s []string) string { return "--" + strings.Join(s, "|--") },
	"fish": func(s string) string {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
	},
}).Parse(completionTemplate))

// completions is what a shell can complete: commands, each one's flags,
// and the values some flags and arguments take.
type completions struct {
	Commands            []string
	Summary             map[string]string
	Options             map[string][]string // a command's flags, as --name
	Flags               map[string][]completionFlag
	Benches, Ops        []string
	DirFlags, FileFlags []string
}

// completionFlag is a flag and the kind of value it takes: bench, dir,
// file, value or "" (none).
type completionFlag struct{ Name, Kind, Usage string }

func completionSpec() completions {
	s := completions{Summary: map[string]string{}, Options: map[string][]string{}, Flags: map[string][]completionFlag{},
		Benches: append(append([]string{}, bench.Names...), bench.Embedded...), DirFlags: dirFlags, FileFlags: fileFlags}
	for _, c := range commands() {
		s.Commands = append(s.Commands, c.name)
		s.Summary[c.name] = commandSummary(c.name)
		if fs := commandFlags(c); fs != nil {
			fs.VisitAll(func(f *flag.Flag) {
				s.Options[c.name] = append(s.Options[c.name], "--"+f.Name)
				s.Flags[c.name] = append(s.Flags[c.name], completionFlag{f.Name, flagKind(c.name, f), firstLine(f.Usage)})
			})
		}
	}
	sort.Strings(s.Commands)
	for _, op := range stdlib.Default.AllOps() {
		s.Ops = append(s.Ops, op.Name)
	}
	return s
}

// Flags whose values are directories or files, for the shells' own
// completion of paths.
var (
	dirFlags  = []string{"data", "cache", "out", "tokenizer", "against"}
	fileFlags = []string{"plot", "checkpoint", "resume", "save-scores", "scores", "text", "rules", "cpuprofile", "history", "space"}
)

func flagKind(cmd string, f *flag.Flag) string {
	switch {
	case f.Name == "bench":
		return "bench"
	case slices.Contains(dirFlags, f.Name):
		return "dir"
	case slices.Contains(fileFlags, f.Name):
		return "file"
	case flagArg(cmd, f) != "":
		return "value"
	}
	return ""
}
