package study

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"

	"lpz/bench"
	"lpz/checkpoint"
	"lpz/mctask"
	"lpz/rank"
	"lpz/runtime"
	"lpz/tokenizer"
)

// Building a LoNAS benchmark (a lonas space): one super-network is
// trained on the training part of the text and saved as a Hugging Face
// LLaMA checkpoint (DIR/supernet), LoRA adapters are trained on it with a
// random sub-network per step and saved as a PEFT adapter (DIR/adapter),
// and then each sampled sub-network is measured with no further training
// on the held-out part: its perplexity and a multiple-choice task's
// accuracy. Every stage resumes: the checkpoint and adapter are reused
// when the record beside them says they were made with the same settings,
// and each sub-network's record is reused when its settings match.

// lonasBuilder is one lonas build under way.
type lonasBuilder struct {
	o            BuildOptions
	ls           *bench.LonasSpace
	tc           runtime.TrainConfig
	train, valid []int
	raw          []byte
	split        string
	dataSHA      string
	start        time.Time
	cb           *bench.CustomBench
	path         string
	prevWall     float64

	// enc turns text into the super-network's ids: bytes, or the
	// tokenizer.json of a given checkpoint (TokenizerName says which).
	enc       tokenizer.Codec
	validText []byte // the held-out part of the text

	super      *runtime.Supernet
	pplWindows [][]int
	tasks      []namedTask // cont4 first, then the --task files
	fileTasks  []namedTask // the --task files, read before any training
	taskSHA    []string    // "NAME sha256" of each --task file
	mu         sync.Mutex
	records    []*bench.CustomArch
}

// namedTask is a task and the name its metrics carry (acc_NAME).
type namedTask struct {
	name string
	task *mctask.Task
}

// stageRecord sits beside a trained checkpoint or adapter: the settings it
// was made with and what its training measured.
type stageRecord struct {
	Settings string         `json:"settings"`
	Train    map[string]any `json:"train"`
}

// buildLonas is Build of a lonas space: the super-network (trained here or
// given), its adapters (trained here or given), then the sub-networks.
func buildLonas(ctx context.Context, o BuildOptions) (*BuildResult, error) {
	ls, err := bench.LonasSpaceOf(o.Space)
	if err != nil {
		return nil, err
	}
	var given *runtime.Llama
	switch {
	case o.Supernet != "":
		if given, err = runtime.LoadLlama(o.Supernet); err != nil {
			return nil, err
		}
		if err := ls.SetBase(given.Cfg); err != nil {
			return nil, fmt.Errorf("space %s on %s: %w", o.Space.Name, o.Supernet, err)
		}
	case !ls.HasBase():
		return nil, optionErrorf("space %s has no base: it makes sub-networks of a checkpoint given with --supernet DIR", o.Space.Name)
	case o.Adapter != "":
		return nil, optionErrorf("--adapter needs --supernet: an adapter belongs to the checkpoint it was trained on")
	}
	b := &lonasBuilder{o: o, ls: ls, tc: o.TrainConfig(), start: time.Now(), enc: tokenizer.Bytes{}}
	if o.Supernet != "" {
		if b.enc, err = checkpointTokenizer(o.Supernet, ls.Base.NToken); err != nil {
			return nil, err
		}
	} else if ls.Base.NToken != 256 {
		return nil, fmt.Errorf("space %s: a super-network trained here reads bytes: n_token must be 256, not %d", o.Space.Name, ls.Base.NToken)
	}
	if err := b.readTaskFiles(); err != nil {
		return nil, err
	}
	if err := b.readText(); err != nil {
		return nil, err
	}
	archs, err := ls.Sample(o.N, o.Seed)
	if err != nil {
		return nil, err
	}
	b.describe()
	res := &BuildResult{Bench: b.cb, Path: b.path, Train: b.tc}
	if err := b.supernet(ctx, given); err != nil {
		return res, err
	}
	if err := b.evalData(); err != nil {
		return res, err
	}
	res.Trained, res.Reused, err = b.measure(ctx, archs)
	if err == nil {
		err = b.flush()
	}
	res.Wall = time.Since(b.start)
	return res, err
}

