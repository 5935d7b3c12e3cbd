package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// pretokenize splits text the way GPT-2's regular expression
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// does with Python's regex.findall, calling emit for each piece in order.
// Go's regexp has no lookahead, so the scanner is written by hand; at each
// position it tries the alternatives in the regex's order:
//
//  1. a contraction ('s 't 're 've 'm 'll 'd, case-sensitive);
//  2. an optional literal space and a run of letters (\p{L});
//  3. an optional literal space and a run of numbers (\p{N});
//  4. an optional literal space and a run of other characters (neither
//     whitespace, letter nor number);
//  5. \s+(?!\S): a whitespace run that is followed by the end of the text,
//     or, when followed by a non-space and longer than one character, the
//     run without its last character (which then starts the next piece:
//     " word" if it is a space, or a lone whitespace piece otherwise);
//  6. \s+: a single whitespace character followed by a non-space.
//
// Classes: whitespace is unicode.IsSpace (Unicode White_Space, like the
// regex module's \s), letters unicode.IsLetter, numbers unicode.IsNumber.
// Invalid UTF-8 bytes count as "other" characters, one byte each, so every
// byte of text lands in exactly one piece.
func pretokenize(text string, emit func(string)) {
	n := len(text)
	i := 0
	for i < n {
		c := text[i]
		// 1. contractions
		if c == '\'' && i+1 < n {
			switch text[i+1] {
			case 's', 't', 'm', 'd':
				emit(text[i : i+2])
				i += 2
				continue
			case 'r', 'v':
				if i+2 < n && text[i+2] == 'e' {
					emit(text[i : i+3])
					i += 3
					continue
				}
			case 'l':
				if i+2 < n && text[i+2] == 'l' {
					emit(text[i : i+3])
					i += 3
					continue
				}
			}
		}
		// 2–4: optional space, then a run of one class.
		start := i
		j := i
		if c == ' ' {
			j++
		}
		if j < n {
			cls, w := classAt(text, j)
			if cls != clsSpace {
				k := j + w
				for k < n {
					c2, w2 := classAt(text, k)
					if c2 != cls {
						break
					}
					k += w2
				}
				emit(text[start:k])
				i = k
				continue
			}
		}
		// Here text[i] is whitespace (a lone space before whitespace or the
		// end also lands here). 5 and 6.
		k := i
		last := i // start of the last whitespace rune of the run
		for k < n {
			cls, w := classAt(text, k)
			if cls != clsSpace {
				break
			}
			last = k
			k += w
		}
		if k < n && last > i {
			k = last // \s+(?!\S): leave the last space for the next piece
		}
		emit(text[i:k])
		i = k
	}
}

type class uint8

const (
	clsSpace class = iota
	clsLetter
	clsNumber
	clsOther
)

func classAt(s string, i int) (class, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && w == 1 {
		return clsOther, 1
	}
	switch {
	case unicode.IsSpace(r):
		return clsSpace, w
	case unicode.IsLetter(r):
		return clsLetter, w
	case unicode.IsNumber(r):
		return clsNumber, w
	}
	return clsOther, w
}

var asciiClass = func() (t [128]class) {
	for c := 0; c < 128; c++ {
		r := rune(c)
		switch {
		case unicode.IsSpace(r):
			t[c] = clsSpace
		case unicode.IsLetter(r):
			t[c] = clsLetter
		case unicode.IsNumber(r):
			t[c] = clsNumber
		default:
			t[c] = clsOther
		}
	}
	return
}()
