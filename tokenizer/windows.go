package tokenizer

import (
	"fmt"
	"math/rand/v2"
)

// WindowsStream2 is the second PCG stream word used by [Windows]; with the
// caller's seed as the first word it fixes the random sequence.
const WindowsStream2 = 0x6c707a2d77696e64 // "lpz-wind"

// Windows draws batch windows of length consecutive ids from ids, seeded and
// reproducible. Callers that train a next-token model ask for
// length = seqLen+1: inputs are w[:seqLen] and labels w[1:].
//
// Algorithm (fixed; changing it changes every cached capture, so bump the
// cache's code version if you do):
//
//  1. r := rand.New(rand.NewPCG(seed, WindowsStream2)) (math/rand/v2).
//  2. nChunks := len(ids) / length; slack := len(ids) - nChunks*length.
//     It is an error if nChunks < batch (text too short).
//  3. offset := r.IntN(slack+1): one random shift shared by all chunks, so
//     chunk k is ids[offset+k*length : offset+(k+1)*length].
//  4. perm := r.Perm(nChunks); window b is chunk perm[b] for b < batch.
//
// The windows come from distinct chunks, so they never overlap and the batch
// holds no duplicated text. Each window is a fresh slice (safe to modify).
func Windows(ids []int, batch, length int, seed uint64) ([][]int, error) {
	if batch <= 0 || length <= 0 {
		return nil, fmt.Errorf("tokenizer: Windows: batch (%d) and length (%d) must be positive", batch, length)
	}
	nChunks := len(ids) / length
	if nChunks < batch {
		return nil, fmt.Errorf("tokenizer: text too short: %d ids hold %d non-overlapping windows of %d ids, need %d (batch); use a longer text or a smaller batch/sequence length", len(ids), nChunks, length, batch)
	}
	slack := len(ids) - nChunks*length
	r := rand.New(rand.NewPCG(seed, WindowsStream2))
	offset := r.IntN(slack + 1)
	perm := r.Perm(nChunks)
	out := make([][]int, batch)
	for b := range out {
		start := offset + perm[b]*length
		out[b] = append([]int(nil), ids[start:start+length]...)
	}
	return out, nil
}

// FoldIDs maps ids (e.g. GPT-2's 0..50256) into a vocabulary of size vocab
// reproducibly: id ↦ 1 + id mod (vocab-1) (negative ids are first taken
// modulo vocab-1 into 0..vocab-2). Row 0 is never produced, because
// FlexiBERT keeps its padding row 0 at zero. It returns a new slice.
//
// Why the fold is architecture-neutral: it is a fixed function of the text's
// ids that does not depend on the architecture, so every architecture of a
// benchmark sees exactly the same sequence of input ids (and the same
// masked-LM positions and labels). Only which embedding row a GPT-2 id
// selects changes, and embedding rows are seeded random initialisations, so
// no architecture gains or loses from it. Collisions (two GPT-2 ids sharing
// a row) are likewise identical for all architectures. This is what lets the
// FlexiBERT family (vocabulary 30522, whose WordPiece tokenizer is not
// available offline) be captured on the same real text.
//
// vocab must be at least 2 (FoldIDs panics otherwise: a programming error).
func FoldIDs(ids []int, vocab int) []int {
	if vocab < 2 {
		panic(fmt.Sprintf("tokenizer.FoldIDs: vocabulary size %d < 2", vocab))
	}
	m := vocab - 1
	out := make([]int, len(ids))
	for i, id := range ids {
		r := id % m
		if r < 0 {
			r += m
		}
		out[i] = 1 + r
	}
	return out
}
