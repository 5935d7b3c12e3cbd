package runtime

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/bench"
	"lpz/interp"
	"lpz/stdlib"
	"lpz/tensor"
)

// Batch is one minibatch: Inputs[b][t] are token ids and Labels[b][t] the
// next tokens (labels[t] = ids[t+1] of the stream; the model does not shift,
// quirk 8). All rows have the same length T ≤ tgt_len.
type Batch struct {
	Inputs [][]int
	Labels [][]int
}

// CaptureOptions selects the weights' seed and the channels.
type CaptureOptions struct {
	Seed uint64
	// Channels names the channels to return: standardChannels (A H S W
	// G J params dparams; empty means all of those) and the family's
	// opt-in extra channels — GA, HG and GS (stdlib.ExtraChannels) for
	// every family, ChannelGones for FlexiBERT — which are never part of
	// "all": they are captured only when named, e.g. {"GA", "HG", "GS"},
	// and then only the named channels are returned (their dependencies,
	// such as the loss backward, are computed but not returned). Any
	// other name, or an extra channel the family lacks, is an error.
	// Work that no requested channel needs is skipped: without G/GA/HG
	// there is no loss backward, without J/Gones no backward of the last
	// hidden state, without HG no double backward, without GS no Synflow
	// execution. The forward pass (and the loss) always runs.
	Channels []string
}

// Timing is where a capture's time went.
type Timing struct {
	Init     time.Duration // drawing the weights on the host
	Build    time.Duration // building the graph (forward + gradients)
	Compile  time.Duration
	Execute  time.Duration // one graph execution
	Transfer time.Duration // results to host tensors
	Total    time.Duration
	// FLOPs is the analytic count of matmul floating-point operations the
	// execution performed (multiply-add = 2), see MatmulFLOPs.
	FLOPs float64
}

// addRun adds the graph stages of one more execution (the Synflow pass).
func (t *Timing) addRun(r Timing) {
	t.Build += r.Build
	t.Compile += r.Compile
	t.Execute += r.Execute
	t.Transfer += r.Transfer
}

// FLOPS is the achieved matmul FLOP rate of the execution.
func (t Timing) FLOPS() float64 {
	if t.Execute <= 0 {
		return 0
	}
	return t.FLOPs / t.Execute.Seconds()
}

// Capture is one architecture's captured channels, ready for the
// interpreter.
type Capture struct {
	Inputs interp.Inputs
	Loss   float64
	Timing Timing
}

// Extra channels the runtime captures on explicit request (see
// stdlib.ExtraChannels). They are not part of "all" (an empty Channels),
// whose set keys the cached captures.
const (
	ChannelGA = "GA"
	ChannelHG = "HG"
	ChannelGS = "GS"
)

// standardChannels are the stdlib.Channels a capture produces, the set an
// empty CaptureOptions.Channels means; the table's other names (layers,
// width) are architecture scalars that bench.ArchScalars counts.
var standardChannels = []string{"A", "H", "S", "W", "G", "J", "params", "dparams"}

// chanSet says which channels a capture returns and its graph computes.
// synflow selects the Synflow graph instead (see forward.outputs), which
// computes R = Σ last hidden state and its weight gradients (in G).
type chanSet struct {
	A, H, S, W, G, J  bool
	params, dparams   bool
	GA, HG, GS, Gones bool
	synflow           bool // graph of the GS pass: |θ|, R = Σ last hidden state, G = ∂R/∂W
	synflowOnes       bool // (tests) GPT-2: h₀ = all-ones instead of the all-ones token ids
}

// flag is the field of w that stands for channel name (nil if none).
func (w *chanSet) flag(name string) *bool {
	switch name {
	case "A":
		return &w.A
	case "H":
		return &w.H
	case "S":
		return &w.S
	case "W":
		return &w.W
	case "G":
		return &w.G
	case "J":
		return &w.J
	case "params":
		return &w.params
	case "dparams":
		return &w.dparams
	case ChannelGA:
		return &w.GA
	case ChannelHG:
		return &w.HG
	case ChannelGS:
		return &w.GS
	case ChannelGones:
		return &w.Gones
	}
	return nil
}

// has says whether channel name is requested.
func (w chanSet) has(name string) bool {
	f := w.flag(name)
	return f != nil && *f
}

// computes says whether the graph returns channel name (GS comes from a
// second execution, whose G it is).
func (w chanSet) computes(name string) bool {
	switch name {
	case "G":
		return w.G || w.synflow
	case ChannelGS:
		return false
	}
	return w.has(name)
}