func (b *lonasBuilder) readText() error {
	raw, err := os.ReadFile(b.o.TextPath)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	b.raw, b.dataSHA = raw, hex.EncodeToString(sum[:])
	b.train, b.valid, b.split = SplitText(raw, b.o.ValidFrac)
	cut := len(b.train)
	b.validText = raw[cut:]
	if _, isBytes := b.enc.(tokenizer.Bytes); !isBytes {
		b.train, b.valid = b.enc.Encode(string(raw[:cut])), b.enc.Encode(string(raw[cut:]))
		b.split += "; each part encoded with the checkpoint's tokenizer.json"
	}
	return os.MkdirAll(filepath.Join(b.o.Out, "archs"), 0o755)
}

// readTaskFiles reads the --task files (and their digests) up front, so a
// bad file fails the build before anything is trained.
func (b *lonasBuilder) readTaskFiles() error {
	for _, path := range b.o.Tasks {
		t, err := mctask.ReadJSONL(path)
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		b.taskSHA = append(b.taskSHA, TaskName(path)+" "+hex.EncodeToString(sum[:]))
		b.fileTasks = append(b.fileTasks, namedTask{TaskName(path), t})
	}
	return nil
}

// TokenizerSentencePiece is the lpz-bench/1 tokenizer of a LoNAS benchmark
// over a given checkpoint: the tokenizer.json in the checkpoint's
// directory (tokenizer.LoadHF).
const TokenizerSentencePiece = "sentencepiece"

// checkpointTokenizer is the tokenizer.json beside a given checkpoint; a
// checkpoint without one must have the byte vocabulary.
func checkpointTokenizer(dir string, vocab int) (tokenizer.Codec, error) {
	path := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(path); err != nil {
		if vocab == 256 {
			return tokenizer.Bytes{}, nil
		}
		return nil, fmt.Errorf("%s: the checkpoint's vocabulary has %d ids and there is no tokenizer.json beside it", dir, vocab)
	}
	tok, err := tokenizer.LoadHF(path)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > vocab {
		return nil, fmt.Errorf("%s: the tokenizer has %d ids, the model's vocabulary %d", path, tok.VocabSize(), vocab)
	}
	return tok, nil
}

// describe makes the benchmark's header (see builder.describe).
func (b *lonasBuilder) describe() {
	o, sp := b.o, b.o.Space
	spaceSum := sha256.Sum256([]byte(sp.Source))
	b.cb = &bench.CustomBench{Format: bench.CustomFormat, Name: o.Name, Family: bench.FamilyLoNAS, Truth: "valid_ppl",
		Tokenizer: b.tokenizerName(), Space: bench.CustomSpace{Name: sp.Name, SHA256: hex.EncodeToString(spaceSum[:]), YAML: sp.Source},
		Train: TrainRecipe(b.tc, b.ls.Base.SeqLen), Seed: o.Seed, N: o.N, Backend: backendName(o.Backend),
		CodeVersion: runtime.TrainVersion + ", " + runtime.LonasModelVersion + ", " + o.Revision,
		GoVersion:   goruntime.Version(), CPUs: goruntime.NumCPU(), Created: time.Now().UTC().Format(time.RFC3339),
		Data: bench.CustomData{Text: filepath.Base(o.TextPath), SHA256: b.dataSHA, Bytes: len(b.raw), Split: b.split,
			TrainTokens: len(b.train), ValidTokens: len(b.valid)}}
	b.cb.Truths = []bench.TruthDef{
		{Name: "valid_ppl", Desc: "perplexity (bytes) of the held-out text's first ppl_windows windows"},
		{Name: "acc_" + b.taskName(), HigherIsBetter: true, Desc: fmt.Sprintf("accuracy on %s: %d items, choose the true %d-byte continuation of a %d-byte held-out passage among %d (log-likelihood, as lm-evaluation-harness)",
			b.taskName(), b.ls.Eval.TaskItems, b.ls.Eval.TaskContinuation, b.ls.Eval.TaskContext, b.ls.Eval.Choices)},
	}
	for _, path := range o.Tasks {
		b.cb.Truths = append(b.cb.Truths, bench.TruthDef{Name: "acc_" + TaskName(path), HigherIsBetter: true,
			Desc: "accuracy on " + filepath.Base(path) + " (log-likelihood of each choice, as lm-evaluation-harness)"})
	}
	b.path = filepath.Join(o.Out, "benchmark.json")
	b.prevWall = keepEarlierRun(b.path, b.cb)
}

func (b *lonasBuilder) tokenizerName() string {
	if _, isBytes := b.enc.(tokenizer.Bytes); isBytes {
		return "bytes"
	}
	return TokenizerSentencePiece
}

