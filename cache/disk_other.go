//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package cache

import "errors"

func freeBytes(string) (int64, error) {
	return 0, errors.New("free disk space is not known on this system")
}
