package runtime

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"

	"lpz/bench"
)

// LlamaModelVersion is the llama family's code version (cache keys, builds).
const LlamaModelVersion = "llama/0"

// TrainLlama trains a LLaMA-style decoder (not implemented yet).
func TrainLlama(backend backends.Backend, cfg bench.LlamaConfig, train, valid []int, tc TrainConfig, progress TrainProgress) (*TrainResult, error) {
	return nil, fmt.Errorf("runtime: the llama family is not implemented yet")
}
