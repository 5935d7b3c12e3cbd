package cli

import (
	"flag"
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

func (bs *benchSession) captureFlags(fs *flag.FlagSet) {
	if captureSettingsHook != nil {
		captureSettingsHook(bs, fs)
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
