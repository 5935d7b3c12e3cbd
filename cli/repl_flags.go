package cli

import (
	"context"
	"flag"

	"lpz/repl"
)

// replFlagHooks let command groups add flags to lpz repl. Each adds its
// flags before parsing and returns what to run once the REPL exists (and
// the flags are parsed): install its commands, load what the flags name.
var replFlagHooks []func(fs *flag.FlagSet) func(ctx context.Context, r *repl.REPL) error
