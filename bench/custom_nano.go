package bench

import "lpz/bench/nano"

// NanoName is the embedded benchmark's name.
const NanoName = "nano"

// Nano returns the benchmark embedded in the binary (bench/nano): byte-level
// GPT-2 decoders of the nano space with ground truth measured by lpz bench
// build. It needs no files.
func Nano() (*Benchmark, error) {
	return ParseCustom(nano.Benchmark, "embedded:bench/nano/benchmark.json")
}

// NanoText is the text the nano benchmark's capture minibatch is drawn from
// when no --text is given: a few KB of lpz's own prose (bench/nano/text.txt),
// read with the byte-level tokenizer.
func NanoText() string { return nano.Text }
