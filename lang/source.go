package lang

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// ReadSource reads an lpz source file, with errors that name the file in
// the user's words: no such file, a directory, too large to be a script.
// (Binary content is the parser's to refuse, with its byte offset.)
func ReadSource(path string) (string, error) {
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
	b, err := io.ReadAll(io.LimitReader(f, MaxSourceBytes+1))
	if err != nil {
		return "", sourceError(path, err)
	}
	if len(b) > MaxSourceBytes {
		return "", fmt.Errorf("%s: larger than %d bytes (lang.MaxSourceBytes), too large for an lpz script", path, MaxSourceBytes)
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

// IsSourceFile tells an argument that names a script file from a formula:
// an existing file, or a path by its form (`a/b` divides, `x.lpz`,
// `./a/b` and `dir/` name files).
func IsSourceFile(arg string) bool {
	if _, err := os.Stat(arg); err == nil {
		return true
	}
	for _, p := range []string{"./", "../", "/", "~/"} {
		if strings.HasPrefix(arg, p) {
			return true
		}
	}
	return strings.HasSuffix(strings.ToLower(arg), ".lpz") || strings.HasSuffix(arg, "/")
}
