package bench

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDataDir(t *testing.T) {
	t.Setenv("LPZ_DATA", "")
	if got := DataDir(""); got != "data" {
		t.Errorf("default: %q", got)
	}
	t.Setenv("LPZ_DATA", "/env/dir")
	tests := []struct{ flag, want string }{
		{"", "/env/dir"},
		{"/flag/dir", "/flag/dir"},
	}
	for _, tc := range tests {
		if got := DataDir(tc.flag); got != tc.want {
			t.Errorf("DataDir(%q) = %q, want %q", tc.flag, got, tc.want)
		}
	}
}

func TestCleanCutoffs(t *testing.T) {
	tests := []struct {
		in   []int
		v    int
		want []int
		err  bool
	}{
		{[]int{19997, 39997, 199997, 50264}, 50264, []int{19997, 39997, 50264}, false}, // wt103
		{nil, 100, []int{100}, false},
		{[]int{10, 20}, 100, []int{10, 20, 100}, false},
		{[]int{10, 100}, 100, []int{10, 100}, false}, // equal to V is kept
		{[]int{10, 150}, 100, []int{10, 100}, false}, // trimmed at 150, V appended
		{[]int{150}, 100, []int{100}, false},         // first entry clamped
		{[]int{10, 20, 300, 5}, 100, []int{10, 20, 100}, false},
		{[]int{20, 10}, 100, nil, true}, // not increasing
	}
	for _, tc := range tests {
		got, err := CleanCutoffs(tc.in, tc.v)
		if (err != nil) != tc.err || !slices.Equal(got, tc.want) {
			t.Errorf("CleanCutoffs(%v, %d) = %v, %v; want %v (err %v)", tc.in, tc.v, got, err, tc.want, tc.err)
		}
	}
}

func TestMapToList(t *testing.T) {
	tests := []struct {
		yaml string
		n    int
		want []int
	}{
		{"4", 3, []int{4, 4, 4}},
		{"[2, 4, 8]", 3, []int{2, 4, 8}},
		{"[2, 4, 8, 8]", 2, []int{2, 4}}, // longer: truncated
		{"[8, 2]", 4, []int{8, 2, 8, 8}}, // shorter: padded with the first element
	}
	for _, tc := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tc.yaml), &doc); err != nil {
			t.Fatal(err)
		}
		got, err := mapToList(doc.Content[0], tc.n)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("mapToList(%s, %d) = %v, %v; want %v", tc.yaml, tc.n, got, err, tc.want)
		}
	}
}

// TestGPT2ParamsVariants checks the branches not exercised by the wt103 logs
// against sums written out by hand.
func TestGPT2ParamsVariants(t *testing.T) {
	base := func() *GPT2Config {
		return &GPT2Config{NLayer: 1, DModel: 4, NHead: []int{2}, DInner: []int{8}, DEmbed: 4,
			DivVal: 1, NToken: 10, Cutoffs: []int{4, 7}, TgtLen: 3, TieWeight: true,
			TieProjs: []bool{false, true, true}}
	}
	// Blocks for d=4, L=1, f=8: Attn 4·16+16 = 80; FFN 2·4·8+8+4 = 76;
	// LN 4·4+8 = 24; nonembedding 180.
	tests := []struct {
		name string
		mod  func(c *GPT2Config)
		want GPT2ParamCount
	}{
		// div_val 1, e = d: no projections. AdaEmb 3·4 + 10·4 = 52; softmax
		// cutoffs [4 7 10], K=3: 2·(4+1) + 10 = 20. Total 252.
		{"div1-e=d", func(c *GPT2Config) {}, GPT2ParamCount{52, 80, 76, 24, 180, 20, 252}},
		// div_val 1, e=8 ≠ d=4: AdaEmb 12 + 80 + 32 = 124; softmax 2·9 + 10 +
		// head projection 32 = 60. Total 364.
		{"div1-e!=d", func(c *GPT2Config) { c.DEmbed = 8 }, GPT2ParamCount{124, 80, 76, 24, 180, 60, 364}},
		// untied tables: + 10·8 = 80 in softmax (140). Total 444.
		{"div1-untied", func(c *GPT2Config) { c.DEmbed = 8; c.TieWeight = false }, GPT2ParamCount{124, 80, 76, 24, 180, 140, 444}},
		// div_val 2, e=8: dims 8,4,2; sizes 4,3,3. AdaEmb 12 + (32+32) + (12+16)
		// + (6+8) = 118; softmax 2·9 + 10 + head proj 4·8 = 60. Total 358.
		{"div2", func(c *GPT2Config) { c.DEmbed = 8; c.DivVal = 2 }, GPT2ParamCount{118, 80, 76, 24, 180, 60, 358}},
		// div_val 2 with all projections untied: + 4·4 + 4·2 = 24 → 84. Total 382.
		{"div2-untied-projs", func(c *GPT2Config) { c.DEmbed = 8; c.DivVal = 2; c.TieProjs = []bool{false, false, false} },
			GPT2ParamCount{118, 80, 76, 24, 180, 84, 382}},
	}
	for _, tc := range tests {
		c := base()
		tc.mod(c)
		got, err := GPT2Params(c)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v\nwant %+v", tc.name, got, err, tc.want)
		}
	}
}

