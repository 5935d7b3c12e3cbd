// Package repl is the interactive lpz prompt as a library: Run reads lines
// from any reader, so sessions are tested by feeding text, and the CLI wraps
// it with a terminal (readline: history, tab completion, Ctrl-C).
package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/chzyer/readline"

	"lpz/interp"
	"lpz/lang"
)

// Command is a REPL meta-command such as :type.
type Command struct {
	Name string // without the colon
	Args string // usage of the argument, for :help
	Doc  string
	Run  func(ctx context.Context, r *REPL, arg string) error
	// Complete optionally lists completions of the argument.
	Complete func(r *REPL) []string
}

// REPL holds the state of one interactive session.
type REPL struct {
	Session  *interp.Session
	Out      io.Writer
	commands map[string]*Command
	// ExprHook, when set, gets every expression line before the session:
	// it returns handled=true when it took care of it (e.g. evaluating a
	// formula over a benchmark sample).
	ExprHook func(ctx context.Context, r *REPL, src string) (handled bool, err error)
	// Status, when set, is printed by :help under the commands (what is loaded).
	Status func() string
	// Names, when set, adds completion candidates (e.g. architecture ids).
	Names func() []string
	line  int
}

// New returns a REPL over a session with the built-in commands.
func New(s *interp.Session, out io.Writer) *REPL {
	r := &REPL{Session: s, Out: out, commands: map[string]*Command{}}
	for _, c := range builtins() {
		r.Register(c)
	}
	return r
}

// Register adds or replaces a command.
func (r *REPL) Register(c *Command) { r.commands[c.Name] = c }

// Commands lists the commands sorted by name.
func (r *REPL) Commands() []*Command {
	out := make([]*Command, 0, len(r.commands))
	for _, c := range r.commands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Run reads statements from in until EOF or :quit, printing results and
// errors to r.Out. Errors never end the session.
func (r *REPL) Run(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var pending strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if pending.Len() > 0 {
			pending.WriteByte('\n')
		}
		pending.WriteString(line)
		if Incomplete(pending.String()) {
			continue
		}
		quit := r.Handle(ctx, pending.String())
		pending.Reset()
		if quit {
			return nil
		}
	}
	if pending.Len() > 0 {
		r.Handle(ctx, pending.String())
	}
	return sc.Err()
}

// Handle runs one complete input (possibly several lines); it reports
// whether the user asked to quit.
func (r *REPL) Handle(ctx context.Context, input string) (quit bool) {
	text := strings.TrimSpace(input)
	if text == "" || strings.HasPrefix(text, "#") && !strings.Contains(text, "\n") {
		return false
	}
	r.line++
	if strings.HasPrefix(text, ":") {
		name, arg, _ := strings.Cut(text[1:], " ")
		arg = strings.TrimSpace(arg)
		if name == "quit" || name == "q" || name == "exit" {
			return true
		}
		c, ok := r.commands[name]
		if !ok {
			fmt.Fprintf(r.Out, "error: unknown command :%s (try :help)\n", name)
			return false
		}
		if err := c.Run(ctx, r, arg); err != nil {
			r.printErr(err)
		}
		return false
	}
	if r.ExprHook != nil {
		handled, err := r.ExprHook(ctx, r, text)
		if err != nil {
			r.printErr(err)
			return false
		}
		if handled {
			return false
		}
	}
	if _, err := r.Session.Exec(ctx, r.fileName(), text, r.Out); err != nil {
		r.printErr(err)
	}
	return false
}

func (r *REPL) fileName() string { return fmt.Sprintf("<repl:%d>", r.line) }

func (r *REPL) printErr(err error) {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(r.Out, "interrupted")
		return
	}
	msg := err.Error()
	fmt.Fprintln(r.Out, "error: "+strings.ReplaceAll(msg, "\n", "\n       "))
}

