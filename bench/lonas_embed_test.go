package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// The embedded lonas-nano benchmark loads with both ground truths, writes
// its checkpoint once to the cache directory, and counts each
// sub-network's parameters exactly.
func TestLonasNanoEmbedded(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	b, err := LonasNano() // not LoadAny: this package's directory holds lonas-nano/ itself
	if err != nil {
		t.Fatal(err)
	}
	if b.Family != FamilyLoNAS || len(b.Archs) < 2 || len(b.TruthDefs) != 2 || b.TruthDefs[1].Name != "acc_cont4" || !b.TruthDefs[1].HigherIsBetter {
		t.Fatalf("%s: %d archs, truths %+v", b.Family, len(b.Archs), b.TruthDefs)
	}
	sn := b.Archs[0].Lonas.Super
	for _, f := range []string{"config.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(sn.Checkpoint, f)); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range b.Archs {
		cfg, err := a.Lonas.Llama()
		if err != nil {
			t.Fatal(err)
		}
		tot, _ := LlamaParams(&cfg)
		if got := ArchScalars(a, "")["params"]; got != float64(tot) || a.Extra["params_trained"] != float64(tot) {
			t.Errorf("%s: params %v, recorded %v, counted %d", a.ID, got, a.Extra["params_trained"], tot)
		}
	}
	again, err := LonasNano()
	if err != nil || again.Archs[0].Lonas.Super.Checkpoint != sn.Checkpoint {
		t.Fatalf("second load: %v (%s vs %s)", err, again.Archs[0].Lonas.Super.Checkpoint, sn.Checkpoint)
	}
	acc, err := b.WithTruth("acc_cont4")
	if err != nil || acc.Archs[0].Truth <= 0 || acc.Archs[0].Truth > 1 {
		t.Fatalf("acc_cont4: %v", err)
	}
}
