package cli

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"lpz/lang"
	"lpz/stdlib"
)

// Capture settings shared by every command that may capture channels. The
// runtime wiring reads them through benchSession.captureFlags.
var captureFlagHooks []func(fs *flag.FlagSet)

func addCaptureFlags(fs *flag.FlagSet) {
	for _, h := range captureFlagHooks {
		h(fs)
	}
}

// captureSettingsHook copies parsed capture flags into a benchSession.
var captureSettingsHook func(bs *benchSession, fs *flag.FlagSet)

// captureFlags reads the capture flags, after setting those the user did
// not give to the benchmark's defaults (said on w).
func (bs *benchSession) captureFlags(fs *flag.FlagSet, w io.Writer) {
	bs.applyDefaults(fs, w)
	if captureSettingsHook != nil {
		captureSettingsHook(bs, fs)
	}
}

// applyDefaults sets the flags of fs that the benchmark has defaults for
// and the user left alone; --inputs only for lpz search, whose terminals
// it names (elsewhere --inputs is a directory).
func (bs *benchSession) applyDefaults(fs *flag.FlagSet, w io.Writer) {
	d := bs.b.Defaults
	if d == nil {
		return
	}
	var set []string
	apply := func(name, value string) {
		if value == "" || value == "0" || fs.Lookup(name) == nil || flagSet(fs, name) {
			return
		}
		if err := fs.Set(name, value); err == nil {
			set = append(set, "--"+name+" "+value)
		}
	}
	if fs.Name() == "search" {
		apply("inputs", d.Inputs)
	}
	apply("batch", strconv.Itoa(d.Batch))
	apply("seq", strconv.Itoa(d.Seq))
	if len(set) > 0 && w != nil {
		fmt.Fprintf(w, "%s sets %s (%s; give the flags to change them)\n", bs.b.Name, strings.Join(set, " "), d.Why)
	}
}

// captureDescriptionHook describes backend and capture settings for reports.
var captureDescriptionHook func(bs *benchSession) (backend, capture string)

func (bs *benchSession) captureDescription() (string, string) {
	if captureDescriptionHook == nil {
		return "", ""
	}
	return captureDescriptionHook(bs)
}

func elapsedSince() nowFunc {
	t0 := time.Now()
	return func() float64 { return time.Since(t0).Seconds() }
}

type langType = lang.Type

// listChannels names the list-typed channels of the channel table.
func listChannels() []string {
	var out []string
	for _, c := range stdlib.Channels {
		if c.Type.IsList() {
			out = append(out, c.Name)
		}
	}
	return out
}
