package tokenizer

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLoadHFErrors(t *testing.T) {
	setModel := func(key string, v any) func(map[string]any) {
		return func(doc map[string]any) { model(doc)[key] = v }
	}
	addMerge := func(m any) func(map[string]any) {
		return func(doc map[string]any) { model(doc)["merges"] = append(model(doc)["merges"].([]any), m) }
	}
	for _, c := range []struct {
		name string
		edit func(doc map[string]any)
		want string // a regular expression the error must match after the file name
	}{
		{"no model", func(doc map[string]any) { delete(doc, "model") }, `^: model: missing$`},
		{"no model type", func(doc map[string]any) { delete(model(doc), "type") }, `^: model\.type: missing`},
		{"unigram", func(doc map[string]any) {
			model(doc)["type"], model(doc)["vocab"] = "Unigram", []any{[]any{"<unk>", 0.0}}
		}, `^: model\.type: "Unigram" is not supported: LoadHF reads "BPE"`},
		{"llama-3", func(doc map[string]any) {
			doc["normalizer"] = nil
			doc["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\s+`}, "behavior": "Isolated"},
				map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
			}}
			doc["decoder"] = map[string]any{"type": "ByteLevel"}
		}, `^: pre_tokenizer\.pretokenizers\[1\]: ByteLevel is not supported: this is a byte-level BPE \(as LLaMA-3`},
		{"byte-level decoder", func(doc map[string]any) { doc["decoder"] = map[string]any{"type": "ByteLevel"} },
			`^: decoder: ByteLevel is not supported`},
		{"pre-tokenizer sequence", func(doc map[string]any) {
			doc["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{}}
		}, `^: pre_tokenizer: "Sequence" is not supported \(LoadHF reads Metaspace here\)`},
		{"nfkc", func(doc map[string]any) {
			doc["normalizer"].(map[string]any)["normalizers"].([]any)[0] = map[string]any{"type": "NFKC"}
		}, `^: normalizer\.normalizers\[0\]: "NFKC" is not supported \(LoadHF reads Sequence, Prepend, Replace here\)`},
		{"untyped", func(doc map[string]any) { doc["normalizer"] = map[string]any{} }, `^: normalizer: no "type"`},
		{"null member", func(doc map[string]any) {
			doc["decoder"].(map[string]any)["decoders"].([]any)[2] = nil
		}, `^: decoder\.decoders\[2\]: null$`},
		{"regex", func(doc map[string]any) {
			doc["normalizer"].(map[string]any)["normalizers"].([]any)[1].(map[string]any)["pattern"] = map[string]any{"Regex": " +"}
		}, `^: normalizer\.normalizers\[1\]\.pattern: Regex patterns are not supported`},
		{"strip content", func(doc map[string]any) {
			doc["decoder"].(map[string]any)["decoders"].([]any)[3].(map[string]any)["content"] = "ab"
		}, `^: decoder\.decoders\[3\]\.content: want one character, got "ab"`},
		{"replacement", metaspaceLayout(map[string]any{"replacement": ""}), `^: pre_tokenizer\.replacement: want one character, got ""`},
		{"prepend scheme", metaspaceLayout(map[string]any{"prepend_scheme": "sometimes"}), `^: pre_tokenizer\.prepend_scheme: "sometimes" is not always, first or never`},
		{"merge token", addMerge("a b"), `^: model\.merges\[13\]: token "b" is not in model\.vocab$`},
		{"merge result", addMerge("▁ w"), `^: model\.merges\[13\]: merging "▁" and "w" makes "▁w", which is not in model\.vocab`},
		{"merge pair token", addMerge([]any{"q", "a"}), `^: model\.merges\[13\]: token "q" is not in model\.vocab`},
		{"merge spaces", addMerge("a t h"), `^: model\.merges\[13\]: "a t h" is not two tokens separated by one space`},
		{"merge number", addMerge(7), `^: model\.merges\[13\]: want "a b" or \["a", "b"\], got 7`},
		{"merge triple", addMerge([]any{"a", "t", "h"}), `^: model\.merges\[13\]: want "a b" or \["a", "b"\], got a list of 3`},
		{"no byte token", func(doc map[string]any) { delete(vocab(doc), "<0xE9>") },
			`^: model\.vocab: no byte-fallback token "<0xE9>", though model\.byte_fallback is true`},
		{"unk", setModel("unk_token", "<oops>"), `^: model\.unk_token: "<oops>" is not in model\.vocab`},
		{"dropout", setModel("dropout", 0.1), `^: model\.dropout: 0\.1 is not supported`},
		{"prefix", setModel("continuing_subword_prefix", "##"), `^: model\.continuing_subword_prefix: "##" is not supported`},
		{"empty vocab", setModel("vocab", map[string]any{}), `^: model\.vocab: missing or empty`},
		{"negative id", func(doc map[string]any) { vocab(doc)["zz"] = -3 }, `^: model\.vocab: "zz" has id -3, out of range`},
		{"shared id", func(doc map[string]any) { vocab(doc)["zz"] = 5 }, `^: model\.vocab: id 5 is given to both "<0x02>" and "zz"`},
		{"id type", func(doc map[string]any) { vocab(doc)["zz"] = "x" }, `^:\d+:\d+: model\.vocab: want a number, got string$`},
		{"added id", func(doc map[string]any) {
			doc["added_tokens"].([]any)[1].(map[string]any)["id"] = 5
		}, `^: added_tokens\[1\]: "<s>" has id 5, but model\.vocab gives it 1`},
		{"added no id", func(doc map[string]any) {
			delete(doc["added_tokens"].([]any)[2].(map[string]any), "id")
		}, `^: added_tokens\[2\]\.id: missing`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := tinyJSON(t)
			c.edit(doc)
			path := writeHF(t, doc)
			checkLoadErr(t, path, c.want)
		})
	}
}

