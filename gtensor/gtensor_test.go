package gtensor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"lpz/interp"
	"lpz/lang"
	host "lpz/tensor"
)

func dense(shape []int, data []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

func TestFromDenseSharesBacking(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape []int
		data  []float32
	}{
		{"matrix", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}},
		{"vector", []int{3}, []float32{1, 2, 3}},
		{"rank 3", []int{2, 1, 2}, []float32{1, 2, 3, 4}},
		{"scalar", []int{}, []float32{7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := dense(tc.shape, tc.data)
			h, err := FromDense(d)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(h.Shape, tc.shape) {
				t.Fatalf("shape %v, want %v", h.Shape, tc.shape)
			}
			h.Data[0] = 42
			if got := d.Float32s()[0]; got != 42 {
				t.Fatalf("write through the host tensor not seen by gorgonia: %v", got)
			}
			d.Float32s()[len(tc.data)-1] = -1
			if got := h.Data[len(tc.data)-1]; got != -1 {
				t.Fatalf("write through gorgonia not seen by the host tensor: %v", got)
			}
		})
	}
}

func TestToDenseSharesData(t *testing.T) {
	for _, h := range []*host.Tensor{
		{Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
		{Shape: []int{}, Data: []float32{5}},
		{Shape: []int{0, 3}, Data: nil},
	} {
		d, err := ToDense(h)
		if err != nil {
			t.Fatalf("%v: %v", h, err)
		}
		if got, want := []int(d.Shape()), h.Shape; len(got) != len(want) || !slices.Equal(got, want) {
			t.Fatalf("%v: shape %v", h, d.Shape())
		}
		if len(h.Data) == 0 {
			continue
		}
		d.Float32s()[0] = 42
		if h.Data[0] != 42 {
			t.Fatalf("%v: write through gorgonia not seen by the host tensor", h)
		}
		h.Data[len(h.Data)-1] = -1
		if got := d.Float32s()[len(h.Data)-1]; got != -1 {
			t.Fatalf("%v: write through the host tensor not seen by gorgonia: %v", h, got)
		}
	}
}

// A contiguous view (a range of rows) is still one row-major run and is
// shared; a strided view, a transpose or column-major storage is copied
// in the order of its logical shape.
func TestFromDenseViews(t *testing.T) {
	base := func() *tensor.Dense {
		return dense([]int{4, 3}, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	}
	slice := func(d *tensor.Dense, s ...tensor.Slice) *tensor.Dense {
		v, err := d.Slice(s...)
		if err != nil {
			t.Fatal(err)
		}
		return v.(*tensor.Dense)
	}
	transposed := base()
	if err := transposed.T(); err != nil {
		t.Fatal(err)
	}
	rows := base()
	for _, tc := range []struct {
		name   string
		d      *tensor.Dense
		shape  []int
		want   []float32
		shared bool
	}{
		{"rows", slice(rows, tensor.S(1, 3)), []int{2, 3}, []float32{3, 4, 5, 6, 7, 8}, true},
		{"column", slice(base(), nil, tensor.S(1)), []int{4}, []float32{1, 4, 7, 10}, false},
		{"strided", slice(base(), tensor.S(1, 3), tensor.S(0, 3, 2)), []int{2, 2}, []float32{3, 5, 6, 8}, false},
		{"transpose", transposed, []int{3, 4}, []float32{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}, false},
		{"column-major", tensor.New(tensor.WithShape(2, 3), tensor.AsFortran([]float32{1, 2, 3, 4, 5, 6})), []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := FromDense(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(h.Shape, tc.shape) || !slices.Equal(h.Data, tc.want) {
				t.Fatalf("got %v %v, want %v %v", h.Shape, h.Data, tc.shape, tc.want)
			}
			h.Data[0] = 42
			if got := tc.d.Float32s()[0] == 42; got != tc.shared {
				t.Fatalf("shared = %v, want %v", got, tc.shared)
			}
		})
	}
	if rows.Float32s()[3] != 42 {
		t.Fatal("the row view's write did not reach the tensor it views")
	}
}

func TestConversionErrors(t *testing.T) {
	masked := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}, []bool{false, true}))
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"nil dense", func() error { _, err := FromDense(nil); return err }, "nil *tensor.Dense"},
		{"float64", func() error {
			_, err := FromDense(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2})))
			return err
		}, "tensor of float64, want float32"},
		{"masked", func() error { _, err := FromDense(masked); return err }, "masked tensor"},
		{"nil host", func() error { _, err := ToDense(nil); return err }, "nil host tensor"},
		{"short data", func() error {
			_, err := ToDense(&host.Tensor{Shape: []int{2, 3}, Data: []float32{1}})
			return err
		}, "shape [2,3] needs 6 elements, the tensor holds 1"},
		{"negative dim", func() error {
			_, err := ToDense(&host.Tensor{Shape: []int{-1, -1}, Data: []float32{1}})
			return err
		}, "negative dimension"},
		{"list and scalar", func() error {
			_, err := Inputs(map[string][]*tensor.Dense{"A": nil}, map[string]float64{"A": 1})
			return err
		}, "A is both a list and a scalar input"},
		{"bad entry", func() error {
			_, err := Inputs(map[string][]*tensor.Dense{"H": {dense([]int{1}, []float32{1}), nil}}, nil)
			return err
		}, "H[1]: gtensor: nil *tensor.Dense"},
		{"scalar result", func() error { _, err := Tensors(interp.ScalarValue(1)); return err }, "a scalar value holds no tensors"},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestInputsTypes(t *testing.T) {
	one := func() *tensor.Dense { return dense([]int{1, 2}, []float32{1, 2}) }
	in, err := Inputs(map[string][]*tensor.Dense{
		"A": {one(), one()}, "H": {one(), one()}, "S": {one()}, "X": {one()},
	}, map[string]float64{"params": 1e6})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]lang.Type{
		"A":      lang.ListOf(lang.Tensor, "blocks"),
		"H":      lang.ListOf(lang.Tensor, "blocks"),
		"S":      lang.ListOf(lang.Tensor, "softmax"),
		"X":      lang.ListOf(lang.Tensor, "X"),
		"params": lang.ScalarType,
	} {
		if in[name].Type != want {
			t.Errorf("%s: type %s, want %s", name, in[name].Type, want)
		}
	}
	if in["params"].Scalar != 1e6 {
		t.Errorf("params = %v", in["params"].Scalar)
	}
}

