package study

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/runtime"
	"lpz/tokenizer"
)

// tinyLonasSpace is testdata/tiny-lonas.yaml: a 2-layer super-network of
// 4 heads and d_ff 32 with elastic {4, 2} heads and {32, 24, 16} channels.
var tinyLonasSpace = func() string {
	data, err := os.ReadFile(filepath.Join("testdata", "tiny-lonas.yaml"))
	if err != nil {
		panic(err)
	}
	return string(data)
}()

// lonasTestSetup parses tinyLonasSpace and writes a text to build on in a
// fresh directory.
func lonasTestSetup(t *testing.T) (sp *bench.Space, dir, text string) {
	t.Helper()
	sp, err := bench.ParseSpace([]byte(tinyLonasSpace), "tiny-lonas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	text = filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat(bench.NanoText(), 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	return sp, dir, text
}

// A lonas build trains the super-network and its adapters, measures the
// sampled sub-networks, stops and resumes like any build, and the result
// loads as a benchmark with both ground truths whose sub-networks capture.
func TestLonasBuildEndToEnd(t *testing.T) {
	sp, dir, text := lonasTestSetup(t)
	out := filepath.Join(dir, "b")
	o := BuildOptions{Space: sp, N: 3, TextPath: text, Out: out, Seed: 2, StopAfter: 1}
	res, err := Build(context.Background(), o)
	var stopped *BuildStopped
	if !errors.As(err, &stopped) || !strings.Contains(stopped.Msg, "1 of 3 sub-networks are measured") || res.Trained != 1 {
		t.Fatalf("stopped build: %+v, %v", res, err)
	}
	for _, f := range []string{"supernet/config.json", "supernet/model.safetensors", "adapter/adapter_config.json", "adapter/adapter_model.safetensors"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Fatal(err)
		}
	}
	o.StopAfter = 0
	if res, err = Build(context.Background(), o); err != nil || res.Trained != 2 || res.Reused != 1 {
		t.Fatalf("resumed build: %+v, %v", res, err)
	}
	b, err := bench.LoadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.Family != bench.FamilyLoNAS || len(b.Archs) != 3 || len(b.TruthDefs) != 2 || b.TruthDefs[1].Name != "acc_cont4" {
		t.Fatalf("benchmark: %s, %d archs, truths %+v", b.Family, len(b.Archs), b.TruthDefs)
	}
	for _, a := range b.Archs {
		acc, ok := a.Extra["acc_cont4"]
		if a.Truth <= 1 || !ok || acc < 0 || acc > 1 || a.Lonas == nil || a.Lonas.Super == nil {
			t.Errorf("%s: ppl %g, acc %g (%v)", a.ID, a.Truth, acc, ok)
		}
		p := bench.ArchScalars(a, "")["params"]
		cfg, _ := a.Lonas.Llama()
		if want, _ := bench.LlamaParams(&cfg); p != float64(want) {
			t.Errorf("%s: params %g, want %d", a.ID, p, want)
		}
	}
	sess, err := Open(out, "", "records")
	if err != nil {
		t.Fatal(err)
	}
	sess.Capture = CaptureSettings{Batch: 2, Seq: 8, NoCache: true}
	p, err := Compile("sum(abs(W * G))")
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := sess.Rank(context.Background(), p, sess.Bench.Archs, 1, nil)
	if err != nil || rep.N != 3 {
		t.Fatalf("rank: %+v, %v", rep, err)
	}
}

