package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadHF feeds arbitrary bytes to the tokenizer.json reader: it must
// answer with a tokenizer or an error naming the file, never panic, and a
// tokenizer it returns must only produce ids it knows.
func FuzzLoadHF(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(tinyDir, hfFileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := parseHF(data, "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tokenizer: fuzz.json") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, text := range []string{"", "the cat", "  ab\n", "é🙂", "\xff"} {
			ids := tok.Encode(text)
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() {
					t.Fatalf("Encode(%q) gave id %d outside the vocabulary of %d", text, id, tok.VocabSize())
				}
				if _, ok := tok.pieces[id]; !ok {
					t.Fatalf("Encode(%q) gave id %d, which has no piece", text, id)
				}
			}
			tok.Decode(ids)
		}
	})
}

// FuzzSentencePieceRoundTrip checks Decode(Encode(s)) == s on the test
// vocabulary for any text without "▁" (which decodes as a space), and that
// Encode never emits a special token.
func FuzzSentencePieceRoundTrip(f *testing.F) {
	for _, s := range roundTrips {
		f.Add(s)
	}
	tok := tinyHF(f)
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "▁") {
			return
		}
		ids := tok.Encode(s)
		for _, id := range ids {
			if tok.special[id] {
				t.Fatalf("Encode(%q) gave special token %q", s, tok.Token(id))
			}
		}
		if got := tok.Decode(ids); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q (pieces %q)", s, got, piecesOf(tok, ids))
		}
	})
}
