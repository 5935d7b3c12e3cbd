package checkpoint

import (
	"errors"
	"io/fs"
	"strings"
)

// Error is every error this package returns: the file it is about, the tensor
// when there is one, and what is wrong. Err, when set, is the underlying
// cause (an *fs.PathError, a JSON error) for errors.Is and errors.As.
type Error struct {
	File   string
	Tensor string
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("checkpoint: ")
	b.WriteString(e.File)
	if e.Tensor != "" {
		b.WriteString(": tensor ")
		b.WriteString(e.Tensor)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// fileError is an Error about a whole file caused by cause. A path error
// loses its path, which the Error already names.
func fileError(file string, cause error) *Error {
	msg := cause.Error()
	var pe *fs.PathError
	if errors.As(cause, &pe) {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	return &Error{File: file, Msg: msg, Err: cause}
}
