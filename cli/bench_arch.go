package cli

import (
	"lpz/bench"
	"lpz/study"
)

// openBenchArch opens benchmark name and finds architecture id in it (see
// study.OpenArch).
func openBenchArch(name, id, data, fidelity string) (*benchSession, bench.Arch, error) {
	s, a, err := study.OpenArch(name, id, data, fidelity)
	return wrapSession(s), a, err
}

func findArch(b *bench.Benchmark, id string) (bench.Arch, error) { return study.FindArch(b, id) }
