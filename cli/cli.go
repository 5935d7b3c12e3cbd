// Package cli implements the lpz command line; main.go only calls Main.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"lpz/lang"
	"lpz/study"
)

// Env is what a command may touch: its streams (tests pass buffers).
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	name string
	run  func(env *Env, args []string) error
}

// commands is the command table, in the order lpz help and the shell
// completions list them (their help, summary included, is help.txt). A
// function, not a variable: the help command reads the table it is in.
func commands() []*command {
	return []*command{
		{"rank", runRank}, {"bench", runBench}, {"cache", runCache}, {"capture", runCapture},
		{"repl", runRepl}, {"run", runScript}, {"check", runCheck}, {"eval", runEval},
		{"ops", runOps}, {"fmt", runFmt}, {"help", runHelp}, {"version", runVersion},
		{"completion", runCompletion}, {"search", runSearch}, {"simplify", runSimplify}, {"table", runTable},
	}
}

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
	switch name {
	case "-h", "--help":
		printUsage(env.Stdout)
		return 0
	case "--version", "-version":
		name = "version"
	}
	if c := lookupCommand(name); c != nil {
		return report(env, name, c.run(env, args[1:]))
	}
	fmt.Fprintf(env.Stderr, "lpz: unknown command %q%s\n\n", name, commandHint(name))
	printUsage(env.Stderr)
	return 2
}

func lookupCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// commandHint is a did-you-mean for a misspelt command.
func commandHint(name string) string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	if best, ok := lang.Closest(name, names); ok {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

func report(env *Env, name string, err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ie *interruptError
	if errors.As(err, &ie) {
		fmt.Fprintf(env.Stderr, "lpz %s: %s\n", name, ie.msg)
		return ie.code()
	}
	var hr *helpRequest
	if errors.As(err, &hr) {
		printCommandHelp(env.Stdout, hr.fs.Name(), hr.fs)
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "lpz %s: %s\n", name, ue.msg)
		return 2
	}
	var oe *study.OptionError
	if errors.As(err, &oe) {
		fmt.Fprintf(env.Stderr, "lpz %s: %s\n", name, oe.Msg)
		return 2
	}
	fmt.Fprintf(env.Stderr, "lpz %s: %v\n", name, err)
	return 1
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