// selectChannels resolves a channel request for family f (see
// CaptureOptions.Channels).
func selectChannels(list []string, f *family) (chanSet, error) {
	var want chanSet
	if len(list) == 0 {
		list = standardChannels
	}
	for _, name := range list {
		known := slices.Contains(standardChannels, name) || f != nil && slices.Contains(f.extra, name)
		if !known {
			return chanSet{}, channelError(name, f)
		}
		*want.flag(name) = true
	}
	return want, nil
}

// channelError says why name cannot be captured by family f.
func channelError(name string, f *family) error {
	if _, ok := stdlib.Subsets[name]; ok {
		return fmt.Errorf("runtime: channel %q is not captured by the runtime (derived channels are built from W/G by the caller)", name)
	}
	if slices.Contains(bench.ScalarNames, name) {
		return fmt.Errorf("runtime: channel %q is an architecture scalar (bench.ArchScalars), not captured", name)
	}
	for _, g := range families {
		if slices.Contains(g.extra, name) && f != nil {
			return fmt.Errorf("runtime: the %s family does not capture channel %q (its opt-in channels: %s)", f.name, name, strings.Join(f.extra, ", "))
		}
	}
	return fmt.Errorf("runtime: unknown channel %q", name)
}

// preparedBatch is a validated decoder batch (GPT-2, LLaMA); the graph
// reads ids and labels as constants (labels are known when it is built).
type preparedBatch struct {
	B, T   int
	ids    []int32 // B·T, batch-major
	labels []int32
}

func (pb *preparedBatch) synflow() minibatch { return synflowBatch(pb) }

// prepareBatch validates b for GPT-2 architecture a.
func prepareBatch(a *gpt2Arch, b Batch) (*preparedBatch, error) {
	return prepareDecoderBatch(b, a.V, a.tgtLen, "tgt_len")
}

// prepareDecoderBatch validates b for a decoder with vocabulary V and
// context (named what) positions.
func prepareDecoderBatch(b Batch, V, context int, what string) (*preparedBatch, error) {
	B := len(b.Inputs)
	if B == 0 || len(b.Labels) != B {
		return nil, fmt.Errorf("runtime: batch needs the same number (> 0) of input and label rows, got %d and %d", B, len(b.Labels))
	}
	T := len(b.Inputs[0])
	if T == 0 || T > context {
		return nil, fmt.Errorf("runtime: sequence length %d must be in [1, %s=%d]", T, what, context)
	}
	pb := &preparedBatch{B: B, T: T, ids: make([]int32, 0, B*T), labels: make([]int32, 0, B*T)}
	for r := 0; r < B; r++ {
		if len(b.Inputs[r]) != T || len(b.Labels[r]) != T {
			return nil, fmt.Errorf("runtime: batch row %d has %d inputs and %d labels, want %d", r, len(b.Inputs[r]), len(b.Labels[r]), T)
		}
		for t := 0; t < T; t++ {
			id, y := b.Inputs[r][t], b.Labels[r][t]
			if id < 0 || id >= V || y < 0 || y >= V {
				return nil, fmt.Errorf("runtime: batch row %d position %d: token %d / label %d outside [0, n_token=%d)", r, t, id, y, V)
			}
			pb.ids = append(pb.ids, int32(id))
			pb.labels = append(pb.labels, int32(y))
		}
	}
	return pb, nil
}

// synflowBatch is the GS pass's input: every token id 1 (the all-ones id
// tensor of the reference's Synflow), same B×T; no labels are used.
func synflowBatch(pb *preparedBatch) *preparedBatch {
	n := pb.B * pb.T
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = 1
	}
	return &preparedBatch{B: pb.B, T: pb.T, ids: ids, labels: make([]int32, n)}
}

// toHost copies a result to a host float32 tensor.
func toHost(t *tensors.Tensor) *tensor.Tensor {
	dims := slices.Clone(t.Shape().Dimensions)
	switch t.DType() {
	case dtypes.Float64:
		d64 := tensors.MustCopyFlatData[float64](t)
		d32 := make([]float32, len(d64))
		for i, v := range d64 {
			d32[i] = float32(v)
		}
		out, _ := tensor.FromData(d32, dims...)
		return out
	default:
		out, _ := tensor.FromData(tensors.MustCopyFlatData[float32](t), dims...)
		return out
	}
}
