package bench

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// TruthDef is one ground truth a benchmark carries. The values of the
// selected one are Arch.Truth; those of the others sit in Arch.Extra under
// their names until WithTruth selects them.
type TruthDef struct {
	Name           string `json:"name"`
	HigherIsBetter bool   `json:"higher_is_better"`
	Desc           string `json:"desc,omitempty"` // one line: what the number measures
}

// TruthChoices are the ground truths b can be ranked against, the default
// first: b.TruthDefs, or for a benchmark assembled without them, the one
// it has.
func (b *Benchmark) TruthChoices() []TruthDef {
	if len(b.TruthDefs) > 0 {
		return b.TruthDefs
	}
	return []TruthDef{{Name: b.TruthName, HigherIsBetter: b.HigherIsBetter}}
}

// UnknownTruthError is WithTruth's answer to a name the benchmark does not
// carry.
type UnknownTruthError struct {
	Bench string
	Name  string
	Known []string // the benchmark's truths, the default first
}

func (e *UnknownTruthError) Error() string {
	return fmt.Sprintf("benchmark %s has no ground truth %q (its truths: %s)", e.Bench, e.Name, strings.Join(e.Known, ", "))
}

// WithTruth returns b ranked against the ground truth name: a copy whose
// architectures carry that truth's values as Truth, the truth they had
// kept in Extra under its name. b itself is returned when name is already
// its truth. Every architecture must have a finite value for it.
func (b *Benchmark) WithTruth(name string) (*Benchmark, error) {
	if name == b.TruthName {
		return b, nil
	}
	def, ok := b.truthDef(name)
	if !ok {
		known := make([]string, 0, len(b.TruthChoices()))
		for _, d := range b.TruthChoices() {
			known = append(known, d.Name)
		}
		return nil, &UnknownTruthError{Bench: b.Name, Name: name, Known: known}
	}
	nb := *b
	nb.TruthName, nb.HigherIsBetter = def.Name, def.HigherIsBetter
	nb.Archs = make([]Arch, len(b.Archs))
	for i, a := range b.Archs {
		v, ok := a.Extra[name]
		if !ok {
			return nil, fmt.Errorf("benchmark %s: architecture %s has no %s", b.Name, a.ID, name)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("benchmark %s: architecture %s: %s %v is not a finite number", b.Name, a.ID, name, v)
		}
		a.Extra = maps.Clone(a.Extra)
		delete(a.Extra, name)
		a.Extra[b.TruthName] = a.Truth
		a.Truth = v
		nb.Archs[i] = a
	}
	nb.buildIndex()
	if cb, ok := CustomInfo(b); ok {
		customInfo.Store(&nb, cb)
	}
	return &nb, nil
}

func (b *Benchmark) truthDef(name string) (TruthDef, bool) {
	for _, d := range b.TruthChoices() {
		if d.Name == name {
			return d, true
		}
	}
	return TruthDef{}, false
}

// The published benchmarks' truths.
var (
	gpt2TruthDefs = []TruthDef{
		{Name: "valid_ppl", Desc: "perplexity on the WikiText-103 validation set (ppl_summary.yaml)"},
		{Name: "test_ppl", Desc: "perplexity on the WikiText-103 test set (ppl_summary.yaml)"},
	}
	flexiTruthDefs = append([]TruthDef{{Name: "glue", HigherIsBetter: true, Desc: "GLUE score: the mean of the eight task scores"}},
		glueTaskDefs()...)
)

// glueTaskDefs are the GLUE tasks of a FlexiBERT record as truths.
func glueTaskDefs() []TruthDef {
	names := map[string]string{"cola": "CoLA", "mnli": "MNLI", "mrpc": "MRPC", "qnli": "QNLI",
		"qqp": "QQP", "rte": "RTE", "sst": "SST-2", "sts": "STS-B"}
	defs := make([]TruthDef, len(GLUETasks))
	for i, t := range GLUETasks {
		defs[i] = TruthDef{Name: t, HigherIsBetter: true, Desc: "GLUE task " + names[t] + ": the record's score"}
	}
	return defs
}

// The truths of an lpz-bench/1 benchmark that its records' fields hold
// (any other is a key of the records' metrics).
var customFieldTruths = map[string]TruthDef{
	"valid_ppl":  {Name: "valid_ppl", Desc: "perplexity on the validation windows: exp of the mean next-token NLL"},
	"valid_loss": {Name: "valid_loss", Desc: "mean next-token NLL in nats on the validation windows"},
}

// customTruthDefs are the truths benchmark.json declares, the default
// first (see the format comment in custom.go).
func customTruthDefs(cb *CustomBench) ([]TruthDef, error) {
	if len(cb.Truths) == 0 {
		name := cmp.Or(cb.Truth, "valid_ppl")
		other := customFieldTruths["valid_loss"]
		if name == "valid_loss" {
			other = customFieldTruths["valid_ppl"]
		}
		return []TruthDef{{Name: name, HigherIsBetter: cb.HigherIsBetter, Desc: customFieldTruths[name].Desc}, other}, nil
	}
	defs := make([]TruthDef, 0, len(cb.Truths))
	seen := map[string]bool{}
	for i, d := range cb.Truths {
		if d.Name == "" {
			return nil, fmt.Errorf("truths[%d] has no name", i)
		}
		if seen[d.Name] {
			return nil, fmt.Errorf("truth %q is listed twice", d.Name)
		}
		seen[d.Name] = true
		d.Desc = cmp.Or(d.Desc, customFieldTruths[d.Name].Desc)
		defs = append(defs, d)
	}
	if cb.Truth == "" {
		return defs, nil
	}
	i := slices.IndexFunc(defs, func(d TruthDef) bool { return d.Name == cb.Truth })
	switch {
	case i < 0:
		return nil, fmt.Errorf("truth %q is not one of truths", cb.Truth)
	case defs[i].HigherIsBetter != cb.HigherIsBetter:
		return nil, fmt.Errorf("higher_is_better %v disagrees with truths, where %s has %v", cb.HigherIsBetter, cb.Truth, defs[i].HigherIsBetter)
	}
	return append(append([]TruthDef{defs[i]}, defs[:i]...), defs[i+1:]...), nil
}

// customTruth is a record's value of truth name, if it has one.
func customTruth(ca CustomArch, name string) (float64, bool) {
	var v float64
	switch name {
	case "valid_ppl":
		v = ca.ValidPPL
	case "valid_loss":
		v = ca.ValidLoss
	default:
		v, ok := ca.Metrics[name]
		return v, ok
	}
	return v, v != 0 // the fields are omitted when unmeasured
}

// customDefaultTruth is a record's value of the benchmark's default truth:
// finite, and positive for a loss or a perplexity.
func customDefaultTruth(ca CustomArch, name string) (float64, error) {
	v, ok := customTruth(ca, name)
	_, field := customFieldTruths[name]
	switch {
	case !ok && field:
		return 0, fmt.Errorf("no %s", name)
	case !ok:
		return 0, fmt.Errorf("no %s (the truth is read from the record's metrics)", name)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%s %v is not a finite number", name, v)
	case field && v <= 0:
		return 0, fmt.Errorf("%s %v is not a positive number", name, v)
	}
	return v, nil
}
