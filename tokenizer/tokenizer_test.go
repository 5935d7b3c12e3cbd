package tokenizer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sharedDir finds ../shared (next to the repository root) from the test's
// working directory; $LPZ_SHARED overrides it.
func sharedDir(t testing.TB) string {
	if d := os.Getenv("LPZ_SHARED"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "shared")
		if st, err := os.Stat(filepath.Join(cand, "tokenizer", "gpt2", "vocab.json")); err == nil && !st.IsDir() {
			return cand
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	t.Skip("../shared/tokenizer/gpt2 not found (set LPZ_SHARED)")
	return ""
}

var (
	loadOnce sync.Once
	gpt2     *Tokenizer
	loadErr  error
)

func gpt2Tok(t testing.TB) *Tokenizer {
	dir := filepath.Join(sharedDir(t), "tokenizer", "gpt2")
	loadOnce.Do(func() { gpt2, loadErr = Load(dir) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return gpt2
}

func wikitext(t testing.TB) string {
	b, err := os.ReadFile(filepath.Join(sharedDir(t), "text", "wikitext2_valid.txt"))
	if err != nil {
		t.Skip(err)
	}
	return string(b)
}

func TestLoadSizes(t *testing.T) {
	tok := gpt2Tok(t)
	if tok.VocabSize() != 50257 {
		t.Errorf("VocabSize = %d, want 50257", tok.VocabSize())
	}
	if tok.NumMerges() != 50000 {
		t.Errorf("NumMerges = %d, want 50000", tok.NumMerges())
	}
	if tok.Token(EndOfText) != "<|endoftext|>" {
		t.Errorf("id %d = %q, want <|endoftext|>", EndOfText, tok.Token(EndOfText))
	}
}

// Ids checked by hand against vocab.json: "Hello" is 15496, "Ġworld" 995,
// "Ġthe" 262, "the" 1169, "," 11, "!" 0, "Ċ" (newline) 198, "Ġ" (space) 220.
func TestKnownStrings(t *testing.T) {
	tok := gpt2Tok(t)
	for tokStr, id := range map[string]int{"Hello": 15496, "Ġworld": 995, "Ġthe": 262, "the": 1169, ",": 11, "!": 0, "Ċ": 198, "Ġ": 220, "'s": 338} {
		if got, ok := tok.TokenID(tokStr); !ok || got != id {
			t.Errorf("vocab[%q] = %d, %v; want %d", tokStr, got, ok, id)
		}
	}
	cases := []struct {
		text string
		ids  []int
	}{
		{"Hello world", []int{15496, 995}},
		{" the", []int{262}},
		{"the", []int{1169}},
		{"Hello, world!", []int{15496, 11, 995, 0}},
		{"\n", []int{198}},
		{" ", []int{220}},
		{"", []int{}},
		{"It's", []int{1026, 338}},
	}
	for _, c := range cases {
		if got := tok.Encode(c.text); !reflect.DeepEqual(got, c.ids) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.ids)
		}
	}
}

type golden struct {
	Strings []struct {
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	} `json:"strings"`
	Wiki struct {
		NumIDs int    `json:"num_ids"`
		SHA256 string `json:"sha256_of_comma_joined_ids"`
		First  []int  `json:"first_100"`
	} `json:"wikitext2_valid"`
}

func readGolden(t *testing.T) golden {
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGoldenReference compares with OpenAI's encoder.py run under Python's
// regex module (testdata/gpt2_reference.py produced golden.json): tricky
// strings (contractions, whitespace runs, unicode, emoji) and the ids of the
// whole wikitext2_valid.txt.
func TestGoldenReference(t *testing.T) {
	tok := gpt2Tok(t)
	g := readGolden(t)
	for _, s := range g.Strings {
		got := tok.Encode(s.Text)
		if len(got) == 0 && len(s.IDs) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, s.IDs) {
			t.Errorf("Encode(%q) =\n %v\nwant\n %v", s.Text, got, s.IDs)
		}
	}
	ids := tok.Encode(wikitext(t))
	if len(ids) != g.Wiki.NumIDs {
		t.Errorf("wikitext: %d ids, reference %d", len(ids), g.Wiki.NumIDs)
	}
	if !reflect.DeepEqual(ids[:100], g.Wiki.First) {
		t.Errorf("wikitext first 100 ids differ:\n%v\n%v", ids[:100], g.Wiki.First)
	}
	var sb strings.Builder
	for i, id := range ids {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(id))
	}
	sum := sha256.Sum256([]byte(sb.String()))
	if h := hex.EncodeToString(sum[:]); h != g.Wiki.SHA256 {
		t.Errorf("wikitext ids hash %s, reference %s", h, g.Wiki.SHA256)
	}
}

