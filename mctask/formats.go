package mctask

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// format is one benchmark's JSONL layout and its lm-eval zero-shot prompt.
type format struct {
	name   string
	keys   []string // fields whose presence in the first record picks this format
	fields string   // what every record holds, for the error when none fits
	delim  string   // put before each choice to make its continuation
	// item reads one record; its continuations are the bare choices.
	item func(p *parser, r record) (Item, error)
}

// formats is tried in order: a record holding the key fields of two
// formats (no benchmark's does) gets the first.
var formats = []*format{
	{"lpz", []string{"context", "choices"}, "context, choices[], answer", "", lpzItem},
	{"hellaswag", []string{"endings"}, "ctx_a+ctx_b or ctx, endings[], label", " ", hellaswagItem},
	{"piqa", []string{"goal", "sol1", "sol2"}, "goal, sol1, sol2, label", " ", piqaItem},
	{"winogrande", []string{"sentence", "option1", "option2"}, "sentence, option1, option2, answer", " ", winograndeItem},
	{"openbookqa", []string{"question_stem", "choices"}, "question_stem, choices{text,label}, answerKey", " ", openbookqaItem},
	{"boolq", []string{"question", "passage"}, "passage, question, answer or label", " ", boolqItem},
	{"arc", []string{"question", "choices"}, "question, choices{text,label}, answerKey", " ", arcItem},
}

// detect picks the first format whose key fields the record has.
func detect(r record) (*format, error) {
	for _, f := range formats {
		if !slices.ContainsFunc(f.keys, func(k string) bool { return !r.has(k) }) {
			return f, nil
		}
	}
	var have, tried []string
	for k := range r {
		have = append(have, k)
	}
	slices.Sort(have)
	for _, f := range formats {
		tried = append(tried, fmt.Sprintf("%s (%s)", f.name, f.fields))
	}
	return nil, fmt.Errorf("no known format has fields {%s}; tried %s", strings.Join(have, ", "), strings.Join(tried, "; "))
}

// lpzItem: lpz's own format; choices are continuations exactly as written.
func lpzItem(_ *parser, r record) (Item, error) {
	ctx, err := r.str("context")
	if err != nil {
		return Item{}, err
	}
	choices, err := r.strs("choices")
	if err != nil {
		return Item{}, err
	}
	answer, err := r.integer("answer")
	return Item{Contexts: []string{ctx}, Continuations: choices, Answer: answer}, err
}

// hellaswagItem follows lm-eval's hellaswag/utils.py: the query is
// "{activity_label}: {ctx_a} {Ctx_b}" and query and endings are cleaned.
func hellaswagItem(_ *parser, r record) (Item, error) {
	var ctx string
	var err error
	if r.has("ctx_a") {
		var a, b string
		if a, err = r.str("ctx_a"); err != nil {
			return Item{}, err
		}
		if b, err = r.str("ctx_b"); err != nil {
			return Item{}, err
		}
		ctx = a + " " + pyCapitalize(b)
	} else if ctx, err = r.str("ctx"); err != nil {
		return Item{}, fmt.Errorf(`%w (and "ctx_a"+"ctx_b" are missing too)`, err)
	}
	if r.has("activity_label") {
		label, err := r.str("activity_label")
		if err != nil {
			return Item{}, err
		}
		ctx = label + ": " + ctx
	}
	endings, err := r.strs("endings")
	if err != nil {
		return Item{}, err
	}
	for i, e := range endings {
		endings[i] = hellaswagClean(e)
	}
	label, err := r.integer("label")
	return Item{Contexts: []string{hellaswagClean(ctx)}, Continuations: endings, Answer: label}, err
}

// bracketed matches WikiHow's "[header]"-style markers; like Python's re,
// RE2's "." does not cross a newline.
var bracketed = regexp.MustCompile(`\[.*?\]`)

// hellaswagClean is lm-eval's HellaSwag preprocess: strip, " [title]" → ". ",
// drop bracketed markers, then one pass turning each "  " into " ".
func hellaswagClean(s string) string {
	s = pyStrip(s)
	s = strings.ReplaceAll(s, " [title]", ". ")
	s = bracketed.ReplaceAllString(s, "")
	return strings.ReplaceAll(s, "  ", " ")
}

