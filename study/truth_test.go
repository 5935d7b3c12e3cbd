package study

import (
	"context"
	"errors"
	"strings"
	"testing"

	"lpz/rank"
)

func TestSelectTruth(t *testing.T) {
	cases := []struct {
		truth  string
		want   string   // the session's truth after it
		errs   []string // substrings of an OptionError
		option bool
	}{
		{"", "valid_ppl", nil, false},
		{"valid_ppl", "valid_ppl", nil, false},
		{"valid_loss", "valid_loss", nil, false},
		{"vaild_loss", "", []string{"--truth vaild_loss", "benchmark nano has no such ground truth", `did you mean "valid_loss"?`, "its truths: valid_ppl, valid_loss"}, true},
		{"accuracy", "", []string{"--truth accuracy", "its truths: valid_ppl, valid_loss"}, true},
	}
	for _, c := range cases {
		s, err := Open("nano", "", "records")
		if err != nil {
			t.Fatal(err)
		}
		err = s.SelectTruth(c.truth)
		var oe *OptionError
		if c.errs == nil {
			if err != nil || s.Bench.TruthName != c.want {
				t.Errorf("SelectTruth(%q): %v, truth %s; want %s", c.truth, err, s.Bench.TruthName, c.want)
			}
			continue
		}
		if !errors.As(err, &oe) {
			t.Errorf("SelectTruth(%q): %v, want an OptionError", c.truth, err)
			continue
		}
		for _, w := range c.errs {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("SelectTruth(%q): %q lacks %q", c.truth, err, w)
			}
		}
		if s.Bench.TruthName != "valid_ppl" {
			t.Errorf("a failed SelectTruth(%q) changed the truth to %s", c.truth, s.Bench.TruthName)
		}
	}
}

// A report ranks against the selected truth: params against valid_ppl and
// valid_loss (the same order) give the same ρ, under the selected name.
func TestRankSelectedTruth(t *testing.T) {
	rho := map[string]string{}
	for _, truth := range []string{"valid_ppl", "valid_loss"} {
		rep := rankNanoAgainst(t, truth, "params")
		if rep.Truth != truth || rep.HigherIsBetter {
			t.Errorf("report truth %s (higher %v), want %s", rep.Truth, rep.HigherIsBetter, truth)
		}
		rho[truth] = rep.Rho.Text(6)
	}
	if rho["valid_ppl"] != rho["valid_loss"] {
		t.Errorf("ρ differs between valid_ppl and valid_loss, which order the architectures alike: %v", rho)
	}
}

// rankNanoAgainst ranks formula over the nano benchmark against truth.
func rankNanoAgainst(t *testing.T, truth, formula string) *rank.Report {
	t.Helper()
	s, err := Open("nano", "", "records")
	if err == nil {
		err = s.SelectTruth(truth)
	}
	p, cerr := Compile(formula)
	if err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := s.Rank(context.Background(), p, s.Bench.Archs, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}
