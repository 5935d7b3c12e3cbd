// Package tensor is the host-side dense tensor that flows between capture,
// the on-disk cache (.npy) and the interpreter: a shape and float32 data in
// row-major order. It deliberately has no arithmetic; kernels live in the op
// table (stdlib) so that there is exactly one definition of every operation.
package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense row-major float32 array. A rank-0 tensor (Shape empty)
// holds one element.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New allocates a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, NumElements(shape))}
}

// FromData wraps data (not copied) with a shape; it fails if the sizes disagree.
func FromData(data []float32, shape ...int) (*Tensor, error) {
	if n := NumElements(shape); n != len(data) {
		return nil, fmt.Errorf("tensor: shape %s needs %d elements, got %d", ShapeString(shape), n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// NumElements is the product of the dimensions (1 for a scalar shape).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// ShapeString renders a shape as [2,3,4].
func ShapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (t *Tensor) String() string { return "tensor" + ShapeString(t.Shape) }