func TestRoundTrip(t *testing.T) {
	tok := gpt2Tok(t)
	text := wikitext(t)
	para := text[:min(len(text), 20000)]
	strs := []string{
		para,
		"naïve café — “quotes” … 日本語のテキスト 한국어 Ελληνικά русский 🙂👍🏽",
		"\x00\x01\xff\xfe invalid utf-8 \xc3\x28 and \xe2\x82",
		"   \t\n\r\n  ", "'s'S''ll", "<|endoftext|>",
	}
	for _, s := range strs {
		if got := tok.Decode(tok.Encode(s)); got != s {
			t.Errorf("round trip of %.60q gave %.60q", s, got)
		}
	}
	if got := tok.Decode([]int{15496, -1, 99999999, 995}); got != "Hello world" {
		t.Errorf("Decode skipping bad ids = %q", got)
	}
}

// TestPretokenize checks the hand-written splitter on the regex's corner
// cases (the \s+(?!\S) rule); expectations are Python regex.findall's.
func TestPretokenize(t *testing.T) {
	cases := map[string][]string{
		"Hello world":        {"Hello", " world"},
		"  two":              {" ", " two"},
		"a   b":              {"a", "  ", " b"},
		"x\n\ny":             {"x", "\n", "\n", "y"},
		"x \n y":             {"x", " \n", " y"},
		"end   ":             {"end", "   "},
		"it's I'LL we've":    {"it", "'s", " I", "'", "LL", " we", "'ve"},
		"a?!'s b":            {"a", "?!'", "s", " b"},
		"12ab 3.5":           {"12", "ab", " 3", ".", "5"},
		" 'x":                {" '", "x"},
		"\t\tx":              {"\t", "\t", "x"},
		"x\u00a0\u00a0y":     {"x", "\u00a0", "\u00a0", "y"},
		"日本 語":               {"日本", " 語"},
		"\xff\xfeab":         {"\xff\xfe", "ab"},
		" ":                  {" "},
		"a\u3000b":           {"a", "\u3000", "b"},
		"x  \u3000 y":        {"x", "  \u3000", " y"},
		"e\u0301 cafe\u0301": {"e", "\u0301", " cafe", "\u0301"}, // U+0301 is a mark, not \p{L}
	}
	for in, want := range cases {
		var got []string
		pretokenize(in, func(s string) { got = append(got, s) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pretokenize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "vocab.json") {
		t.Errorf("missing vocab: err = %v", err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("vocab.json", `{"a": 0`)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "merges.txt") {
		t.Errorf("missing merges: err = %v", err)
	}
	write("merges.txt", "#version: 0.2\na b\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "vocab.json") {
		t.Errorf("corrupt vocab: err = %v", err)
	}
	// A complete byte vocabulary plus one merge.
	v := map[string]int{}
	for b := 0; b < 256; b++ {
		v[string(byteToUnicode[b])] = b
	}
	v["ab"] = 256
	vb, _ := json.Marshal(v)
	write("vocab.json", string(vb))
	write("merges.txt", "#version: 0.2\na b\n")
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("abab a"); !reflect.DeepEqual(got, []int{256, 256, 32, 97}) {
		t.Errorf("tiny tokenizer: %v", got)
	}
	write("merges.txt", "#version: 0.2\na b\nthree tokens here\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "merges.txt:3") {
		t.Errorf("bad merge line: err = %v", err)
	}
	write("merges.txt", "#version: 0.2\na q\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not in") {
		t.Errorf("merge result not in vocab: err = %v", err)
	}
	delete(v, "a")
	vb, _ = json.Marshal(v)
	write("vocab.json", string(vb))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "byte 0x61") {
		t.Errorf("incomplete byte vocab: err = %v", err)
	}
}

func TestBytes(t *testing.T) {
	var e Codec = Bytes{}
	s := "héllo\x00\xff"
	ids := e.Encode(s)
	if len(ids) != len(s) || ids[1] != 0xc3 || ids[len(ids)-1] != 255 {
		t.Errorf("Bytes.Encode = %v", ids)
	}
	if e.Decode(ids) != s || e.VocabSize() != 256 {
		t.Error("Bytes round trip / vocab")
	}
}

func TestWindows(t *testing.T) {
	ids := make([]int, 1000)
	for i := range ids {
		ids[i] = i
	}
	w1, err := Windows(ids, 8, 33, 42)
	if err != nil {
		t.Fatal(err)
	}
	w2, _ := Windows(ids, 8, 33, 42)
	w3, _ := Windows(ids, 8, 33, 43)
	if !reflect.DeepEqual(w1, w2) {
		t.Error("same seed gave different windows")
	}
	if reflect.DeepEqual(w1, w3) {
		t.Error("different seeds gave the same windows")
	}
	used := map[int]bool{}
	for _, w := range w1 {
		if len(w) != 33 {
			t.Fatalf("window length %d", len(w))
		}
		for i := 1; i < len(w); i++ {
			if w[i] != w[i-1]+1 {
				t.Fatalf("window not consecutive: %v", w)
			}
		}
		for _, id := range w {
			if used[id] {
				t.Fatalf("windows overlap at %d", id)
			}
			used[id] = true
		}
	}
	w1[0][0] = -5
	if ids[w2[0][0]] == -5 {
		t.Error("window aliases the input")
	}
	// Exactly enough text.
	if _, err := Windows(ids[:66], 2, 33, 1); err != nil {
		t.Error(err)
	}
	if _, err := Windows(ids[:65], 2, 33, 1); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("short text: %v", err)
	}
	if _, err := Windows(ids, 0, 33, 1); err == nil {
		t.Error("batch 0 accepted")
	}
}

// TestWindowsPinned pins the algorithm: a change of these values changes
// every cached capture.
func TestWindowsPinned(t *testing.T) {
	ids := make([]int, 100)
	for i := range ids {
		ids[i] = i
	}
	w, _ := Windows(ids, 3, 7, 1111)
	starts := []int{w[0][0], w[1][0], w[2][0]}
	t.Logf("starts %v", starts)
	if want := pinnedStarts; !reflect.DeepEqual(starts, want) {
		t.Errorf("Windows(…, seed 1111) starts %v, pinned %v", starts, want)
	}
}

func TestFoldIDs(t *testing.T) {
	got := FoldIDs([]int{0, 1, 30520, 30521, 50256, -1}, 30522)
	want := []int{1, 2, 30521, 1, 1 + 50256%30521, 30521}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FoldIDs = %v, want %v", got, want)
	}
	for _, id := range FoldIDs([]int{0, 5, 9, 10, 11}, 10) {
		if id < 1 || id >= 10 {
			t.Errorf("folded id %d outside 1..9", id)
		}
	}
}

