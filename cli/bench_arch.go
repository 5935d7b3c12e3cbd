package cli

import (
	"fmt"
	"strings"

	"lpz/bench"
	"lpz/lang"
)

// openBenchArch opens benchmark name and finds architecture id in it (no
// id: just the benchmark). Without a name it is the default benchmark, or
// else the first benchmark (of the data directory, or embedded) that has
// an architecture id.
func openBenchArch(name, id, data, fidelity string) (*benchSession, bench.Arch, error) {
	bs, err := openBench(name, data, fidelity)
	if name == "" && id != "" && (err != nil || !hasArch(bs, id)) {
		found, hint := benchWithArch(id, bench.DataDir(data))
		if found == "" {
			return nil, bench.Arch{}, fmt.Errorf("no benchmark has an architecture %q%s; --bench NAME names the benchmark (%s)", id, hint, bench.Known)
		}
		bs, err = openBench(found, data, fidelity)
	}
	if err != nil || id == "" {
		return bs, bench.Arch{}, err
	}
	a, err := findArch(bs.b, id)
	return bs, a, err
}

func hasArch(bs *benchSession, id string) bool {
	_, ok := bs.b.Arch(id)
	return ok
}

// benchWithArch names the benchmark of dir, or the embedded one, that has
// an architecture id; failing that, hint suggests the nearest id of them all.
func benchWithArch(id, dir string) (name, hint string) {
	var ids []string
	where := map[string]string{}
	for _, n := range append(append([]string{}, bench.Names...), bench.Embedded...) {
		b, err := bench.LoadAny(n, dir)
		if err != nil {
			continue
		}
		if _, ok := b.Arch(id); ok {
			return n, ""
		}
		for _, other := range b.IDs() {
			if _, dup := where[other]; !dup {
				where[other] = n
				ids = append(ids, other)
			}
		}
	}
	if near, ok := lang.Closest(id, ids); ok {
		hint = fmt.Sprintf(" (did you mean %q of %s?)", near, where[near])
	}
	return "", hint
}

// findArch looks an architecture up, or says which ids there are and which
// one was probably meant.
func findArch(b *bench.Benchmark, id string) (bench.Arch, error) {
	if a, ok := b.Arch(id); ok {
		return a, nil
	}
	ids := b.IDs()
	hint := ""
	if near, ok := lang.Closest(id, ids); ok {
		hint = fmt.Sprintf("; did you mean %q?", near)
	}
	some := ids
	if len(ids) > 4 {
		some = append(append([]string{}, ids[:3]...), "…", ids[len(ids)-1])
	}
	return bench.Arch{}, fmt.Errorf("benchmark %s has no architecture %q%s (its %d ids: %s; lpz bench show %s)", b.Name, id, hint, len(ids), strings.Join(some, " "), b.Name)
}
