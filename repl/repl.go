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
	// Provider, when set, supplies inputs on demand: statements are checked
	// against everything it can provide, and what they read is loaded just
	// before they run.
	Provider Provider
	// ExprHook, when set, sees every checked input before it runs, with the
	// inputs it reads (not the session's bindings); it returns handled=true
	// when it took care of it (e.g. ranking a formula over a benchmark
	// sample).
	ExprHook func(ctx context.Context, r *REPL, cp *lang.CheckedProgram, reads []string) (handled bool, err error)
	// Status, when set, is printed by :help under the commands (what is loaded).
	Status func() string
	// Interrupts makes Run cancel the running statement on Ctrl-C (SIGINT)
	// instead of leaving that to the caller; Interactive always does.
	Interrupts bool
	line       int
}

// Provider supplies inputs that are not loaded yet, such as a benchmark
// architecture's capture channels.
type Provider interface {
	// Types lists every input it can provide.
	Types() map[string]lang.Type
	// Provide loads the named inputs into r.Session.Inputs, or says why it
	// cannot.
	Provide(ctx context.Context, r *REPL, names []string) error
	// Describe heads the :inputs listing ("" when nothing is provided now,
	// and :inputs lists only what is loaded).
	Describe() string
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
// errors to r.Out. Errors never end the session; a cancelled ctx ends it
// after the statement it interrupted.
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
		quit := r.handle(ctx, pending.String(), r.Interrupts)
		pending.Reset()
		if quit || ctx.Err() != nil {
			return nil
		}
	}
	if pending.Len() > 0 {
		r.handle(ctx, pending.String(), r.Interrupts)
	}
	return sc.Err()
}

// handle runs one input, with Ctrl-C cancelling just that input when
// interrupts is set.
func (r *REPL) handle(ctx context.Context, input string, interrupts bool) bool {
	if !interrupts {
		return r.Handle(ctx, input)
	}
	evalCtx, stop := InterruptContext(ctx)
	defer stop()
	return r.Handle(evalCtx, input)
}

// InterruptContext returns a context that the next SIGINT cancels, and a
// stop function after which SIGINT has its default effect again. While it
// is active a Ctrl-C stops the running statement, not the process.
func InterruptContext(ctx context.Context) (context.Context, context.CancelFunc) {
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
	return evalCtx, func() {
		signal.Stop(sig)
		cancel()
	}
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
	if err := r.Exec(ctx, r.fileName(), text, true); err != nil {
		r.printErr(err)
	}
	return false
}

// Exec checks src against everything the session has or can be given,
// lets ExprHook take it (when hook is set), loads the inputs it reads and
// runs it in the session.
func (r *REPL) Exec(ctx context.Context, file, src string, hook bool) error {
	cp, err := r.Check(file, src)
	if err != nil {
		return err
	}
	reads := r.inputsRead(cp)
	if hook && r.ExprHook != nil {
		if handled, err := r.ExprHook(ctx, r, cp, reads); handled || err != nil {
			return err
		}
	}
	var missing []string
	for _, name := range reads {
		if _, ok := r.Session.Inputs[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 && r.Provider != nil {
		if err := r.Provider.Provide(ctx, r, missing); err != nil {
			return err
		}
	}
	_, err = r.Session.Exec(ctx, file, src, r.Out)
	return err
}

// Check parses and checks src against the loaded inputs, the provider's
// and the session's bindings, without running or loading anything.
func (r *REPL) Check(file, src string) (*lang.CheckedProgram, error) {
	prog, err := lang.Parse(file, src)
	if err != nil {
		return nil, err
	}
	ck := &lang.Checker{Ops: r.Session.Table, Inputs: r.InputTypes()}
	return ck.CheckProgramWith(prog, r.varTypes())
}

// InputTypes are the inputs a statement may read: the provider's, overlaid
// by what is loaded.
func (r *REPL) InputTypes() map[string]lang.Type {
	env := map[string]lang.Type{}
	if r.Provider != nil {
		for k, t := range r.Provider.Types() {
			env[k] = t
		}
	}
	for k, t := range interp.InputTypes(r.Session.Inputs) {
		env[k] = t
	}
	return env
}

func (r *REPL) varTypes() map[string]lang.Type {
	m := make(map[string]lang.Type, len(r.Session.Vars))
	for k, v := range r.Session.Vars {
		m[k] = v.Type
	}
	return m
}

// inputsRead lists, in order of first use, the names cp reads that are
// inputs: neither a binding of the session nor one made earlier in cp.
func (r *REPL) inputsRead(cp *lang.CheckedProgram) []string {
	bound := map[string]bool{}
	for k := range r.Session.Vars {
		bound[k] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, st := range cp.Stmts {
		if st.Checked == nil {
			continue
		}
		lang.Walk(st.Checked.Expr, func(e lang.Expr) bool {
			if ref, ok := e.(*lang.Ref); ok && !bound[ref.Name] && !seen[ref.Name] {
				seen[ref.Name] = true
				out = append(out, ref.Name)
			}
			return true
		})
		if st.Kind == lang.LetStmt || st.Kind == lang.ProxyStmt {
			bound[st.Name] = true
		}
	}
	return out
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
		quit := r.handle(ctx, pending.String(), true)
		pending.Reset()
		if quit {
			return nil
		}
	}
}

// completer completes REPL commands and (for commands that declare them)
// their arguments; in statements, op, input and binding names, and the
// statement keywords at the start of a line.
type completer struct{ r *REPL }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	s := string(line[:pos])
	if t := strings.TrimLeft(s, " \t"); strings.HasPrefix(t, ":") {
		if name, arg, ok := strings.Cut(t[1:], " "); ok {
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
		return suffixes(names, t), len([]rune(t))
	}
	start := len(s)
	for start > 0 && isIdent(s[start-1]) {
		start--
	}
	word, before := s[start:], strings.Fields(s[:start])
	if len(before) == 1 && (before[0] == "let" || before[0] == "proxy") {
		return nil, 0 // a new name: nothing to offer
	}
	return suffixes(c.r.Candidates(len(before) == 0), word), len([]rune(word))
}

// statementKeywords start a statement; completion offers them only at the
// start of a line.
var statementKeywords = []string{"let", "print", "proxy"}

// Candidates lists the names completion may offer in a statement: ops,
// inputs (loaded or provided) and bindings, and the statement keywords
// when lineStart is set.
func (r *REPL) Candidates(lineStart bool) []string {
	names := append(r.Session.Table.OpNames(), r.Session.Names()...)
	if r.Provider != nil {
		for k := range r.Provider.Types() {
			names = append(names, k)
		}
	}
	if lineStart {
		names = append(names, statementKeywords...)
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

// TypeOf checks an expression against the session (and what the provider
// can give) and returns its type.
func (r *REPL) TypeOf(src string) (*lang.Checked, error) {
	e, err := lang.ParseExprFile(r.fileName(), src)
	if err != nil {
		return nil, err
	}
	env := r.InputTypes()
	for k, t := range r.varTypes() {
		env[k] = t
	}
	ck := &lang.Checker{Ops: r.Session.Table, Inputs: env}
	return ck.CheckExpr(e, src)
}
