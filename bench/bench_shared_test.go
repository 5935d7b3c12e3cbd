package bench

import (
	"path/filepath"
	"reflect"
	"testing"
)

// sharedBench is ../shared/bench relative to the repository root; tests run
// in the package directory.
var sharedBench = filepath.Join("..", "..", "shared", "bench")

func loadShared(tb testing.TB, name string) *Benchmark {
	tb.Helper()
	b, err := Load(name, sharedBench)
	if err != nil {
		tb.Fatalf("Load(%q, %q): %v", name, sharedBench, err)
	}
	return b
}

func TestSharedLoadGPT2(t *testing.T) {
	b := loadShared(t, "gpt2-wt103")
	if len(b.Archs) != 200 {
		t.Fatalf("got %d archs, want 200", len(b.Archs))
	}
	if b.Family != FamilyGPT2 || b.HigherIsBetter || b.TruthName != "valid_ppl" {
		t.Errorf("metadata: %+v", b)
	}
	if b.Source.Commit != GPT2Commit || b.Source.Repo != GPT2Repo {
		t.Errorf("source: %+v", b.Source)
	}
	// Order: config index, then j index, numerically.
	wantOrder := map[int]string{0: "config_0_j0", 1: "config_0_j1", 9: "config_0_j9",
		10: "config_1_j0", 20: "config_2_j0", 100: "config_10_j0", 199: "config_19_j9"}
	for i, id := range wantOrder {
		if b.Archs[i].ID != id {
			t.Errorf("Archs[%d].ID = %s, want %s", i, b.Archs[i].ID, id)
		}
	}
	a, ok := b.Arch("config_0_j0")
	if !ok {
		t.Fatal("config_0_j0 missing")
	}
	c := a.GPT2
	want := &GPT2Config{NLayer: 5, DModel: 128, NHead: []int{2, 4, 4, 8, 8},
		DInner: []int{1071, 640, 1286, 800, 1871}, DEmbed: 256, DivVal: 4, NToken: 50264,
		Cutoffs: []int{19997, 39997, 199997, 50264}, TgtLen: 192, TieWeight: true,
		TieProjs: []bool{false, true, true, true}, WeightInitStd: 0.02, ProjInitStd: 0.01,
		Dropout: 0.1, DropAtt: 0}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config_0_j0:\n got %+v\nwant %+v", c, want)
	}
	if a.Truth != 45.022968707221274 {
		t.Errorf("config_0_j0 valid_ppl = %v", a.Truth)
	}
	if a.Extra["test_ppl"] != 45.11893898899607 || len(a.Extra) != 5 {
		t.Errorf("config_0_j0 extra = %v", a.Extra)
	}
	if a.Params["total"] != 8505006 || a.Params["AdaEmb"] != 6631088 {
		t.Errorf("config_0_j0 params = %v", a.Params)
	}
	// Every config: lists have n_layer entries, d_embed resolved, heads divide d.
	for _, a := range b.Archs {
		c := a.GPT2
		if len(c.NHead) != c.NLayer || len(c.DInner) != c.NLayer || c.DEmbed <= 0 {
			t.Errorf("%s: bad config %+v", a.ID, c)
		}
	}
}

func TestSharedLoadFlexiBERT(t *testing.T) {
	b := loadShared(t, "flexibert")
	if len(b.Archs) != 500 {
		t.Fatalf("got %d archs, want 500", len(b.Archs))
	}
	if b.Family != FamilyFlexiBERT || !b.HigherIsBetter || b.TruthName != "glue" {
		t.Errorf("metadata: %+v", b)
	}
	a := b.Archs[0]
	if a.ID != "0" {
		t.Errorf("first id %q", a.ID)
	}
	want := &FlexiBERTConfig{HiddenSize: 256, Layers: []FlexiLayer{
		{"SA", "WMA", 4, 1024, 3}, {"LT", "DCT", 2, 512, 3},
		{"SA", "SDP", 4, 512, 3}, {"SA", "SDP", 4, 1024, 1}}}
	if !reflect.DeepEqual(a.Flexi, want) {
		t.Errorf("record 0:\n got %+v\nwant %+v", a.Flexi, want)
	}
	if a.Truth != 74.73375 || a.Extra["cola"] != 42.69 || a.Extra["sts"] != 84.59 {
		t.Errorf("record 0 truth %v extra %v", a.Truth, a.Extra)
	}
	for _, k := range GLUETasks {
		if _, ok := a.Extra[k]; !ok {
			t.Errorf("record 0: Extra lacks %s", k)
		}
	}
	n128, dsc := 0, map[string]int{}
	for _, a := range b.Archs {
		if a.Flexi.HiddenSize == 128 {
			n128++
		}
		for _, l := range a.Flexi.Layers {
			if l.OpType == "DSC" {
				dsc[l.OpParam]++
			}
		}
	}
	if n128 != 251 {
		t.Errorf("%d records with hidden 128, want 251", n128)
	}
	if len(dsc) != 2 || dsc["5"] == 0 || dsc["9"] == 0 {
		t.Errorf("DSC kernel parameters %v, want only \"5\" and \"9\"", dsc)
	}
}

// TestSharedGPT2ParamsMatchSummary checks GPT2Params against every field of
// params_summary.yaml for all 200 models.
func TestSharedGPT2ParamsMatchSummary(t *testing.T) {
	b := loadShared(t, "gpt2-wt103")
	bad := 0
	for _, a := range b.Archs {
		p, err := GPT2Params(a.GPT2)
		if err != nil {
			t.Fatalf("%s: %v", a.ID, err)
		}
		got := map[string]int64{"AdaEmb": p.AdaEmb, "Attn": p.Attn, "FFN": p.FFN,
			"nonembedding": p.NonEmbedding, "total": p.Total}
		for k, g := range got {
			if w := a.Params[k]; g != w {
				t.Errorf("%s %s = %d, params_summary.yaml has %d", a.ID, k, g, w)
				bad++
			}
		}
	}
	if bad == 0 {
		t.Logf("200/200 models match params_summary.yaml in all 5 fields")
	}
}