func (b *lonasBuilder) taskName() string { return fmt.Sprintf("cont%d", b.ls.Eval.Choices) }

// TaskName is the name a task file's metrics carry: its base name without
// extension, lower case, anything but letters, digits and _ made _
// (piqa_valid.jsonl → acc_piqa_valid).
func TaskName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '_'
	}, base)
}

// digest is the sha256 of a JSON value (a stage's settings).
func digest(v any) string {
	enc, _ := json.Marshal(v)
	sum := sha256.Sum256(enc)
	return hex.EncodeToString(sum[:])
}

// supernet trains or reuses the base checkpoint and the adapters.
func (b *lonasBuilder) supernet(ctx context.Context, given *runtime.Llama) error {
	o := b.o
	be, err := runtime.NewBackend(o.Backend)
	if err != nil {
		return err
	}
	ckDir, adDir := filepath.Join(o.Out, "supernet"), filepath.Join(o.Out, "adapter")
	baseSet := b.baseSettings()
	base, baseRec, err := given, map[string]any{"given": o.Supernet}, error(nil)
	if given != nil {
		ckDir, err = filepath.Abs(o.Supernet)
		baseSet = digest(map[string]any{"given": ckDir})
	} else {
		base, baseRec, err = b.trainBase(ctx, be, ckDir, baseSet)
	}
	if err != nil {
		return err
	}
	if o.Adapter != "" {
		adDir, err = filepath.Abs(o.Adapter)
		if err != nil {
			return err
		}
		return b.finishSupernet(ckDir, adDir, baseRec, map[string]any{"given": o.Adapter})
	}
	adRec, err := b.trainAdapters(ctx, be, base, adDir, baseSet)
	if err != nil {
		return err
	}
	return b.finishSupernet(ckDir, adDir, baseRec, adRec)
}

// trainBase trains the base model (or reuses the checkpoint in ckDir).
func (b *lonasBuilder) trainBase(ctx context.Context, be backends.Backend, ckDir, baseSet string) (*runtime.Llama, map[string]any, error) {
	ls := b.ls
	return b.stage(ckDir, baseSet, "supernet", func() (*runtime.Llama, map[string]any, error) {
		m, err := runtime.NewLlama(ls.Base, b.tc.Seed)
		if err != nil {
			return nil, nil, err
		}
		tc := b.tc
		tc.Stop = func() bool { return ctx.Err() != nil }
		tr, err := m.Train(be, b.train, b.valid, tc, b.o.Progress.Step("supernet"))
		if err != nil {
			return nil, nil, err
		}
		return m, trainRecord(tr, TrainRecipe(tc, ls.Base.SeqLen)), runtime.SaveLlama(ckDir, m)
	}, runtime.LoadLlama)
}

// trainAdapters trains the adapters on base (or reuses those in adDir).
func (b *lonasBuilder) trainAdapters(ctx context.Context, be backends.Backend, base *runtime.Llama, adDir, baseSet string) (map[string]any, error) {
	o, ls := b.o, b.ls
	atc := b.adapterRecipe()
	adSet := digest(map[string]any{"code": runtime.TrainVersion + " " + runtime.LonasModelVersion, "base": baseSet,
		"heads": ls.Heads, "widths": ls.Widths, "rank": ls.LoraRank, "alpha": ls.LoraAlpha, "train": TrainRecipe(atc, ls.Base.SeqLen)})
	s := &runtime.Supernet{Spec: ls.Supernet(), Base: base}
	_, adRec, err := b.stage(adDir, adSet, "adapters", func() (*runtime.Llama, map[string]any, error) {
		if err := s.NewAdapters(ls.LoraRank, ls.LoraAlpha, o.Seed); err != nil {
			return nil, nil, err
		}
		tc := atc
		tc.Stop = func() bool { return ctx.Err() != nil }
		tr, err := s.TrainAdapters(be, b.train, b.valid, tc, b.o.Progress.Step("adapters"))
		if err != nil {
			return nil, nil, err
		}
		return base, trainRecord(tr, TrainRecipe(tc, ls.Base.SeqLen)), s.SaveAdapters(adDir, "../supernet")
	}, func(dir string) (*runtime.Llama, error) { // LoadSupernet reads the adapter below
		_, err := os.Stat(filepath.Join(dir, "adapter_config.json"))
		return base, err
	})
	return adRec, err
}

