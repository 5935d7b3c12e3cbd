package study

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/gp"
)

func TestSampleSize(t *testing.T) {
	b := &bench.Benchmark{Name: "b"}
	for _, tc := range []struct {
		archs, given, want int
		bad                bool
	}{
		{200, 0, DefaultSample, false}, // the paper's
		{30, 0, 20, false},             // two thirds: some are held out
		{3, 0, 3, false},
		{30, 30, 30, false},
		{30, 31, 0, true},
	} {
		b.Archs = make([]bench.Arch, tc.archs)
		got, err := SampleSize(b, tc.given)
		var oe *OptionError
		if got != tc.want || tc.bad != errors.As(err, &oe) {
			t.Errorf("%d archs, given %d: %d %v, want %d (error %v)", tc.archs, tc.given, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseTerminals(t *testing.T) {
	terms, err := ParseTerminals(" A, params,A,,G ")
	if err != nil || strings.Join(TerminalNames(terms), ",") != "A,params,G" {
		t.Errorf("%v %v", TerminalNames(terms), err)
	}
	for _, bad := range []string{"nope", "", " , "} {
		var oe *OptionError
		if _, err := ParseTerminals(bad); !errors.As(err, &oe) {
			t.Errorf("%q: %v, want an OptionError", bad, err)
		}
	}
}

// Seeding keeps the proxies that read only the terminals and says which
// ones it left out, and why.
func TestSeedFormulas(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "seeds.lpz")
	src := "let p = params\nproxy a = p + layers\nproxy b = sum(fro(A))\nproxy c = fro(A)\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	terms, _ := ParseTerminals("params,layers,A")
	var log strings.Builder
	seeds, err := SeedFormulas(file, terms, &log)
	if err != nil || len(seeds) != 2 {
		t.Fatalf("%d seeds, %v", len(seeds), err)
	}
	if !strings.Contains(log.String(), "2 of 3 proxies seed the population; 1 left out") || !strings.Contains(log.String(), "seeds.lpz:4 c: type") {
		t.Errorf("log:\n%s", log.String())
	}
	none := filepath.Join(dir, "none.lpz")
	os.WriteFile(none, []byte("let x = 1\n"), 0o644)
	for _, from := range []string{none, filepath.Join(dir, "missing.lpz")} {
		var oe *OptionError
		if _, err := SeedFormulas(from, terms, nil); !errors.As(err, &oe) {
			t.Errorf("%s: %v, want an OptionError", from, err)
		}
	}
	if seeds, err := SeedFormulas("corpus", terms, nil); err != nil || len(seeds) == 0 {
		t.Errorf("corpus: %d seeds, %v", len(seeds), err)
	}
}

// A search on architecture scalars: the report's numbers on the sample,
// on all architectures and held out agree with its sizes, and a
// cancelled context stops the search before anything is evaluated.
func TestSearchReport(t *testing.T) {
	sess, err := Open("nano", "", "records")
	if err != nil {
		t.Fatal(err)
	}
	terms, _ := ParseTerminals("params,dparams,layers,width")
	sample, err := sess.Problem(context.Background(), bench.Sample(sess.Bench, 20, 1), terms, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := gp.DefaultConfig()
	cfg.Pop, cfg.Gens, cfg.Seed = 20, 30, 1
	var total, last int
	rep, err := sess.Search(context.Background(), sample, SearchOptions{Config: cfg, Seed: 1, Top: 2,
		Next: func(f string) string { return "rank " + f },
		AllProgress: func(n int) (func(int), func()) {
			total = n
			return func(done int) { last = done }, func() {}
		}})
	if err != nil {
		t.Fatal(err)
	}
	w := rep.Winner
	if w.Sample.N != 20 || w.All == nil || w.All.N+w.All.Invalid != 30 || w.HeldOut == nil || w.HeldOut.N+w.HeldOut.Invalid != 10 {
		t.Errorf("winner %+v", w)
	}
	if len(rep.Top) != 2 || len(rep.Pareto) == 0 || rep.Next != "rank "+w.Formula || len(w.Scores) != 30 || total != 30 || last != 30 {
		t.Errorf("top %d, pareto %d, next %q, %d scores, progress %d/%d", len(rep.Top), len(rep.Pareto), rep.Next, len(w.Scores), last, total)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sess.Search(ctx, sample, SearchOptions{Config: cfg}); err == nil {
		t.Error("a cancelled search reported")
	}
}