// TestFlexiParamsHand checks per-block sizes against FLEXIBERT_MODEL.md §9
// (upstream-proxy, H=256, I=1024) and hand sums for records mode with H=128.
func TestFlexiParamsHand(t *testing.T) {
	one := func(h int, l FlexiLayer) *FlexiBERTConfig {
		return &FlexiBERTConfig{HiddenSize: h, Layers: []FlexiLayer{l}}
	}
	tests := []struct {
		name         string
		cfg          *FlexiBERTConfig
		mode         FlexiMode
		emb, op, ffn int64
	}{
		{"SDP", one(128, FlexiLayer{"SA", "SDP", 4, 512, 1}), ModeUpstreamProxy, 4005888, 263680, 526080},
		{"WMA", one(128, FlexiLayer{"SA", "WMA", 2, 512, 3}), ModeUpstreamProxy, 4005888, 329216, 2625280},
		{"DFT", one(256, FlexiLayer{"LT", "DFT", 4, 512, 1}), ModeUpstreamProxy, 4005888, 65792, 526080},
		{"DCT", one(256, FlexiLayer{"LT", "DCT", 2, 512, 1}), ModeUpstreamProxy, 4005888, 65792, 526080},
		{"DSC-2-5", one(256, FlexiLayer{"DSC", "5", 2, 512, 1}), ModeUpstreamProxy, 4005888, 232709, 526080},
		{"DSC-2-9", one(256, FlexiLayer{"DSC", "9", 2, 512, 1}), ModeUpstreamProxy, 4005888, 234249, 526080},
		{"DSC-4-5", one(256, FlexiLayer{"DSC", "5", 4, 512, 1}), ModeUpstreamProxy, 4005888, 233354, 526080},
		{"DSC-4-9", one(256, FlexiLayer{"DSC", "9", 4, 512, 1}), ModeUpstreamProxy, 4005888, 235410, 526080},
		// Records mode, H = E = 128: no embeddings_project, embeddings =
		// 30522·128 + 512·128 + 2·128 + 2·128 = 3,972,864.
		// SDP: 4(128²+128) + 2·128 = 66,304. FFN I=512, n_ff 3: 128·512+512 +
		// 2(512²+512) + 512·128+128 + 256 = 657,280.
		{"rec-SDP", one(128, FlexiLayer{"SA", "SDP", 4, 512, 3}), ModeRecords, 3972864, 66304, 657280},
		// DSC h=2 k=5, H=128: n=1, d=64, A=64: 3(128·64+64) + 128·5 + 64·128 + 64
		// + (64·5+5) + (128·64+64) + (128²+128+256) = 59,013. FFN I=1024, n_ff 1:
		// 128·1024+1024 + 1024·128+128 + 256 = 263,552.
		{"rec-DSC-2-5", one(128, FlexiLayer{"DSC", "5", 2, 1024, 1}), ModeRecords, 3972864, 59013, 263552},
		// DSC h=4 k=9, H=128: n=2, d=32, A=64: 24,768 + 1,152 + 8,192 + 64 +
		// (64·18+18) + 8,256 + 16,768 = 60,370.
		{"rec-DSC-4-9", one(128, FlexiLayer{"DSC", "9", 4, 1024, 1}), ModeRecords, 3972864, 60370, 263552},
		// Records mode H = 256 equals upstream-proxy when I = 1024.
		{"rec-256", one(256, FlexiLayer{"SA", "WMA", 4, 1024, 3}), ModeRecords, 4005888, 329216, 2625280},
	}
	for _, tc := range tests {
		p, err := FlexiParams(tc.cfg, tc.mode)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.Embeddings != tc.emb || p.Ops[0] != tc.op || p.FFNs[0] != tc.ffn || p.Total != tc.emb+tc.op+tc.ffn {
			t.Errorf("%s: got emb %d op %d ffn %d total %d; want %d %d %d", tc.name, p.Embeddings, p.Ops[0], p.FFNs[0], p.Total, tc.emb, tc.op, tc.ffn)
		}
		if p.Encoder() != tc.op+tc.ffn {
			t.Errorf("%s: Encoder() = %d", tc.name, p.Encoder())
		}
	}
	if _, err := FlexiParams(one(256, FlexiLayer{"SA", "SDP", 4, 512, 1}), "bogus"); err == nil {
		t.Error("unknown mode accepted")
	}
	if _, err := ParseFlexiMode("upstream-proxy"); err != nil {
		t.Error(err)
	}
	if _, err := ParseFlexiMode("proxy"); err == nil {
		t.Error("ParseFlexiMode accepted proxy")
	}
}

