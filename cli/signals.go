package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// A long command stops on the first SIGINT (Ctrl-C) or SIGTERM (what batch
// systems send before they kill a job): its context is cancelled with the
// signal as the cause, the command keeps and prints what it has finished,
// and lpz exits with 128 + the signal's number, as a shell reports a
// process the signal killed (130, 143). A second signal quits at once.

// signalCause is the cancellation cause of a command's context.
type signalCause struct{ sig syscall.Signal }

func (c *signalCause) Error() string { return "interrupted by " + signalName(c.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// interruptError ends a command that stopped on a signal after printing its
// partial results; msg says what was kept and how to go on.
type interruptError struct {
	sig syscall.Signal
	msg string
}

func (e *interruptError) Error() string { return e.msg }

func (e *interruptError) code() int { return 128 + int(e.sig) }

// interrupted builds the error a command returns when ctx was stopped by a
// signal; format says what was kept (e.g. "37 of 200 architectures scored").
func interrupted(ctx context.Context, format string, args ...any) error {
	sig := syscall.SIGINT
	var sc *signalCause
	if errors.As(context.Cause(ctx), &sc) {
		sig = sc.sig
	}
	return &interruptError{sig: sig, msg: fmt.Sprintf("interrupted by %s: ", signalName(sig)) + fmt.Sprintf(format, args...)}
}

// stoppedBySignal reports whether ctx was cancelled by a signal (rather
// than finishing or failing).
func stoppedBySignal(ctx context.Context) bool {
	var sc *signalCause
	return errors.As(context.Cause(ctx), &sc)
}

// notifySignals and exitNow are the process-wide parts, replaced in tests.
var (
	notifySignals = func(c chan<- os.Signal) (stop func()) {
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		return func() { signal.Stop(c) }
	}
	exitNow = os.Exit
)

// interruptible returns a context that the first SIGINT or SIGTERM cancels
// (saying on stderr that the command is stopping and keeping its results)
// and a stop function to call when the command ends. A second signal exits
// at once with 128 + its number.
func interruptible(stderr io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	stopNotify := notifySignals(ch)
	done := make(chan struct{})
	go func() {
		var first syscall.Signal
		select {
		case s := <-ch:
			first = toSyscall(s)
			fmt.Fprintf(stderr, "\nlpz: %s: stopping and keeping what is done (press Ctrl-C again to quit at once)\n", signalName(first))
			cancel(&signalCause{first})
		case <-done:
			return
		}
		select {
		case s := <-ch:
			sig := toSyscall(s)
			fmt.Fprintf(stderr, "\nlpz: %s again: quitting now\n", signalName(sig))
			exitNow(128 + int(sig))
		case <-done:
		}
	}()
	var once bool
	return ctx, func() {
		if once {
			return
		}
		once = true
		close(done)
		stopNotify()
		cancel(nil)
	}
}

func toSyscall(s os.Signal) syscall.Signal {
	if ss, ok := s.(syscall.Signal); ok {
		return ss
	}
	return syscall.SIGINT
}

// signalContext is interruptible for the short language commands, whose
// only output stream for the notice is the process's stderr.
func signalContext() (context.Context, context.CancelFunc) {
	return interruptible(os.Stderr)
}
