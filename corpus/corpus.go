// Package corpus holds proxies written in lpz: the paper's searched proxies,
// hand-written ones and (in baselines/) the hand-made proxies of the
// literature. Each script ends with its expected output on the tiny inputs
// of inputs/tiny as "#> " lines, which the tests check. The files are
// embedded so that the search can seed its population from them.
package corpus

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.lpz baselines/*.lpz
var files embed.FS

// Files returns the embedded scripts by name, sorted.
func Files() (map[string]string, []string) {
	out := map[string]string{}
	var names []string
	_ = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".lpz") {
			return err
		}
		b, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = string(b)
		names = append(names, path)
		return nil
	})
	sort.Strings(names)
	return out, names
}

// Golden splits a script into its source and the expected output lines
// (the "#> " comment lines).
func Golden(src string) (expected []string) {
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(line, "#> ") || line == "#>" {
			expected = append(expected, strings.TrimPrefix(strings.TrimPrefix(line, "#>"), " "))
		}
	}
	return expected
}
