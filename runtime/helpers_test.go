package runtime

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"lpz/bench"
)

var (
	testBackendOnce sync.Once
	testBackend     backends.Backend
	testBackendErr  error
)

func goBackend(t testing.TB) backends.Backend {
	t.Helper()
	testBackendOnce.Do(func() { testBackend, testBackendErr = NewBackend("go") })
	if testBackendErr != nil {
		t.Fatal(testBackendErr)
	}
	return testBackend
}

// tinyConfig is a scaled-down wt103 config: n_token 300 and cutoffs
// [100, 200, 1000, 300] (cleaned to [100, 200, 300], like wt103's trailing
// 199997/50264 pair), d 32.
func tinyConfig(divVal, dEmbed int) bench.GPT2Config {
	return bench.GPT2Config{
		NLayer: 2, DModel: 32, NHead: []int{2, 4}, DInner: []int{48, 64},
		DEmbed: dEmbed, DivVal: divVal, NToken: 300, Cutoffs: []int{100, 200, 1000, 300},
		TgtLen: 16, TieWeight: true, TieProjs: []bool{false, true, true, true},
		WeightInitStd: 0.02, ProjInitStd: 0.01, Dropout: 0.1,
	}
}

// randomBatch draws a B×T batch of ids in [0, V) from a stream; labels are
// the next tokens.
func randomBatch(seed uint64, B, T, V int) Batch {
	r := rand.New(rand.NewPCG(seed, 7))
	var b Batch
	for i := 0; i < B; i++ {
		stream := make([]int, T+1)
		for j := range stream {
			stream[j] = r.IntN(V)
		}
		b.Inputs = append(b.Inputs, stream[:T])
		b.Labels = append(b.Labels, stream[1:])
	}
	return b
}