// Incomplete reports whether src needs more lines: unbalanced brackets, or
// a trailing binary operator, comma, '=' or backslash.
func Incomplete(src string) bool {
	if strings.HasPrefix(strings.TrimSpace(src), ":") {
		return false // commands are one line
	}
	depth := 0
	inComment := false
	for _, c := range src {
		switch {
		case inComment:
			if c == '\n' {
				inComment = false
			}
		case c == '#':
			inComment = true
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		}
	}
	if depth > 0 {
		return true
	}
	lines := strings.Split(src, "\n")
	last := lines[len(lines)-1]
	if i := strings.IndexByte(last, '#'); i >= 0 {
		last = last[:i]
	}
	last = strings.TrimSpace(last)
	return last != "" && strings.ContainsAny(last[len(last)-1:], "+-*/,=\\") && !strings.HasSuffix(last, "->")
}

// Interactive runs the REPL on a terminal with readline: history in
// historyFile, tab completion, Ctrl-C cancelling a running evaluation (and
// clearing the line at the prompt), Ctrl-D to leave.
func (r *REPL) Interactive(ctx context.Context, historyFile string) error {
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          "lpz> ",
		HistoryFile:     historyFile,
		AutoComplete:    completer{r},
		InterruptPrompt: "^C",
		EOFPrompt:       "",
	})
	if err != nil {
		return err
	}
	defer rl.Close()
	fmt.Fprintln(r.Out, "lpz — zero-cost proxy language. :help for commands, Ctrl-D to quit.")
	var pending strings.Builder
	for {
		if pending.Len() > 0 {
			rl.SetPrompt("...> ")
		} else {
			rl.SetPrompt("lpz> ")
		}
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			pending.Reset()
			continue
		}
		if err != nil { // io.EOF
			return nil
		}
		if pending.Len() > 0 {
			pending.WriteByte('\n')
		}
		pending.WriteString(line)
		if Incomplete(pending.String()) {
			continue
		}
		evalCtx, cancel := context.WithCancel(ctx)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		go func() {
			select {
			case <-sig:
				cancel()
			case <-evalCtx.Done():
			}
		}()
		quit := r.Handle(evalCtx, pending.String())
		signal.Stop(sig)
		cancel()
		pending.Reset()
		if quit {
			return nil
		}
	}
}

// completer completes op names, input and binding names, REPL commands and
// (for commands that declare them) their arguments.
type completer struct{ r *REPL }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	s := string(line[:pos])
	if strings.HasPrefix(s, ":") {
		if name, arg, ok := strings.Cut(s[1:], " "); ok {
			cmd := c.r.commands[name]
			if cmd == nil || cmd.Complete == nil {
				return nil, 0
			}
			word := arg[strings.LastIndexByte(arg, ' ')+1:]
			return suffixes(cmd.Complete(c.r), word), len([]rune(word))
		}
		var names []string
		for _, cmd := range c.r.Commands() {
			names = append(names, ":"+cmd.Name)
		}
		return suffixes(names, s), len([]rune(s))
	}
	start := len(s)
	for start > 0 && isIdent(s[start-1]) {
		start--
	}
	word := s[start:]
	return suffixes(c.r.Candidates(), word), len([]rune(word))
}

// Candidates lists every name completion may offer at an expression.
func (r *REPL) Candidates() []string {
	names := append(r.Session.Table.OpNames(), r.Session.Names()...)
	names = append(names, "let", "proxy", "print")
	if r.Names != nil {
		names = append(names, r.Names()...)
	}
	sort.Strings(names)
	return names
}

func isIdent(b byte) bool {
	return b == '_' || b == '.' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func suffixes(cands []string, prefix string) [][]rune {
	var out [][]rune
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) && !seen[c] {
			seen[c] = true
			out = append(out, []rune(c[len(prefix):]))
		}
	}
	return out
}

// TypeOf checks an expression against the session and returns its type.
func (r *REPL) TypeOf(src string) (*lang.Checked, error) {
	e, err := lang.ParseExprFile(r.fileName(), src)
	if err != nil {
		return nil, err
	}
	ck := &lang.Checker{Ops: r.Session.Table, Inputs: r.Session.Env()}
	return ck.CheckExpr(e, src)
}
