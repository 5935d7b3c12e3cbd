package gtensor_test

import (
	"context"
	"fmt"

	"gorgonia.org/tensor"

	"lpz/gtensor"
	"lpz/interp"
)

// A Go program that holds a model's captured tensors as gorgonia values
// evaluates a proxy on them directly: the inputs share the tensors' data.
func Example() {
	// Two blocks: the heads H and the FFN activations A of each, as
	// [tokens, width] matrices.
	heads := []*tensor.Dense{
		tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 4, 8})),
		tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{0.5, 1, 1, 2})),
	}
	acts := []*tensor.Dense{
		tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{3, 0, 0, 4})),
		tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 1, 1, 1})),
	}
	in, err := gtensor.Inputs(map[string][]*tensor.Dense{"H": heads, "A": acts}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := gtensor.Eval(context.Background(), "sum(sq(inv(H)) + log(softmax(fro(A))))", in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(interp.FormatScalar(v.Scalar))
	// Output: -4.8105737
}

// A tensor-valued result comes back as gorgonia tensors, one per list
// entry, over the interpreter's output.
func ExampleTensors() {
	heads := []*tensor.Dense{
		tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 4, 8})),
		tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float32{0.5, 1, 2})),
	}
	in, err := gtensor.Inputs(map[string][]*tensor.Dense{"H": heads}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := gtensor.Eval(context.Background(), "inv(H)", in)
	if err != nil {
		fmt.Println(err)
		return
	}
	ts, err := gtensor.Tensors(v)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range ts {
		fmt.Println(d.Shape(), d.Float32s())
	}
	// Output:
	// (2, 2) [1 0.5 0.25 0.125]
	// (1, 3) [2 1 0.5]
}