// pyStrip is Python's str.strip(): its whitespace adds the information
// separators U+001C..U+001F to Unicode's White_Space.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) })
}

// pyCapitalize is Python's str.capitalize(): first character in title
// case, the rest in lower case.
func pyCapitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + strings.ToLower(s[size:])
}

func piqaItem(p *parser, r record) (Item, error) {
	s, err := r.strFields("goal", "sol1", "sol2")
	if err != nil {
		return Item{}, err
	}
	var label int
	if r.has("label") {
		label, err = r.integer("label")
	} else {
		label, err = p.piqaLabel()
	}
	return Item{
		Contexts:      []string{"Question: " + s[0] + "\nAnswer:"},
		Continuations: s[1:],
		Answer:        label,
	}, err
}

// winograndeItem is lm-eval's partial scoring: each option fills the blank
// of its own context, and the text after the blank is the shared
// continuation.
func winograndeItem(_ *parser, r record) (Item, error) {
	sentence, err := r.str("sentence")
	if err != nil {
		return Item{}, err
	}
	before, after, ok := strings.Cut(sentence, "_")
	if !ok {
		return Item{}, fmt.Errorf(`field "sentence" has no "_" blank: %q`, sentence)
	}
	opts, err := r.strFields("option1", "option2")
	if err != nil {
		return Item{}, err
	}
	answer, err := r.integer("answer")
	if err != nil {
		return Item{}, err
	}
	if answer != 1 && answer != 2 {
		return Item{}, fmt.Errorf(`field "answer": want "1" or "2", got %s`, r["answer"])
	}
	rest := pyStrip(after)
	return Item{
		Contexts:      []string{before + opts[0], before + opts[1]},
		Continuations: []string{rest, rest},
		Answer:        answer - 1,
	}, nil
}

func arcItem(_ *parser, r record) (Item, error) {
	question, err := r.str("question")
	if err != nil {
		return Item{}, err
	}
	return lettered(r, "Question: "+question+"\nAnswer:")
}

func openbookqaItem(_ *parser, r record) (Item, error) {
	stem, err := r.str("question_stem")
	if err != nil {
		return Item{}, err
	}
	return lettered(r, stem)
}

// lettered reads ARC's and OpenBookQA's choices {text[], label[]}; the
// answer is the position of answerKey among the labels, whether those are
// letters or digits.
func lettered(r record, context string) (Item, error) {
	choices, err := r.object("choices")
	if err != nil {
		return Item{}, err
	}
	texts, err := choices.strs("text")
	if err != nil {
		return Item{}, fmt.Errorf("choices: %w", err)
	}
	labels, err := choices.strs("label")
	if err != nil {
		return Item{}, fmt.Errorf("choices: %w", err)
	}
	if len(texts) != len(labels) {
		return Item{}, fmt.Errorf("choices: %d texts but %d labels", len(texts), len(labels))
	}
	key, err := r.str("answerKey")
	if err != nil {
		return Item{}, err
	}
	answer := slices.Index(labels, strings.TrimSpace(key))
	if answer < 0 {
		return Item{}, fmt.Errorf("answerKey %q is none of the choice labels %q", key, labels)
	}
	return Item{Contexts: []string{context}, Continuations: texts, Answer: answer}, nil
}

// boolqItem reads google/boolq's "answer" (a boolean) or SuperGLUE's
// "label" (a boolean in its files, 0/1 in the HF rows).
func boolqItem(_ *parser, r record) (Item, error) {
	s, err := r.strFields("passage", "question")
	if err != nil {
		return Item{}, err
	}
	var key string
	switch {
	case r.has("label"):
		key = "label"
	case r.has("answer"):
		key = "answer"
	default:
		return Item{}, errors.New(`fields "answer" and "label" are both missing`)
	}
	yes, err := r.boolean(key)
	answer := 0
	if yes {
		answer = 1
	}
	return Item{
		Contexts:      []string{s[0] + "\nQuestion: " + s[1] + "?\nAnswer:"},
		Continuations: []string{"no", "yes"},
		Answer:        answer,
	}, err
}
