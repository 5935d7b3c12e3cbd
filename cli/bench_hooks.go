package cli

import (
	"flag"

	"lpz/interp"
)

// Benchmark-backed inputs for `lpz eval` (--bench NAME --arch ID) are
// provided by the benchmark commands; these hooks keep the language
// commands independent of them.
var (
	addEvalBenchFlags = func(fs *flag.FlagSet) {}
	evalBenchInputs   = func(fs *flag.FlagSet, expr string) (interp.Inputs, string, bool, error) { return nil, "", false, nil }
)
