package lang

import "strings"

// Closest returns the candidate nearest to name by edit distance (ignoring
// case), if it is near enough to be a plausible misspelling: at most half
// of name's length away. Commands use it for did-you-mean hints on flags,
// subcommands and benchmark names, as the checker does for ops and inputs.
func Closest(name string, candidates []string) (string, bool) {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	return best, best != "" && bestD <= max(1, len(name)/2)
}
