package interp

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"lpz/lang"
	"lpz/stdlib"
)

// Session runs scripts and REPL lines statement by statement. Inputs are
// the loaded tensors (capture channels, .npy files); Vars hold let and proxy
// bindings and `_`, the last value shown. A Session is not safe for
// concurrent use; the Programs it compiles are.
type Session struct {
	Table  *stdlib.Table
	Engine Engine
	Inputs Inputs
	Vars   Inputs
}

// NewSession returns a session over the default op table and host engine.
func NewSession(in Inputs) *Session {
	if in == nil {
		in = Inputs{}
	}
	return &Session{Table: stdlib.Default, Engine: Host{}, Inputs: in, Vars: Inputs{}}
}

// Env is the checker's view of everything a statement may name.
func (s *Session) Env() map[string]lang.Type {
	env := InputTypes(s.Inputs)
	for k, v := range s.Vars {
		env[k] = v.Type
	}
	return env
}

// Names lists inputs and bindings (REPL completion).
func (s *Session) Names() []string {
	var out []string
	for k := range s.Inputs {
		out = append(out, k)
	}
	for k := range s.Vars {
		if _, dup := s.Inputs[k]; !dup {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Result is what one statement produced.
type Result struct {
	Stmt  *lang.CheckedStmt
	Value Value
}

// Check parses and checks src against the session without running it.
func (s *Session) Check(file, src string) (*lang.CheckedProgram, error) {
	prog, err := lang.Parse(file, src)
	if err != nil {
		return nil, err
	}
	ck := &lang.Checker{Ops: s.Table, Inputs: InputTypes(s.Inputs)}
	vars := map[string]lang.Type{}
	for k, v := range s.Vars {
		vars[k] = v.Type
	}
	return ck.CheckProgramWith(prog, vars)
}

// Exec parses, checks and runs src. Expression and print statements write
// their value to out; proxies write "proxy NAME = value". Nothing runs if
// any statement fails to check. A runtime error stops at that statement.
func (s *Session) Exec(ctx context.Context, file, src string, out io.Writer) ([]Result, error) {
	cp, err := s.Check(file, src)
	if err != nil {
		return nil, err
	}
	var results []Result
	for _, st := range cp.Stmts {
		p, err := Compile(st.Checked, s.Table)
		if err != nil {
			return results, err
		}
		v, err := s.Engine.Eval(ctx, p, s.merged())
		if err != nil {
			if nf, ok := err.(*NonFiniteError); ok && st.Kind != lang.ProxyStmt {
				_ = nf // a REPL expression may well be ±Inf; show it
			} else {
				return results, atStatement(st.Pos, err)
			}
		}
		results = append(results, Result{Stmt: st, Value: v})
		switch st.Kind {
		case lang.ExprStmt:
			s.Vars["_"] = v
			fmt.Fprintln(out, FormatValue(v))
		case lang.PrintStmt:
			fmt.Fprintln(out, FormatValue(v))
		case lang.LetStmt:
			s.Vars[st.Name] = v
		case lang.ProxyStmt:
			s.Vars[st.Name] = v
			fmt.Fprintf(out, "proxy %s = %s\n", st.Name, FormatValue(v))
		}
	}
	return results, nil
}

func (s *Session) merged() Inputs {
	if len(s.Vars) == 0 {
		return s.Inputs
	}
	m := make(Inputs, len(s.Inputs)+len(s.Vars))
	for k, v := range s.Inputs {
		m[k] = v
	}
	for k, v := range s.Vars {
		m[k] = v
	}
	return m
}

// FormatScalar prints a number with 8 significant digits (stable for
// golden files, enough to compare proxies).
func FormatScalar(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }

// FormatValue renders a value for people: numbers in full, tensors with
// their shape and up to 8 leading elements, lists entry by entry.
func FormatValue(v Value) string {
	switch v.Type.Kind {
	case lang.Scalar:
		return FormatScalar(v.Scalar)
	case lang.Tensor:
		return "tensor" + shapeOf(v.Tensor.Shape) + " " + head32(v.Tensor.Data)
	case lang.ListScalar:
		var b strings.Builder
		fmt.Fprintf(&b, "%s[%d] [", v.Type, len(v.Scalars))
		for i, x := range v.Scalars {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i == 8 {
				b.WriteString("…")
				break
			}
			b.WriteString(FormatScalar(x))
		}
		b.WriteByte(']')
		return b.String()
	case lang.ListTensor:
		var b strings.Builder
		fmt.Fprintf(&b, "%s[%d]", v.Type, len(v.Tensors))
		for i, t := range v.Tensors {
			if i == 8 {
				fmt.Fprintf(&b, "\n  … %d more", len(v.Tensors)-8)
				break
			}
			name := ""
			if i < len(v.Names) && v.Names[i] != "" {
				name = " " + v.Names[i]
			}
			fmt.Fprintf(&b, "\n  %d%s: tensor%s %s", i, name, shapeOf(t.Shape), head32(t.Data))
		}
		return b.String()
	}
	return "invalid"
}

func shapeOf(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func head32(data []float32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range data {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i == 8 {
			b.WriteString("…")
			break
		}
		b.WriteString(strconv.FormatFloat(float64(x), 'g', 7, 32))
	}
	b.WriteByte(']')
	return b.String()
}
