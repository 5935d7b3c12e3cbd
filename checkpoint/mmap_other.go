//go:build !unix

package checkpoint

import "os"

// mapFile reads the whole file where memory mapping is not available; the
// loaders still hold one shard's bytes at a time.
func mapFile(path string) ([]byte, func(), error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return buf, func() {}, nil
}