func TestStratumOf(t *testing.T) {
	tests := []struct {
		a    Arch
		want string
	}{
		{Arch{Flexi: &FlexiBERTConfig{HiddenSize: 256, Layers: make([]FlexiLayer, 4)}}, "h256-L4"},
		{Arch{Flexi: &FlexiBERTConfig{HiddenSize: 128, Layers: make([]FlexiLayer, 2)}}, "h128-L2"},
		{Arch{GPT2: &GPT2Config{DModel: 512}}, "d512"},
		{Arch{}, ""},
	}
	for _, tc := range tests {
		if got := StratumOf(tc.a); got != tc.want {
			t.Errorf("StratumOf = %q, want %q", got, tc.want)
		}
	}
}

func fakeBench(n int) *Benchmark {
	b := &Benchmark{Name: "fake"}
	for i := 0; i < n; i++ {
		b.Archs = append(b.Archs, Arch{ID: string(rune('A'+i%26)) + strings.Repeat("x", i/26)})
	}
	return b
}

func TestSample(t *testing.T) {
	b := fakeBench(200)
	ids := func(as []Arch) []string {
		s := make([]string, len(as))
		for i, a := range as {
			s[i] = a.ID
		}
		return s
	}
	pos := map[string]int{}
	for i, a := range b.Archs {
		pos[a.ID] = i
	}
	s1 := Sample(b, 50, 42)
	s2 := Sample(b, 50, 42)
	if len(s1) != 50 || !slices.Equal(ids(s1), ids(s2)) {
		t.Fatalf("not reproducible or wrong size: %d", len(s1))
	}
	seen := map[string]bool{}
	for i, a := range s1 {
		if seen[a.ID] {
			t.Fatalf("duplicate %s", a.ID)
		}
		seen[a.ID] = true
		if i > 0 && pos[a.ID] <= pos[s1[i-1].ID] {
			t.Fatalf("not in benchmark order at %d", i)
		}
	}
	if slices.Equal(ids(Sample(b, 50, 43)), ids(s1)) {
		t.Error("seeds 42 and 43 give the same sample")
	}
	for _, n := range []int{0, -1, 200, 1000} {
		if got := Sample(b, n, 1); !slices.Equal(ids(got), ids(b.Archs)) {
			t.Errorf("Sample(n=%d) is not all archs in order", n)
		}
	}
	// Golden: pins the algorithm (PCG-DXSM + partial Fisher–Yates) so that a
	// change in it cannot go unnoticed.
	if got, want := SampleIndices(200, 8, 42), goldenSample42; !slices.Equal(got, want) {
		t.Errorf("SampleIndices(200, 8, 42) = %v, want %v", got, want)
	}
	// Uniformity sanity check: every index is drawn over many seeds.
	hits := make([]int, 20)
	for seed := int64(0); seed < 400; seed++ {
		for _, i := range SampleIndices(20, 5, seed) {
			hits[i]++
		}
	}
	for i, h := range hits {
		if h < 60 || h > 140 { // expectation 100
			t.Errorf("index %d drawn %d times in 400 samples of 5/20", i, h)
		}
	}
}

