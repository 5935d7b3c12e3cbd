package interp

import (
	"fmt"

	"lpz/lang"
	"lpz/tensor"
)

// Value is a runtime value of one of the four language types. Scalars are
// float64; tensor data is float32 (what capture produces) and reductions
// accumulate in float64.
type Value struct {
	Type    lang.Type
	Scalar  float64          // Kind == Scalar
	Tensor  *tensor.Tensor   // Kind == Tensor
	Scalars []float64        // Kind == ListScalar
	Tensors []*tensor.Tensor // Kind == ListTensor
	// Names optionally labels list entries (e.g. "block3.attn.q"); parallel
	// to Scalars/Tensors when set.
	Names []string
}

// Inputs is the environment a program is evaluated in: one value per input
// name (capture channels, architecture scalars, or anything loaded from .npy).
type Inputs map[string]Value

// ScalarValue wraps a number.
func ScalarValue(x float64) Value { return Value{Type: lang.ScalarType, Scalar: x} }

// TensorValue wraps one tensor.
func TensorValue(t *tensor.Tensor) Value { return Value{Type: lang.TensorType, Tensor: t} }

// TensorList builds list<tensor, family>; names may be nil.
func TensorList(family string, names []string, ts []*tensor.Tensor) Value {
	return Value{Type: lang.ListOf(lang.Tensor, family), Tensors: ts, Names: names}
}

// ScalarList builds list<scalar, family>; names may be nil.
func ScalarList(family string, names []string, xs []float64) Value {
	return Value{Type: lang.ListOf(lang.Scalar, family), Scalars: xs, Names: names}
}

// Len is the number of list entries (1 for non-lists).
func (v Value) Len() int {
	switch v.Type.Kind {
	case lang.ListScalar:
		return len(v.Scalars)
	case lang.ListTensor:
		return len(v.Tensors)
	}
	return 1
}

// Bytes is the size of the value's numeric payload, for bandwidth reports.
func (v Value) Bytes() int64 {
	switch v.Type.Kind {
	case lang.Scalar:
		return 8
	case lang.Tensor:
		return int64(4 * v.Tensor.Len())
	case lang.ListScalar:
		return int64(8 * len(v.Scalars))
	case lang.ListTensor:
		var n int64
		for _, t := range v.Tensors {
			n += int64(4 * t.Len())
		}
		return n
	}
	return 0
}

func (v Value) String() string {
	switch v.Type.Kind {
	case lang.Scalar:
		return fmt.Sprintf("%.6g", v.Scalar)
	case lang.Tensor:
		return v.Tensor.String()
	}
	return fmt.Sprintf("%s[%d]", v.Type, v.Len())
}
