package stdlib

import (
	"fmt"
	"strings"

	"lpz/lang"
)

// The op and channel tables rendered as documentation: Reference (in
// ops.go) and ChannelReference are `lpz ops`, Entry is `lpz ops NAME`,
// Markdown is `lpz ops --md` (the README's tables).

// AllChannels is every input a benchmark architecture can have: Channels,
// then ExtraChannels.
func AllChannels() []Channel {
	return append(append([]Channel{}, Channels...), ExtraChannels...)
}

// ChannelReference renders the channel table as text.
func ChannelReference() string {
	var b strings.Builder
	b.WriteString("inputs (capture channels and architecture scalars):\n")
	for _, c := range AllChannels() {
		fmt.Fprintf(&b, "  %-8s %-22s %s\n", c.Name, c.Type, c.Doc)
	}
	return b.String()
}

// Entry is the reference entry of an operator (by any of its names) or an
// input channel; an unknown name is an error with a did-you-mean.
func (t *Table) Entry(name string) (string, error) {
	var b strings.Builder
	if op, ok := t.Lookup(name); ok {
		fmt.Fprintf(&b, "%s: %s\n", op.Name, op.Doc)
		aliases := strings.Join(op.Aliases, ", ")
		if aliases == "" {
			aliases = "none"
		}
		args := fmt.Sprint(op.Arity)
		if op.Class.ConstArg() {
			args += " (the second a constant number)"
		}
		fmt.Fprintf(&b, "  aliases     %s\n  class       %s\n  arguments   %s\n  definition  %s\n", aliases, op.Class, args, op.Def)
		if op.Sign != AnySign {
			fmt.Fprintf(&b, "  sign        %s\n", op.Sign)
		}
		fmt.Fprintf(&b, "  cost        %d\n", op.Cost)
		if op.NoSearch {
			fmt.Fprintf(&b, "  search      not in the search's vocabulary\n")
		}
		return b.String(), nil
	}
	if c, ok := LookupChannel(name); ok {
		fmt.Fprintf(&b, "%s: input\n  type        %s\n  what        %s\n", c.Name, c.Type, c.Doc)
		return b.String(), nil
	}
	names := t.OpNames()
	for _, c := range AllChannels() {
		names = append(names, c.Name)
	}
	hint := " (lpz ops lists them all)"
	if best, ok := lang.Closest(name, names); ok {
		hint = fmt.Sprintf("; did you mean %q?", best)
	}
	return "", fmt.Errorf("no operator or input named %q%s", name, hint)
}

// Markdown renders the op table and the channel table as Markdown tables.
func (t *Table) Markdown() string {
	var b strings.Builder
	b.WriteString("| op | aliases | class | definition | doc | cost |\n|---|---|---|---|---|---|\n")
	for _, op := range t.AllOps() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %d |\n", op.Name, strings.Join(op.Aliases, ", "), op.Class, mdEscape(op.Def), mdEscape(op.Doc), op.Cost)
	}
	b.WriteString("\n| input | type | what |\n|---|---|---|\n")
	for _, c := range AllChannels() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, c.Type, c.Doc)
	}
	return b.String()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
