// Package tokenizer turns text into token ids for the capture minibatch.
//
// Three encoders implement [Encoder]:
//
//   - [Tokenizer]: GPT-2's byte-level BPE, read from a directory holding the
//     original vocab.json and merges.txt (../shared/tokenizer/gpt2 in tests,
//     --tokenizer DIR on the command line). It reproduces GPT-2's encoder.py
//     exactly: the bytes→unicode table, the pre-tokenisation regular
//     expression (implemented by hand, see [pretokenize]) and BPE merges by
//     rank, with a per-word cache. Pre-tokens of 128 bytes or more use an
//     O(n log n) heap merge that gives identical ids (see bpeHeap), so no
//     input makes Encode quadratic.
//   - [SentencePieceBPE]: the SentencePiece-style BPE of a Hugging Face
//     tokenizer.json as LLaMA and LLaMA-2 ship it ([LoadHF]), for LoNAS
//     benchmarks over a real checkpoint.
//   - [Bytes]: a file-free byte-level fallback (ids = bytes, vocabulary 256)
//     for tiny models.
//
// [Windows] draws a seeded, reproducible minibatch of windows from a token
// stream and [FoldIDs] maps GPT-2 ids into a smaller vocabulary.
package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Encoder is what the capture stage needs from a tokenizer.
type Encoder interface {
	Encode(text string) []int
	VocabSize() int
}

// Codec is an Encoder that can also turn ids back into text.
type Codec interface {
	Encoder
	Decode(ids []int) string
}

// EndOfText is GPT-2's <|endoftext|> id. Encode never produces it from text
// (the literal string "<|endoftext|>" is encoded as ordinary text, as
// GPT-2's encoder.py does); callers that separate documents append it.
const EndOfText = 50256

// Tokenizer is a GPT-2 byte-level BPE tokenizer. It is safe for concurrent
// use by several goroutines.
type Tokenizer struct {
	vocab    map[string]int // token string (byte-mapped unicode) → id
	tokens   []string       // id → token string ("" for holes)
	tokBytes [][]byte       // id → raw bytes of the token
	byteID   [256]int       // raw byte → id of its single-byte token
	merges   map[uint64]merge
	nVocab   int
	heapOK   bool // merges are ordered so that bpeHeap is exact (see mergesOrdered)

	mu    sync.RWMutex
	cache map[string][]int // pre-token (raw bytes) → ids
}

type merge struct {
	rank   int32
	result int32
}

// maxCache bounds the number of cached words; the cache is cleared when full.
const maxCache = 1 << 18

func pairKey(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// byteToUnicode is GPT-2's bytes_to_unicode(): printable Latin-1 bytes map
// to themselves, the other 68 bytes to U+0100.. in byte order.
var byteToUnicode, unicodeToByte = func() ([256]rune, map[rune]byte) {
	var b2u [256]rune
	u2b := make(map[rune]byte, 256)
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := 0; b < 256; b++ {
		r := rune(b)
		if !printable(b) {
			r = rune(256 + n)
			n++
		}
		b2u[b] = r
		u2b[r] = byte(b)
	}
	return b2u, u2b
}()

// Load reads vocab.json and merges.txt from dir.
func Load(dir string) (*Tokenizer, error) {
	vocabPath := filepath.Join(dir, "vocab.json")
	mergesPath := filepath.Join(dir, "merges.txt")
	vb, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: reading vocabulary: %w", err)
	}
	mb, err := os.ReadFile(mergesPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: reading merges: %w", err)
	}
	return parse(vb, vocabPath, mb, mergesPath)
}

func parse(vb []byte, vocabPath string, mb []byte, mergesPath string) (*Tokenizer, error) {
	var vocab map[string]int
	if err := json.Unmarshal(vb, &vocab); err != nil {
		return nil, fmt.Errorf("tokenizer: %s is not a JSON object of token → id: %v", vocabPath, err)
	}
	if len(vocab) == 0 {
		return nil, fmt.Errorf("tokenizer: %s: empty vocabulary", vocabPath)
	}
	t := &Tokenizer{vocab: vocab, merges: make(map[uint64]merge, 50000), cache: make(map[string][]int)}
	maxID := -1
	for s, id := range vocab {
		if id < 0 || id > 1<<24 {
			return nil, fmt.Errorf("tokenizer: %s: token %q has id %d out of range", vocabPath, s, id)
		}
		maxID = max(maxID, id)
	}
	t.nVocab = maxID + 1
	t.tokens = make([]string, t.nVocab)
	t.tokBytes = make([][]byte, t.nVocab)
	seen := make([]bool, t.nVocab)
	for s, id := range vocab {
		if seen[id] {
			return nil, fmt.Errorf("tokenizer: %s: id %d is used by %q and %q", vocabPath, id, t.tokens[id], s)
		}
		seen[id] = true
		t.tokens[id] = s
		raw := make([]byte, 0, len(s))
		for _, r := range s {
			b, ok := unicodeToByte[r]
			if !ok {
				return nil, fmt.Errorf("tokenizer: %s: token %q (id %d) contains %q, which is not in GPT-2's byte→unicode table", vocabPath, s, id, r)
			}
			raw = append(raw, b)
		}
		t.tokBytes[id] = raw
	}
	for b := 0; b < 256; b++ {
		id, ok := vocab[string(byteToUnicode[b])]
		if !ok {
			return nil, fmt.Errorf("tokenizer: %s: no token for byte 0x%02x (%q); not a byte-level BPE vocabulary", vocabPath, b, byteToUnicode[b])
		}
		t.byteID[b] = id
	}

	sc := bufio.NewScanner(bytes.NewReader(mb))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line, rank := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 && strings.HasPrefix(text, "#version") {
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		parts := strings.Split(text, " ")
		if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("tokenizer: %s:%d: want two space-separated tokens, got %q", mergesPath, line, text)
		}
		a, okA := vocab[parts[0]]
		b, okB := vocab[parts[1]]
		r, okR := vocab[parts[0]+parts[1]]
		if !okA || !okB || !okR {
			missing := parts[0]
			if okA {
				missing = parts[1]
			}
			if okA && okB {
				missing = parts[0] + parts[1]
			}
			return nil, fmt.Errorf("tokenizer: %s:%d: merge %q uses token %q that is not in %s (files from different tokenizers?)", mergesPath, line, text, missing, vocabPath)
		}
		k := pairKey(a, b)
		if _, dup := t.merges[k]; !dup { // the first (lowest) rank wins, as in encoder.py's dict
			t.merges[k] = merge{rank: int32(rank), result: int32(r)}
		}
		rank++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", mergesPath, err)
	}
	if rank == 0 {
		return nil, fmt.Errorf("tokenizer: %s: no merges", mergesPath)
	}
	t.heapOK = mergesOrdered(t.merges)
	return t, nil
}

