// Package wt103mini carries the embedded gpt2-wt103-mini benchmark:
// slice.json, a few dozen architectures of the published gpt2-wt103
// benchmark (their model configurations, published validation perplexities
// and parameter counts, with where they come from and by which rule they
// were chosen) plus the GPT-2 BPE token ids of lpz's own capture text
// (../nano/text.txt), so that capturing it needs no files. The file is
// written by a generator from ../../../shared (go test ./bench -run
// TestSharedMiniSlice -update); see ../mini.go for the format.
package wt103mini

import _ "embed"

// Slice is slice.json.
//
//go:embed slice.json
var Slice []byte
