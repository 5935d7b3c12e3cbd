package interp

import (
	"fmt"
	"slices"

	"lpz/lang"
	"lpz/tensor"
)

// binary applies a + - * / following stdlib.BinaryResult: scalars broadcast
// to anything, a tensor broadcasts to every entry of a list, two lists pair
// entry by entry, and tensor shapes broadcast as in numpy.
func (ev *evaluator) binary(n *node, a, b Value) (Value, error) {
	f := n.op.F2
	ak, bk := a.Type.Kind, b.Type.Kind
	switch {
	case ak == lang.Scalar && bk == lang.Scalar:
		return ScalarValue(f(a.Scalar, b.Scalar)), nil
	case ak == lang.ListScalar && bk == lang.ListScalar:
		if err := ev.sameLen(n, a, b); err != nil {
			return Value{}, err
		}
		out := make([]float64, len(a.Scalars))
		for i := range out {
			out[i] = f(a.Scalars[i], b.Scalars[i])
		}
		return Value{Type: a.Type, Scalars: out, Names: pickNames(a, b)}, nil
	case ak == lang.Scalar && bk == lang.ListScalar:
		out := make([]float64, len(b.Scalars))
		for i, y := range b.Scalars {
			out[i] = f(a.Scalar, y)
		}
		return Value{Type: b.Type, Scalars: out, Names: b.Names}, nil
	case ak == lang.ListScalar && bk == lang.Scalar:
		out := make([]float64, len(a.Scalars))
		for i, x := range a.Scalars {
			out[i] = f(x, b.Scalar)
		}
		return Value{Type: a.Type, Scalars: out, Names: a.Names}, nil
	}
	// At least one side holds tensors: work entry by entry, as many entries
	// as the list side has (possibly none: a tensor or scalar paired with
	// an empty list gives an empty list).
	entries := b.Len()
	if a.Type.IsList() {
		entries = a.Len()
	}
	if a.Type.IsList() && b.Type.IsList() {
		if err := ev.sameLen(n, a, b); err != nil {
			return Value{}, err
		}
	}
	if !a.Type.IsList() && !b.Type.IsList() {
		t, err := broadcastOp(f, entryOf(a, 0), entryOf(b, 0), ev.maxElems)
		if err != nil {
			return Value{}, ev.fail(n, "%v", err)
		}
		return TensorValue(t), nil
	}
	family := a.Type.Family
	if !a.Type.IsList() {
		family = b.Type.Family
	}
	out := make([]*tensor.Tensor, entries)
	errs := make([]error, entries)
	total := 0
	if a.Type.Kind == lang.ListTensor {
		total += totalElems(a.Tensors)
	}
	if b.Type.Kind == lang.ListTensor {
		total += totalElems(b.Tensors)
	}
	err := ev.parallel(entries, total, func(i int) {
		out[i], errs[i] = broadcastOp(f, entryOf(a, i), entryOf(b, i), ev.maxElems)
	})
	if err != nil {
		return Value{}, err
	}
	for i, e := range errs {
		if e != nil {
			return Value{}, ev.fail(n, "entry %d%s: %v", i, entryName(a, b, i), e)
		}
	}
	return Value{Type: lang.ListOf(lang.Tensor, family), Tensors: out, Names: pickNames(a, b)}, nil
}

func (ev *evaluator) sameLen(n *node, a, b Value) error {
	if a.Len() != b.Len() {
		return ev.fail(n, "lists of family %s have %d and %d entries", a.Type.Family, a.Len(), b.Len())
	}
	return nil
}

func pickNames(a, b Value) []string {
	if a.Names != nil {
		return a.Names
	}
	return b.Names
}

func entryName(a, b Value, i int) string {
	names := pickNames(a, b)
	if i < len(names) && names[i] != "" {
		return " (" + names[i] + ")"
	}
	return ""
}

// Operand is one side of a binary operator on one list entry: a number,
// or a tensor when Tensor is set.
type Operand struct {
	Scalar float64
	Tensor *tensor.Tensor
}

func entryOf(v Value, i int) Operand {
	switch v.Type.Kind {
	case lang.Scalar:
		return Operand{Scalar: v.Scalar}
	case lang.Tensor:
		return Operand{Tensor: v.Tensor}
	case lang.ListScalar:
		return Operand{Scalar: v.Scalars[i]}
	}
	return Operand{Tensor: v.Tensors[i]}
}