// VocabSize is the number of ids (50257 for GPT-2: 256 bytes, 50000 merges,
// <|endoftext|>).
func (t *Tokenizer) VocabSize() int { return t.nVocab }

// NumMerges is the number of merge rules read from merges.txt.
func (t *Tokenizer) NumMerges() int { return len(t.merges) }

// TokenID returns the id of a token given in GPT-2's byte-mapped form
// (e.g. "Ġthe").
func (t *Tokenizer) TokenID(tok string) (int, bool) {
	id, ok := t.vocab[tok]
	return id, ok
}

// Token returns the byte-mapped string of an id ("" if out of range).
func (t *Tokenizer) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// Encode tokenises text as GPT-2 does. Invalid UTF-8 is encoded byte by
// byte like any other byte, so Decode(Encode(s)) == s for every string.
func (t *Tokenizer) Encode(text string) []int {
	out := make([]int, 0, len(text)/4+1)
	pretokenize(text, func(word string) {
		out = t.appendWord(out, word)
	})
	return out
}

// Decode concatenates the bytes of the tokens. Ids outside the vocabulary
// are skipped.
func (t *Tokenizer) Decode(ids []int) string {
	var sb strings.Builder
	for _, id := range ids {
		if id >= 0 && id < len(t.tokBytes) {
			sb.Write(t.tokBytes[id])
		}
	}
	return sb.String()
}

func (t *Tokenizer) appendWord(out []int, word string) []int {
	if len(word) == 1 {
		return append(out, t.byteID[word[0]])
	}
	t.mu.RLock()
	ids, ok := t.cache[word]
	t.mu.RUnlock()
	if ok {
		return append(out, ids...)
	}
	if len(word) >= longWord && t.heapOK {
		return append(out, t.bpeHeap(word)...) // not cached: rare and large
	}
	ids = t.bpe(word)
	t.mu.Lock()
	if len(t.cache) >= maxCache {
		clear(t.cache)
	}
	t.cache[word] = ids
	t.mu.Unlock()
	return append(out, ids...)
}

// bpe applies GPT-2's merge loop to one pre-token: repeatedly find the
// adjacent pair of lowest rank and merge every occurrence of it, left to
// right, until no pair has a rank.
func (t *Tokenizer) bpe(word string) []int {
	sym := make([]int, len(word))
	for i := 0; i < len(word); i++ {
		sym[i] = t.byteID[word[i]]
	}
	for len(sym) > 1 {
		best := merge{rank: -1}
		var bestA, bestB int
		for i := 0; i+1 < len(sym); i++ {
			m, ok := t.merges[pairKey(sym[i], sym[i+1])]
			if ok && (best.rank < 0 || m.rank < best.rank) {
				best, bestA, bestB = m, sym[i], sym[i+1]
			}
		}
		if best.rank < 0 {
			break
		}
		j := 0
		for i := 0; i < len(sym); {
			if i+1 < len(sym) && sym[i] == bestA && sym[i+1] == bestB {
				sym[j] = int(best.result)
				i += 2
			} else {
				sym[j] = sym[i]
				i++
			}
			j++
		}
		sym = sym[:j]
	}
	return sym
}

// mergesOrdered reports whether every merge ranks after every merge that
// produces one of its parts (true of GPT-2's merges.txt, as of any file
// written by BPE training); only then is bpeHeap exact.
func mergesOrdered(merges map[uint64]merge) bool {
	lastMade := make(map[int32]int32, len(merges))
	for _, m := range merges {
		if r, ok := lastMade[m.result]; !ok || m.rank > r {
			lastMade[m.result] = m.rank
		}
	}
	for k, m := range merges {
		for _, part := range []int32{int32(k >> 32), int32(uint32(k))} {
			if r, ok := lastMade[part]; ok && r >= m.rank {
				return false
			}
		}
	}
	return true
}
