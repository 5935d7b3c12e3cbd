// Package nano carries the embedded nano benchmark: benchmark.json (an
// lpz-bench/1 benchmark built by lpz bench build on the nano space — configs,
// ground truth and provenance, no text) and text.txt, a few KB of prose
// written for lpz (not third-party text) from which the capture minibatch
// is drawn when no --text is given. See ../custom.go for the format.
package nano

import _ "embed"

// Benchmark is benchmark.json.
//
//go:embed benchmark.json
var Benchmark []byte

// Text is text.txt: lpz's own capture text for the nano benchmark.
//
//go:embed text.txt
var Text string
