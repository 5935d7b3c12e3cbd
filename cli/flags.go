package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"lpz/lang"
)

// parseFlags parses flags that may appear before, between or after the
// positional arguments (lpz eval EXPR --inputs DIR), which the flag package
// alone does not allow. A literal "--" ends flag parsing. An argument that
// starts with a single "-" and names no flag is positional: formulas may
// start with a minus (lpz rank -params).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !looksLikeFlag(fs, a) {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			// "--pop --quiet": the value is missing, not "--quiet".
			if i+1 == len(args) || strings.HasPrefix(args[i+1], "--") && looksLikeFlag(fs, args[i+1]) {
				return nil, usagef("--%s needs a value", name)
			}
			flags = append(flags, args[i+1])
			i++
		}
	}
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, &helpRequest{fs: fs}
		}
		return nil, flagError(fs, err)
	}
	return positional, nil
}

// parseOne parses the flags of a command that takes one positional
// argument and returns it; else the usage error is want, given the number
// of arguments when it asks for it (%d).
func parseOne(fs *flag.FlagSet, args []string, want string) (string, error) {
	pos, err := parseFlags(fs, args)
	switch {
	case err != nil:
		return "", err
	case len(pos) == 1:
		return pos[0], nil
	case strings.Contains(want, "%d"):
		return "", usagef(want, len(pos))
	}
	return "", usagef("%s", want)
}

// parseNone parses the flags of a command that takes no positional
// argument; the usage error for one is unwanted with it quoted (%q).
func parseNone(fs *flag.FlagSet, args []string, unwanted string) error {
	pos, err := parseFlags(fs, args)
	if err == nil && len(pos) > 0 {
		err = usagef(unwanted, pos[0])
	}
	return err
}

// looksLikeFlag tells a flag from a positional argument that starts with a
// minus: a negative number, or a formula ("-params", "-sum(A)") that names
// no flag. Double-dash arguments are always flags, so a misspelt one is
// reported rather than taken for a formula.
func looksLikeFlag(fs *flag.FlagSet, a string) bool {
	if len(a) < 2 || a[0] != '-' || isNumber(a) {
		return false
	}
	if strings.HasPrefix(a, "--") {
		return true
	}
	name, _, _ := strings.Cut(a[1:], "=")
	return fs.Lookup(name) != nil || name == "h" || name == "help"
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// helpRequest is -h or --help: Main prints the command's help to stdout.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return "help requested" }

func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

// flagError rewrites the flag package's messages in the spelling the help
// uses (--name), with a did-you-mean for unknown flags.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		hint := ""
		if best, ok := lang.Closest(name, names); ok {
			hint = fmt.Sprintf("; did you mean --%s?", best)
		}
		return usagef("unknown flag --%s%s (lpz %s -h lists the flags; a formula that starts with - goes after --)", name, hint, fs.Name())
	}
	// invalid value "X" for flag -NAME: REASON; invalid boolean value "X" for -NAME: REASON
	for _, form := range []struct{ prefix, sep string }{{"invalid value ", " for flag -"}, {"invalid boolean value ", " for -"}} {
		rest, ok := strings.CutPrefix(msg, form.prefix)
		if !ok {
			continue
		}
		if q, after, ok := strings.Cut(rest, form.sep); ok {
			if name, reason, ok := strings.Cut(after, ": "); ok {
				if reason == "parse error" || reason == "value out of range" {
					reason = wantOf(fs.Lookup(name))
				}
				return usagef("--%s %s: %s", name, strings.Trim(q, `"`), reason)
			}
		}
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return usagef("--%s needs a value", name)
	}
	return usagef("%v", err)
}

// wantOf says what a flag of the flag package's own types accepts.
func wantOf(f *flag.Flag) string {
	if f == nil {
		return "not a valid value"
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return "not a valid value"
	}
	switch g.Get().(type) {
	case bool:
		return "want true or false"
	case int, int64:
		return "want an integer"
	case uint, uint64:
		return "want an integer ≥ 0"
	case float64:
		return "want a number"
	case time.Duration:
		return "want a duration such as 90s or 10m"
	}
	return "not a valid value"
}

// Numeric flags that know their range: a value outside it is a usage error
// when the flag is parsed, before any work, and the help shows the range.

type intRange struct {
	p      *int
	lo, hi int
}

func (r *intRange) String() string {
	if r.p == nil {
		return "0"
	}
	return strconv.Itoa(*r.p)
}

func (r *intRange) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < r.lo || n > r.hi {
		return errors.New("want an integer " + intInterval(r.lo, r.hi))
	}
	*r.p = n
	return nil
}

// Get makes intRange a flag.Getter: commands read parsed values typed.
func (r *intRange) Get() any { return *r.p }

func intInterval(lo, hi int) string {
	switch {
	case hi == math.MaxInt:
		return fmt.Sprintf("≥ %d", lo)
	case lo == hi:
		return fmt.Sprintf("equal to %d", lo)
	}
	return fmt.Sprintf("from %d to %d", lo, hi)
}

