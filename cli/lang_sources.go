package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"lpz/lang"
	"lpz/stdlib"
)

// readSource reads an lpz source file, with errors that name the file in
// the user's words: no such file, a directory, too large to be a script.
// (Binary content is the parser's to refuse, with its byte offset.)
func readSource(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", sourceError(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", sourceError(path, err)
	}
	if st.IsDir() {
		return "", fmt.Errorf("%s: is a directory, not an lpz script", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, lang.MaxSourceBytes+1))
	if err != nil {
		return "", sourceError(path, err)
	}
	if len(b) > lang.MaxSourceBytes {
		return "", fmt.Errorf("%s: larger than %d bytes (lang.MaxSourceBytes), too large for an lpz script", path, lang.MaxSourceBytes)
	}
	return string(b), nil
}

func sourceError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: permission denied", path)
	}
	return err
}

// looksLikePath tells a script argument that names a file from an
// expression: `lpz check a/b` divides, `lpz check x.lpz` and
// `lpz check ./a/b` name files.
func looksLikePath(arg string) bool {
	for _, p := range []string{"./", "../", "/", "~/"} {
		if strings.HasPrefix(arg, p) {
			return true
		}
	}
	return strings.HasSuffix(strings.ToLower(arg), ".lpz") || strings.HasSuffix(arg, "/")
}

// opEntry is `lpz ops NAME`: the op table's entry of an operator (by any
// of its names) or an input channel.
func opEntry(name string) (string, error) {
	var b strings.Builder
	if op, ok := stdlib.Default.Lookup(name); ok {
		fmt.Fprintf(&b, "%s: %s\n", op.Name, op.Doc)
		aliases := strings.Join(op.Aliases, ", ")
		if aliases == "" {
			aliases = "none"
		}
		args := fmt.Sprint(op.Arity)
		if op.Class.ConstArg() {
			args += " (the second a constant number)"
		}
		fmt.Fprintf(&b, "  aliases     %s\n  class       %s\n  arguments   %s\n  definition  %s\n", aliases, op.Class, args, op.Def)
		if op.Sign != stdlib.AnySign {
			fmt.Fprintf(&b, "  sign        %s\n", op.Sign)
		}
		fmt.Fprintf(&b, "  cost        %d\n", op.Cost)
		if op.NoSearch {
			fmt.Fprintf(&b, "  search      not in the search's vocabulary\n")
		}
		return b.String(), nil
	}
	if c, ok := stdlib.LookupChannel(name); ok {
		fmt.Fprintf(&b, "%s: input\n  type        %s\n  what        %s\n", c.Name, c.Type, c.Doc)
		return b.String(), nil
	}
	names := stdlib.Default.OpNames()
	for _, c := range append(append([]stdlib.Channel{}, stdlib.Channels...), stdlib.ExtraChannels...) {
		names = append(names, c.Name)
	}
	hint := " (lpz ops lists them all)"
	if best, ok := lang.Closest(name, names); ok {
		hint = fmt.Sprintf("; did you mean %q?", best)
	}
	return "", fmt.Errorf("no operator or input named %q%s", name, hint)
}
