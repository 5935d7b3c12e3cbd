package mctask

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// ContinuationStream2 is the second PCG stream word used by [Continuation];
// with the caller's seed as the first word it fixes the random sequence.
const ContinuationStream2 = 0x6c707a2d636f6e74 // "lpz-cont"

// distractorTries bounds the draws for one distractor before the text is
// declared too repetitive to give distinct choices.
const distractorTries = 100

// Continuation builds lpz's own task from held-out text: n items, each a
// passage of ctxLen bytes, its true continuation (the next contLen bytes)
// and choices-1 distractors of contLen bytes from elsewhere in the text.
//
// The draws (fixed; changing them changes every cont task):
//
//  1. r := rand.New(rand.NewPCG(seed, ContinuationStream2)) (math/rand/v2).
//  2. Per item, in order: start := r.IntN(len(text)-ctxLen-contLen+1), a
//     byte offset, not aligned to lines, words or UTF-8 characters (byte
//     spans are what a byte-level model sees; an edge may split a
//     multi-byte character).
//  3. answer := r.IntN(choices), the position of the true continuation.
//  4. Each other position, in order, takes a span drawn uniformly among the
//     starts whose span lies wholly outside the item's passage (context and
//     true continuation), redrawn while its bytes equal a choice already
//     made (at most 100 draws, then an error).
//
// Items may overlap one another. The result depends only on (text, n,
// ctxLen, contLen, choices, seed). The task is named "cont4" for four
// choices ("cont<choices>" in general).
func Continuation(text []byte, n, ctxLen, contLen, choices int, seed uint64) (*Task, error) {
	if n <= 0 || ctxLen <= 0 || contLen <= 0 || choices < 2 {
		return nil, fmt.Errorf("mctask: Continuation: n (%d), ctxLen (%d) and contLen (%d) must be positive and choices (%d) at least 2", n, ctxLen, contLen, choices)
	}
	passage := ctxLen + contLen
	// Below this length some passage start leaves no outside span.
	if need := passage + 2*contLen - 1; len(text) < need {
		return nil, fmt.Errorf("mctask: Continuation: text of %d bytes is too short for %d-byte passages with %d-byte distractors outside them: need at least %d bytes", len(text), passage, contLen, need)
	}
	r := rand.New(rand.NewPCG(seed, ContinuationStream2))
	task := &Task{
		Name:   fmt.Sprintf("cont%d", choices),
		Source: fmt.Sprintf("%d bytes of held-out text, seed %d", len(text), seed),
		Format: "cont",
		Items:  make([]Item, n),
	}
	for i := range task.Items {
		start := r.IntN(len(text) - passage + 1)
		answer := r.IntN(choices)
		conts := make([]string, choices)
		conts[answer] = string(text[start+ctxLen : start+passage])
		for j := range conts {
			if j == answer {
				continue
			}
			d, ok := distractor(r, text, start, passage, contLen, conts)
			if !ok {
				return nil, fmt.Errorf("mctask: Continuation: item %d: no distinct %d-byte distractor in %d draws: the text is too repetitive", i, contLen, distractorTries)
			}
			conts[j] = d
		}
		task.Items[i] = Item{
			ID:            fmt.Sprintf("%d@%d", i, start),
			Contexts:      []string{string(text[start : start+ctxLen])},
			Continuations: conts,
			Answer:        answer,
		}
	}
	return task, nil
}

// distractor draws a contLen-byte span that does not overlap
// text[start:start+passage] and differs from every choice made so far.
func distractor(r *rand.Rand, text []byte, start, passage, contLen int, made []string) (string, bool) {
	before := max(0, start-contLen+1)                  // starts d with d+contLen <= start
	after := max(0, len(text)-contLen-start-passage+1) // starts d >= start+passage
	for range distractorTries {
		d := r.IntN(before + after)
		if d >= before {
			d += start + passage - before
		}
		if s := string(text[d : d+contLen]); !slices.Contains(made, s) {
			return s, true
		}
	}
	return "", false
}
