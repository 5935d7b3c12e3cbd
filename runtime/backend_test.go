package runtime

import (
	"strings"
	"testing"
)

func TestNewBackend(t *testing.T) {
	t.Setenv(BackendEnvVar, "")
	for _, spec := range []string{"", "go", "go:parallelism=1"} {
		b, err := NewBackend(spec)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		if b.String() != "go" {
			t.Errorf("%q: backend %s", spec, b.String())
		}
	}
	if _, err := NewBackend("go:bogus"); err == nil {
		t.Error("bad SimpleGo option accepted")
	}
	if _, err := NewBackend("tpu"); err == nil {
		t.Error("unknown backend accepted")
	}
	if !XLAAvailable {
		_, err := NewBackend("xla:/nonexistent/pjrt_c_api_cpu_plugin.so")
		if err == nil || !strings.Contains(err.Error(), "-tags xla") {
			t.Errorf("xla without the build tag: %v", err)
		}
		t.Setenv(BackendEnvVar, "xla:/x.so")
		if _, err := NewBackend(""); err == nil || !strings.Contains(err.Error(), "-tags xla") {
			t.Errorf("GOMLX_BACKEND=xla without the build tag: %v", err)
		}
	}
}