// A space without base: makes sub-networks of a checkpoint given to the
// build (a real LLaMA directory on a GPU machine), with its adapter.
func TestLonasBuildGivenCheckpoint(t *testing.T) {
	sp, dir, text := lonasTestSetup(t)
	first := filepath.Join(dir, "first")
	if _, err := Build(context.Background(), BuildOptions{Space: sp, N: 1, TextPath: text, Out: first}); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(tinyLonasSpace, "  base: {n_layer: 2, d_model: 16, n_head: 4, head_dim: 4, d_ff: 32, n_token: 256, seq_len: 24,\n         rope_theta: 10000, norm_eps: 1.0e-5, tie_weight: true, init_std: 0.02}\n", "", 1)
	given, err := bench.ParseSpace([]byte(src), "given.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := BuildOptions{Space: given, N: 2, TextPath: text, Out: filepath.Join(dir, "second")}
	var oe *OptionError
	if _, err := Build(context.Background(), o); !errors.As(err, &oe) || !strings.Contains(err.Error(), "--supernet") {
		t.Fatalf("no base and no --supernet: %v", err)
	}
	o.Supernet, o.Adapter = filepath.Join(first, "supernet"), filepath.Join(first, "adapter")
	res, err := Build(context.Background(), o)
	if err != nil || res.Trained != 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	if cs := res.Bench.Supernet; !filepath.IsAbs(cs.Checkpoint) || cs.Train["given"] != o.Supernet {
		t.Errorf("supernet record %+v", cs)
	}
	if _, err := bench.LoadDir(o.Out); err != nil {
		t.Fatal(err)
	}
}

// A task file given to the build becomes a ground truth of its own.
func TestLonasBuildTaskFile(t *testing.T) {
	sp, dir, text := lonasTestSetup(t)
	task := filepath.Join(dir, "My-Task.jsonl")
	rows := `{"context": "The cat sat on the", "choices": [" mat", " sky"], "answer": 0}
{"context": "Water is", "choices": [" dry", " wet"], "answer": 1}
`
	if err := os.WriteFile(task, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	o := BuildOptions{Space: sp, N: 2, TextPath: text, Out: filepath.Join(dir, "b"), Tasks: []string{task}}
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bench.LoadDir(o.Out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.TruthDefs) != 3 || b.TruthDefs[2].Name != "acc_my_task" {
		t.Fatalf("truths %+v", b.TruthDefs)
	}
	for _, a := range res.Bench.Archs {
		if acc, ok := a.Metrics["acc_my_task"]; !ok || (acc != 0 && acc != 0.5 && acc != 1) {
			t.Errorf("%s: acc_my_task %v (%v)", a.ID, acc, ok)
		}
	}
	if err := os.WriteFile(task, []byte(`{"context": "x", "choices": [" a"], "answer": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), o); err == nil || !strings.Contains(err.Error(), "My-Task.jsonl:1") {
		t.Errorf("bad task file: %v", err)
	}
}

// A given checkpoint with a tokenizer.json (a LLaMA-2 directory) is
// measured and captured on that tokenizer's ids.
func TestLonasBuildGivenTokenizer(t *testing.T) {
	_, dir, text := lonasTestSetup(t)
	tokJSON, err := os.ReadFile(filepath.Join("..", "tokenizer", "testdata", "llama_tiny", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadHF(filepath.Join("..", "tokenizer", "testdata", "llama_tiny", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := bench.LlamaConfig{NLayer: 2, DModel: 16, NHead: []int{4, 4}, HeadDim: 4, DFF: []int{32, 32}, NToken: tok.VocabSize(),
		SeqLen: 24, RopeTheta: 10000, NormEps: 1e-5, InitStd: 0.02}
	m, err := runtime.NewLlama(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, "llama")
	if err := runtime.SaveLlama(ck, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ck, "tokenizer.json"), tokJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(tinyLonasSpace, "  base: {n_layer: 2, d_model: 16, n_head: 4, head_dim: 4, d_ff: 32, n_token: 256, seq_len: 24,\n         rope_theta: 10000, norm_eps: 1.0e-5, tie_weight: true, init_std: 0.02}\n", "", 1)
	src = strings.Replace(src, "task_context: 12, task_continuation: 4", "task_context: 8, task_continuation: 3", 1)
	sp, err := bench.ParseSpace([]byte(src), "given.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := BuildOptions{Space: sp, N: 2, TextPath: text, Out: filepath.Join(dir, "b"), Supernet: ck}
	res, err := Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bench.Tokenizer != TokenizerSentencePiece || res.Bench.Data.ValidTokens == 0 {
		t.Fatalf("tokenizer %q, %d valid tokens", res.Bench.Tokenizer, res.Bench.Data.ValidTokens)
	}
	sess, err := Open(o.Out, "", "records")
	if err != nil {
		t.Fatal(err)
	}
	sess.Capture = CaptureSettings{Batch: 2, Seq: 8, NoCache: true}
	p, err := Compile("sum(abs(W * G))")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sess.Rank(context.Background(), p, sess.Bench.Archs, 1, nil); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(ck, "tokenizer.json"))
	o.Out = filepath.Join(dir, "c")
	if _, err := Build(context.Background(), o); err == nil || !strings.Contains(err.Error(), "no tokenizer.json") {
		t.Errorf("a checkpoint of more than 256 ids without a tokenizer: %v", err)
	}
}