// OneToOne reports whether a binary operator pairs the elements of a and
// b one to one (BinaryInto): a number with a tensor, or two tensors of
// one shape; other shapes broadcast by stretching dimensions. The result
// has the shape of the tensor side.
func OneToOne(a, b Operand) bool {
	return a.Tensor == nil || b.Tensor == nil || slices.Equal(a.Tensor.Shape, b.Tensor.Shape)
}

// BinaryInto writes f(a, b) element by element into dst, for operands
// that pair one to one (OneToOne); dst has the length of the tensor side
// and may be that side's data. It is the one loop of the binary
// operators: the interpreter's, and gp's fused evaluation, which reuses
// its buffers.
func BinaryInto(dst []float32, f func(a, b float64) float64, a, b Operand) {
	switch {
	case a.Tensor == nil:
		x := a.Scalar
		for i, y := range b.Tensor.Data {
			dst[i] = float32(f(x, float64(y)))
		}
	case b.Tensor == nil:
		y := b.Scalar
		for i, x := range a.Tensor.Data {
			dst[i] = float32(f(float64(x), y))
		}
	default:
		bd := b.Tensor.Data[:len(a.Tensor.Data)]
		for i, x := range a.Tensor.Data {
			dst[i] = float32(f(float64(x), float64(bd[i])))
		}
	}
}

func broadcastOp(f func(a, b float64) float64, a, b Operand, maxElems int) (*tensor.Tensor, error) {
	if !OneToOne(a, b) {
		return broadcastGeneral(f, a.Tensor, b.Tensor, maxElems)
	}
	like := a.Tensor
	if like == nil {
		like = b.Tensor
	}
	out := &tensor.Tensor{Shape: like.Shape, Data: make([]float32, len(like.Data))}
	BinaryInto(out.Data, f, a, b)
	return out, nil
}

// broadcastGeneral implements numpy broadcasting: shapes align on the right
// and a dimension of 1 stretches (to 0 as well: [0,3] with [1,3] is [0,3]).
// A result over maxElems elements and larger than both operands is an
// error (see Host.MaxElems).
func broadcastGeneral(f func(a, b float64) float64, a, b *tensor.Tensor, maxElems int) (*tensor.Tensor, error) {
	rank := max(len(a.Shape), len(b.Shape))
	shape := make([]int, rank)
	as, bs := padShape(a.Shape, rank), padShape(b.Shape, rank)
	for i := 0; i < rank; i++ {
		switch {
		case as[i] == bs[i]:
			shape[i] = as[i]
		case as[i] == 1:
			shape[i] = bs[i]
		case bs[i] == 1:
			shape[i] = as[i]
		default:
			return nil, fmt.Errorf("shapes %s and %s do not broadcast", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape))
		}
	}
	if !fits(shape, max(maxElems, len(a.Data), len(b.Data))) {
		return nil, fmt.Errorf("shapes %s and %s broadcast to %s, over the limit of %d elements per result", tensor.ShapeString(a.Shape), tensor.ShapeString(b.Shape), tensor.ShapeString(shape), maxElems)
	}
	astr, bstr := strides(as), strides(bs)
	for i := range shape {
		if as[i] == 1 {
			astr[i] = 0
		}
		if bs[i] == 1 {
			bstr[i] = 0
		}
	}
	out := tensor.New(shape...)
	idx := make([]int, rank)
	ai, bi := 0, 0
	for k := range out.Data {
		out.Data[k] = float32(f(float64(a.Data[ai]), float64(b.Data[bi])))
		for d := rank - 1; d >= 0; d-- {
			idx[d]++
			ai += astr[d]
			bi += bstr[d]
			if idx[d] < shape[d] {
				break
			}
			ai -= astr[d] * shape[d]
			bi -= bstr[d] * shape[d]
			idx[d] = 0
		}
	}
	return out, nil
}

func padShape(s []int, rank int) []int {
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	copy(out[rank-len(s):], s)
	return out
}

func strides(shape []int) []int {
	st := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= shape[i]
	}
	return st
}

// fits reports whether a tensor of this shape has at most limit elements,
// without overflowing on the way.
func fits(shape []int, limit int) bool {
	if slices.Contains(shape, 0) {
		return true
	}
	n := 1
	for _, d := range shape {
		if n > limit/d {
			return false
		}
		n *= d
	}
	return true
}
