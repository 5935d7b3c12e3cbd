// Package gtensor lets a Go program that holds gorgonia.org/tensor values
// evaluate lpz formulas on them with no conversion: a *tensor.Dense of
// float32 in row-major order and lpz's host tensor (lpz/tensor) share one
// []float32, in both directions, so building the inputs of a proxy from a
// gorgonia model's activations costs no copy, and a tensor-valued result
// comes back as a *tensor.Dense over the interpreter's own output.
//
// Only the bridge lives here. The arithmetic stays in lpz's op table,
// whose kernels run over the raw slices: gorgonia's element-wise
// operations were measured about 12× slower than a plain loop, so nothing
// on an evaluation path calls them.
//
// It is a package of its own, not part of interp, so that the language
// core and the CLI do not link gorgonia's dependencies (and its start-up
// assertion that the garbage collector does not move heap objects, which
// zero-copy sharing relies on) unless a program asks for gorgonia.
package gtensor

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"gorgonia.org/tensor"

	"lpz/interp"
	"lpz/lang"
	"lpz/stdlib"
	host "lpz/tensor"
)

// FromDense returns an lpz host tensor with d's shape over d's backing
// array: writing through either is visible in the other. d must hold
// float32 (the capture's and the kernels' element type). A tensor whose
// elements are not one row-major run — a strided view, a lazy transpose,
// column-major storage — is read element by element into a new slice
// instead, since a host tensor has no strides; a masked tensor is refused,
// because a formula would read the masked elements as values.
func FromDense(d *tensor.Dense) (*host.Tensor, error) {
	if d == nil {
		return nil, errors.New("gtensor: nil *tensor.Dense")
	}
	if d.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("gtensor: tensor of %v, want float32", d.Dtype())
	}
	if d.IsMasked() {
		return nil, errors.New("gtensor: masked tensor (lpz has no masks; fill or drop the masked elements first)")
	}
	if !d.IsNativelyAccessible() {
		return nil, errors.New("gtensor: tensor memory is not accessible from Go (device memory)")
	}
	shape := append([]int{}, d.Shape()...)
	data := d.Float32s()
	if d.RequiresIterator() || d.DataOrder().IsColMajor() || len(data) != host.NumElements(shape) {
		data = rowMajor(d, data, host.NumElements(shape))
	}
	return host.FromData(data, shape...)
}

// rowMajor copies the elements of d in row-major order of its shape; the
// iterator knows its strides, view offset and storage order.
func rowMajor(d *tensor.Dense, backing []float32, n int) []float32 {
	out := make([]float32, 0, n)
	it := d.Iterator()
	for i, err := it.Start(); err == nil; i, err = it.Next() {
		out = append(out, backing[i])
	}
	return out
}

// ToDense returns a gorgonia tensor with t's shape over t's data (not
// copied). A rank-0 host tensor becomes a scalar-shaped Dense.
func ToDense(t *host.Tensor) (*tensor.Dense, error) {
	if t == nil {
		return nil, errors.New("gtensor: nil host tensor")
	}
	if n := host.NumElements(t.Shape); n != len(t.Data) {
		return nil, fmt.Errorf("gtensor: shape %s needs %d elements, the tensor holds %d", host.ShapeString(t.Shape), n, len(t.Data))
	}
	for _, d := range t.Shape {
		if d < 0 {
			return nil, fmt.Errorf("gtensor: negative dimension in shape %s", host.ShapeString(t.Shape))
		}
	}
	return tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data)), nil
}

// Inputs builds the environment a formula is evaluated in. Each entry of
// lists becomes one list input, its tensors in order (list entries are
// blocks, weight matrices, …, as the capture's channels are); its family
// is the channel table's (stdlib.Channels: A and H are both "blocks", so
// A + H pairs them entry by entry) or, for a name outside the table, a
// family of its own. Each entry of scalars becomes a scalar input (params,
// width, …). No tensor data is copied unless FromDense has to.
func Inputs(lists map[string][]*tensor.Dense, scalars map[string]float64) (interp.Inputs, error) {
	in := make(interp.Inputs, len(lists)+len(scalars))
	for _, name := range sortedKeys(lists) {
		ts := make([]*host.Tensor, len(lists[name]))
		for i, d := range lists[name] {
			t, err := FromDense(d)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", name, i, err)
			}
			ts[i] = t
		}
		in[name] = interp.TensorList(stdlib.FamilyOf(name), nil, ts)
	}
	for name, x := range scalars {
		if _, dup := in[name]; dup {
			return nil, fmt.Errorf("gtensor: %s is both a list and a scalar input", name)
		}
		in[name] = interp.ScalarValue(x)
	}
	return in, nil
}

// sortedKeys orders the lists so that the first failing entry reported
// is the same on every run.
func sortedKeys(m map[string][]*tensor.Dense) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Eval parses, checks and compiles the formula src against the types of
// in (over the default op table) and evaluates it on the host engine.
// Errors are the language's positioned ones; a NaN or ±Inf scalar comes
// with an *interp.NonFiniteError. To evaluate one formula on many inputs
// of the same types, compile it once with interp.CompileSource and call
// interp.Host.Eval for each.
func Eval(ctx context.Context, src string, in interp.Inputs) (interp.Value, error) {
	p, err := interp.CompileSource(src, interp.InputTypes(in), stdlib.Default)
	if err != nil {
		return interp.Value{}, err
	}
	return interp.Host{}.Eval(ctx, p, in)
}

// Tensors returns the tensors of a tensor-valued result (one) or of a list
// of tensors (one per entry, in order) as gorgonia tensors over the
// result's data. A scalar or list-of-scalars value has no tensors: read
// v.Scalar or v.Scalars.
func Tensors(v interp.Value) ([]*tensor.Dense, error) {
	var ts []*host.Tensor
	switch v.Type.Kind {
	case lang.Tensor:
		ts = []*host.Tensor{v.Tensor}
	case lang.ListTensor:
		ts = v.Tensors
	default:
		return nil, fmt.Errorf("gtensor: a %s value holds no tensors", v.Type)
	}
	out := make([]*tensor.Dense, len(ts))
	for i, t := range ts {
		d, err := ToDense(t)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out[i] = d
	}
	return out, nil
}