var goldenSample42 = []int{55, 63, 104, 105, 122, 173, 179, 188}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const miniGPT2Config = `adaptive: true
cutoffs: [19997, 39997, 199997, 50264]
d_embed: -1
d_inner: 512
d_model: 64
div_val: 1
n_head: [2, 4]
n_layer: 3
n_token: 50264
tgt_len: 192
tie_projs: [false, true, true, true]
tie_weight: true
`

const miniPPL = `config_0_j0:
  test_ppl: 50.0
  valid_ppl: 49.5
`

const miniParams = `config_0_j0:
  AdaEmb: 1.0
  Attn: 2.0
  FFN: 3.0
  nonembedding: 4.0
  total: 5.0
`

func TestLoadGPT2Mini(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gpt2-wt103", "config_0", "j0", "model_config.yaml"), miniGPT2Config)
	writeFile(t, filepath.Join(dir, "gpt2-wt103", "ppl_summary.yaml"), miniPPL)
	writeFile(t, filepath.Join(dir, "gpt2-wt103", "params_summary.yaml"), miniParams)
	b, err := Load("gpt2-wt103", dir)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Archs[0].GPT2
	// _map_to_list: scalar d_inner repeated; short n_head padded with its
	// first element; d_embed -1 → d_model.
	if !slices.Equal(c.DInner, []int{512, 512, 512}) || !slices.Equal(c.NHead, []int{2, 4, 2}) || c.DEmbed != 64 {
		t.Errorf("mapped config %+v", c)
	}
	if b.Archs[0].Truth != 49.5 || b.Archs[0].Params["total"] != 5 {
		t.Errorf("arch %+v", b.Archs[0])
	}
}

