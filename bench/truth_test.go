package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// twoTruths is a benchmark carrying loss (the default, lower is better)
// and acc (higher is better), with the acc values given.
func twoTruths(acc ...float64) *Benchmark {
	b := &Benchmark{Name: "two", TruthName: "loss", TruthDefs: []TruthDef{
		{Name: "loss", Desc: "a loss"}, {Name: "acc", HigherIsBetter: true, Desc: "an accuracy"}}}
	for i, v := range acc {
		a := Arch{ID: fmt.Sprintf("a%d", i), Truth: float64(i + 1), Extra: map[string]float64{"acc": v, "other": 7}}
		if math.IsInf(v, -1) { // no acc at all
			delete(a.Extra, "acc")
		}
		b.Archs = append(b.Archs, a)
	}
	b.buildIndex()
	return b
}

// checkErr fails unless err is an error whose message has every one of want.
func checkErr(t *testing.T, name string, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", name)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q lacks %q", name, err, w)
		}
	}
}

func TestWithTruth(t *testing.T) {
	cases := []struct {
		name  string
		b     *Benchmark
		truth string
		want  []float64 // the selected truth's values
		err   []string  // substrings of the error
	}{
		{"other truth", twoTruths(0.5, 0.25), "acc", []float64{0.5, 0.25}, nil},
		{"unknown", twoTruths(0.5), "accuracy", nil, []string{`benchmark two has no ground truth "accuracy"`, "loss, acc"}},
		{"missing value", twoTruths(0.5, math.Inf(-1)), "acc", nil, []string{"two", "architecture a1 has no acc"}},
		{"NaN value", twoTruths(math.NaN()), "acc", nil, []string{"architecture a0", "acc NaN is not a finite number"}},
		{"Inf value", twoTruths(math.Inf(1)), "acc", nil, []string{"architecture a0", "+Inf"}},
		{"no defs", fakeBench(2), "acc", nil, []string{`benchmark fake has no ground truth "acc" (its truths: )`}},
	}
	for _, c := range cases {
		got, err := c.b.WithTruth(c.truth)
		if c.err != nil {
			checkErr(t, c.name, err, c.err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(got.Truths(), c.want) || got.TruthName != c.truth || !got.HigherIsBetter {
			t.Errorf("%s: %s (higher %v) = %v, want %v", c.name, got.TruthName, got.HigherIsBetter, got.Truths(), c.want)
		}
	}
}

// The copy keeps every number: the old truth moves into Extra, the
// original is untouched, ids still find architectures, and selecting the
// old truth again gives the values back.
func TestWithTruthKeepsEverything(t *testing.T) {
	b := twoTruths(0.5, 0.25, 0.75)
	same, err := b.WithTruth("loss")
	if err != nil || same != b {
		t.Fatalf("WithTruth of the current truth: %p %v, want b itself", same, err)
	}
	acc, err := b.WithTruth("acc")
	if err != nil {
		t.Fatal(err)
	}
	if b.TruthName != "loss" || b.HigherIsBetter || b.Archs[1].Truth != 2 || b.Archs[1].Extra["acc"] != 0.25 {
		t.Errorf("the original changed: %+v", b)
	}
	a, ok := acc.Arch("a2")
	want := map[string]float64{"loss": 3, "other": 7}
	if !ok || a.Truth != 0.75 || !reflect.DeepEqual(a.Extra, want) {
		t.Errorf("a2 of the copy: %+v, %v; want truth 0.75, extra %v", a, ok, want)
	}
	back, err := acc.WithTruth("loss")
	if err != nil || !reflect.DeepEqual(back.Archs, b.Archs) || back.HigherIsBetter {
		t.Errorf("back to loss: %v %+v", err, back)
	}
	var unknown *UnknownTruthError
	if _, err := b.WithTruth("x"); !errors.As(err, &unknown) || !reflect.DeepEqual(unknown.Known, []string{"loss", "acc"}) {
		t.Errorf("unknown truth: %#v", err)
	}
}

// nanoConfig is a configuration of the nano space, for hand-made
// lpz-bench/1 files.
const nanoConfig = `{"cutoffs": [], "d_embed": 64, "d_inner": [64, 320, 384], "d_model": 64, "div_val": 1, "n_head": [4, 4, 4],
	"n_layer": 3, "n_token": 256, "proj_init_std": 0.01, "tgt_len": 64, "tie_projs": [false], "tie_weight": true, "weight_init_std": 0.02}`

// customTruthsFile is an lpz-bench/1 file whose head (after "format") is
// head and whose architectures have the given metrics (a JSON object each).
func customTruthsFile(head string, metrics ...string) []byte {
	var archs []string
	for i, m := range metrics {
		archs = append(archs, fmt.Sprintf(`{"id": "n%d", "status": "ok", "config": %s, "valid_loss": %d, "valid_ppl": %d, "metrics": %s}`,
			i, nanoConfig, i+1, 10*(i+1), m))
	}
	return []byte(`{"format": "lpz-bench/1", "name": "t", "family": "gpt2"` + head + `, "archs": [` + strings.Join(archs, ", ") + `]}`)
}

func TestCustomTruths(t *testing.T) {
	acc := []string{`{"acc_cont4": 0.3, "acc_norm": 0.2}`, `{"acc_cont4": 0.4, "acc_norm": 0.1}`}
	const both = `[{"name": "valid_ppl", "higher_is_better": false}, {"name": "acc_cont4", "higher_is_better": true, "desc": "accuracy"}]`
	cases := []struct {
		name    string
		data    []byte
		defs    []TruthDef
		truth   []float64   // the default truth's values
		extra   [][]float64 // each arch's Extra[defs[1].Name]
		loadErr []string
	}{
		{"no truths", customTruthsFile(``, `{}`, `{}`),
			[]TruthDef{customFieldTruths["valid_ppl"], customFieldTruths["valid_loss"]}, []float64{10, 20}, [][]float64{{1}, {2}}, nil},
		{"truth valid_loss", customTruthsFile(`, "truth": "valid_loss"`, `{}`, `{}`),
			[]TruthDef{customFieldTruths["valid_loss"], customFieldTruths["valid_ppl"]}, []float64{1, 2}, [][]float64{{10}, {20}}, nil},
		{"truth a metric", customTruthsFile(`, "truth": "acc_cont4", "higher_is_better": true`, acc...),
			[]TruthDef{{Name: "acc_cont4", HigherIsBetter: true}, customFieldTruths["valid_loss"]}, []float64{0.3, 0.4}, [][]float64{{1}, {2}}, nil},
		{"truths", customTruthsFile(`, "truths": `+both, acc...),
			[]TruthDef{{Name: "valid_ppl", Desc: customFieldTruths["valid_ppl"].Desc}, {Name: "acc_cont4", HigherIsBetter: true, Desc: "accuracy"}},
			[]float64{10, 20}, [][]float64{{0.3}, {0.4}}, nil},
		{"truth picks the default", customTruthsFile(`, "truth": "acc_cont4", "higher_is_better": true, "truths": `+both, acc...),
			[]TruthDef{{Name: "acc_cont4", HigherIsBetter: true, Desc: "accuracy"}, {Name: "valid_ppl", Desc: customFieldTruths["valid_ppl"].Desc}},
			[]float64{0.3, 0.4}, [][]float64{{10}, {20}}, nil},
		{"truth not in truths", customTruthsFile(`, "truth": "valid_loss", "truths": `+both, acc...), nil, nil, nil,
			[]string{"truths", `truth "valid_loss" is not one of truths`}},
		{"direction disagrees", customTruthsFile(`, "truth": "acc_cont4", "truths": `+both, acc...), nil, nil, nil,
			[]string{"higher_is_better false disagrees with truths, where acc_cont4 has true"}},
		{"listed twice", customTruthsFile(`, "truths": [{"name": "a"}, {"name": "a"}]`, acc...), nil, nil, nil,
			[]string{`truth "a" is listed twice`}},
		{"no name", customTruthsFile(`, "truths": [{"higher_is_better": true}]`, acc...), nil, nil, nil,
			[]string{"truths[0] has no name"}},
		{"default missing", customTruthsFile(`, "truths": [{"name": "acc_cont4", "higher_is_better": true}]`, acc[0], `{}`), nil, nil, nil,
			[]string{"n1", "no acc_cont4 (the truth is read from the record's metrics)"}},
		{"no valid_ppl", []byte(strings.Replace(string(customTruthsFile(``, `{}`)), `"valid_ppl": 10`, `"valid_ppl": 0`, 1)), nil, nil, nil,
			[]string{"n0", "no valid_ppl"}},
		{"negative valid_ppl", []byte(strings.Replace(string(customTruthsFile(``, `{}`)), `"valid_ppl": 10`, `"valid_ppl": -10`, 1)), nil, nil, nil,
			[]string{"n0", "valid_ppl -10 is not a positive number"}},
	}
	for _, c := range cases {
		b, err := ParseCustom(c.data, "t/benchmark.json")
		if c.loadErr != nil {
			checkErr(t, c.name, err, c.loadErr)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(b.TruthDefs, c.defs) || b.TruthName != c.defs[0].Name || b.HigherIsBetter != c.defs[0].HigherIsBetter {
			t.Errorf("%s: truths %+v (%s, higher %v), want %+v", c.name, b.TruthDefs, b.TruthName, b.HigherIsBetter, c.defs)
		}
		if !reflect.DeepEqual(b.Truths(), c.truth) {
			t.Errorf("%s: truth values %v, want %v", c.name, b.Truths(), c.truth)
		}
		for i, a := range b.Archs {
			if _, dup := a.Extra[b.TruthName]; dup || a.Extra[c.defs[1].Name] != c.extra[i][0] {
				t.Errorf("%s: %s extra %v: want %s = %v and no %s", c.name, a.ID, a.Extra, c.defs[1].Name, c.extra[i][0], b.TruthName)
			}
		}
		other, err := b.WithTruth(c.defs[1].Name)
		if err != nil || other.Archs[1].Truth != c.extra[1][0] || other.HigherIsBetter != c.defs[1].HigherIsBetter {
			t.Errorf("%s: WithTruth(%s): %v %+v", c.name, c.defs[1].Name, err, other)
		}
		if info, ok := CustomInfo(other); !ok || info.Name != "t" {
			t.Errorf("%s: the copy lost its record: %v %v", c.name, info, ok)
		}
	}
}

// A benchmark.json with truths round-trips through CustomBench.
func TestCustomTruthsJSON(t *testing.T) {
	data := customTruthsFile(`, "truths": [{"name": "valid_ppl", "higher_is_better": false, "desc": "ppl"}, {"name": "acc", "higher_is_better": true}]`, `{"acc": 1}`)
	var cb CustomBench
	if err := json.Unmarshal(data, &cb); err != nil {
		t.Fatal(err)
	}
	want := []TruthDef{{Name: "valid_ppl", Desc: "ppl"}, {Name: "acc", HigherIsBetter: true}}
	if !reflect.DeepEqual(cb.Truths, want) {
		t.Fatalf("truths %+v, want %+v", cb.Truths, want)
	}
	out, err := json.Marshal(cb.Truths)
	if err != nil || string(out) != `[{"name":"valid_ppl","higher_is_better":false,"desc":"ppl"},{"name":"acc","higher_is_better":true}]` {
		t.Errorf("marshalled: %s %v", out, err)
	}
}

// The published benchmarks' truths: FlexiBERT's GLUE score and its tasks,
// GPT-2's validation and test perplexities (also of the embedded slice).
func TestPublishedTruths(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gpt2-wt103", "config_0", "j0", "model_config.yaml"), miniGPT2Config)
	writeFile(t, filepath.Join(dir, "gpt2-wt103", "ppl_summary.yaml"), miniPPL)
	writeFile(t, filepath.Join(dir, "gpt2-wt103", "params_summary.yaml"), miniParams)
	writeFile(t, filepath.Join(dir, "flexibert", "BERT_benchmark.json"), `[{"id": 7,
	 "scores": {"glue": 70, "cola": 1, "mnli": 2, "mrpc": 3, "qnli": 4, "qqp": 5, "rte": 6, "sst": 7, "sts": 8},
	 "hparams": {"model_hparam_overrides": {"hidden_size": 128, "nas_config": {"encoder_layers": [
	 {"operation_type": "SA", "operation_parameter": "SDP", "num_operation_heads": 2, "feed_forward_dimension": 512, "num_feed_forward": 1}]}}}}]`)
	mini, err := Mini()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		bench, truth string
		names        []string
		higher       bool
		first        float64 // the first architecture's value of truth
	}{
		{"gpt2-wt103", "test_ppl", []string{"valid_ppl", "test_ppl"}, false, 50},
		{"flexibert", "mnli", append([]string{"glue"}, GLUETasks...), true, 2},
		{"flexibert", "sts", append([]string{"glue"}, GLUETasks...), true, 8},
		{MiniName, "test_ppl", []string{"valid_ppl", "test_ppl"}, false, mini.Archs[0].Extra["test_ppl"]},
	}
	for _, c := range cases {
		b, err := LoadAny(c.bench, dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range b.TruthDefs {
			names = append(names, d.Name)
			if d.Desc == "" {
				t.Errorf("%s: truth %s has no description", c.bench, d.Name)
			}
		}
		if !reflect.DeepEqual(names, c.names) || b.TruthName != names[0] || b.HigherIsBetter != b.TruthDefs[0].HigherIsBetter {
			t.Errorf("%s: truths %v (default %s), want %v", c.bench, names, b.TruthName, c.names)
		}
		nb, err := b.WithTruth(c.truth)
		if err != nil {
			t.Fatalf("%s: %v", c.bench, err)
		}
		if nb.Archs[0].Truth != c.first || nb.HigherIsBetter != c.higher || nb.Archs[0].Extra[b.TruthName] != b.Archs[0].Truth {
			t.Errorf("%s --truth %s: %+v, want %v (higher %v)", c.bench, c.truth, nb.Archs[0], c.first, c.higher)
		}
	}
}

// Every truth a loaded lpz-bench/1 file declares is either selectable,
// giving the values Extra held, or an error; never a panic.
func FuzzCustomTruths(f *testing.F) {
	f.Add(customTruthsFile(`, "truths": [{"name": "valid_ppl"}, {"name": "acc", "higher_is_better": true}]`, `{"acc": 0.5}`, `{"acc": 0.7}`))
	f.Add(customTruthsFile(`, "truth": "valid_loss"`, `{}`))
	f.Add(customTruthsFile(`, "truth": "m", "truths": [{"name": "valid_loss"}, {"name": "m"}]`, `{"m": 3}`, `{"m": 1e308}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseCustom(data, "fuzz/benchmark.json")
		if err != nil {
			return
		}
		if len(b.TruthDefs) == 0 || b.TruthDefs[0].Name != b.TruthName {
			t.Fatalf("default truth %q is not the first of %+v", b.TruthName, b.TruthDefs)
		}
		for _, d := range b.TruthDefs[1:] {
			nb, err := b.WithTruth(d.Name)
			if err != nil {
				continue
			}
			for i, a := range nb.Archs {
				if a.Truth != b.Archs[i].Extra[d.Name] || a.Extra[b.TruthName] != b.Archs[i].Truth {
					t.Fatalf("%s: %s %v, was %v in Extra", a.ID, d.Name, a.Truth, b.Archs[i].Extra[d.Name])
				}
			}
		}
	})
}

func ExampleBenchmark_WithTruth() {
	b, _ := Nano()
	for _, d := range b.TruthDefs {
		fmt.Println(d.Name, d.HigherIsBetter)
	}
	loss, _ := b.WithTruth("valid_loss")
	a := loss.Archs[0]
	fmt.Printf("%s: valid_loss %.3f, valid_ppl %.2f\n", a.ID, a.Truth, a.Extra["valid_ppl"])
	// Output:
	// valid_ppl false
	// valid_loss false
	// nano_000: valid_loss 2.448, valid_ppl 11.57
}
