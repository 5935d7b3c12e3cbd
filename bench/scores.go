package bench

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadScores reads a per-architecture score file: architecture id → value.
//
// Formats (chosen by extension .yaml/.yml/.csv, else by sniffing the first
// non-blank, non-# line: a comma means CSV):
//   - YAML: a mapping `id: value` (e.g. ../shared/bench/reference/gpt2-wt103/*.yaml);
//   - CSV: rows `id,value`; an optional first header row is recognised by a
//     non-numeric value field; `#` starts a comment line. A CSV with more than
//     two columns needs ReadScoresColumn.
//
// Every value must be a finite number: a non-numeric, NaN or infinite value,
// a duplicate id or a malformed row is an error that names file:line.
func ReadScores(path string) (map[string]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if isCSV(path, data) {
		return readCSVScores(path, data, "")
	}
	return readYAMLScores(path, data, "")
}

// ReadScoresColumn reads one column of a score table:
//   - CSV with a header row: the first column is the architecture id, column
//     names the value column (exact header match, else a unique
//     case-insensitive match), e.g. ReadScoresColumn(
//     ".../BERT_results_activation.csv", "Number of Parameters");
//   - YAML of the form `id: {name: value, ...}` (e.g. ppl_summary.yaml):
//     column names the inner key.
func ReadScoresColumn(path, column string) (map[string]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if column == "" {
		return nil, fmt.Errorf("%s: empty column name", path)
	}
	if isCSV(path, data) {
		return readCSVScores(path, data, column)
	}
	return readYAMLScores(path, data, column)
}

func isCSV(path string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return true
	case ".yaml", ".yml", ".json":
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return strings.Contains(line, ",")
	}
	return false
}

// parseScore parses a finite float; msg says what is wrong otherwise.
func parseScore(s string) (float64, string) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange):
		return 0, fmt.Sprintf("value %q is out of float64 range", s)
	case err != nil:
		return 0, fmt.Sprintf("value %q is not a number", s)
	case math.IsNaN(v):
		return 0, fmt.Sprintf("value %q is NaN", s)
	case math.IsInf(v, 0):
		return 0, fmt.Sprintf("value %q is infinite", s)
	}
	return v, ""
}

func readYAMLScores(path string, data []byte, column string) (map[string]float64, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: malformed YAML: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty score file", path)
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: expected a mapping `id: value`", path, top.Line)
	}
	out := make(map[string]float64, len(top.Content)/2)
	lines := make(map[string]int, len(top.Content)/2)
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, fmt.Errorf("%s:%d: key is not a plain id", path, k.Line)
		}
		if l, dup := lines[k.Value]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate id %q (first at line %d)", path, k.Line, k.Value, l)
		}
		lines[k.Value] = k.Line
		if column != "" {
			if v.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("%s:%d: id %q: expected a mapping with key %q", path, v.Line, k.Value, column)
			}
			var found *yaml.Node
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == column {
					found = v.Content[j+1]
				}
			}
			if found == nil {
				return nil, fmt.Errorf("%s:%d: id %q has no key %q", path, v.Line, k.Value, column)
			}
			v = found
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s:%d: id %q: value is not a number", path, v.Line, k.Value)
		}
		f, msg := parseScore(v.Value)
		if msg != "" {
			return nil, fmt.Errorf("%s:%d: id %q: %s", path, v.Line, k.Value, msg)
		}
		out[k.Value] = f
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no scores", path)
	}
	return out, nil
}

func readCSVScores(path string, data []byte, column string) (map[string]float64, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	out := make(map[string]float64)
	lines := make(map[string]int)
	col := 1
	first := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: malformed CSV: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if first {
			first = false
			if column != "" {
				col = -1
				for i, h := range rec {
					if strings.TrimSpace(h) == column {
						col = i
						break
					}
				}
				if col < 0 {
					for i, h := range rec {
						if strings.EqualFold(strings.TrimSpace(h), column) {
							if col >= 0 {
								return nil, fmt.Errorf("%s:%d: column %q matches several headers", path, line, column)
							}
							col = i
						}
					}
				}
				if col < 0 {
					return nil, fmt.Errorf("%s:%d: no column %q (columns: %s)", path, line, column, strings.Join(rec, ", "))
				}
				if col == 0 {
					return nil, fmt.Errorf("%s:%d: column %q is the id column", path, line, column)
				}
				continue
			}
			if len(rec) != 2 {
				return nil, fmt.Errorf("%s:%d: %d columns; an `id,value` file has 2 (use ReadScoresColumn / --column to choose one of: %s)",
					path, line, len(rec), strings.Join(rec, ", "))
			}
			if _, msg := parseScore(rec[1]); msg != "" {
				continue // header row
			}
		}
		if column == "" && len(rec) != 2 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 2 (id,value)", path, line, len(rec))
		}
		if col >= len(rec) {
			return nil, fmt.Errorf("%s:%d: row has %d fields, column %q is field %d", path, line, len(rec), column, col+1)
		}
		id := strings.TrimSpace(rec[0])
		if id == "" {
			return nil, fmt.Errorf("%s:%d: empty id", path, line)
		}
		if l, dup := lines[id]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate id %q (first at line %d)", path, line, id, l)
		}
		f, msg := parseScore(rec[col])
		if msg != "" {
			return nil, fmt.Errorf("%s:%d: id %q: %s", path, line, id, msg)
		}
		lines[id] = line
		out[id] = f
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no scores", path)
	}
	return out, nil
}
