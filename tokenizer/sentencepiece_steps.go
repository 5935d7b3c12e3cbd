package tokenizer

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// textStep is one normalizer: a function of the whole text.
type textStep func(string) string

// prependStep is the Prepend normalizer, which leaves an empty text empty.
func prependStep(prefix string) textStep {
	return func(s string) string {
		if s == "" {
			return s
		}
		return prefix + s
	}
}

func replaceStep(old, new string) textStep {
	return func(s string) string { return strings.ReplaceAll(s, old, new) }
}

// metaspace is the Metaspace pre-tokenizer of older LLaMA files: spaces
// become the replacement, which is prepended unless the text starts with
// it, and (with split) each word runs from one replacement to the next.
type metaspace struct {
	repl    string
	prepend bool // prepend_scheme "always" or "first", or add_prefix_space
	split   bool
}

func (m *metaspace) words(s string, emit func(string)) {
	s = strings.ReplaceAll(s, " ", m.repl)
	if m.prepend && s != "" && !strings.HasPrefix(s, m.repl) {
		s = m.repl + s
	}
	if !m.split {
		emit(s)
		return
	}
	for s != "" {
		from := 0
		if strings.HasPrefix(s, m.repl) {
			from = len(m.repl)
		}
		end := strings.Index(s[from:], m.repl)
		if end < 0 {
			emit(s)
			return
		}
		emit(s[:from+end])
		s = s[from+end:]
	}
}

// pieceStep is one decoder: pieces in, pieces out, joined at the end.
type pieceStep func([]string) []string

func replacePieces(old, new string) pieceStep {
	return func(pieces []string) []string {
		for i, p := range pieces {
			pieces[i] = strings.ReplaceAll(p, old, new)
		}
		return pieces
	}
}

// fusePieces is the Fuse decoder: one piece of all of them.
func fusePieces(pieces []string) []string { return []string{strings.Join(pieces, "")} }

// byteFallbackPieces is the ByteFallback decoder: each run of <0xNN>
// pieces becomes one piece of those bytes.
func byteFallbackPieces(pieces []string) []string {
	out := pieces[:0]
	var run []byte
	for _, p := range pieces {
		if b, ok := fallbackByte(p); ok {
			run = append(run, b)
			continue
		}
		if len(run) > 0 {
			out, run = append(out, string(run)), run[:0]
		}
		out = append(out, p)
	}
	if len(run) > 0 {
		out = append(out, string(run))
	}
	return out
}

// fallbackByte reads a piece of the form <0xNN> (either case of hex digit).
func fallbackByte(p string) (byte, bool) {
	if len(p) != 6 || !strings.HasPrefix(p, "<0x") || p[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(p[3:5], 16, 8)
	return byte(v), err == nil
}

// stripPieces is the Strip decoder: up to start copies of ch removed from
// the front of each piece and up to stop from its back.
func stripPieces(ch string, start, stop int) pieceStep {
	return func(pieces []string) []string {
		for i, p := range pieces {
			for n := 0; n < start && strings.HasPrefix(p, ch); n++ {
				p = p[len(ch):]
			}
			for n := 0; n < stop && strings.HasSuffix(p, ch); n++ {
				p = p[:len(p)-len(ch)]
			}
			pieces[i] = p
		}
		return pieces
	}
}

// metaspacePieces is the Metaspace decoder: the replacement becomes a space,
// except in the first piece when a prefix was prepended, where Hugging Face
// drops every replacement, not only the leading one.
func metaspacePieces(repl string, prepended bool) pieceStep {
	return func(pieces []string) []string {
		for i, p := range pieces {
			with := " "
			if i == 0 && prepended {
				with = ""
			}
			pieces[i] = strings.ReplaceAll(p, repl, with)
		}
		return pieces
	}
}

// oneChar reports whether s is a single character, as the replacement and
// Strip content of a tokenizer.json must be.
func oneChar(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return s != "" && size == len(s) && r != utf8.RuneError
}
