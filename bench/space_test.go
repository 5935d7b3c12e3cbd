package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestBuiltInSpacesSample(t *testing.T) {
	for _, name := range SpaceNames() {
		s, err := LoadSpace(name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Family == FamilyLoNAS {
			if ls, err := LonasSpaceOf(s); err != nil || !ls.HasBase() {
				checkGivenBaseSpace(t, s)
				continue
			}
		}
		a, err := s.Sample(20, 7)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := s.Sample(20, 7)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("%s: sampling is not deterministic", name)
		}
		seen := map[string]bool{}
		for _, x := range a {
			if err := ValidateSpaceConfig(s.Family, x.Config); err != nil {
				t.Fatalf("%s %s: %v", name, x.ID, err)
			}
			k, _ := json.Marshal(x.Config)
			if seen[string(k)] {
				t.Fatalf("%s: duplicate %s", name, k)
			}
			seen[string(k)] = true
		}
		t.Logf("%s: %s", name, ja[:min(len(ja), 300)])
	}
}

func TestSpaceConditionalAndPerLayer(t *testing.T) {
	s, err := LoadSpace("flexibert")
	if err != nil {
		t.Fatal(err)
	}
	archs, err := s.Sample(30, 1)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]string{"SA": "SDP WMA", "LT": "DFT DCT", "DSC": "5 9"}
	for _, a := range archs {
		c, err := FlexiFromConfig(a.Config)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Layers) != 2 && len(c.Layers) != 4 {
			t.Fatalf("%s: %d layers", a.ID, len(c.Layers))
		}
		for _, l := range c.Layers {
			if !strings.Contains(ok[l.OpType], l.OpParam) {
				t.Fatalf("%s: %s with parameter %s", a.ID, l.OpType, l.OpParam)
			}
		}
	}
	nano, _ := LoadSpace("nano")
	as, _ := nano.Sample(10, 3)
	for _, a := range as {
		c, err := GPT2FromConfig(a.Config)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.NHead) != c.NLayer || len(c.DInner) != c.NLayer || c.DEmbed != c.DModel || c.NToken != 256 {
			t.Fatalf("%s: %+v", a.ID, c)
		}
	}
}

func TestParseSpaceErrors(t *testing.T) {
	for _, src := range []string{
		"name: x\nfamily: nope\n",
		"family: gpt2\n",
		"name: x\nfamily: gpt2\nper_layer:\n  n_head: [2]\n",
		"name: x\nfamily: gpt2\nchoices:\n  a: {min: 3, max: 1}\n",
		"name: x\nfamily: gpt2\nbogus: 1\n",
	} {
		if _, err := ParseSpace([]byte(src), "t.yaml"); err == nil {
			t.Errorf("no error for %q", src)
		}
	}
}

// checkGivenBaseSpace checks a lonas space whose super-network is a
// checkpoint given to the build (lonas-llama7b) on LLaMA-7B's shape: the
// paper's 32 or 28 heads and five SwiGLU widths.
func checkGivenBaseSpace(t *testing.T, s *Space) {
	t.Helper()
	if _, err := s.Sample(1, 7); err == nil || !strings.Contains(err.Error(), "--supernet") {
		t.Fatalf("%s: sampling without a checkpoint: %v", s.Name, err)
	}
	ls, err := LonasSpaceOf(s)
	if err != nil {
		t.Fatal(err)
	}
	heads, widths := make([]int, 32), make([]int, 32)
	for l := range heads {
		heads[l], widths[l] = 32, 11008
	}
	if err := ls.SetBase(LlamaConfig{NLayer: 32, DModel: 4096, NHead: heads, HeadDim: 128, DFF: widths, NToken: 32000, SeqLen: 4096}); err != nil {
		t.Fatalf("%s on LLaMA-7B: %v", s.Name, err)
	}
	a, err := ls.Sample(20, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range a {
		c, err := LonasFromConfig(x.Config)
		if err != nil {
			t.Fatal(err)
		}
		for l := range c.NHead {
			if h, f := c.NHead[l], c.DFF[l]; (h != 32 && h != 28) || !strings.Contains(" 11008 9632 8256 6880 5504 ", fmt.Sprintf(" %d ", f)) {
				t.Fatalf("%s %s: layer %d keeps %d heads and width %d", s.Name, x.ID, l, h, f)
			}
		}
	}
	if got := ls.Supernet().SpaceSize(); math.Abs(got/math.Pow(10, 32)-1) > 1e-12 {
		t.Errorf("%s: %g sub-networks, want 2^32·5^32", s.Name, got)
	}
}
