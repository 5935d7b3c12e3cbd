package mctask

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxLine bounds one JSONL record; BoolQ's longest passages are a few KiB.
const maxLine = 64 << 20

// ReadJSONL reads a task from a JSONL file in any format of the package doc.
// The task is named after the file without its extension. A PIQA file whose
// records carry no "label" takes its labels from the file next to it named
// as PATH with ".jsonl" replaced by "-labels.lst", as PIQA ships them.
func ReadJSONL(path string) (*Task, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mctask: %w", err)
	}
	defer f.Close()
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	p := &parser{src: path, labelsPath: strings.TrimSuffix(path, ".jsonl") + "-labels.lst"}
	return p.parse(f, name)
}

// ParseJSONL reads a task from a JSONL stream in any format of the package
// doc; name names the task and its errors. A stream has no label file
// beside it, so every PIQA record must carry its "label".
func ParseJSONL(r io.Reader, name string) (*Task, error) {
	p := &parser{src: name}
	return p.parse(r, name)
}

// parser reads one stream; PIQA's separate labels are loaded on first need.
type parser struct {
	src        string
	labelsPath string // "" when there is no file to look beside
	labels     []int
	records    int // records read so far (blank lines excluded)
}

func (p *parser) parse(r io.Reader, name string) (*Task, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	task := &Task{Name: name, Source: p.src}
	var form *format
	firstLine, line := 0, 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		if len(text) == 0 {
			continue
		}
		rec, err := decodeRecord(text)
		if err != nil {
			return nil, fmt.Errorf("mctask: %s:%d: %w", p.src, line, err)
		}
		if form == nil {
			if form, err = detect(rec); err != nil {
				return nil, fmt.Errorf("mctask: %s:%d: %w", p.src, line, err)
			}
			firstLine, task.Format = line, form.name
		}
		it, err := p.item(form, rec, line)
		if err != nil {
			return nil, fmt.Errorf("mctask: %s:%d: %s record (format detected at line %d): %w", p.src, line, form.name, firstLine, err)
		}
		task.Items = append(task.Items, it)
		p.records++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("mctask: %s:%d: line longer than %d MiB", p.src, line+1, maxLine>>20)
		}
		return nil, fmt.Errorf("mctask: %s:%d: %w", p.src, line+1, err)
	}
	if len(task.Items) == 0 {
		return nil, fmt.Errorf("mctask: %s: no records", p.src)
	}
	if p.labels != nil && len(p.labels) != p.records {
		return nil, fmt.Errorf("mctask: %s has %d labels for the %d records of %s", p.labelsPath, len(p.labels), p.records, p.src)
	}
	return task, nil
}

// item builds and checks one record's item; its id is the record's own
// ("id", "ind", "qID" or "idx", whichever the format uses) or the line.
func (p *parser) item(form *format, rec record, line int) (Item, error) {
	it, err := form.item(p, rec)
	if err != nil {
		return Item{}, err
	}
	for j, c := range it.Continuations {
		it.Continuations[j] = form.delim + c
	}
	if err := it.check(); err != nil {
		return Item{}, err
	}
	it.delim = form.delim
	it.ID = rec.id()
	if it.ID == "" {
		it.ID = strconv.Itoa(line)
	}
	return it, nil
}

// piqaLabel is the label of the current record from the -labels.lst file.
func (p *parser) piqaLabel() (int, error) {
	if p.labelsPath == "" {
		return 0, errors.New(`field "label" is missing, and a stream has no -labels.lst file beside it (read the file with ReadJSONL, or add the labels)`)
	}
	if p.labels == nil {
		labels, err := readLabels(p.labelsPath)
		if errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf(`field "label" is missing, and %s does not exist (PIQA's original files keep their labels there)`, p.labelsPath)
		}
		if err != nil {
			return 0, err
		}
		p.labels = labels
	}
	if p.records >= len(p.labels) {
		return 0, fmt.Errorf("%s has only %d labels", p.labelsPath, len(p.labels))
	}
	return p.labels[p.records], nil
}

// readLabels reads one integer label per line; trailing blank lines end it.
func readLabels(path string) ([]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), " \t\r\n"), "\n")
	labels := make([]int, len(lines))
	for i, l := range lines {
		if labels[i], err = strconv.Atoi(strings.TrimSpace(l)); err != nil {
			return nil, fmt.Errorf("%s:%d: %q is not an integer label", path, i+1, l)
		}
	}
	return labels, nil
}

// record is one JSON object, its fields left undecoded until a format asks.
type record map[string]json.RawMessage

func decodeRecord(text []byte) (record, error) {
	if text[0] != '{' {
		return nil, fmt.Errorf("want a JSON object, got %s", kind(text))
	}
	var rec record
	if err := json.Unmarshal(text, &rec); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	return rec, nil
}

// has reports a field that is present and not null.
func (r record) has(key string) bool {
	v, ok := r[key]
	return ok && kind(v) != "null"
}

func (r record) field(key string, want string, into any) error {
	v, ok := r[key]
	if !ok || kind(v) == "null" {
		return fmt.Errorf("field %q is missing", key)
	}
	if err := json.Unmarshal(v, into); err != nil {
		return fmt.Errorf("field %q: want %s, got %s", key, want, kind(v))
	}
	return nil
}

func (r record) str(key string) (string, error) {
	var s string
	err := r.field(key, "a string", &s)
	return s, err
}

// strFields reads several string fields, in order.
func (r record) strFields(keys ...string) ([]string, error) {
	out := make([]string, len(keys))
	for i, k := range keys {
		var err error
		if out[i], err = r.str(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r record) strs(key string) ([]string, error) {
	var s []string
	err := r.field(key, "an array of strings", &s)
	return s, err
}

func (r record) object(key string) (record, error) {
	var o record
	err := r.field(key, "an object", &o)
	return o, err
}

// integer reads an integer written as a number or as a string ("2").
func (r record) integer(key string) (int, error) {
	var v any
	if err := r.field(key, "an integer", &v); err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= math.MaxInt32 {
			return int(x), nil
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("field %q: want an integer, got %s", key, r[key])
}

// boolean reads true/false, or 0/1 as the SuperGLUE rows write it.
func (r record) boolean(key string) (bool, error) {
	var v any
	if err := r.field(key, "a boolean", &v); err != nil {
		return false, err
	}
	switch v {
	case true, float64(1):
		return true, nil
	case false, float64(0):
		return false, nil
	}
	return false, fmt.Errorf("field %q: want true, false, 0 or 1, got %s", key, r[key])
}

// id is the record's own id, whichever name its format gives it.
func (r record) id() string {
	for _, key := range []string{"id", "ind", "qID", "idx"} {
		if v, ok := r[key]; ok {
			var s string
			if json.Unmarshal(v, &s) == nil {
				return s
			}
			if kind(v) == "a number" {
				return string(v)
			}
		}
	}
	return ""
}

// kind names a JSON value's type from its first byte.
func kind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