func TestLoadErrors(t *testing.T) {
	type files map[string]string
	gpt := func(over files) files {
		f := files{
			"gpt2-wt103/config_0/j0/model_config.yaml": miniGPT2Config,
			"gpt2-wt103/ppl_summary.yaml":              miniPPL,
			"gpt2-wt103/params_summary.yaml":           miniParams,
		}
		for k, v := range over {
			if v == "" {
				delete(f, k)
			} else {
				f[k] = v
			}
		}
		return f
	}
	const rec = `{"id": 7, "scores": {"glue": 70, "cola": 1, "mnli": 1, "mrpc": 1, "qnli": 1, "qqp": 1, "rte": 1, "sst": 1, "sts": 1},
	 "hparams": {"model_hparam_overrides": {"hidden_size": 128, "nas_config": {"encoder_layers": [
	 {"operation_type": "DSC", "operation_parameter": %s, "num_operation_heads": 2, "feed_forward_dimension": 512, "num_feed_forward": 1}]}}}}`
	flexi := func(param string) files {
		return files{"flexibert/BERT_benchmark.json": "[" + strings.Replace(rec, "%s", param, 1) + "]"}
	}
	tests := []struct {
		name  string
		bench string
		files files
		want  []string // substrings of the error
	}{
		{"gpt2 missing dir", "gpt2-wt103", files{}, []string{"gpt2-wt103", GPT2Repo, GPT2Commit, GPT2Path}},
		{"gpt2 no ppl file", "gpt2-wt103", gpt(files{"gpt2-wt103/ppl_summary.yaml": ""}), []string{"ppl_summary.yaml", "cannot read", GPT2Commit}},
		{"gpt2 no valid_ppl", "gpt2-wt103", gpt(files{"gpt2-wt103/ppl_summary.yaml": "config_0_j0:\n  test_ppl: 3\n"}),
			[]string{"ppl_summary.yaml", "config_0_j0", "valid_ppl missing"}},
		{"gpt2 ppl not a number", "gpt2-wt103", gpt(files{"gpt2-wt103/ppl_summary.yaml": "config_0_j0:\n  valid_ppl: abc\n"}),
			[]string{"ppl_summary.yaml", "line 2", "valid_ppl", "not a number"}},
		{"gpt2 no params entry", "gpt2-wt103", gpt(files{"gpt2-wt103/params_summary.yaml": "config_9_j9:\n  total: 1\n"}),
			[]string{"params_summary.yaml", "config_0_j0", "no entry"}},
		{"gpt2 params field", "gpt2-wt103", gpt(files{"gpt2-wt103/params_summary.yaml": "config_0_j0:\n  AdaEmb: 1\n"}),
			[]string{"params_summary.yaml", "config_0_j0", "Attn missing"}},
		{"gpt2 extra key", "gpt2-wt103", gpt(files{"gpt2-wt103/ppl_summary.yaml": miniPPL + "config_1_j0:\n  valid_ppl: 3\n"}),
			[]string{"ppl_summary.yaml", "config_1_j0", "no matching"}},
		{"gpt2 missing key", "gpt2-wt103", gpt(files{"gpt2-wt103/config_0/j0/model_config.yaml": strings.Replace(miniGPT2Config, "d_model: 64\n", "", 1)}),
			[]string{"config_0/j0/model_config.yaml", "d_model", "required key missing"}},
		{"gpt2 bad heads", "gpt2-wt103", gpt(files{"gpt2-wt103/config_0/j0/model_config.yaml": strings.Replace(miniGPT2Config, "[2, 4]", "[2, 3]", 1)}),
			[]string{"model_config.yaml", "n_head", "do not divide"}},
		{"gpt2 malformed yaml", "gpt2-wt103", gpt(files{"gpt2-wt103/config_0/j0/model_config.yaml": "n_layer: [\n"}),
			[]string{"model_config.yaml", "malformed"}},
		{"flexi missing", "flexibert", files{}, []string{"BERT_benchmark.json", "cannot read", FlexiBERTRepo, FlexiBERTCommit, FlexiBERTPath}},
		{"flexi malformed", "flexibert", files{"flexibert/BERT_benchmark.json": "{"}, []string{"BERT_benchmark.json", "malformed JSON"}},
		{"flexi bad param", "flexibert", flexi(`"X"`), []string{"record #0 (id 7)", "encoder_layers[0]", "odd kernel"}},
		{"flexi float param", "flexibert", flexi(`5.5`), []string{"id 7", "neither a string nor an integer"}},
		{"flexi no glue", "flexibert", files{"flexibert/BERT_benchmark.json": "[" + strings.Replace(strings.Replace(rec, "%s", "5", 1), `"glue": 70, `, "", 1) + "]"},
			[]string{"id 7", "scores.glue missing"}},
		{"unknown bench", "nope", files{}, []string{"unknown benchmark"}},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		for p, c := range tc.files {
			writeFile(t, filepath.Join(dir, p), c)
		}
		_, err := Load(tc.bench, dir)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
		var le *LoadError
		if tc.bench != "nope" && !errors.As(err, &le) {
			t.Errorf("%s: not a *LoadError: %T", tc.name, err)
		}
	}
	// Integer and string DSC parameters are both stored as strings.
	for _, p := range []string{"9", `"9"`} {
		dir := t.TempDir()
		for f, c := range flexi(p) {
			writeFile(t, filepath.Join(dir, f), c)
		}
		b, err := Load("flexibert", dir)
		if err != nil || b.Archs[0].Flexi.Layers[0].OpParam != "9" || b.Archs[0].ID != "7" {
			t.Errorf("param %s: %v %+v", p, err, b)
		}
	}
}

