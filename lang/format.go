package lang

import (
	"sort"
	"strings"
)

// Format renders a script canonically: statements re-printed with short op
// names and minimal parentheses; comment lines and blank lines kept in
// place, trailing comments kept on one-line statements. canon replaces
// operator aliases by canonical names (stdlib's Table.CanonOps): lang
// does not know the operators.
func Format(file, src string, canon func(Expr) Expr) (string, error) {
	prog, err := Parse(file, src)
	if err != nil {
		return "", err
	}
	lines := strings.Split(src, "\n")
	stmtAt := map[int]*Stmt{}
	covered := map[int]bool{}
	lastLine := map[int]int{} // statement start line -> its last line
	for i, s := range prog.Stmts {
		stmtAt[s.Pos.Line] = s
		lastLine[s.Pos.Line] = s.Pos.Line
		end := len(lines)
		if i+1 < len(prog.Stmts) {
			end = prog.Stmts[i+1].Pos.Line - 1
		}
		for l := s.Pos.Line; l <= end; l++ {
			t := strings.TrimSpace(lines[l-1])
			if l == s.Pos.Line || (t != "" && !strings.HasPrefix(t, "#")) {
				covered[l] = true
				lastLine[s.Pos.Line] = l
			} else {
				break
			}
		}
	}
	var b strings.Builder
	keys := make([]int, 0, len(lines))
	for l := 1; l <= len(lines); l++ {
		keys = append(keys, l)
	}
	sort.Ints(keys)
	for _, l := range keys {
		if s, ok := stmtAt[l]; ok {
			b.WriteString(FormatStmt(canonical(s, canon)))
			if c := trailingComment(lines[l-1]); c != "" && lastLine[l] == l {
				b.WriteString("  " + c)
			}
			b.WriteByte('\n')
			continue
		}
		if covered[l] {
			continue
		}
		b.WriteString(strings.TrimRight(lines[l-1], " \t\r") + "\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n", nil
}

func trailingComment(line string) string {
	if i := strings.IndexByte(line, '#'); i > 0 {
		return strings.TrimSpace(line[i:])
	}
	return ""
}

// canonical rewrites op aliases to canonical names without type checking,
// so that fmt works on scripts whose inputs are not at hand.
func canonical(s *Stmt, canon func(Expr) Expr) *Stmt {
	c := *s
	if s.Expr != nil {
		c.Expr = canon(s.Expr)
	}
	if s.Rhs != nil {
		c.Rhs = canon(s.Rhs)
	}
	return &c
}
