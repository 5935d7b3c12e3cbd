package stdlib

import "testing"

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
	for name := range baselineOps {
		if _, ok := Default.Lookup(name); !ok || search[name] {
			t.Errorf("baseline op %s: known %v, searchable %v", name, ok, search[name])
		}
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
