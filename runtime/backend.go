package runtime

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// DefaultSimpleGoConfig is the SimpleGo configuration used for "" and "go".
//
// Measured on the 2-core CPU (DESIGN.md §5, re-checked by
// BenchmarkSimpleGoParallelism): unlimited parallelism ("parallelism=-1")
// was the fastest setting and never deadlocked; the library default (a
// worker limit of NumCPU) deadlocked on GPT-2 sized graphs.
const DefaultSimpleGoConfig = "parallelism=-1"

// BackendEnvVar is read when NewBackend is given an empty spec. It is the
// same variable GoMLX uses, so GOMLX_BACKEND=xla:/path/plugin.so works.
const BackendEnvVar = "GOMLX_BACKEND"

// NewBackend opens the backend named by spec:
//
//	""                 → $GOMLX_BACKEND if set, else "go"
//	"go"               → SimpleGo with DefaultSimpleGoConfig
//	"go:OPTS"          → SimpleGo with the given options (see simplego.New)
//	"xla:/path/p.so"   → XLA/PJRT with that plugin (only in builds with -tags xla)
//
// The library's own default selection (which picks XLA and may try to
// download a plugin) is never used. In a build without the xla tag, asking for
// XLA returns an error that says how to rebuild.
func NewBackend(spec string) (backends.Backend, error) {
	if spec == "" {
		spec = strings.TrimSpace(os.Getenv(BackendEnvVar))
	}
	if spec == "" {
		spec = "go"
	}
	name, config := spec, ""
	if i := strings.IndexByte(spec, ':'); i >= 0 {
		name, config = spec[:i], spec[i+1:]
	}
	switch name {
	case "go", "simplego":
		if config == "" {
			config = DefaultSimpleGoConfig
		}
		return newSimpleGo(config)
	case "xla", "stablehlo", "hlo", "shlo", "pjrt":
		return newXLA(config)
	}
	return nil, fmt.Errorf("runtime: unknown backend %q (want \"go\", \"go:OPTIONS\" or \"xla:/path/to/pjrt_plugin.so\")", spec)
}

var stdoutMu sync.Mutex

// newSimpleGo builds a SimpleGo backend. simplego.New prints a line on
// stdout when parallelism is configured; that would corrupt the CLI's
// output, so stdout is pointed at /dev/null while it runs.
func newSimpleGo(config string) (b backends.Backend, err error) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	if devnull, e := os.OpenFile(os.DevNull, os.O_WRONLY, 0); e == nil {
		saved := os.Stdout
		os.Stdout = devnull
		defer func() {
			os.Stdout = saved
			_ = devnull.Close()
		}()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: SimpleGo backend %q: %v", config, r)
		}
	}()
	b, err = simplego.New(config)
	if err != nil {
		return nil, fmt.Errorf("runtime: SimpleGo backend %q: %w", config, err)
	}
	return b, nil
}
