package interp

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// fuzzInputNames are the inputs of FuzzEval, one or two of each kind.
var fuzzInputNames = []string{"T0", "T1", "S0", "L0", "L1", "Q0", "M0"}

// fuzzInputs draws tiny inputs of every kind: tensors of rank ≤ 3 and
// dimensions ≤ 3 (empty ones included), scalars and elements from
// edgeFloats, lists of 0 to 3 entries in family F (and M0 in G).
func fuzzInputs(fb *fuzzBytes) Inputs {
	tensors := func(family string) Value {
		ts := make([]*tensor.Tensor, fb.next()%4)
		for i := range ts {
			ts[i] = fuzzTensor(fb)
		}
		return TensorList(family, nil, ts)
	}
	scalar := func() float64 { return float64(edgeFloats[fb.next()%len(edgeFloats)]) }
	q := make([]float64, fb.next()%4)
	for i := range q {
		q[i] = scalar()
	}
	return Inputs{
		"T0": TensorValue(fuzzTensor(fb)), "T1": TensorValue(fuzzTensor(fb)), "S0": ScalarValue(scalar()),
		"L0": tensors("F"), "L1": tensors("F"), "Q0": ScalarList("F", nil, q), "M0": tensors("G"),
	}
}

// fuzzConsts are the numbers a fuzzed formula may write: finite (the
// parser reads no others), with the exponents and axes that matter.
var fuzzConsts = []float64{0, 1, -1, 2, 0.5, -0.5, 3, 1e38, -1e38, 1e-30, 1.0 / 3}

// fuzzTree builds a formula from the op table, at most depth levels deep
// and about *budget nodes in all: the harness bounds the work, since
// tensors stay within rank 3 and dimension 3 except where gram or a
// broadcast combines them.
func fuzzTree(fb *fuzzBytes, depth int, budget *int) lang.Expr {
	*budget--
	ops := stdlib.Default.AllOps()
	if c := fb.next(); depth == 0 || *budget <= 0 || c%3 == 0 {
		switch k := fb.next() % 10; {
		case k < 7:
			return &lang.Ref{Name: fuzzInputNames[k]}
		case k == 7:
			return &lang.Num{Value: fuzzConsts[fb.next()%len(fuzzConsts)]}
		default:
			shape := []int{1 + fb.next()%3}
			if k == 9 {
				shape = append(shape, 1+fb.next()%3)
			}
			data := make([]float64, tensor.NumElements(shape))
			for i := range data {
				data[i] = fuzzConsts[fb.next()%len(fuzzConsts)]
			}
			return &lang.Lit{Shape: shape, Data: data}
		}
	}
	op := ops[fb.next()%len(ops)]
	args := make([]lang.Expr, op.Arity)
	for i := range args {
		args[i] = fuzzTree(fb, depth-1, budget)
	}
	return &lang.Call{Op: op.Name, Args: args}
}

// FuzzEval turns fuzz bytes into tiny inputs and a formula over the whole
// op table, then checks, compiles and evaluates it with the host engine
// and as a REPL line: a value or a positioned error, never a panic; both
// paths agree; and the session still evaluates afterwards.
func FuzzEval(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 0, 1, 3, 4, 0, 2, 2, 1, 1, 0, 1, 2, 3, 1, 1, 5, 2, 1, 1, 29, 1, 0, 4})
	f.Add([]byte{2, 1, 3, 5, 6, 7, 1, 0, 0, 1, 2, 2, 3, 1, 1, 2, 0, 1, 1, 1, 1, 1, 1, 2, 1, 27, 2, 0, 1})
	f.Add(bytes.Repeat([]byte{1, 30, 1, 2, 2, 0, 9, 2, 2}, 6))
	f.Fuzz(func(t *testing.T, b []byte) {
		fb := &fuzzBytes{b: b}
		in := fuzzInputs(fb)
		budget := 24
		src := lang.Print(fuzzTree(fb, 5, &budget))
		var host string
		var hostErr error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s: panic: %v", src, r)
				}
			}()
			p, err := CompileSource(src, InputTypes(in), stdlib.Default)
			if err != nil {
				if err := checkErrorPositioned(src, err); err != nil {
					t.Fatal(err)
				}
				hostErr = err
				return
			}
			v, err := Host{Workers: 2}.Eval(context.Background(), p, in)
			if err := checkOutcome(src, p.Type(), v, err); err != nil {
				t.Fatal(err)
			}
			var nf *NonFiniteError
			if err == nil || errors.As(err, &nf) {
				host = FormatValue(v) + "\n"
			} else {
				hostErr = err
			}
		}()
		s := NewSession(in)
		var out bytes.Buffer
		_, err := s.Exec(context.Background(), "fuzz", src, &out)
		switch {
		case hostErr == nil && (err != nil || out.String() != host):
			t.Fatalf("%s: host engine shows %q, session %q, %v", src, host, out.String(), err)
		case hostErr != nil && (err == nil || !posPrefix.MatchString(err.Error())):
			t.Fatalf("%s: host engine fails (%v), session gives %q, %v", src, hostErr, out.String(), err)
		}
		out.Reset()
		if _, err := s.Exec(context.Background(), "fuzz", "1 + 1", &out); err != nil || out.String() != "2\n" {
			t.Fatalf("session after %s: %q, %v", src, out.String(), err)
		}
	})
}
