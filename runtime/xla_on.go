//go:build xla

package runtime

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
)

// XLAAvailable reports whether this binary was built with the XLA backend.
const XLAAvailable = true

// newXLA opens the XLA/PJRT backend. config is "/abs/path/plugin.so" with
// optional ",option" suffixes (see xla.NewWithOptions). Auto-install (a
// download) is always disabled: a plugin must be named by absolute path or
// be found through PJRT_PLUGIN_LIBRARY_PATH.
func newXLA(config string) (b backends.Backend, err error) {
	xla.EnableAutoInstall(false)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("runtime: XLA backend %q: %v", config, r)
		}
	}()
	plugin := config
	for i := 0; i < len(config); i++ {
		if config[i] == ',' {
			plugin = config[:i]
			break
		}
	}
	if plugin != "" && !filepath.IsAbs(plugin) && filepath.Ext(plugin) == ".so" {
		return nil, fmt.Errorf("runtime: XLA plugin path %q must be absolute", plugin)
	}
	be, err := xla.New(config)
	if err != nil {
		return nil, fmt.Errorf("runtime: XLA backend %q: %w", config, err)
	}
	return be, nil
}
