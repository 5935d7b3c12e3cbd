package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"lpz/bench"
	"lpz/runtime"
	"lpz/stdlib"
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
	bi := readBuild()
	commit := "unknown (built without VCS stamping: go run, -buildvcs=false, or outside a git checkout)"
	if bi.revision != "" {
		commit = bi.revision + " (" + bi.time
		if bi.modified {
			commit += ", with uncommitted changes"
		}
		commit += ")"
	}
	version := bi.version
	fmt.Fprintf(env.Stdout, "lpz %s\n", version)
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

// build is what the binary knows of its own build.
type build struct {
	version, revision, time string
	modified                bool
}

func readBuild() build {
	b := build{version: "(devel)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if info.Main.Version != "" {
		b.version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.revision = s.Value
		case "vcs.time":
			b.time = s.Value
		case "vcs.modified":
			b.modified = s.Value == "true"
		}
	}
	return b
}

func runCompletion(env *Env, args []string) error {
	if err := noFlags("completion", args); err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("want: lpz completion bash|zsh|fish")
	}
	spec := completionSpec()
	switch args[0] {
	case "bash":
		fmt.Fprint(env.Stdout, spec.bash())
	case "zsh":
		fmt.Fprint(env.Stdout, "#compdef lpz\n# zsh completion for lpz: the bash completion through bashcompinit.\nautoload -U +X bashcompinit && bashcompinit\n")
		fmt.Fprint(env.Stdout, spec.bash())
	case "fish":
		fmt.Fprint(env.Stdout, spec.fish())
	default:
		return usagef("lpz completion: unknown shell %q (want bash, zsh or fish)", args[0])
	}
	return nil
}

// completions is what a shell can complete: commands, each one's flags,
// and the values some flags and arguments take.
type completions struct {
	commands []string
	summary  map[string]string
	flags    map[string][]*flag.Flag
	benches  []string
	ops      []string
}

func completionSpec() completions {
	s := completions{summary: map[string]string{}, flags: map[string][]*flag.Flag{}}
	for _, c := range commands() {
		s.commands = append(s.commands, c.name)
		s.summary[c.name] = commandSummary(c.name)
		if fs := commandFlags(c); fs != nil {
			fs.VisitAll(func(f *flag.Flag) { s.flags[c.name] = append(s.flags[c.name], f) })
		}
	}
	sort.Strings(s.commands)
	s.benches = append(append([]string{}, bench.Names...), bench.Embedded...)
	for _, op := range stdlib.Default.AllOps() {
		s.ops = append(s.ops, op.Name)
	}
	return s
}

// Flags whose values are directories or files, for the shells' own
// completion of paths.
var (
	dirFlags  = []string{"data", "cache", "out", "tokenizer", "against"}
	fileFlags = []string{"plot", "checkpoint", "resume", "save-scores", "scores", "text", "rules", "cpuprofile", "history", "space"}
)

func (s completions) bash() string {
	var b strings.Builder
	b.WriteString("# bash completion for lpz (generated by: lpz completion bash)\n")
	b.WriteString("_lpz() {\n  local cur prev cmd opts\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n  cmd=\"${COMP_WORDS[1]}\"\n")
	fmt.Fprintf(&b, "  if [[ $COMP_CWORD -eq 1 ]]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n    return\n  fi\n", strings.Join(s.commands, " "))
	b.WriteString("  case \"$prev\" in\n")
	fmt.Fprintf(&b, "    --bench) COMPREPLY=($(compgen -W %q -- \"$cur\") $(compgen -d -- \"$cur\")); return ;;\n", strings.Join(s.benches, " "))
	fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", "--"+strings.Join(dirFlags, "|--"))
	fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", "--"+strings.Join(fileFlags, "|--"))
	b.WriteString("    --strategy) COMPREPLY=($(compgen -W \"gp random\" -- \"$cur\")); return ;;\n")
	b.WriteString("    --fitness) COMPREPLY=($(compgen -W \"rho within\" -- \"$cur\")); return ;;\n")
	b.WriteString("  esac\n  case \"$cmd\" in\n")
	for _, c := range s.commands {
		var names []string
		for _, f := range s.flags[c] {
			names = append(names, "--"+f.Name)
		}
		fmt.Fprintf(&b, "    %s) opts=%q ;;\n", c, strings.Join(names, " "))
	}
	b.WriteString("  esac\n")
	b.WriteString("  if [[ \"$cur\" == --* ]]; then\n    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n    return\n  fi\n")
	b.WriteString("  case \"$cmd\" in\n")
	b.WriteString("    run|check|fmt) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n")
	fmt.Fprintf(&b, "    help) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(s.commands, " "))
	b.WriteString("    completion) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\")) ;;\n")
	b.WriteString("    bench) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=($(compgen -W \"list show build\" -- \"$cur\")) ;;\n")
	fmt.Fprintf(&b, "    ops) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(s.ops, " "))
	b.WriteString("  esac\n}\ncomplete -F _lpz lpz\n")
	return b.String()
}

func (s completions) fish() string {
	var b strings.Builder
	b.WriteString("# fish completion for lpz (generated by: lpz completion fish)\n")
	b.WriteString("complete -c lpz -f\n")
	for _, c := range s.commands {
		fmt.Fprintf(&b, "complete -c lpz -n __fish_use_subcommand -a %s -d %s\n", c, fishQuote(s.summary[c]))
	}
	fmt.Fprintf(&b, "complete -c lpz -n '__fish_seen_subcommand_from help' -a %s\n", fishQuote(strings.Join(s.commands, " ")))
	b.WriteString("complete -c lpz -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	b.WriteString("complete -c lpz -n '__fish_seen_subcommand_from bench' -a 'list show build'\n")
	fmt.Fprintf(&b, "complete -c lpz -n '__fish_seen_subcommand_from ops' -a %s\n", fishQuote(strings.Join(s.ops, " ")))
	b.WriteString("complete -c lpz -n '__fish_seen_subcommand_from run check fmt' -F\n")
	for _, c := range s.commands {
		for _, f := range s.flags[c] {
			fmt.Fprintf(&b, "complete -c lpz -n '__fish_seen_subcommand_from %s' -l %s", c, f.Name)
			switch {
			case f.Name == "bench":
				fmt.Fprintf(&b, " -r -a %s", fishQuote(strings.Join(s.benches, " ")))
			case slices.Contains(dirFlags, f.Name):
				b.WriteString(" -r -a '(__fish_complete_directories)'")
			case slices.Contains(fileFlags, f.Name):
				b.WriteString(" -r -F")
			case flagArg(c, f) != "":
				b.WriteString(" -r")
			}
			fmt.Fprintf(&b, " -d %s\n", fishQuote(firstLine(f.Usage)))
		}
	}
	return b.String()
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
