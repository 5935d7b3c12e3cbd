// Package cli implements the lpz command line; main.go only calls Main.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Env is what a command may touch: its streams (tests pass buffers).
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(env *Env, args []string) error
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

// exitError carries a specific exit status (e.g. 1 for check failures after
// the errors were printed).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError marks bad command-line usage (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// Main runs lpz with args (without the program name) and returns the exit
// status: 0 ok, 1 failure, 2 usage.
func Main(args []string, env *Env) int {
	if len(args) == 0 {
		if isTerminal(env.Stdin) {
			args = []string{"repl"}
		} else {
			printUsage(env.Stderr)
			return 2
		}
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		printUsage(env.Stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == name {
			err := c.run(env, args[1:])
			return report(env, name, err)
		}
	}
	fmt.Fprintf(env.Stderr, "lpz: unknown command %q\n\n", name)
	printUsage(env.Stderr)
	return 2
}

func report(env *Env, name string, err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "lpz %s: %s\n", name, ue.msg)
		return 2
	}
	fmt.Fprintf(env.Stderr, "lpz %s: %v\n", name, err)
	return 1
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "lpz — a language, interpreter and search engine for zero-cost proxies")
	fmt.Fprintln(w, "\nUsage: lpz COMMAND [arguments] (lpz COMMAND -h for its flags)")
	sorted := append([]*command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

// parseFlags parses flags that may appear before, between or after the
// positional arguments (lpz eval EXPR --inputs DIR), which the flag package
// alone does not allow. A literal "--" ends flag parsing.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' && !isNumber(a) && !looksLikeFormula(fs, a) {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					continue
				}
				if i+1 < len(args) {
					flags = append(flags, args[i+1])
					i++
				}
			}
			continue
		}
		positional = append(positional, a)
	}
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stdout)
			fs.Usage()
			return nil, err
		}
		return nil, usagef("%v", err)
	}
	return positional, nil
}

// looksLikeFormula tells a formula that starts with a minus ("-sum(A)")
// from a flag: it is not a defined flag and holds characters no flag has.
func looksLikeFormula(fs *flag.FlagSet, a string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
	if fs.Lookup(name) != nil {
		return false
	}
	return strings.ContainsAny(name, "()[]*/+ ,")
}

func isNumber(s string) bool {
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e') {
			return false
		}
	}
	return true
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
