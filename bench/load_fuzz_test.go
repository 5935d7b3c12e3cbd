package bench

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"lpz/bench/nano"
)

// The benchmark loaders read files a user downloads, copies or edits: any
// bytes must give a benchmark or an error, never a panic, and a benchmark
// they return must be one the rest of lpz can use (its parameters count).

// sharedBenchDir is ../shared/bench seen from this package; fuzz seeds are
// taken from it at test time when it is there.
const sharedBenchDir = "../../shared/bench"

func writeFuzzFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkLoaded asserts what every loaded benchmark promises.
func checkLoaded(t *testing.T, b *Benchmark) {
	t.Helper()
	if len(b.Archs) == 0 {
		t.Fatal("loaded a benchmark without architectures")
	}
	for _, a := range b.Archs {
		if _, ok := b.Arch(a.ID); !ok {
			t.Fatalf("architecture %q not found by its id", a.ID)
		}
		if _, err := ArchScalarsErr(a, DefaultFlexiMode); err != nil {
			t.Fatalf("loaded architecture cannot be counted: %v", err)
		}
		if _, err := ArchScalarsErr(a, ModeUpstreamProxy); err != nil {
			t.Fatalf("loaded architecture cannot be counted: %v", err)
		}
		StratumOf(a)
	}
}

const gpt2SeedConfig = `n_layer: 2
d_model: 64
n_head: [2, 4]
d_inner: 128
d_embed: -1
div_val: 1
n_token: 100
cutoffs: []
tgt_len: 32
tie_weight: true
`

const gpt2SeedPPL = "config_0_j0:\n  valid_ppl: 40.5\n  test_ppl: 41\n"

const gpt2SeedParams = "config_0_j0:\n  AdaEmb: 8448\n  Attn: 33280\n  FFN: 33216\n  nonembedding: 67264\n  total: 75812\n"

// sharedGPT2Seed is config_0/j0 of the real benchmark with its two
// summary entries (the summaries cut to their first entry).
func sharedGPT2Seed() (cfg, ppl, par []byte, ok bool) {
	dir := filepath.Join(sharedBenchDir, "gpt2-wt103")
	cfg, err1 := os.ReadFile(filepath.Join(dir, "config_0", "j0", "model_config.yaml"))
	p, err2 := os.ReadFile(filepath.Join(dir, "ppl_summary.yaml"))
	q, err3 := os.ReadFile(filepath.Join(dir, "params_summary.yaml"))
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, nil, nil, false
	}
	first := func(b []byte) []byte { // up to the second top-level key
		if i := bytes.Index(b, []byte("\nconfig_0_j1:")); i >= 0 {
			return b[:i+1]
		}
		return b
	}
	return cfg, first(p), first(q), true
}

func FuzzLoadGPT2(f *testing.F) {
	f.Add([]byte(gpt2SeedConfig), []byte(gpt2SeedPPL), []byte(gpt2SeedParams))
	f.Add([]byte("n_layer: 1\nd_model: 8\nn_head: 2\nd_inner: [4]\nd_embed: 16\ndiv_val: 2\nn_token: 50\ncutoffs: [10, 20, 40]\ntgt_len: 4\ntie_weight: false\ntie_projs: [true]\n"), []byte(gpt2SeedPPL), []byte(gpt2SeedParams))
	if cfg, ppl, par, ok := sharedGPT2Seed(); ok {
		f.Add(cfg, ppl, par)
	}
	f.Fuzz(func(t *testing.T, cfg, ppl, par []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "gpt2-wt103")
		writeFuzzFile(t, filepath.Join(dir, "config_0", "j0", "model_config.yaml"), cfg)
		writeFuzzFile(t, filepath.Join(dir, "ppl_summary.yaml"), ppl)
		writeFuzzFile(t, filepath.Join(dir, "params_summary.yaml"), par)
		b, err := Load("gpt2-wt103", root)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		checkLoaded(t, b)
	})
}

const flexiSeed = `[{"id": 0, "time_to_train": 1.5, "scores": {"cola": 1, "mnli": 2, "mrpc": 3, "qnli": 4, "qqp": 5, "rte": 6, "sst": 7, "sts": 8, "glue": 4.5},
 "hparams": {"model_hparam_overrides": {"hidden_size": 128, "nas_config": {"encoder_layers": [
  {"operation_type": "SA", "operation_parameter": "SDP", "num_operation_heads": 2, "feed_forward_dimension": 512, "num_feed_forward": 1},
  {"operation_type": "DSC", "operation_parameter": 9, "num_operation_heads": 4, "feed_forward_dimension": 256, "num_feed_forward": 3},
  {"operation_type": "LT", "operation_parameter": "DFT", "num_operation_heads": 2, "feed_forward_dimension": 1024, "num_feed_forward": 2}]}}}}]`

// sharedFlexiSeed is the first record of the real BERT_benchmark.json.
func sharedFlexiSeed() ([]byte, bool) {
	data, err := os.ReadFile(filepath.Join(sharedBenchDir, "flexibert", "BERT_benchmark.json"))
	if err != nil {
		return nil, false
	}
	var recs []json.RawMessage
	if json.Unmarshal(data, &recs) != nil || len(recs) == 0 {
		return nil, false
	}
	return append(append([]byte("["), recs[0]...), ']'), true
}

