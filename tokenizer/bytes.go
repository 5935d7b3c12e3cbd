package tokenizer

// Bytes is the file-free fallback tokenizer: each byte of the UTF-8 text is
// one id (0..255), so the vocabulary has 256 entries. Use it for tiny
// models that do not need GPT-2's vocabulary.
type Bytes struct{}

// Encode returns the bytes of text as ids.
func (Bytes) Encode(text string) []int {
	out := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		out[i] = int(text[i])
	}
	return out
}

// Decode turns ids back into bytes; ids outside 0..255 are skipped.
func (Bytes) Decode(ids []int) string {
	b := make([]byte, 0, len(ids))
	for _, id := range ids {
		if id >= 0 && id < 256 {
			b = append(b, byte(id))
		}
	}
	return string(b)
}

// VocabSize is 256.
func (Bytes) VocabSize() int { return 256 }

var (
	_ Codec = Bytes{}
	_ Codec = (*Tokenizer)(nil)
)
