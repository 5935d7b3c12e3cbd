package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// tinyDir holds a hand-written tokenizer.json laid out as LLaMA-2's: ids 0-2
// <unk> <s> </s>, 3-258 the byte pieces <0x00>..<0xFF>, then "▁", 15
// letters and the results of 13 merges ("▁ t", "h e", "▁t he", "▁ ▁", …).
const tinyDir = "testdata/llama_tiny"

var tinyOnce = sync.OnceValues(func() (*SentencePieceBPE, error) { return LoadHF(tinyDir) })

func tinyHF(t testing.TB) *SentencePieceBPE {
	t.Helper()
	tok, err := tinyOnce()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// idsOf maps pieces to their ids in tok, failing on a piece it lacks.
func idsOf(t testing.TB, tok *SentencePieceBPE, pieces ...string) []int {
	t.Helper()
	ids := make([]int, 0, len(pieces))
	for _, p := range pieces {
		id, ok := tok.TokenID(p)
		if !ok {
			t.Fatalf("piece %q not in the test vocabulary", p)
		}
		ids = append(ids, id)
	}
	return ids
}

func piecesOf(tok *SentencePieceBPE, ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tok.Token(id)
	}
	return out
}

// The expected pieces are worked out by hand from the merge list: the
// lowest-ranked adjacent pair merges first, the leftmost among equals.
var tinyEncodings = []struct {
	text   string
	pieces []string
}{
	{"", nil},
	{"the cat", []string{"▁the", "▁cat"}},
	{"her", []string{"▁", "he", "r"}},                      // "h e" outranks "e r"
	{"er", []string{"▁", "er"}},                            // …which applies when alone
	{"other", []string{"▁", "o", "t", "he", "r"}},          // "▁ t" needs ▁ before t
	{"sing", []string{"▁", "s", "ing"}},                    // "i n", then "in g"
	{"catcat", []string{"▁cat", "cat"}},                    // "a t" and "c at" before "▁ c"
	{"café", []string{"▁c", "a", "f", "<0xC3>", "<0xA9>"}}, // é by byte fallback
	{"hi 🙂", []string{"▁", "h", "i", "▁", "<0xF0>", "<0x9F>", "<0x99>", "<0x82>"}},
	{"  the", []string{"▁▁", "▁the"}},        // "▁ t" outranks "▁ ▁"
	{"a  b", []string{"▁a", "▁▁", "<0x62>"}}, // "▁ ▁" ranks before "▁ a"
	{"   x", []string{"▁▁▁▁", "<0x78>"}},     // "▁ ▁" twice, then "▁▁ ▁▁"
	{" ", []string{"▁▁"}},
	{"the ", []string{"▁the", "▁"}},
	{"\n", []string{"▁", "<0x0A>"}},
	{"<s>", []string{"▁", "<0x3C>", "s", "<0x3E>"}}, // added tokens in text are text
}

func TestSentencePieceEncode(t *testing.T) {
	tok := tinyHF(t)
	for _, c := range tinyEncodings {
		if got := tok.Encode(c.text); !slices.Equal(got, idsOf(t, tok, c.pieces...)) {
			t.Errorf("Encode(%q) = %q, want %q", c.text, piecesOf(tok, got), c.pieces)
		}
	}
}

func TestSentencePieceIDs(t *testing.T) {
	tok := tinyHF(t)
	for text, want := range map[string][]int{
		"the cat": {277, 281},
		"é":       {259, 3 + 0xC3, 3 + 0xA9},
	} {
		if got := tok.Encode(text); !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, want %v", text, got, want)
		}
	}
	if n := tok.VocabSize(); n != 288 {
		t.Errorf("VocabSize = %d, want 288", n)
	}
	if id, ok := tok.BOS(); id != 1 || !ok {
		t.Errorf("BOS = %d, %v, want 1, true", id, ok)
	}
}

var roundTrips = []string{
	"", " ", "  ", "the cat", " leading", "trailing ", "a  b   c", "tab\there",
	"new\nline\r\n", "café", "🙂 and 日本語", "<s> is text", "\x00\x7f", "Ünïcödé ẞ",
	"\xff\xfe invalid UTF-8 \xc3", "\ufffd",
}

func TestSentencePieceRoundTrip(t *testing.T) {
	tok := tinyHF(t)
	for _, s := range roundTrips {
		if got := tok.Decode(tok.Encode(s)); got != s {
			t.Errorf("Decode(Encode(%q)) = %q", s, got)
		}
	}
}

func TestSentencePieceDecode(t *testing.T) {
	tok := tinyHF(t)
	for _, c := range []struct {
		ids  []int
		want string
	}{
		{[]int{1, 277, 281, 2}, "the cat"},        // <s> and </s> are left out
		{[]int{277, -1, 1 << 20, 281}, "the cat"}, // unknown ids too
		{[]int{259, 259, 277}, "  the"},           // one leading space stripped
		{[]int{281}, "cat"},
		{[]int{259, 3 + 0xC3}, "\xc3"}, // a cut-off byte run stays raw
		{idsOf(t, tok, "h", "<0x69>", "<0x21>"), "hi!"},
		{nil, ""},
	} {
		if got := tok.Decode(c.ids); got != c.want {
			t.Errorf("Decode(%v) = %q, want %q", c.ids, got, c.want)
		}
	}
}