func FuzzLoadFlexiBERT(f *testing.F) {
	f.Add([]byte(flexiSeed))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"id": 1}]`))
	if rec, ok := sharedFlexiSeed(); ok {
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		writeFuzzFile(t, filepath.Join(root, "flexibert", "BERT_benchmark.json"), data)
		b, err := Load("flexibert", root)
		if err != nil {
			return
		}
		checkLoaded(t, b)
	})
}

func FuzzParseCustom(f *testing.F) {
	f.Add(nano.Benchmark)
	f.Add([]byte(`{"format": "lpz-bench/1", "name": "x", "family": "gpt2", "archs": [{"id": "a", "status": "ok", "valid_ppl": 3, "config": {"n_layer": 1}}]}`))
	f.Add([]byte(`{"format": "lpz-bench/1", "family": "llama", "truth": "valid_loss", "evidence": {"ids": ["a"], "long": []}, "archs": [{"id": "a", "status": "ok", "valid_loss": 1}]}`))
	f.Add([]byte(lonasSeed))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseCustom(data, "fuzz/benchmark.json")
		if err != nil {
			return
		}
		checkLoaded(t, b)
	})
}

// lonasSeed is a LoNAS benchmark of one sub-network (its super-network's
// files are not read when loading).
const lonasSeed = `{"format": "lpz-bench/1", "name": "l", "family": "lonas", "truth": "valid_ppl",
 "truths": [{"name": "valid_ppl", "higher_is_better": false}, {"name": "acc_cont4", "higher_is_better": true}],
 "supernet": {"checkpoint": "supernet", "adapter": "adapter", "sha256": "ab", "heads": [1, 0.5], "widths": [1, 0.5],
  "base": {"n_layer": 2, "d_model": 8, "n_head": [2, 2], "head_dim": 4, "d_ff": [8, 8], "n_token": 256, "seq_len": 8}},
 "archs": [{"id": "h01-w10", "status": "ok", "valid_ppl": 5, "config": {"n_head": [2, 1], "d_ff": [4, 8]}, "metrics": {"acc_cont4": 0.5}}]}`

// FuzzParseSpace: any space file either fails with an error or samples
// (lonas spaces included, whose supernet: section has its own decoder).
func FuzzParseSpace(f *testing.F) {
	for _, name := range SpaceNames() {
		data, err := spaceFS.ReadFile("spaces/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpace(data, "fuzz.yaml")
		if err != nil {
			return
		}
		if s.Family == FamilyLoNAS {
			if _, err := LonasSpaceOf(s); err != nil {
				return
			}
		}
		s.Sample(3, 1) // an error is fine; a panic or a hang is not
	})
}

func FuzzReadScores(f *testing.F) {
	f.Add([]byte("config_0_j0: 1.5\nconfig_0_j1: -2e-7\n"), "", false)
	f.Add([]byte("config_0_j0:\n  valid_ppl: 45.0\n  test_ppl: 46\n"), "valid_ppl", false)
	f.Add([]byte("# scores\nid,score\n0,1.5\n1,2\n"), "", true)
	f.Add([]byte("ID,GLUE Score,Number of Parameters\n0,74.7,13330176\n1,73.4,11106199\n"), "number of parameters", true)
	f.Add([]byte("a,\"b\nc\",1\n"), "", true)
	for _, p := range []string{"reference/gpt2-wt103/fisher_scores_seed_1111.yaml", "reference/flexibert/BERT_results_activation.csv"} {
		if data, err := os.ReadFile(filepath.Join(sharedBenchDir, p)); err == nil {
			lines := bytes.SplitAfterN(data, []byte("\n"), 4) // the header and a few rows
			f.Add(bytes.Join(lines[:min(3, len(lines))], nil), "", filepath.Ext(p) == ".csv")
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, column string, csv bool) {
		name := "s.yaml"
		if csv {
			name = "s.csv"
		}
		path := filepath.Join(t.TempDir(), name)
		writeFuzzFile(t, path, data)
		check := func(m map[string]float64, err error) {
			if err != nil {
				return
			}
			for id, v := range m {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("%q: non-finite score %v accepted", id, v)
				}
			}
		}
		check(ReadScores(path))
		if column != "" {
			check(ReadScoresColumn(path, column))
		}
	})
}

// The hand-written seeds are valid, so the fuzzers start from inputs that
// reach past the first checks.
func TestFuzzSeedsLoad(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "gpt2-wt103")
	writeFuzzFile(t, filepath.Join(dir, "config_0", "j0", "model_config.yaml"), []byte(gpt2SeedConfig))
	writeFuzzFile(t, filepath.Join(dir, "ppl_summary.yaml"), []byte(gpt2SeedPPL))
	writeFuzzFile(t, filepath.Join(dir, "params_summary.yaml"), []byte(gpt2SeedParams))
	writeFuzzFile(t, filepath.Join(root, "flexibert", "BERT_benchmark.json"), []byte(flexiSeed))
	for _, name := range []string{"gpt2-wt103", "flexibert"} {
		b, err := Load(name, root)
		if err != nil {
			t.Fatalf("%s seed: %v", name, err)
		}
		checkLoaded(t, b)
	}
}