// intVar defines an int flag that accepts only lo…hi (hi = math.MaxInt: no
// upper bound).
func intVar(fs *flag.FlagSet, p *int, name string, def, lo, hi int, usage string) {
	*p = def
	fs.Var(&intRange{p, lo, hi}, name, usage+" ("+intInterval(lo, hi)+")")
}

func intFlag(fs *flag.FlagSet, name string, def, lo, hi int, usage string) *int {
	p := new(int)
	intVar(fs, p, name, def, lo, hi, usage)
	return p
}

// floatRange is a float flag on an interval; open ends are excluded. NaN
// and infinities are never accepted.
type floatRange struct {
	p              *float64
	lo, hi         float64
	loOpen, hiOpen bool
}

func (r *floatRange) String() string {
	if r.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*r.p, 'g', -1, 64)
}

func (r *floatRange) Set(s string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < r.lo || x > r.hi || r.loOpen && x == r.lo || r.hiOpen && x == r.hi {
		return errors.New("want a number in " + r.interval())
	}
	*r.p = x
	return nil
}

// Get makes floatRange a flag.Getter.
func (r *floatRange) Get() any { return *r.p }

func (r *floatRange) interval() string {
	open, close := "[", "]"
	if r.loOpen {
		open = "("
	}
	if r.hiOpen {
		close = ")"
	}
	hi := strconv.FormatFloat(r.hi, 'f', -1, 64)
	if math.IsInf(r.hi, 1) || r.hi == math.MaxFloat64 {
		hi, close = "∞", ")"
	}
	return open + strconv.FormatFloat(r.lo, 'f', -1, 64) + ", " + hi + close
}

// floatVar defines a float flag on an interval ("[0, 1]", "(0, 1]", …).
func floatVar(fs *flag.FlagSet, p *float64, name string, def float64, interval string, usage string) {
	r := parseInterval(interval)
	r.p = p
	*p = def
	fs.Var(r, name, usage+" (in "+r.interval()+")")
}

func floatFlag(fs *flag.FlagSet, name string, def float64, interval, usage string) *float64 {
	p := new(float64)
	floatVar(fs, p, name, def, interval, usage)
	return p
}

// parseInterval reads the interval notation of floatVar's callers (a
// programming error panics at start-up, never on user input).
func parseInterval(s string) *floatRange {
	r := &floatRange{loOpen: s[0] == '(', hiOpen: s[len(s)-1] == ')'}
	lo, hi, _ := strings.Cut(s[1:len(s)-1], ",")
	var err1, err2 error
	r.lo, err1 = strconv.ParseFloat(strings.TrimSpace(lo), 64)
	if hi = strings.TrimSpace(hi); hi == "inf" {
		r.hi = math.MaxFloat64
	} else {
		r.hi, err2 = strconv.ParseFloat(hi, 64)
	}
	if err1 != nil || err2 != nil {
		panic("cli: bad interval " + s)
	}
	return r
}

// durationVar is a duration flag that refuses negative durations.
type nonNegDuration struct{ p *time.Duration }

func (d *nonNegDuration) String() string {
	if d.p == nil {
		return "0s"
	}
	return d.p.String()
}

func (d *nonNegDuration) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return errors.New("want a duration ≥ 0 such as 90s or 10m")
	}
	*d.p = v
	return nil
}

func durationVar(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	fs.Var(&nonNegDuration{p}, name, usage)
}

// flagSet reports whether the user gave the flag (a default the command
// may adapt to the benchmark, such as --sample, versus a request).
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// outputFile checks an output path before any work: its directory exists
// and is writable, it is not a directory, and its extension is one of exts
// (none given: any). Results are never computed only to be lost on write.
func outputFile(flagName, path string, exts ...string) error {
	if path == "" {
		return nil
	}
	if len(exts) > 0 && !slices.Contains(exts, strings.ToLower(filepath.Ext(path))) {
		return usagef("--%s %s: want a file name ending in %s", flagName, path, strings.Join(exts, ", "))
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usagef("--%s %s: is a directory; want a file name", flagName, path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return usagef("--%s %s: directory %s does not exist", flagName, path, dir)
	}
	f, err := os.CreateTemp(dir, ".lpz-write-test-*")
	if err != nil {
		return usagef("--%s %s: cannot write in %s (%v)", flagName, path, dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// plotExts are the formats gonum/plot writes (by extension).
var plotExts = []string{".png", ".svg", ".pdf", ".eps", ".jpg", ".jpeg", ".tif", ".tiff"}

// writeFileAtomic replaces path whole or not at all (a full disk leaves the
// old file), keeping its permissions: lpz fmt -w writes through it.
func writeFileAtomic(path string, data []byte) error {
	return renameio.WriteFile(path, data, 0o644, renameio.WithExistingPermissions())
}

// repeated is a flag that may be given several times (--task A --task B).
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ",") }

// Set implements flag.Value.
func (r *repeated) Set(v string) error {
	if v == "" {
		return fmt.Errorf("needs a value, not an empty string")
	}
	*r = append(*r, v)
	return nil
}

// Get implements flag.Getter.
func (r *repeated) Get() any { return []string(*r) }
