package lang

import (
	"os"
	"strings"
	"testing"
)

func TestReadSource(t *testing.T) {
	dir := t.TempDir()
	ok := dir + "/ok.lpz"
	if err := os.WriteFile(ok, []byte("proxy p = fro(A)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := dir + "/big.lpz"
	if err := os.WriteFile(big, make([]byte, MaxSourceBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if src, err := ReadSource(ok); err != nil || src != "proxy p = fro(A)\n" {
		t.Fatalf("ReadSource(ok) = %q, %v", src, err)
	}
	for _, c := range []struct{ path, want string }{
		{dir + "/missing.lpz", "missing.lpz: no such file"},
		{dir, ": is a directory, not an lpz script"},
		{big, "big.lpz: larger than 16777216 bytes (lang.MaxSourceBytes)"},
	} {
		if _, err := ReadSource(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadSource(%s) = %v, want %q", c.path, err, c.want)
		}
	}
}

func TestIsSourceFile(t *testing.T) {
	for arg, want := range map[string]bool{
		"a/b": false, "fro(A)": false, "x.lpz": true, "X.LPZ": true, "./a/b": true, "../a": true,
		"/abs": true, "~/p": true, "dir/": true, "source_test.go": true, // an existing file
	} {
		if got := IsSourceFile(arg); got != want {
			t.Errorf("IsSourceFile(%q) = %v, want %v", arg, got, want)
		}
	}
}
