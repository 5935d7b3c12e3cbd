package bench

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"lpz/bench/nano"
	"lpz/bench/wt103mini"
)

func TestMiniLoads(t *testing.T) {
	b, err := Mini()
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != MiniName || b.Family != FamilyGPT2 || b.HigherIsBetter || b.TruthName != "valid_ppl" {
		t.Errorf("metadata: %s %s %v %s", b.Name, b.Family, b.HigherIsBetter, b.TruthName)
	}
	if b.Source.Repo != GPT2Repo || b.Source.Commit != GPT2Commit || b.Source.Licence != "MIT" || b.Source.Subset == "" {
		t.Errorf("source: %+v", b.Source)
	}
	if n := len(b.Archs); n < 30 || n > 40 {
		t.Errorf("%d architectures, want 30–40", n)
	}
	per := map[string]int{}
	for _, s := range Strata(b) {
		per[s]++
	}
	if len(per) != 4 || per["d64"] != per["d512"] || per["d128"] != per["d256"] || per["d64"] != per["d128"] {
		t.Errorf("strata %v, want the same number in each of 4", per)
	}
	if len(b.Tokens) < 4*65 || !strings.Contains(b.TokensDesc, "bench/nano/text.txt") {
		t.Errorf("%d tokens (%s): too few for the default 4 × 64 capture", len(b.Tokens), b.TokensDesc)
	}
	// The published counts are the analytic ones (ParseSlice checks it).
	if s := ArchScalars(b.Archs[0], ""); s["params"] != float64(b.Archs[0].Params["total"]) {
		t.Errorf("params %v vs published %d", s["params"], b.Archs[0].Params["total"])
	}
}

// The embedded ids were measured on the embedded text: editing
// bench/nano/text.txt without regenerating the slice is caught here, also
// where ../shared is missing.
func TestMiniTokensAreOfTheNanoText(t *testing.T) {
	sf, err := MiniSlice()
	if err != nil {
		t.Fatal(err)
	}
	if sf.Tokens.TextSHA256 != sha256Hex([]byte(nano.Text)) {
		t.Fatal("bench/nano/text.txt changed after the slice was generated; run go test ./bench -run TestSharedMiniSlice -update")
	}
	again, err := MarshalSlice(sf)
	if err != nil || !bytes.Equal(again, wt103mini.Slice) {
		t.Errorf("MarshalSlice does not reproduce the embedded file (err %v)", err)
	}
}

func TestParseSliceErrors(t *testing.T) {
	good := string(wt103mini.Slice)
	first := `"params":{"AdaEmb":`
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"json", `"format"`, `"format`, "malformed JSON"},
		{"format", `"lpz-slice/1"`, `"lpz-slice/9"`, `format "lpz-slice/9", want "lpz-slice/1"`},
		{"unknown field", `"rule":`, `"rules":`, "malformed JSON"},
		{"of", `"of": "gpt2-wt103"`, `"of": "flexibert"`, `a slice of "flexibert" cannot be loaded`},
		{"ppl", `"valid_ppl":`, `"valid_ppl":-`, "is not a positive finite number"},
		{"params", first, first + `1`, "params: AdaEmb is 1"},
		{"token", `"ids": [` + "\n  ", `"ids": [` + "\n  99999999,", "outside the vocabulary"},
		{"no config", `"config":{`, `"config":null,"x":{`, "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("%q not in the slice file", tc.from)
			}
			_, err := ParseSlice([]byte(strings.Replace(good, tc.from, tc.to, 1)), "x.json")
			var le *LoadError
			if err == nil || !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a LoadError containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "x.json") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestParseSliceRecords(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*SliceFile)
		want string
	}{
		{"duplicate", func(s *SliceFile) { s.Archs = append(s.Archs, s.Archs[0]) }, "duplicate architecture ids"},
		{"no archs", func(s *SliceFile) { s.Archs = nil }, "no architectures"},
		{"no tokens", func(s *SliceFile) { s.Tokens.IDs = nil }, "no token ids"},
		{"no config", func(s *SliceFile) { s.Archs = append([]SliceArch{{ID: "x", ValidPPL: 1}}, s.Archs...) }, "x: no config"},
		{"heads", func(s *SliceFile) { s.Archs[0].Config.NHead[0] = 3 }, "3 heads do not divide d_model"},
		{"div_val", func(s *SliceFile) { s.Archs[0].Config.DivVal = 0 }, "div_val 0 is not a positive integer"},
		{"cluster width", func(s *SliceFile) { s.Archs[0].Config.DivVal = 1000 }, "leaves the last of 3 clusters no width"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := MiniSlice() // a fresh copy to edit
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(c)
			data, err := MarshalSlice(c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseSlice(data, "x.json"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzParseSlice: no input makes the loader panic, and what it accepts is
// a usable benchmark.
func FuzzParseSlice(f *testing.F) {
	f.Add(wt103mini.Slice)
	f.Add([]byte(`{"format":"lpz-slice/1","of":"gpt2-wt103","archs":[{"id":"a","config":{"n_layer":1,"d_model":0,"n_head":[1],"d_inner":[1]},"valid_ppl":1}],"tokens":{"ids":[0]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseSlice(data, "fuzz.json")
		if err != nil {
			return
		}
		for _, a := range b.Archs {
			if ArchScalars(a, "") == nil {
				t.Fatalf("%s: accepted but cannot be counted", a.ID)
			}
		}
	})
}