// tinyJSON is the test file as a generic JSON value, for variants of it.
func tinyJSON(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tinyDir, hfFileName))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func model(doc map[string]any) map[string]any { return doc["model"].(map[string]any) }

func vocab(doc map[string]any) map[string]any { return model(doc)["vocab"].(map[string]any) }

// writeHF writes doc as an indented tokenizer.json in a new directory.
func writeHF(t testing.TB, doc any) string {
	t.Helper()
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), hfFileName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func loadVariant(t *testing.T, edit func(doc map[string]any)) *SentencePieceBPE {
	t.Helper()
	doc := tinyJSON(t)
	edit(doc)
	tok, err := LoadHF(writeHF(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestLoadHFMergeSpellings(t *testing.T) {
	asPairs := func(every int) func(map[string]any) {
		return func(doc map[string]any) {
			merges := model(doc)["merges"].([]any)
			for i, m := range merges {
				if i%every == 0 {
					a, b, _ := strings.Cut(m.(string), " ")
					merges[i] = []any{a, b}
				}
			}
		}
	}
	want := tinyHF(t)
	for name, edit := range map[string]func(map[string]any){"pairs": asPairs(1), "mixed": asPairs(2)} {
		tok := loadVariant(t, edit)
		for _, c := range tinyEncodings {
			if got, w := tok.Encode(c.text), want.Encode(c.text); !slices.Equal(got, w) {
				t.Errorf("%s: Encode(%q) = %v, want %v", name, c.text, got, w)
			}
		}
	}
}

// metaspaceLayout turns the test file into the older layout: no
// normalizer, a Metaspace pre-tokenizer, and ByteFallback then Metaspace
// as the decoder.
func metaspaceLayout(fields map[string]any) func(map[string]any) {
	return func(doc map[string]any) {
		ms := map[string]any{"type": "Metaspace", "replacement": "▁"}
		for k, v := range fields {
			ms[k] = v
		}
		decoder := map[string]any{"type": "Sequence", "decoders": []any{map[string]any{"type": "ByteFallback"}, ms}}
		doc["normalizer"], doc["pre_tokenizer"], doc["decoder"] = nil, ms, decoder
	}
}

// Hugging Face's Metaspace adds no prefix to a text that starts with a
// space, splits words before each ▁ unless split is false, and its decoder
// drops every ▁ of the first piece: leading spaces do not round-trip.
func TestLoadHFMetaspace(t *testing.T) {
	for _, c := range []struct {
		name   string
		fields map[string]any
		text   string
		pieces []string
		back   string
	}{
		{"split", map[string]any{"add_prefix_space": true}, "a  the", []string{"▁a", "▁", "▁the"}, "a  the"},
		{"split", map[string]any{"add_prefix_space": true}, "  x", []string{"▁", "▁", "<0x78>"}, " x"},
		{"split", map[string]any{"add_prefix_space": true}, " the", []string{"▁the"}, "the"},
		{"whole", map[string]any{"prepend_scheme": "first", "split": false}, "  x", []string{"▁▁", "<0x78>"}, "x"},
		{"whole", map[string]any{"prepend_scheme": "first", "split": false}, "a  b", []string{"▁a", "▁▁", "<0x62>"}, "a  b"},
		{"never", map[string]any{"prepend_scheme": "never"}, "the cat", []string{"t", "he", "▁cat"}, "the cat"},
	} {
		tok := loadVariant(t, metaspaceLayout(c.fields))
		got := tok.Encode(c.text)
		if want := idsOf(t, tok, c.pieces...); !slices.Equal(got, want) {
			t.Errorf("%s: Encode(%q) = %q, want %q", c.name, c.text, piecesOf(tok, got), c.pieces)
		}
		if back := tok.Decode(got); back != c.back {
			t.Errorf("%s: Decode(Encode(%q)) = %q, want %q", c.name, c.text, back, c.back)
		}
	}
}

func TestLoadHFUnknown(t *testing.T) {
	noFallback := func(fuse bool) func(map[string]any) {
		return func(doc map[string]any) {
			model(doc)["byte_fallback"], model(doc)["fuse_unk"] = false, fuse
		}
	}
	fused := loadVariant(t, noFallback(true))
	if got, want := fused.Encode("éé t"), idsOf(t, fused, "▁", "<unk>", "▁t"); !slices.Equal(got, want) {
		t.Errorf("fused: Encode = %q, want %q", piecesOf(fused, got), piecesOf(fused, want))
	}
	apart := loadVariant(t, noFallback(false))
	if got, want := apart.Encode("éé"), idsOf(t, apart, "▁", "<unk>", "<unk>"); !slices.Equal(got, want) {
		t.Errorf("unfused: Encode = %q, want %q", piecesOf(apart, got), piecesOf(apart, want))
	}
	dropped := loadVariant(t, func(doc map[string]any) {
		noFallback(true)(doc)
		delete(model(doc), "unk_token")
	})
	if got, want := dropped.Encode("éat"), idsOf(t, dropped, "▁", "at"); !slices.Equal(got, want) {
		t.Errorf("no unk_token: Encode = %q, want %q", piecesOf(dropped, got), piecesOf(dropped, want))
	}
}
