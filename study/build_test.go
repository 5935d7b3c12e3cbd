package study

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
)

// buildSpace is a tiny LLaMA-style space (the command's tests train GPT-2).
const buildSpace = `name: tiny-llama
family: llama
depth: n_layer
fixed: {n_token: 256, seq_len: 16, head_dim: 8, tie_weight: true, rope_theta: 10000, norm_eps: 1.0e-5, init_std: 0.02}
choices: {n_layer: [1, 2], d_model: [16, 24]}
per_layer: {n_head: [1, 2], d_ff: [32, 48]}
train: {steps: 4, batch: 4, eval_batches: 2, lr: 0.01, tokenizer: bytes}
`

func tinySpace(t *testing.T, train string) *bench.Space {
	t.Helper()
	src := buildSpace
	if train != "" {
		src = strings.Replace(src, "train: {steps: 4, batch: 4, eval_batches: 2, lr: 0.01, tokenizer: bytes}", train, 1)
	}
	sp, err := bench.ParseSpace([]byte(src), "tiny-llama.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// An option given wins over the space's train: value, which wins over the
// default.
func TestBuildTrainConfig(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		train                     string
		o                         BuildOptions
		steps, batch, evalBatches int
		lr                        float64
	}{
		{"space", "", BuildOptions{}, 4, 4, 2, 0.01},
		{"options", "", BuildOptions{Steps: 7, Batch: 3, EvalBatches: 5, LR: 0.002}, 7, 3, 5, 0.002},
		{"defaults", "train: {tokenizer: bytes}", BuildOptions{}, 40, 8, 16, 0.005},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Space, tc.o.Seed = tinySpace(t, tc.train), 9
			got := tc.o.TrainConfig()
			if got.Steps != tc.steps || got.Batch != tc.batch || got.EvalBatches != tc.evalBatches || got.LR != tc.lr {
				t.Fatalf("steps %d batch %d eval %d lr %g", got.Steps, got.Batch, got.EvalBatches, got.LR)
			}
			if got.Seed != 9 || got.Warmup != max(1, tc.steps/10) {
				t.Fatalf("seed %d warmup %d", got.Seed, got.Warmup)
			}
		})
	}
}

func TestBuildRefuses(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte("some text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var oe *OptionError
	if _, err := Build(context.Background(), BuildOptions{Space: tinySpace(t, ""), N: 1, TextPath: text, Out: dir, Seq: 1}); !errors.As(err, &oe) {
		t.Errorf("--seq 1: %v", err)
	}
	enc := tinySpace(t, "train: {tokenizer: gpt2}")
	if _, err := Build(context.Background(), BuildOptions{Space: enc, N: 1, TextPath: text, Out: dir}); err == nil || !strings.Contains(err.Error(), "reads text as bytes") {
		t.Errorf("gpt2 tokenizer: %v", err)
	}
	if _, err := Build(context.Background(), BuildOptions{Space: tinySpace(t, ""), N: 1, TextPath: filepath.Join(dir, "none"), Out: dir}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing text: %v", err)
	}
}

// A build stopped after one architecture writes it and says how to go on;
// the second run trains the rest and reuses it.
func TestBuildStopAfterResumes(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat(bench.NanoText(), 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	o := BuildOptions{Space: tinySpace(t, ""), N: 2, TextPath: text, Out: filepath.Join(dir, "b"), StopAfter: 1}
	res, err := Build(context.Background(), o)
	var stopped *BuildStopped
	if !errors.As(err, &stopped) || !strings.Contains(stopped.Msg, "1 of 2 architectures are trained") || res == nil || res.Trained != 1 {
		t.Fatalf("stopped build: %+v, %v", res, err)
	}
	o.StopAfter = 0
	res, err = Build(context.Background(), o)
	if err != nil || res.Trained != 1 || res.Reused != 1 || len(res.Bench.Archs) != 2 {
		t.Fatalf("resumed build: %+v, %v", res, err)
	}
	for _, a := range res.Bench.Archs {
		if a.Status != "ok" || a.ValidPPL <= 1 || a.Steps != 4 {
			t.Errorf("%s: %s %s, ppl %g, %d steps", a.ID, a.Status, a.Error, a.ValidPPL, a.Steps)
		}
	}
}
