// The SentencePiece BPE of LLaMA and LLaMA-2, read from a Hugging Face
// tokenizer.json: see SentencePieceBPE for what is supported and what not.

package tokenizer

import (
	"container/heap"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// SentencePieceBPE is the tokenizer of LLaMA and LLaMA-2 checkpoints in the
// Hugging Face layout, read from their tokenizer.json by [LoadHF]: a BPE
// over Unicode characters whose spaces are spelled "▁", with byte fallback
// (a character outside the vocabulary becomes the pieces <0xNN> of its
// UTF-8 bytes). It encodes as Hugging Face's tokenizers library does.
//
// Not supported, and refused by LoadHF at the JSON path that names them:
// LLaMA-3's byte-level BPE (a ByteLevel pre-tokenizer or decoder, as in
// GPT-2, whose own files [Load] reads), Unigram and WordPiece models,
// regular-expression patterns, and normalizers other than Prepend and
// Replace. Added tokens written in the text ("<s>") are encoded as plain
// text, not as their ids; callers add BOS themselves ([SentencePieceBPE.BOS]).
//
// A SentencePieceBPE is immutable and safe for concurrent use.
type SentencePieceBPE struct {
	vocab   map[string]int // model.vocab: the pieces BPE starts from and merges into
	added   map[string]int // added_tokens (also in vocab for LLaMA)
	pieces  map[int]string // id → piece, model.vocab and added_tokens
	special map[int]bool   // special added tokens, which Decode leaves out
	merges  map[uint64]merge
	nVocab  int

	byteFallback bool
	byteID       [256]int // byte → id of its <0xNN> piece, when byteFallback
	unk          int      // id of model.unk_token; -1 when there is none
	fuseUnk      bool
	ignoreMerges bool // a word that is itself in the vocabulary is one token

	normalize []textStep
	pretok    *metaspace  // nil: the normalised text is one word
	decode    []pieceStep // nil: no decoder, pieces are joined by spaces
}

var _ Codec = (*SentencePieceBPE)(nil)

// hfFileName is the file LoadHF reads when given a directory.
const hfFileName = "tokenizer.json"

// LoadHF reads a Hugging Face tokenizer.json (dir/tokenizer.json or the file
// itself) of the SentencePiece BPE kind LLaMA and LLaMA-2 use. Errors name
// the file and the JSON path of the problem (model.merges[17], …), with the
// line and column where the JSON decoder reports one.
func LoadHF(path string) (*SentencePieceBPE, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, hfFileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return parseHF(data, path)
}

// VocabSize is one more than the largest id of model.vocab and added_tokens
// (32000 for LLaMA-2).
func (t *SentencePieceBPE) VocabSize() int { return t.nVocab }

// BOS returns the id of "<s>", the token LLaMA puts before each sequence;
// ok is false if the file has no such token.
func (t *SentencePieceBPE) BOS() (id int, ok bool) { return t.TokenID("<s>") }

// TokenID returns the id of a piece as the file spells it ("▁the", "<0x0A>",
// "</s>").
func (t *SentencePieceBPE) TokenID(piece string) (int, bool) {
	if id, ok := t.added[piece]; ok {
		return id, true
	}
	id, ok := t.vocab[piece]
	return id, ok
}

// Token returns the piece of an id ("" if no piece has it).
func (t *SentencePieceBPE) Token(id int) string { return t.pieces[id] }

// Encode tokenises text as Hugging Face's tokenizers does for this file,
// without BOS: normalise (LLaMA-2: prepend "▁", spaces to "▁"), split into
// words if a Metaspace pre-tokenizer says so, then BPE each word. For the
// files LoadHF reads with a byte-fallback vocabulary, Decode(Encode(s)) == s
// for every s without "▁" (U+2581), invalid UTF-8 included.
func (t *SentencePieceBPE) Encode(text string) []int {
	for _, step := range t.normalize {
		text = step(text)
	}
	if t.pretok == nil {
		return t.appendWord(nil, text)
	}
	var out []int
	t.pretok.words(text, func(w string) { out = t.appendWord(out, w) })
	return out
}

// Decode turns ids into text through the file's decoder (LLaMA-2: "▁" to
// space, byte runs, the leading space stripped once). Special added tokens
// (<s>, </s>, <unk>) and unknown ids are left out. A byte run that is not
// valid UTF-8 is kept as raw bytes where Hugging Face writes one U+FFFD per
// byte, so no information is lost.
func (t *SentencePieceBPE) Decode(ids []int) string {
	pieces := make([]string, 0, len(ids))
	for _, id := range ids {
		if p, ok := t.pieces[id]; ok && !t.special[id] {
			pieces = append(pieces, p)
		}
	}
	if t.decode == nil {
		return strings.Join(pieces, " ")
	}
	for _, step := range t.decode {
		pieces = step(pieces)
	}
	return strings.Join(pieces, "")
}

func (t *SentencePieceBPE) appendWord(out []int, word string) []int {
	if word == "" {
		return out
	}
	if t.ignoreMerges {
		if id, ok := t.vocab[word]; ok {
			return append(out, id)
		}
	}
	return append(out, mergeByRank(t.symbols(word), t.merges)...)
}

// symbols are the ids BPE starts from: one per character in the vocabulary;
// otherwise the character's bytes as <0xNN> pieces, or else the unknown
// token (consecutive ones fused into one with fuse_unk), or else nothing,
// as Hugging Face does when a file names no unk_token.
func (t *SentencePieceBPE) symbols(word string) []int {
	sym := make([]int, 0, len(word))
	lastUnk := false
	for i := 0; i < len(word); {
		_, size := utf8.DecodeRuneInString(word[i:])
		ch := word[i : i+size]
		i += size
		if id, ok := t.vocab[ch]; ok {
			sym, lastUnk = append(sym, id), false
			continue
		}
		if t.byteFallback {
			for j := 0; j < len(ch); j++ {
				sym = append(sym, t.byteID[ch[j]])
			}
			continue
		}
		if t.unk >= 0 && !(lastUnk && t.fuseUnk) {
			sym, lastUnk = append(sym, t.unk), true
		}
	}
	return sym
}

// mergeByRank is Hugging Face's BPE merge loop (the one bpeHeap follows):
// symbols form a linked list, candidate pairs wait in a heap ordered by
// rank then position, and a popped pair whose symbols have changed since it
// was pushed is stale and skipped. Unlike GPT-2's merge-all-occurrences
// loop it needs no ordering of the merges to be the reference behaviour.
func mergeByRank(sym []int, merges map[uint64]merge) []int {
	n := len(sym)
	if n < 2 {
		return sym
	}
	next, prev := make([]int, n), make([]int, n)
	for i := range sym {
		next[i], prev[i] = i+1, i-1
	}
	next[n-1] = -1
	h := &pairHeap{}
	push := func(i int) {
		if i < 0 || next[i] < 0 {
			return
		}
		a, b := sym[i], sym[next[i]]
		if m, ok := merges[pairKey(a, b)]; ok {
			heap.Push(h, pairItem{rank: m.rank, pos: int32(i), a: int32(a), b: int32(b), res: m.result})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(i)
	}
	gone := make([]bool, n)
	for h.Len() > 0 {
		p := heap.Pop(h).(pairItem)
		i := int(p.pos)
		j := next[i]
		if gone[i] || j < 0 || sym[i] != int(p.a) || sym[j] != int(p.b) {
			continue
		}
		sym[i], gone[j] = int(p.res), true
		next[i] = next[j]
		if next[j] >= 0 {
			prev[next[j]] = i
		}
		push(prev[i])
		push(i)
	}
	out := sym[:0]
	for i := 0; i >= 0; i = next[i] {
		out = append(out, sym[i])
	}
	return out
}