// finishSupernet loads the super-network as sub-networks will see it and
// records it in the benchmark (a path inside OUT relative to it).
func (b *lonasBuilder) finishSupernet(ckDir, adDir string, baseRec, adRec map[string]any) error {
	ls := b.ls
	spec := ls.Supernet()
	spec.Checkpoint, spec.Adapter = ckDir, adDir
	files, err := runtime.SupernetFiles(ckDir, adDir)
	if err != nil {
		return err
	}
	if spec.Digest, err = checkpoint.DirDigest(files...); err != nil {
		return err
	}
	if b.super, err = runtime.LoadSupernet(spec); err != nil {
		return err
	}
	b.cb.Supernet = &bench.CustomSupernet{Checkpoint: b.relative(ckDir), Adapter: b.relative(adDir), SHA256: spec.Digest, Base: ls.Base,
		Heads: ls.Heads, Widths: ls.Widths, Train: baseRec, AdapterTrain: adRec}
	return nil
}

// baseSettings is the digest of what defines the base training.
func (b *lonasBuilder) baseSettings() string {
	return digest(map[string]any{"code": runtime.TrainVersion + " " + runtime.LlamaModelVersion, "config": b.ls.Base,
		"train": TrainRecipe(b.tc, b.ls.Base.SeqLen), "data": b.dataSHA, "split": b.split, "seed": b.o.Seed, "backend": backendName(b.o.Backend)})
}

