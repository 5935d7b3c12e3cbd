package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// hfError is a problem in a tokenizer.json: its JSON path and, where the
// JSON decoder reported one, its byte offset.
type hfError struct {
	offset int64 // -1 when unknown
	path   string
	msg    string
}

func (e *hfError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func errAt(path, format string, args ...any) error {
	return &hfError{offset: -1, path: path, msg: fmt.Sprintf(format, args...)}
}

// hfKinds is the first reading of a tokenizer.json: only the kinds of its
// parts, so that an unsupported file is refused by name before fields of
// another shape (a Unigram vocabulary is a list, not an object) are decoded.
type hfKinds struct {
	Normalizer   *hfKind `json:"normalizer"`
	PreTokenizer *hfKind `json:"pre_tokenizer"`
	Model        *hfKind `json:"model"`
	Decoder      *hfKind `json:"decoder"`
}

type hfKind struct {
	Type          string    `json:"type"`
	Normalizers   []*hfKind `json:"normalizers"`
	PreTokenizers []*hfKind `json:"pretokenizers"`
	Decoders      []*hfKind `json:"decoders"`
}

// hfFile is the second reading, once every part is of a supported kind.
type hfFile struct {
	AddedTokens  []hfAddedToken `json:"added_tokens"`
	Normalizer   *hfComponent   `json:"normalizer"`
	PreTokenizer *hfComponent   `json:"pre_tokenizer"`
	Model        hfModel        `json:"model"`
	Decoder      *hfComponent   `json:"decoder"`
}

type hfAddedToken struct {
	ID      *int   `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

type hfModel struct {
	Vocab        map[string]int `json:"vocab"`
	Merges       []any          `json:"merges"` // "a b" or ["a", "b"]
	UnkToken     *string        `json:"unk_token"`
	FuseUnk      bool           `json:"fuse_unk"`
	ByteFallback bool           `json:"byte_fallback"`
	IgnoreMerges bool           `json:"ignore_merges"`
	Dropout      *float64       `json:"dropout"`
	Prefix       *string        `json:"continuing_subword_prefix"`
	Suffix       *string        `json:"end_of_word_suffix"`
}

// hfComponent is a normalizer, pre-tokenizer or decoder: the union of the
// fields of the kinds LoadHF supports.
type hfComponent struct {
	Type           string         `json:"type"`
	Normalizers    []*hfComponent `json:"normalizers"`
	Decoders       []*hfComponent `json:"decoders"`
	Prepend        string         `json:"prepend"`
	Pattern        *hfPattern     `json:"pattern"`
	Content        string         `json:"content"`
	Replacement    string         `json:"replacement"`
	AddPrefixSpace *bool          `json:"add_prefix_space"`
	PrependScheme  string         `json:"prepend_scheme"`
	Split          *bool          `json:"split"`
	Start          int            `json:"start"`
	Stop           int            `json:"stop"`
}

type hfPattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// maxHFID bounds token ids, as Load does, so that a corrupt file cannot
// claim an absurd vocabulary size.
const maxHFID = 1 << 24

func parseHF(data []byte, name string) (*SentencePieceBPE, error) {
	t, err := decodeHF(data)
	if err == nil {
		return t, nil
	}
	var he *hfError
	if errors.As(err, &he) && he.offset > 0 {
		line, col := lineCol(data, he.offset-1)
		return nil, fmt.Errorf("tokenizer: %s:%d:%d: %v", name, line, col, err)
	}
	return nil, fmt.Errorf("tokenizer: %s: %v", name, err)
}

func decodeHF(data []byte) (*SentencePieceBPE, error) {
	var kinds hfKinds
	if err := unmarshalHF(data, &kinds); err != nil {
		return nil, err
	}
	if err := checkKinds(&kinds); err != nil {
		return nil, err
	}
	var f hfFile
	if err := unmarshalHF(data, &f); err != nil {
		return nil, err
	}
	return buildHF(&f)
}

// unmarshalHF decodes JSON, turning the decoder's errors into positioned
// hfErrors that say what was wanted in JSON's words.
func unmarshalHF(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &hfError{offset: se.Offset, msg: "malformed JSON: " + se.Error()}
	case errors.As(err, &te):
		return &hfError{offset: te.Offset, path: te.Field, msg: "want " + jsonKind(te.Type) + ", got " + te.Value}
	case err != nil:
		return &hfError{offset: -1, msg: "malformed JSON: " + err.Error()}
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// lineCol gives the 1-based line and column (in bytes) of offset.
func lineCol(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, int(offset) - bytes.LastIndexByte(before, '\n')
}

// hfRoles are the three component trees of a tokenizer.json, the member
// list their Sequence uses, and the kinds LoadHF reads in each.
var hfRoles = []struct {
	key, list string
	of        func(*hfKinds) *hfKind
	members   func(*hfKind) []*hfKind
	supported []string
}{
	{"normalizer", "normalizers", func(k *hfKinds) *hfKind { return k.Normalizer },
		func(k *hfKind) []*hfKind { return k.Normalizers }, []string{"Sequence", "Prepend", "Replace"}},
	{"pre_tokenizer", "pretokenizers", func(k *hfKinds) *hfKind { return k.PreTokenizer },
		func(k *hfKind) []*hfKind { return k.PreTokenizers }, []string{"Metaspace"}},
	{"decoder", "decoders", func(k *hfKinds) *hfKind { return k.Decoder },
		func(k *hfKind) []*hfKind { return k.Decoders }, []string{"Sequence", "Replace", "ByteFallback", "Fuse", "Strip", "Metaspace"}},
}

// checkKinds refuses what LoadHF cannot read, naming a byte-level part
// first: that is what a LLaMA-3 file is, whatever else it holds.
func checkKinds(k *hfKinds) error {
	if k.Model == nil {
		return errAt("model", "missing")
	}
	switch k.Model.Type {
	case "BPE":
	case "":
		return errAt("model.type", "missing; LoadHF reads \"BPE\", the SentencePiece BPE of LLaMA and LLaMA-2")
	default:
		return errAt("model.type", "%q is not supported: LoadHF reads \"BPE\", the SentencePiece BPE of LLaMA and LLaMA-2", k.Model.Type)
	}
	for _, find := range []func(n *hfKind, path string, supported []string) error{findByteLevel, findUnsupported} {
		for _, role := range hfRoles {
			err := walkKinds(role.of(k), role.key, role.list, role.members, func(n *hfKind, path string) error {
				if !slices.Contains(role.supported, n.Type) {
					return find(n, path, role.supported)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func findByteLevel(n *hfKind, path string, _ []string) error {
	if n.Type == "ByteLevel" {
		return errAt(path, "ByteLevel is not supported: this is a byte-level BPE (as LLaMA-3 and GPT-2 use); LoadHF reads the SentencePiece BPE of LLaMA and LLaMA-2")
	}
	return nil
}

func findUnsupported(n *hfKind, path string, supported []string) error {
	if n.Type == "" {
		return errAt(path, "no \"type\" (LoadHF reads %s here)", strings.Join(supported, ", "))
	}
	return errAt(path, "%q is not supported (LoadHF reads %s here)", n.Type, strings.Join(supported, ", "))
}

// walkKinds visits a component tree depth first, entering Sequences even
// where they are not supported so that a ByteLevel inside one is named.
func walkKinds(n *hfKind, path, list string, members func(*hfKind) []*hfKind, visit func(*hfKind, string) error) error {
	if n == nil {
		return nil
	}
	if err := visit(n, path); err != nil {
		return err
	}
	if n.Type != "Sequence" {
		return nil
	}
	for i, m := range members(n) {
		at := fmt.Sprintf("%s.%s[%d]", path, list, i)
		if m == nil {
			return errAt(at, "null")
		}
		if err := walkKinds(m, at, list, members, visit); err != nil {
			return err
		}
	}
	return nil
}
