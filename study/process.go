package study

import (
	"runtime/debug"
	"syscall"
)

// Binary is what the running lpz knows of its own build (lpz version, and
// the code version lpz bench build records).
type Binary struct {
	Version  string // the module version, "(devel)" for a checkout
	Revision string // the VCS revision ("" when not stamped)
	Time     string // the revision's commit time
	Modified bool   // built with uncommitted changes
}

// ThisBinary reads the running binary's build information.
func ThisBinary() Binary {
	b := Binary{Version: "(devel)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if info.Main.Version != "" {
		b.Version = info.Main.Version
	}
	set := map[string]string{}
	for _, s := range info.Settings {
		set[s.Key] = s.Value
	}
	b.Revision, b.Time, b.Modified = set["vcs.revision"], set["vcs.time"], set["vcs.modified"] == "true"
	return b
}

// Code names the binary by its short revision ("lpz 0123456789ab", with
// "+dirty" for uncommitted changes), the form BuildOptions.Revision takes.
func (b Binary) Code() string {
	if b.Revision == "" {
		return "lpz (unknown revision)"
	}
	dirty := ""
	if b.Modified {
		dirty = "+dirty"
	}
	return "lpz " + b.Revision[:min(12, len(b.Revision))] + dirty
}

// PeakRSSMB is the process's peak resident set size in MiB (Linux
// ru_maxrss; 0 when unknown): the memory a search or a capture needed.
func PeakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
