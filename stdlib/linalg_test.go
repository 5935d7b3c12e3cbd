package stdlib

import (
	"slices"
	"testing"
)

func TestSearchVocabulary(t *testing.T) {
	search := map[string]bool{}
	for _, op := range Default.Ops() {
		if op.NoSearch {
			t.Errorf("%s is NoSearch but in Ops()", op.Name)
		}
		search[op.Name] = true
	}
	for _, op := range Default.AllOps() {
		if !op.NoSearch && !search[op.Name] {
			t.Errorf("%s missing from Ops()", op.Name)
		}
		if (op.Latex == "" && op.Class != Binary) || op.Doc == "" || op.Def == "" || op.Cost == 0 && op.Name != "id" {
			t.Errorf("%s: incomplete table entry", op.Name)
		}
	}
	// The search's vocabulary decides what a seeded search draws: exactly
	// the operators added for the literature's baselines stay out of it.
	var out []string
	for _, op := range Default.AllOps() {
		if op.NoSearch {
			out = append(out, op.Name)
		}
	}
	if want := []string{"sign", "step", "max", "min", "gram", "cos", "logdet", "nuc", "pow", "amax"}; !slices.Equal(out, want) {
		t.Errorf("NoSearch ops %v, want %v", out, want)
	}
}

func TestMatrixShape(t *testing.T) {
	for _, c := range []struct {
		shape      []int
		rows, cols int
	}{{nil, 1, 1}, {[]int{5}, 1, 5}, {[]int{2, 3}, 2, 3}, {[]int{2, 3, 4}, 2, 12}, {[]int{0, 3}, 0, 3}, {[]int{3, 0, 2}, 3, 0}, {[]int{0}, 1, 0}} {
		if r, k := MatrixShape(c.shape); r != c.rows || k != c.cols {
			t.Errorf("MatrixShape(%v) = %d×%d, want %d×%d", c.shape, r, k, c.rows, c.cols)
		}
	}
}