func TestEncodeSpeed(t *testing.T) {
	tok := gpt2Tok(t)
	text := wikitext(t)
	fresh := &Tokenizer{vocab: tok.vocab, tokens: tok.tokens, tokBytes: tok.tokBytes, byteID: tok.byteID, merges: tok.merges, nVocab: tok.nVocab, cache: make(map[string][]int)}
	start := time.Now()
	ids := fresh.Encode(text)
	el := time.Since(start)
	t.Logf("encoded %d bytes into %d ids in %v (%.1f MB/s, cold cache)", len(text), len(ids), el, float64(len(text))/el.Seconds()/1e6)
}

func BenchmarkEncodeWikitext(b *testing.B) {
	tok := gpt2Tok(b)
	text := wikitext(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		fresh := &Tokenizer{vocab: tok.vocab, tokens: tok.tokens, tokBytes: tok.tokBytes, byteID: tok.byteID, merges: tok.merges, nVocab: tok.nVocab, cache: make(map[string][]int)}
		fresh.Encode(text)
	}
}

func BenchmarkLoad(b *testing.B) {
	dir := filepath.Join(sharedDir(b), "tokenizer", "gpt2")
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// pinnedStarts are the first ids of Windows(0..99, 3, 7, seed 1111).
var pinnedStarts = []int{9, 93, 37}

// FuzzPretokenize: pieces are non-empty and concatenate to the input, and
// Decode(Encode(s)) == s for any bytes.
func FuzzPretokenize(f *testing.F) {
	for _, s := range []string{"Hello world", "  a\n\n b  ", "it's 12ab", "\xff\xfe日本 語", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var sb strings.Builder
		pretokenize(s, func(p string) {
			if p == "" {
				t.Fatalf("empty piece for %q", s)
			}
			sb.WriteString(p)
		})
		if sb.String() != s {
			t.Fatalf("pieces of %q concatenate to %q", s, sb.String())
		}
		if got := (Bytes{}).Decode(Bytes{}.Encode(s)); got != s {
			t.Fatalf("Bytes round trip %q", s)
		}
	})
}

