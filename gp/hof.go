package gp

import "sort"

// HallEntry is the best proxy found at one complexity; Pareto marks the
// entries better than every simpler one (the Pareto front of fitness vs size).
type HallEntry struct {
	Individual
	Pareto bool `json:"pareto"`
}

func hallOfFame(h map[int]Individual) []HallEntry {
	out := make([]HallEntry, 0, len(h))
	for _, ind := range h {
		out = append(out, HallEntry{Individual: ind})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Complexity < out[j].Complexity })
	best := -2.0
	for i := range out {
		if out[i].Fitness > best {
			out[i].Pareto = true
			best = out[i].Fitness
		}
	}
	return out
}

// Pareto returns the Pareto front of a hall of fame.
func Pareto(h []HallEntry) []HallEntry {
	var out []HallEntry
	for _, e := range h {
		if e.Pareto {
			out = append(out, e)
		}
	}
	return out
}
