package interp

import (
	"context"
	"math/rand/v2"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// The two reference workloads: one 4M-element tensor, and a capture-
// sized list of 56 tensors (8 activations [8,128,256] and 48 weight matrices).
func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

func bigInputs() (Inputs, int64) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randTensor(r, 1024, 4096)
	return Inputs{"x": TensorValue(x)}, int64(4 * x.Len())
}

func captureInputs() (Inputs, int64) {
	r := rand.New(rand.NewPCG(2, 2))
	var acts, weights []*tensor.Tensor
	for i := 0; i < 8; i++ {
		acts = append(acts, randTensor(r, 8, 128, 256))
	}
	for i := 0; i < 48; i++ {
		if i%2 == 0 {
			weights = append(weights, randTensor(r, 256, 256))
		} else {
			weights = append(weights, randTensor(r, 256, 1024))
		}
	}
	in := Inputs{"A": TensorList("blocks", nil, acts), "W": TensorList("weights", nil, weights)}
	return in, in["A"].Bytes() + in["W"].Bytes()
}

func benchProxy(b *testing.B, src string, in Inputs, bytes int64) {
	types := InputTypes(in)
	ctx := context.Background()
	b.SetBytes(bytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := CompileSource(src, types, stdlib.Default)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := (Host{}).Eval(ctx, p, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadFloor is the memory-bandwidth floor: one pass summing every
// float32 of the same bytes (4 accumulators, no allocation).
func readFloor(in Inputs) float64 {
	var s0, s1, s2, s3 float32
	visit := func(d []float32) {
		i := 0
		for ; i+4 <= len(d); i += 4 {
			s0 += d[i]
			s1 += d[i+1]
			s2 += d[i+2]
			s3 += d[i+3]
		}
		for ; i < len(d); i++ {
			s0 += d[i]
		}
	}
	for _, v := range in {
		switch v.Type.Kind {
		case lang.Tensor:
			visit(v.Tensor.Data)
		case lang.ListTensor:
			for _, t := range v.Tensors {
				visit(t.Data)
			}
		}
	}
	return float64(s0 + s1 + s2 + s3)
}

var sink float64

func BenchmarkReadFloor4M(b *testing.B) {
	in, bytes := bigInputs()
	b.SetBytes(bytes)
	for i := 0; i < b.N; i++ {
		sink += readFloor(in)
	}
}

func BenchmarkReadFloor56(b *testing.B) {
	in, bytes := captureInputs()
	b.SetBytes(bytes)
	for i := 0; i < b.N; i++ {
		sink += readFloor(in)
	}
}

func BenchmarkProxy4M(b *testing.B) {
	in, bytes := bigInputs()
	benchProxy(b, "fro(log(abs(x)) + sq(x))", in, bytes)
}

func BenchmarkProxy4MReduceOnly(b *testing.B) {
	in, bytes := bigInputs()
	benchProxy(b, "fro(x)", in, bytes)
}

func BenchmarkProxy56(b *testing.B) {
	in, bytes := captureInputs()
	benchProxy(b, "sum(sq(inv(A)) + log(softmax(fro(A)))) + sum(fro(W))", in, bytes)
}

func BenchmarkProxy56SNIPLike(b *testing.B) {
	in, bytes := captureInputs()
	benchProxy(b, "sum(abs(W * W))", in, bytes)
}