// TestSharedGPT2ParamsDocTable checks the full breakdown (LN and softmax-own
// included) against GPT2_FLEX_MODEL.md §8.
func TestSharedGPT2ParamsDocTable(t *testing.T) {
	b := loadShared(t, "gpt2-wt103")
	tests := []struct {
		id   string
		want GPT2ParamCount
	}{
		{"config_0_j0", GPT2ParamCount{6631088, 330240, 1457316, 2816, 1790372, 83546, 8505006}},
		{"config_4_j5", GPT2ParamCount{25825280, 132096, 501406, 1280, 634782, 116826, 26576888}},
		{"config_7_j5", GPT2ParamCount{16811904, 132096, 903354, 1280, 1036730, 116826, 17965460}},
	}
	for _, tc := range tests {
		a, ok := b.Arch(tc.id)
		if !ok {
			t.Fatalf("%s missing", tc.id)
		}
		got, err := GPT2Params(a.GPT2)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v\nwant %+v", tc.id, got, err, tc.want)
		}
	}
}

// TestSharedFlexiParamsMatchReferenceCSV: upstream-proxy mode reproduces the
// "Number of Parameters" column of BERT_results_activation.csv for 500/500.
func TestSharedFlexiParamsMatchReferenceCSV(t *testing.T) {
	b := loadShared(t, "flexibert")
	ref, err := ReadScoresColumn(filepath.Join(sharedBench, "reference", "flexibert", "BERT_results_activation.csv"), "Number of Parameters")
	if err != nil {
		t.Fatal(err)
	}
	if len(ref) != 500 {
		t.Fatalf("reference has %d rows", len(ref))
	}
	match := 0
	for _, a := range b.Archs {
		p, err := FlexiParams(a.Flexi, ModeUpstreamProxy)
		if err != nil {
			t.Fatalf("%s: %v", a.ID, err)
		}
		w, ok := ref[a.ID]
		if !ok {
			t.Errorf("%s: not in reference CSV", a.ID)
			continue
		}
		if float64(p.Total) != w {
			t.Errorf("%s: upstream-proxy params %d, CSV %v", a.ID, p.Total, w)
			continue
		}
		match++
		r, err := FlexiParams(a.Flexi, ModeRecords)
		if err != nil {
			t.Fatalf("%s records: %v", a.ID, err)
		}
		if a.Flexi.HiddenSize == 256 && r.Embeddings != p.Embeddings {
			t.Errorf("%s: records-mode embeddings %d, want %d for H=256", a.ID, r.Embeddings, p.Embeddings)
		}
	}
	t.Logf("%d/500 match the reference CSV", match)
}

func TestSharedStrata(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"flexibert", []string{"h128-L2", "h128-L4", "h256-L2", "h256-L4"}},
		{"gpt2-wt103", []string{"d128", "d256", "d512", "d64"}},
	}
	for _, tc := range tests {
		b := loadShared(t, tc.name)
		count := map[string]int{}
		for _, s := range Strata(b) {
			count[s]++
		}
		t.Logf("%s strata: %v", tc.name, count)
		if len(count) != len(tc.want) {
			t.Errorf("%s: strata %v, want keys %v", tc.name, count, tc.want)
		}
		for _, w := range tc.want {
			if count[w] < 3 {
				t.Errorf("%s: stratum %s has %d archs", tc.name, w, count[w])
			}
		}
	}
}

func TestSharedArchScalars(t *testing.T) {
	g := loadShared(t, "gpt2-wt103")
	a, _ := g.Arch("config_0_j0")
	s := ArchScalars(a, "")
	want := map[string]float64{"params": 8505006, "dparams": 1790372, "layers": 5, "width": 128}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("gpt2 scalars %v, want %v", s, want)
	}
	f := loadShared(t, "flexibert")
	tests := []struct {
		mode FlexiMode
		want map[string]float64
	}{
		// record 0 is H=256 with FFN dims 1024, 512, 512, 1024.
		{ModeUpstreamProxy, map[string]float64{"params": 13330176, "dparams": 13330176 - 4005888, "layers": 4, "width": 256}},
		// Records mode, by hand: embeddings 4,005,888; WMA 329,216 + FFN(I=1024,
		// n_ff 3) 2,625,280; DCT 65,792 + FFN(I=512, 3) 788,736 [= 256·512+512
		// + 2·(512²+512) + 512·256+256 + 512]; SDP 263,680 + 788,736; SDP
		// 263,680 + FFN(I=1024, 1) 526,080. Total 9,657,088.
		{ModeRecords, map[string]float64{"params": 9657088, "dparams": 9657088 - 4005888, "layers": 4, "width": 256}},
		{"", map[string]float64{"params": 9657088, "dparams": 9657088 - 4005888, "layers": 4, "width": 256}},
	}
	for _, tc := range tests {
		got := ArchScalars(f.Archs[0], tc.mode)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("flexibert %s: %v, want %v", tc.mode, got, tc.want)
		}
	}
	for _, a := range f.Archs {
		for _, m := range []FlexiMode{ModeRecords, ModeUpstreamProxy} {
			if s := ArchScalars(a, m); s == nil || s["params"] <= s["dparams"] {
				t.Fatalf("%s %s: %v", a.ID, m, s)
			}
		}
	}
}

// BenchmarkLoad measures loading each benchmark from ../shared/bench.
func BenchmarkLoad(b *testing.B) {
	for _, name := range Names {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Load(name, sharedBench); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