// relative is path relative to the benchmark's directory when it is
// inside it (a built benchmark moves as a whole), else absolute.
func (b *lonasBuilder) relative(path string) string {
	out, _ := filepath.Abs(b.o.Out)
	abs, _ := filepath.Abs(path)
	if rel, err := filepath.Rel(out, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}

// adapterRecipe is the adapters' training recipe: the space's
// adapter_train values over the base recipe's defaults.
func (b *lonasBuilder) adapterRecipe() runtime.TrainConfig {
	o := b.o
	o.Steps, o.Batch, o.EvalBatches, o.LR = 0, 0, 0, 0
	sp := *o.Space
	sp.Train = b.ls.AdapterTrain
	o.Space = &sp
	tc := o.TrainConfig()
	tc.Seq = b.ls.Base.SeqLen
	return tc
}

// stage reuses dir when the record beside it has settings set, else runs
// make (which trains, writes dir and returns the model and its training
// record) and writes the record; a stopped training is a BuildStopped.
func (b *lonasBuilder) stage(dir, set, name string, train func() (*runtime.Llama, map[string]any, error), load func(string) (*runtime.Llama, error)) (*runtime.Llama, map[string]any, error) {
	recPath := filepath.Join(dir, "lpz-training.json")
	var rec stageRecord
	if data, err := os.ReadFile(recPath); err == nil && json.Unmarshal(data, &rec) == nil && rec.Settings == set {
		if m, err := load(dir); err == nil {
			return m, rec.Train, nil
		}
	}
	b.o.Progress.Phase(name, 1)
	m, tr, err := train()
	if errors.Is(err, runtime.ErrTrainStopped) {
		return nil, nil, &BuildStopped{fmt.Sprintf("the training of the %s was stopped before its end; run the same command again to train it", name)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	rec = stageRecord{Settings: set, Train: tr}
	return m, tr, writeJSONAtomic(recPath, rec)
}

// trainRecord is what a stage's training measured: the recipe, the loss
// curve (every step), the validation loss, the wall time and the size.
func trainRecord(tr *runtime.TrainResult, recipe map[string]any) map[string]any {
	curve := make([]float64, len(tr.TrainLoss))
	for i, l := range tr.TrainLoss {
		curve[i] = round4(l)
	}
	return map[string]any{"recipe": recipe, "loss_curve": curve, "valid_loss": round4(tr.ValidLoss), "valid_ppl": round4(tr.ValidPPL),
		"valid_tokens": tr.ValidTokens, "trained_params": tr.Params, "tokens": tr.Tokens, "wall_s": round3(tr.Time.Seconds())}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// evalData cuts the held-out text: the first ppl_windows windows of
// seq_len+1 bytes measure perplexity; the task is built from the rest.
func (b *lonasBuilder) evalData() error {
	e, T := b.ls.Eval, b.ls.Base.SeqLen
	need := e.PPLWindows * (T + 1)
	if len(b.valid) < need+e.TaskItems*(e.TaskContext+e.TaskContinuation) {
		return fmt.Errorf("the held-out text has %d bytes: too few for %d perplexity windows of %d and %d task items", len(b.valid), e.PPLWindows, T+1, e.TaskItems)
	}
	b.pplWindows = nil
	for k := 0; k < e.PPLWindows; k++ {
		b.pplWindows = append(b.pplWindows, b.valid[k*(T+1):(k+1)*(T+1)])
	}
	// the task reads the held-out text after the bytes the windows cover
	rest := b.validText[min(len(b.validText), len(b.enc.Decode(b.valid[:need]))):]
	task, err := mctask.Continuation(rest, e.TaskItems, e.TaskContext, e.TaskContinuation, e.Choices, b.o.Seed)
	if err != nil {
		return err
	}
	b.tasks = append([]namedTask{{b.taskName(), task}}, b.fileTasks...)
	files := map[string]string{}
	for i, path := range b.o.Tasks {
		t := b.fileTasks[i].task
		files[TaskName(path)] = fmt.Sprintf("%s: %d items, format %s", filepath.Base(path), len(t.Items), t.Format)
	}
	b.cb.Supernet.Eval = map[string]any{"task_files": files, "settings": e, "ppl": fmt.Sprintf("windows [0, %d) of the held-out part, %d bytes each; halves a = the first %d windows, b = the rest", e.PPLWindows, T+1, e.PPLWindows/2),
		"task": fmt.Sprintf("%s: mctask.Continuation of the held-out part after the perplexity windows (%d bytes), seed %d", b.taskName(), len(rest), b.o.Seed)}
	return nil
}

// measure measures the sampled sub-networks (reusing matching records)
// and returns how many it measured and reused.
func (b *lonasBuilder) measure(ctx context.Context, archs []bench.SpaceArch) (measured, reused int, err error) {
	be, err := runtime.NewBackend(b.o.Backend)
	if err != nil {
		return 0, 0, err
	}
	set := digest(map[string]any{"code": runtime.LonasModelVersion, "supernet": b.super.Spec.Digest, "eval": b.ls.Eval, "tasks": b.taskSHA,
		"data": b.dataSHA, "split": b.split, "seed": b.o.Seed, "backend": backendName(b.o.Backend)})
	b.records = make([]*bench.CustomArch, len(archs))
	var todo []int
	for i, a := range archs {
		if r, ok := readArchRecord(filepath.Join(b.o.Out, "archs", a.ID+".json")); ok && r.Settings == set && r.Status == "ok" {
			b.records[i] = r
			reused++
			continue
		}
		if b.o.Only == nil || slices.Contains(b.o.Only, a.ID) {
			todo = append(todo, i)
		}
	}
	b.o.Progress.Phase("measure", len(todo))
	measured, stopped, err := recordLoop(ctx, b.o, todo, &b.mu, b.records, b.flush, func(_ context.Context, i int) (*bench.CustomArch, error) {
		return b.measureOne(be, archs[i], set)
	})
	if !stopped || err != nil {
		return measured, reused, err
	}
	return measured, reused, &BuildStopped{fmt.Sprintf("%d of %d sub-networks are measured and written to %s; run the same command again to resume", measured+reused, len(archs), b.path)}
}

// measureOne cuts one sub-network from the super-network and measures its
// perplexity (whole and per half) and its task accuracy.
func (b *lonasBuilder) measureOne(be backends.Backend, a bench.SpaceArch, set string) (*bench.CustomArch, error) {
	t0 := time.Now()
	c, err := bench.LonasFromConfig(a.Config)
	if err != nil {
		return nil, err
	}
	c.Super = b.super.Spec
	m, err := b.super.Subnet(c)
	if err != nil {
		return nil, err
	}
	rec := &bench.CustomArch{ID: a.ID, Config: a.Config, Settings: set, Status: "ok", Metrics: map[string]float64{}}
	nll, err := m.TokenNLL(be, b.pplWindows, b.ls.Eval.Batch)
	if err != nil {
		return nil, err
	}
	half := len(nll) / 2
	for _, part := range []struct {
		key    string
		lo, hi int
	}{{"", 0, len(nll)}, {"_a", 0, half}, {"_b", half, len(nll)}} {
		sum, n := 0.0, 0
		for _, w := range nll[part.lo:part.hi] {
			for _, x := range w {
				sum, n = sum+x, n+1
			}
		}
		if part.key == "" {
			rec.ValidLoss, rec.ValidPPL = round4(sum/float64(n)), round4(math.Exp(sum/float64(n)))
		} else {
			rec.Metrics["valid_ppl"+part.key] = round4(math.Exp(sum / float64(n)))
		}
	}
	if err := b.scoreTasks(be, m, rec); err != nil {
		return nil, err
	}
	tot, _ := m.NumParams()
	rec.Params = tot
	rec.Metrics["eval_s"] = round3(time.Since(t0).Seconds())
	return rec, nil
}

// scoreTasks scores every task's requests by the sub-network's
// log-likelihood of each continuation (its context cut from the left to
// fit the model's context) and records acc, acc_norm and acc per half of
// the items (metrics acc_NAME, acc_norm_NAME, acc_NAME_a, acc_NAME_b).
func (b *lonasBuilder) scoreTasks(be backends.Backend, m *runtime.Llama, rec *bench.CustomArch) error {
	for _, nt := range b.tasks {
		res, err := scoreTask(be, m, b.enc, nt.task, b.ls.Eval.Batch)
		if err != nil {
			return fmt.Errorf("task %s: %w", nt.name, err)
		}
		rec.Metrics["acc_"+nt.name], rec.Metrics["acc_norm_"+nt.name] = round4(res.Acc), round4(res.AccNorm)
		half := len(res.Correct) / 2
		for _, part := range []struct {
			key    string
			lo, hi int
		}{{"_a", 0, half}, {"_b", half, len(res.Correct)}} {
			n := 0
			for _, ok := range res.Correct[part.lo:part.hi] {
				if ok {
					n++
				}
			}
			rec.Metrics["acc_"+nt.name+part.key] = round4(float64(n) / float64(max(1, part.hi-part.lo)))
		}
	}
	return nil
}

// scoreTask is one task's result on m.
func scoreTask(be backends.Backend, m *runtime.Llama, enc tokenizer.Encoder, task *mctask.Task, batch int) (mctask.Result, error) {
	reqs := task.Requests()
	windows := make([][]int, len(reqs))
	starts := make([]int, len(reqs))
	limit := m.Cfg.SeqLen + 1
	for i, r := range reqs {
		ctxIDs, cont := enc.Encode(r.Context), enc.Encode(r.Continuation)
		if len(cont) == 0 || len(cont) >= limit {
			return mctask.Result{}, fmt.Errorf("request %d: a continuation of %d bytes does not fit a context of %d", i, len(cont), limit)
		}
		if len(ctxIDs) == 0 {
			ctxIDs = enc.Encode("\n") // something to predict the first id from
		}
		if keep := limit - len(cont); len(ctxIDs) > keep {
			ctxIDs = ctxIDs[len(ctxIDs)-keep:]
		}
		windows[i] = append(ctxIDs, cont...)
		starts[i] = len(ctxIDs)
	}
	nll, err := m.TokenNLL(be, windows, batch)
	if err != nil {
		return mctask.Result{}, err
	}
	ll := make([]float64, len(reqs))
	for i, w := range nll {
		for _, x := range w[starts[i]-1:] {
			ll[i] -= x
		}
	}
	return task.Score(ll)
}

// flush writes benchmark.json with the records so far and the stability
// of both ground truths (rank correlation between the two halves).
func (b *lonasBuilder) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cb.Archs = b.cb.Archs[:0]
	var pa, pb, aa, ab, ppl, acc []float64
	name := b.taskName()
	for _, r := range b.records {
		if r == nil {
			continue
		}
		b.cb.Archs = append(b.cb.Archs, *r)
		pa, pb = append(pa, r.Metrics["valid_ppl_a"]), append(pb, r.Metrics["valid_ppl_b"])
		aa, ab = append(aa, r.Metrics["acc_"+name+"_a"]), append(ab, r.Metrics["acc_"+name+"_b"])
		ppl, acc = append(ppl, r.ValidPPL), append(acc, r.Metrics["acc_"+name])
	}
	if len(ppl) >= 3 && b.cb.Supernet.Eval != nil {
		st := map[string]any{"n": len(ppl)}
		for _, c := range []struct {
			key  string
			x, y []float64
		}{{"valid_ppl_halves_spearman", pa, pb}, {"acc_halves_spearman", aa, ab}, {"ppl_vs_acc_spearman", ppl, acc}} {
			if rho, err := rank.Spearman(c.x, c.y); err == nil {
				st[c.key] = round4(rho)
			}
		}
		b.cb.Supernet.Eval["stability"] = st
	}
	b.cb.WallSeconds = math.Round((b.prevWall+time.Since(b.start).Seconds())*10) / 10
	return writeJSONAtomic(b.path, b.cb)
}