func TestReadScores(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, content string
		want                map[string]float64
		err                 []string
	}{
		{"yaml", "s.yaml", "a: 1.5\nb: -2\nc: 1e3\n", map[string]float64{"a": 1.5, "b": -2, "c": 1000}, nil},
		{"csv", "s.csv", "a,1.5\nb, -2\n", map[string]float64{"a": 1.5, "b": -2}, nil},
		{"csv header", "s.csv", "id,score\n# comment\na,1\n\nb,2\n", map[string]float64{"a": 1, "b": 2}, nil},
		{"sniff csv", "s.txt", "a,1\nb,2\n", map[string]float64{"a": 1, "b": 2}, nil},
		{"sniff yaml", "s.txt", "a: 1\nb: 2\n", map[string]float64{"a": 1, "b": 2}, nil},
		{"yaml nan", "s.yaml", "a: 1\nb: .nan\n", nil, []string{"s.yaml:2", `"b"`, "not a number"}},
		{"yaml NaN", "s.yaml", "a: 1\nb: NaN\n", nil, []string{"s.yaml:2", "NaN"}},
		{"yaml text", "s.yaml", "a: 1\n\nb: hello\n", nil, []string{"s.yaml:3", "hello", "not a number"}},
		{"yaml dup", "s.yaml", "a: 1\na: 2\n", nil, []string{"s.yaml:2", "duplicate"}},
		{"csv nan", "s.csv", "a,1\nb,nan\n", nil, []string{"s.csv:2", "NaN"}},
		{"csv inf", "s.csv", "a,1\nb,2\nc,+Inf\n", nil, []string{"s.csv:3", "infinite"}},
		{"csv text", "s.csv", "a,1\nb,x\n", nil, []string{"s.csv:2", "not a number"}},
		{"csv fields", "s.csv", "a,1\nb,2,3\n", nil, []string{"s.csv:2", "want 2"}},
		{"csv wide", "s.csv", "ID,x,y\n1,2,3\n", nil, []string{"s.csv:1", "3 columns", "ReadScoresColumn"}},
		{"empty", "s.yaml", "", nil, []string{"empty"}},
	}
	for _, tc := range tests {
		p := filepath.Join(dir, tc.name+"-"+tc.file)
		writeFile(t, p, tc.content)
		got, err := ReadScores(p)
		if tc.err == nil {
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.err {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
}

func TestReadScoresColumn(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "t.csv")
	writeFile(t, csvPath, "ID,GLUE Score,Number of Parameters\n0,70.5,100\n1,71,200\n")
	yamlPath := filepath.Join(dir, "t.yaml")
	writeFile(t, yamlPath, "k0:\n  valid_ppl: 3\n  test_ppl: 4\nk1:\n  valid_ppl: 5\n  test_ppl: 6\n")
	tests := []struct {
		path, col string
		want      map[string]float64
		err       string
	}{
		{csvPath, "Number of Parameters", map[string]float64{"0": 100, "1": 200}, ""},
		{csvPath, "glue score", map[string]float64{"0": 70.5, "1": 71}, ""},
		{csvPath, "nope", nil, "no column \"nope\""},
		{csvPath, "ID", nil, "id column"},
		{yamlPath, "test_ppl", map[string]float64{"k0": 4, "k1": 6}, ""},
		{yamlPath, "nope", nil, "t.yaml:2: id \"k0\" has no key"},
	}
	for _, tc := range tests {
		got, err := ReadScoresColumn(tc.path, tc.col)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s[%s]: error %v, want %q", tc.path, tc.col, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s[%s]: %v, %v", tc.path, tc.col, got, err)
		}
	}
}

// An unknown --bench value names everything LoadAny accepts, not only the
// published benchmarks.
func TestLoadAnyUnknownNamesEveryKind(t *testing.T) {
	_, err := LoadAny("gpt2-wt10", t.TempDir())
	if err == nil {
		t.Fatal("unknown benchmark loaded")
	}
	for _, want := range append(slices.Clone(Names), MiniName, NanoName, "lpz bench build", `"gpt2-wt10"`) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	for _, name := range Embedded {
		if b, err := LoadAny(name, t.TempDir()); err != nil || b.Name != name {
			t.Errorf("%s: %v", name, err)
		}
	}
}
