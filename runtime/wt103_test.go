package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"

	"lpz/bench"
)

const wt103Dir = "../../shared/bench/gpt2-wt103"

// loadWT103 reads the 200 model_config.yaml files (a test-only reader; the
// product's loader lives in bench/). Missing data skips the test.
func loadWT103(t testing.TB) (names []string, cfgs map[string]bench.GPT2Config) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(wt103Dir, "config_*", "j*", "model_config.yaml"))
	if len(paths) == 0 {
		t.Skipf("no benchmark configs under %s", wt103Dir)
	}
	cfgs = map[string]bench.GPT2Config{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var y struct {
			NLayer        int     `yaml:"n_layer"`
			DModel        int     `yaml:"d_model"`
			NHead         []int   `yaml:"n_head"`
			DInner        []int   `yaml:"d_inner"`
			DEmbed        int     `yaml:"d_embed"`
			DivVal        int     `yaml:"div_val"`
			NToken        int     `yaml:"n_token"`
			Cutoffs       []int   `yaml:"cutoffs"`
			TgtLen        int     `yaml:"tgt_len"`
			TieWeight     bool    `yaml:"tie_weight"`
			TieProjs      []bool  `yaml:"tie_projs"`
			WeightInitStd float64 `yaml:"weight_init_std"`
			ProjInitStd   float64 `yaml:"proj_init_std"`
		}
		if err := yaml.Unmarshal(raw, &y); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		c := bench.GPT2Config{NLayer: y.NLayer, DModel: y.DModel, NHead: y.NHead, DInner: y.DInner, DEmbed: y.DEmbed,
			DivVal: y.DivVal, NToken: y.NToken, Cutoffs: y.Cutoffs, TgtLen: y.TgtLen, TieWeight: y.TieWeight,
			TieProjs: y.TieProjs, WeightInitStd: y.WeightInitStd, ProjInitStd: y.ProjInitStd}
		if c.DEmbed < 0 {
			c.DEmbed = c.DModel
		}
		j := filepath.Base(filepath.Dir(p))
		cfgName := filepath.Base(filepath.Dir(filepath.Dir(p)))
		name := cfgName + "_" + j
		names = append(names, name)
		cfgs[name] = c
	}
	sort.Strings(names)
	return names, cfgs
}

// TestWT103ParamCounts checks the analytic count and the allocated model
// against params_summary.yaml for all 200 architectures.
func TestWT103ParamCounts(t *testing.T) {
	names, cfgs := loadWT103(t)
	raw, err := os.ReadFile(filepath.Join(wt103Dir, "params_summary.yaml"))
	if err != nil {
		t.Skip(err)
	}
	var sum map[string]map[string]float64
	if err := yaml.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		want, ok := sum[name]
		if !ok {
			t.Errorf("%s missing from params_summary.yaml", name)
			continue
		}
		got, err := GPT2ParamCount(cfgs[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := newGPT2Shapes(cfgs[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		alloc := m.Summary()
		for _, f := range []struct {
			key       string
			got, allo int
		}{{"AdaEmb", got.AdaEmb, alloc.AdaEmb}, {"Attn", got.Attn, alloc.Attn}, {"FFN", got.FFN, alloc.FFN},
			{"nonembedding", got.NonEmbedding, alloc.NonEmbedding}, {"total", got.Total, alloc.Total}} {
			if float64(f.got) != want[f.key] || f.allo != f.got {
				t.Errorf("%s %s: analytic %d allocated %d, params_summary %.0f", name, f.key, f.got, f.allo, want[f.key])
			}
		}
	}
	if len(names) != 200 {
		t.Errorf("%d architectures, want 200", len(names))
	}
}

// TestWT103FLOPs logs the analytic matmul FLOPs of a full capture over the
// 200 architectures per batch size (used to project capture time; no timing).
func TestWT103FLOPs(t *testing.T) {
	names, cfgs := loadWT103(t)
	for _, bt := range [][2]int{{4, 64}, {8, 64}, {16, 64}, {16, 192}} {
		batch := randomBatch(1, bt[0], bt[1], 50264)
		var total, max float64
		var argmax string
		var all []float64
		for _, n := range names {
			f := MatmulFLOPs(cfgs[n], batch, true, true)
			total += f
			all = append(all, f)
			if f > max {
				max, argmax = f, n
			}
		}
		sort.Float64s(all)
		t.Logf("%dx%d: total %.1f TFLOP over %d archs, median %.1f GFLOP, max %.1f GFLOP (%s)",
			bt[0], bt[1], total/1e12, len(names), all[len(all)/2]/1e9, max/1e9, argmax)
	}
	_ = fmt.Sprint
}