// checkLoadErr wants LoadHF(path) to fail with "tokenizer: PATH" followed
// by a match of want.
func checkLoadErr(t *testing.T, path, want string) {
	t.Helper()
	tok, err := LoadHF(path)
	if err == nil {
		t.Fatalf("loaded (%d ids), want an error matching %s", tok.VocabSize(), want)
	}
	rest, ok := strings.CutPrefix(err.Error(), "tokenizer: "+path)
	if !ok || !regexp.MustCompile(want).MatchString(rest) {
		t.Errorf("error %q\nwant tokenizer: %s then %s", err, path, want)
	}
}

// Syntax and type errors carry the line and column of the bad value.
func TestLoadHFPositions(t *testing.T) {
	for _, c := range []struct {
		name, text, want string
	}{
		{"syntax", "{\n  \"model\": {\n    \"type\": tru\n  }\n}", `^:3:16: malformed JSON: invalid character '\\n' in literal true`},
		{"truncated", "{\"model\": {", `^:1:11: malformed JSON: unexpected end of JSON input$`},
		{"vocab type", "{\"model\": {\n\"type\": \"BPE\",\n\"vocab\": {\"a\": 0,\n \"b\": [1]}}}", `^:4:7: model\.vocab: want a number, got array$`},
		{"vocab string", "{\"model\": {\n\"type\": \"BPE\",\n\"vocab\": {\"a\": 0,\n \"b\": \"x\"}}}", `^:4:9: model\.vocab: want a number, got string$`},
		{"array", "[1, 2]", `^:1:1: want an object, got array$`},
		{"null", "null", `^: model: missing$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tok.json")
			if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			checkLoadErr(t, path, c.want)
		})
	}
}

func TestLoadHFPath(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadHF(dir)
	if want := filepath.Join(dir, hfFileName); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("LoadHF(empty dir) = %v, want an error naming %s", err, want)
	}
	if _, err := LoadHF(filepath.Join(tinyDir, hfFileName)); err != nil {
		t.Errorf("LoadHF(file): %v", err)
	}
}

// A file without byte fallback needs no <0xNN> pieces.
func TestLoadHFNoByteFallback(t *testing.T) {
	tok := loadVariant(t, func(doc map[string]any) {
		model(doc)["byte_fallback"] = false
		for piece := range vocab(doc) {
			if strings.HasPrefix(piece, "<0x") {
				delete(vocab(doc), piece)
			}
		}
	})
	if got, want := tok.Encode("é"), idsOf(t, tok, "▁", "<unk>"); !slices.Equal(got, want) {
		t.Errorf("Encode(é) = %v, want %v", got, want)
	}
}