// TestBPEHeapMatches checks the O(n log n) merge against the direct loop on
// every distinct pre-token of wikitext and on long random words.
func TestBPEHeapMatches(t *testing.T) {
	tok := gpt2Tok(t)
	seen := map[string]bool{}
	pretokenize(wikitext(t), func(w string) {
		if len(w) < 2 || seen[w] {
			return
		}
		seen[w] = true
		if a, b := tok.bpe(w), tok.bpeHeap(w); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: bpe %v, bpeHeap %v", w, a, b)
		}
	})
	x := uint64(7)
	for n := 0; n < 30; n++ {
		var sb strings.Builder
		for i := 0; i < 200+n*37; i++ {
			x = x*6364136223846793005 + 1442695040888963407
			sb.WriteByte("aaabcdeeeinorsthlm"[x>>59%18])
		}
		w := sb.String()
		if a, b := tok.bpe(w), tok.bpeHeap(w); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: bpe %v, bpeHeap %v", w, a, b)
		}
	}
	// A pathological 200 kB word encodes quickly and round-trips.
	long := strings.Repeat("abcdefghij", 20000)
	start := time.Now()
	ids := tok.Encode(long)
	if tok.Decode(ids) != long {
		t.Fatal("long word round trip")
	}
	t.Logf("200 kB single word: %d ids in %v", len(ids), time.Since(start))
}

// TestMergeOrder: GPT-2's merges have the property that makes bpeHeap
// exact; a file without it disables bpeHeap.
func TestMergeOrder(t *testing.T) {
	if !gpt2Tok(t).heapOK {
		t.Error("GPT-2 merges not ordered")
	}
	// The rank-1 merge uses token 20, which only the rank-2 merge produces.
	bad := map[uint64]merge{
		pairKey(1, 2):  {rank: 0, result: 10},
		pairKey(20, 3): {rank: 1, result: 21},
		pairKey(2, 3):  {rank: 2, result: 20},
	}
	if mergesOrdered(bad) {
		t.Error("unordered merges accepted")
	}
}
