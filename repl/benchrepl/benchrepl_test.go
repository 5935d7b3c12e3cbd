package benchrepl

import (
	"context"
	"strings"
	"testing"

	"lpz/bench"
	"lpz/interp"
	"lpz/repl"
	"lpz/study"
)

// Scalar formulas of per-architecture inputs are ranked over the sample;
// anything else runs on the current architecture, which it says. (The
// end-to-end session with captures is cli's TestReplBenchSample.)
func TestRankOnSampleAndCurrentArch(t *testing.T) {
	s, err := study.Open(bench.NanoName, "", string(bench.DefaultFlexiMode))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r := repl.New(interp.NewSession(nil), &out)
	b := &Bench{}
	b.Load = func(ctx context.Context, r *repl.REPL, args []string) error {
		_, err := r.Out.Write([]byte(b.Status() + "\n"))
		return err
	}
	b.Install(r)
	if err := b.SetSample(r, s, 5, 42); err != nil {
		t.Fatal(err)
	}
	in := ":bench\nparams\nparams - params + 1\nlet k = 2\nlayers * k\n:arch nano_003\n:arch nano_3\n"
	if err := r.Run(context.Background(), strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ranking typed scalar formulas on 5 architectures of nano (seed 42); other formulas read nano_004",
		"nano: 5 architectures loaded for ranking (seed 42); current architecture nano_004\n",
		"(n 5 of nano)\nρ undefined: params - params + 1 is 1 on every architecture (n 5 of nano)\n",
		"(on nano/nano_004, the current architecture; :arch ID picks another)\n",
		"current architecture: nano/nano_003 (valid_ppl = ",
		`benchmark nano has no architecture "nano_3"; did you mean "nano_003"?`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in\n%s", want, out.String())
		}
	}
	if err := b.SetSample(r, s, 1000, 42); err == nil || b.Status() != "nano: 5 architectures loaded for ranking (seed 42); current architecture nano_003" {
		t.Errorf("a failed load changed the state: %v, %s", err, b.Status())
	}
}

func TestProvideWithoutBenchmark(t *testing.T) {
	var out strings.Builder
	r := repl.New(interp.NewSession(nil), &out)
	(&Bench{}).Install(r)
	_ = r.Run(context.Background(), strings.NewReader("fro(A)\n"))
	if !strings.Contains(out.String(), "A: no benchmark architecture is loaded to read it from") {
		t.Errorf("got\n%s", out.String())
	}
}
