//go:build !xla

package runtime

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
)

// XLAAvailable reports whether this binary was built with the XLA backend.
const XLAAvailable = false

func newXLA(config string) (backends.Backend, error) {
	return nil, fmt.Errorf("runtime: backend \"xla:%s\" is not compiled in: this is a cgo-free build; rebuild with `go build -tags xla` (needs cgo and a PJRT plugin .so)", config)
}
