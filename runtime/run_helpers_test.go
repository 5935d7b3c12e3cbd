package runtime

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"lpz/tensor"
)

// The numeric tests read one execution's channels as struct fields; these
// helpers give them that view of execute, the one execution path.

type runResult struct {
	loss          float64
	A, H, S, G    []*tensor.Tensor
	J             *tensor.Tensor
	Gones, GA, HG []*tensor.Tensor
}

type flexiResult = runResult

func newRunResult(r *graphResult) *runResult {
	res := &runResult{loss: r.loss, A: r.ch["A"], H: r.ch["H"], S: r.ch["S"], G: r.ch["G"],
		Gones: r.ch[ChannelGones], GA: r.ch[ChannelGA], HG: r.ch[ChannelHG]}
	if j := r.ch["J"]; len(j) == 1 {
		res.J = j[0]
	}
	return res
}

// run executes m's graph once on pb.
func (m *GPT2) run(backend backends.Backend, pb *preparedBatch, want chanSet, dt dtypes.DType) (*runResult, Timing, error) {
	r, tm, err := execute(backend, m, pb, want, dt)
	if err != nil {
		return nil, tm, err
	}
	return newRunResult(r), tm, nil
}

// run executes m's graph once on fb (wantOnes: also Gones).
func (m *FlexiBERT) run(backend backends.Backend, fb *flexiBatch, want chanSet, wantOnes bool, dt dtypes.DType) (*flexiResult, Timing, error) {
	want.Gones = want.Gones || wantOnes
	r, tm, err := execute(backend, m, fb, want, dt)
	if err != nil {
		return nil, tm, err
	}
	return newRunResult(r), tm, nil
}
