package tokenizer

import (
	"fmt"
	"strings"
)

func buildHF(f *hfFile) (*SentencePieceBPE, error) {
	t, err := buildModel(&f.Model)
	if err != nil {
		return nil, err
	}
	if err := t.addTokens(f.AddedTokens); err != nil {
		return nil, err
	}
	if t.normalize, err = buildNormalizer(f.Normalizer, "normalizer"); err != nil {
		return nil, err
	}
	if f.PreTokenizer != nil {
		if t.pretok, err = buildMetaspace(f.PreTokenizer, "pre_tokenizer"); err != nil {
			return nil, err
		}
	}
	if f.Decoder != nil {
		if t.decode, err = buildDecoder(f.Decoder, "decoder"); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func buildModel(m *hfModel) (*SentencePieceBPE, error) {
	switch {
	case len(m.Vocab) == 0:
		return nil, errAt("model.vocab", "missing or empty")
	case m.Dropout != nil && *m.Dropout != 0:
		return nil, errAt("model.dropout", "%v is not supported: encoding would be random", *m.Dropout)
	case m.Prefix != nil && *m.Prefix != "":
		return nil, errAt("model.continuing_subword_prefix", "%q is not supported (a WordPiece-style prefix)", *m.Prefix)
	case m.Suffix != nil && *m.Suffix != "":
		return nil, errAt("model.end_of_word_suffix", "%q is not supported", *m.Suffix)
	}
	t := &SentencePieceBPE{
		vocab: m.Vocab, added: map[string]int{}, pieces: make(map[int]string, len(m.Vocab)),
		special: map[int]bool{}, unk: -1,
		byteFallback: m.ByteFallback, fuseUnk: m.FuseUnk, ignoreMerges: m.IgnoreMerges,
	}
	for piece, id := range m.Vocab {
		if err := t.setPiece(id, piece, "model.vocab"); err != nil {
			return nil, err
		}
	}
	if m.UnkToken != nil {
		id, ok := m.Vocab[*m.UnkToken]
		if !ok {
			return nil, errAt("model.unk_token", "%q is not in model.vocab", *m.UnkToken)
		}
		t.unk = id
	}
	if m.ByteFallback {
		for b := range 256 {
			piece := fmt.Sprintf("<0x%02X>", b)
			id, ok := m.Vocab[piece]
			if !ok {
				return nil, errAt("model.vocab", "no byte-fallback token %q, though model.byte_fallback is true", piece)
			}
			t.byteID[b] = id
		}
	}
	var err error
	if t.merges, err = buildMerges(m.Merges, m.Vocab); err != nil {
		return nil, err
	}
	return t, nil
}

// setPiece records id → piece, refusing an id out of range or given to two
// pieces.
func (t *SentencePieceBPE) setPiece(id int, piece, path string) error {
	if id < 0 || id >= maxHFID {
		return errAt(path, "%q has id %d, out of range [0, %d)", piece, id, maxHFID)
	}
	if other, dup := t.pieces[id]; dup && other != piece {
		a, b := min(other, piece), max(other, piece)
		return errAt(path, "id %d is given to both %q and %q", id, a, b)
	}
	t.pieces[id] = piece
	t.nVocab = max(t.nVocab, id+1)
	return nil
}

func (t *SentencePieceBPE) addTokens(added []hfAddedToken) error {
	for i, a := range added {
		path := fmt.Sprintf("added_tokens[%d]", i)
		if a.ID == nil {
			return errAt(path+".id", "missing")
		}
		if id, ok := t.vocab[a.Content]; ok && id != *a.ID {
			return errAt(path, "%q has id %d, but model.vocab gives it %d", a.Content, *a.ID, id)
		}
		if err := t.setPiece(*a.ID, a.Content, path); err != nil {
			return err
		}
		t.added[a.Content] = *a.ID
		if a.Special {
			t.special[*a.ID] = true
		}
	}
	return nil
}

// buildMerges reads model.merges in either spelling. A pair listed twice
// keeps its last rank, as Hugging Face's merge map does.
func buildMerges(list []any, vocab map[string]int) (map[uint64]merge, error) {
	merges := make(map[uint64]merge, len(list))
	for rank, item := range list {
		m, idA, idB, err := mergeRule(item, vocab)
		if err != nil {
			return nil, errAt(fmt.Sprintf("model.merges[%d]", rank), "%v", err)
		}
		m.rank = int32(rank)
		merges[pairKey(idA, idB)] = m
	}
	return merges, nil
}

// mergeRule reads one merge and checks its pieces and their concatenation
// against the vocabulary.
func mergeRule(item any, vocab map[string]int) (m merge, idA, idB int, err error) {
	a, b, err := mergePair(item)
	if err != nil {
		return m, 0, 0, err
	}
	idA, okA := vocab[a]
	idB, okB := vocab[b]
	result, ok := vocab[a+b]
	switch {
	case !okA:
		return m, 0, 0, fmt.Errorf("token %q is not in model.vocab", a)
	case !okB:
		return m, 0, 0, fmt.Errorf("token %q is not in model.vocab", b)
	case !ok:
		return m, 0, 0, fmt.Errorf("merging %q and %q makes %q, which is not in model.vocab", a, b, a+b)
	}
	return merge{result: int32(result)}, idA, idB, nil
}

func mergePair(item any) (a, b string, err error) {
	switch v := item.(type) {
	case string:
		parts := strings.Split(v, " ")
		if len(parts) == 2 {
			return parts[0], parts[1], nil
		}
		return "", "", fmt.Errorf("%q is not two tokens separated by one space", v)
	case []any:
		if len(v) == 2 {
			a, okA := v[0].(string)
			b, okB := v[1].(string)
			if okA && okB {
				return a, b, nil
			}
		}
	}
	return "", "", fmt.Errorf(`want "a b" or ["a", "b"], got %s`, jsonValueKind(item))
}

func jsonValueKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case []any:
		return fmt.Sprintf("a list of %d", len(v))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%v", v)
}

func buildNormalizer(c *hfComponent, path string) ([]textStep, error) {
	if c == nil {
		return nil, nil
	}
	switch c.Type {
	case "Sequence":
		return buildSequence(c.Normalizers, path+".normalizers", buildNormalizer)
	case "Prepend":
		return []textStep{prependStep(c.Prepend)}, nil
	case "Replace":
		old, err := c.stringPattern(path)
		return []textStep{replaceStep(old, c.Content)}, err
	}
	return nil, errAt(path, "%q is not supported", c.Type)
}

// buildSequence flattens a Sequence's members into one list of steps.
func buildSequence[S any](members []*hfComponent, list string, build func(*hfComponent, string) ([]S, error)) ([]S, error) {
	var steps []S
	for i, m := range members {
		s, err := build(m, fmt.Sprintf("%s[%d]", list, i))
		if err != nil {
			return nil, err
		}
		steps = append(steps, s...)
	}
	return steps, nil
}

func buildDecoder(c *hfComponent, path string) ([]pieceStep, error) {
	if c == nil {
		return nil, errAt(path, "null")
	}
	switch c.Type {
	case "Sequence":
		return buildSequence(c.Decoders, path+".decoders", buildDecoder)
	case "Replace":
		old, err := c.stringPattern(path)
		return []pieceStep{replacePieces(old, c.Content)}, err
	case "ByteFallback":
		return []pieceStep{byteFallbackPieces}, nil
	case "Fuse":
		return []pieceStep{fusePieces}, nil
	case "Strip":
		if !oneChar(c.Content) {
			return nil, errAt(path+".content", "want one character, got %q", c.Content)
		}
		if c.Start < 0 || c.Stop < 0 {
			return nil, errAt(path, "start %d and stop %d must not be negative", c.Start, c.Stop)
		}
		return []pieceStep{stripPieces(c.Content, c.Start, c.Stop)}, nil
	case "Metaspace":
		m, err := buildMetaspace(c, path)
		if err != nil {
			return nil, err
		}
		return []pieceStep{metaspacePieces(m.repl, m.prepend)}, nil
	}
	return nil, errAt(path, "%q is not supported", c.Type)
}

func buildMetaspace(c *hfComponent, path string) (*metaspace, error) {
	if c.Type != "Metaspace" {
		return nil, errAt(path, "%q is not supported", c.Type)
	}
	if !oneChar(c.Replacement) {
		return nil, errAt(path+".replacement", "want one character, got %q", c.Replacement)
	}
	m := &metaspace{repl: c.Replacement, split: c.Split == nil || *c.Split}
	switch c.PrependScheme {
	case "":
		m.prepend = c.AddPrefixSpace == nil || *c.AddPrefixSpace
	case "always", "first": // the same here: added tokens are not split off
		m.prepend = true
	case "never":
	default:
		return nil, errAt(path+".prepend_scheme", "%q is not always, first or never", c.PrependScheme)
	}
	return m, nil
}

// stringPattern is the literal a Replace matches; regular expressions are
// not supported.
func (c *hfComponent) stringPattern(path string) (string, error) {
	switch {
	case c.Pattern == nil:
		return "", errAt(path+".pattern", "missing")
	case c.Pattern.Regex != nil:
		return "", errAt(path+".pattern", "Regex patterns are not supported, only String")
	case c.Pattern.String == nil || *c.Pattern.String == "":
		return "", errAt(path+".pattern.String", "missing or empty")
	}
	return *c.Pattern.String, nil
}
