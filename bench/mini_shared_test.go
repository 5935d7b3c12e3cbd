package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"lpz/bench/nano"
	"lpz/bench/wt103mini"
	"lpz/tokenizer"
)

var updateMini = flag.Bool("update", false, "rewrite bench/wt103mini/slice.json from ../shared")

// miniPerStratum is how many architectures of each d_model stratum the
// slice keeps (see miniRule).
const miniPerStratum = 9

// miniRule is the selection rule, fixed before any result on the slice was
// known: the smallest architectures are the cheapest to capture, and taking
// the same number from every d_model stratum keeps the four widths of the
// full benchmark.
var miniRule = fmt.Sprintf("the %d architectures with the fewest parameters (params_summary.yaml total; ties by id) in each d_model stratum (64, 128, 256, 512) of gpt2-wt103, in its order", miniPerStratum)

// sharedTokenizer is ../shared/tokenizer/gpt2 relative to this package.
var sharedTokenizer = filepath.Join("..", "..", "shared", "tokenizer", "gpt2")

// buildMiniSlice is the generator of bench/wt103mini/slice.json: it reads
// the published benchmark from dataDir and GPT-2's BPE files from tokDir,
// applies miniRule, and tokenizes lpz's own text (bench/nano/text.txt).
func buildMiniSlice(dataDir, tokDir string) (*SliceFile, error) {
	full, err := Load("gpt2-wt103", dataDir)
	if err != nil {
		return nil, err
	}
	strata := map[string][]Arch{}
	for _, a := range full.Archs {
		strata[StratumOf(a)] = append(strata[StratumOf(a)], a)
	}
	keep := map[string]bool{}
	for _, as := range strata {
		sort.SliceStable(as, func(i, j int) bool {
			if as[i].Params["total"] != as[j].Params["total"] {
				return as[i].Params["total"] < as[j].Params["total"]
			}
			return as[i].ID < as[j].ID
		})
		for _, a := range as[:min(miniPerStratum, len(as))] {
			keep[a.ID] = true
		}
	}
	tok, err := tokenizer.Load(tokDir)
	if err != nil {
		return nil, err
	}
	tsha := map[string]string{}
	for _, f := range []string{"vocab.json", "merges.txt"} {
		raw, err := os.ReadFile(filepath.Join(tokDir, f))
		if err != nil {
			return nil, err
		}
		tsha[f] = sha256Hex(raw)
	}
	sf := &SliceFile{Format: SliceFormat, Name: MiniName, Of: full.Name,
		Source: SliceSource{Repo: GPT2Repo, Branch: GPT2Branch, Commit: GPT2Commit, Path: GPT2Path, Licence: GPT2Licence,
			Files: []string{"config_I/jK/model_config.yaml", "ppl_summary.yaml", "params_summary.yaml"}},
		Rule:      miniRule,
		Generator: "go test ./bench -run TestSharedMiniSlice -update (reads ../shared/bench/gpt2-wt103 and ../shared/tokenizer/gpt2)",
		Tokens: SliceTokens{Text: "bench/nano/text.txt", TextSHA256: sha256Hex([]byte(nano.Text)), Tokenizer: "gpt2",
			TokenizerSHA256: tsha, IDs: tok.Encode(nano.Text)},
	}
	for _, a := range full.Archs {
		if keep[a.ID] {
			sf.Archs = append(sf.Archs, SliceArch{ID: a.ID, Config: a.GPT2, ValidPPL: a.Truth, Extra: a.Extra, Params: a.Params})
		}
	}
	return sf, nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestSharedMiniSlice checks the provenance of the embedded slice: the
// generator, run on ../shared, writes exactly the embedded file. With
// -update it rewrites the file instead.
func TestSharedMiniSlice(t *testing.T) {
	sf, err := buildMiniSlice(sharedBench, sharedTokenizer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := MarshalSlice(sf)
	if err != nil {
		t.Fatal(err)
	}
	if *updateMini {
		if err := os.WriteFile(filepath.Join("wt103mini", "slice.json"), got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote wt103mini/slice.json: %d architectures, %d token ids, %d bytes", len(sf.Archs), len(sf.Tokens.IDs), len(got))
		return
	}
	if !bytes.Equal(got, wt103mini.Slice) {
		t.Fatalf("bench/wt103mini/slice.json differs from what the generator writes from ../shared; run go test ./bench -run TestSharedMiniSlice -update")
	}
	// Every architecture is the full benchmark's, number for number.
	full := loadShared(t, "gpt2-wt103")
	mini, err := Mini()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range mini.Archs {
		f, ok := full.Arch(a.ID)
		if !ok || f.Truth != a.Truth || f.Params["total"] != a.Params["total"] || StratumOf(f) != StratumOf(a) {
			t.Errorf("%s: not the same architecture as in gpt2-wt103", a.ID)
		}
	}
}