// Evaluation reads the shared inputs and never writes them, and its
// errors are the language's.
func TestEvalLeavesInputs(t *testing.T) {
	data := []float32{1, -2, 3, -4}
	in, err := Inputs(map[string][]*tensor.Dense{"A": {dense([]int{2, 2}, data)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Eval(context.Background(), "sum(abs(A) * 2)", in)
	if err != nil || v.Scalar != 20 {
		t.Fatalf("got %v, %v; want 20", v, err)
	}
	if !slices.Equal(data, []float32{1, -2, 3, -4}) {
		t.Fatalf("evaluation wrote its input: %v", data)
	}
	_, err = Eval(context.Background(), "sum(A) + B", in)
	if err == nil || !strings.Contains(err.Error(), "1:10: unknown input \"B\"") || !strings.Contains(err.Error(), "^") {
		t.Fatalf("error %v, want a positioned language error", err)
	}
	_, err = Eval(context.Background(), "exp(sum(abs(A)) * 100)", in)
	var nf *interp.NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("error %v, want NonFiniteError", err)
	}
}

func TestTensorsOfResult(t *testing.T) {
	in, err := Inputs(map[string][]*tensor.Dense{"A": {dense([]int{2}, []float32{1, 4})}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Eval(context.Background(), "sq(A)", in)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Tensors(v)
	if err != nil || len(ts) != 1 || !slices.Equal(ts[0].Float32s(), []float32{1, 16}) {
		t.Fatalf("got %v, %v", ts, err)
	}
	ts[0].Float32s()[0] = 9
	if v.Tensors[0].Data[0] != 9 {
		t.Fatal("the result tensor was copied")
	}
	one, err := Tensors(interp.TensorValue(&host.Tensor{Shape: []int{1}, Data: []float32{3}}))
	if err != nil || len(one) != 1 || one[0].Float32s()[0] != 3 {
		t.Fatalf("single tensor: %v, %v", one, err)
	}
}

// FuzzFromDense slices and transposes a [4,3,2] tensor and checks that
// FromDense yields the elements At reads, in row-major order.
func FuzzFromDense(f *testing.F) {
	f.Add(uint8(0), uint8(4), uint8(1), uint8(0), uint8(3), false)
	f.Add(uint8(1), uint8(3), uint8(1), uint8(0), uint8(3), true)
	f.Add(uint8(0), uint8(4), uint8(2), uint8(1), uint8(2), false)
	f.Fuzz(func(t *testing.T, lo, hi, step, lo2, hi2 uint8, transpose bool) {
		data := make([]float32, 24)
		for i := range data {
			data[i] = float32(i)
		}
		d := dense([]int{4, 3, 2}, data)
		r0, r1 := int(lo%4), int(hi%5)
		c0, c1 := int(lo2%3), int(hi2%4)
		if r1 <= r0 || c1 <= c0 {
			return
		}
		v, err := d.Slice(tensor.S(r0, r1, int(step%3)+1), tensor.S(c0, c1))
		if err != nil {
			return
		}
		view := v.(*tensor.Dense)
		if transpose && view.Dims() >= 2 {
			if err := view.T(); err != nil {
				t.Fatal(err)
			}
		}
		h, err := FromDense(view)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(h.Shape, []int(view.Shape())) {
			t.Fatalf("shape %v, view %v", h.Shape, view.Shape())
		}
		for k := range h.Data {
			idx := make([]int, len(h.Shape))
			for a, r := len(h.Shape)-1, k; a >= 0; a-- {
				idx[a], r = r%h.Shape[a], r/h.Shape[a]
			}
			x, err := view.At(idx...)
			if err != nil {
				t.Fatal(err)
			}
			if x.(float32) != h.Data[k] {
				t.Fatalf("element %v: %v, At says %v", idx, h.Data[k], x)
			}
		}
	})
}
